# Copyright 2026 The ironic-expether Authors.
#
# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.


"""``ironic-expether-dbsync``: create and upgrade the device pool's tables.

Run it like ``ironic-dbsync``, with Ironic's configuration::

    ironic-expether-dbsync --config-file /etc/ironic/ironic.conf upgrade
    ironic-expether-dbsync --config-file /etc/ironic/ironic.conf version

The tables go to ``[expether] database_connection`` when it is set, to
Ironic's ``[database] connection`` otherwise. Their version is kept in the
``expether_alembic_version`` table; Ironic's own is never touched.
"""

import sys

from ironic.common import service
from oslo_config import cfg

from ironic_expether import conf
from ironic_expether.pool.db import migration

CONF = conf.CONF


def do_upgrade():
    migration.upgrade(CONF.command.revision)
    print('The device pool tables are at revision %s.' % migration.version())


def do_version():
    print(migration.version())


def do_stamp():
    migration.stamp(CONF.command.revision)


def do_create_schema():
    migration.create_schema()


def add_command_parsers(subparsers):
    parser = subparsers.add_parser(
        'upgrade', help='Upgrade the pool tables to the given revision '
                        '(default: the latest). A no-op when up to date.')
    parser.add_argument('--revision', nargs='?', default='head')
    parser.set_defaults(func=do_upgrade)

    parser = subparsers.add_parser(
        'version', help='Print the revision of the pool tables (None when '
                        'they do not exist).')
    parser.set_defaults(func=do_version)

    parser = subparsers.add_parser(
        'stamp', help='Record a revision without running migrations.')
    parser.add_argument('--revision', nargs='?', default='head')
    parser.set_defaults(func=do_stamp)

    parser = subparsers.add_parser(
        'create_schema', help='Create the pool tables from the models on a '
                              'database that has none, and stamp them.')
    parser.set_defaults(func=do_create_schema)


def main(argv=None):
    """Entry point of ``ironic-expether-dbsync``.

    :param argv: the command line, ``sys.argv`` by default.
    :returns: the process exit status.
    """
    command_opt = cfg.SubCommandOpt('command', title='Command',
                                    help='Available commands',
                                    handler=add_command_parsers)
    CONF.register_cli_opt(command_opt)
    service.prepare_command(sys.argv if argv is None else argv)
    CONF.command.func()
    return 0


if __name__ == '__main__':
    sys.exit(main())
