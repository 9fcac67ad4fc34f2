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

"""The ``eem-emulator`` command."""

import argparse
import logging
import os
import signal
import sys
import threading

from ironic_expether.emulator import inventory
from ironic_expether.emulator import server as eem_server
from ironic_expether.emulator import state as eem_state

DEFAULT_PORT = 30500


def parse_args(argv=None):
    """Parse the command line.

    :param argv: the arguments, ``sys.argv[1:]`` when None.
    :returns: an ``argparse.Namespace``.
    """
    parser = argparse.ArgumentParser(
        prog='eem-emulator',
        description='Emulate an ExpEther Manager (EEM) REST API, with '
                    'scriptable faults (see the ironic_expether.emulator '
                    'docstring for the /_emulator control API).')
    parser.add_argument('--host', default='127.0.0.1',
                        help='address to listen on (default: %(default)s)')
    parser.add_argument('--port', type=int, default=DEFAULT_PORT,
                        help='port to listen on; 0 picks a free one '
                             '(default: %(default)s)')
    parser.add_argument('--username',
                        help='require HTTP Basic auth with this user')
    parser.add_argument('--password',
                        help='the Basic auth password (or set '
                             'EEM_EMULATOR_PASSWORD)')
    parser.add_argument('--tls-cert', help='PEM certificate: serve HTTPS')
    parser.add_argument('--tls-key', help='PEM key of --tls-cert')
    source = parser.add_mutually_exclusive_group()
    source.add_argument('--inventory', metavar='FILE',
                        help='devices to serve, as a JSON document in '
                             'EEM\'s devices/detail format')
    source.add_argument('--servers', type=int,
                        help='generate this many 40G EESVs')
    parser.add_argument('--devices', type=int,
                        help='generate this many EEIOs (with --servers)')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the generated pod (default: '
                             '%(default)s)')
    parser.add_argument('--api-version', default='1.0',
                        help='version_number answered by api_version '
                             '(default: %(default)s)')
    parser.add_argument('--verbose', action='store_true',
                        help='log every request to stderr')
    args = parser.parse_args(argv)
    if args.devices is not None and args.inventory:
        parser.error('--devices goes with --servers, not --inventory')
    for name in ('servers', 'devices'):
        if (getattr(args, name) or 0) < 0:
            parser.error('--%s must not be negative' % name)
    if not 0 <= args.port <= 65535:
        parser.error('--port must be in 0..65535')
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error('--tls-cert and --tls-key go together')
    if args.password is None:
        args.password = os.environ.get('EEM_EMULATOR_PASSWORD')
    if args.password is not None and args.username is None:
        parser.error('--password needs --username')
    return args


def build_state(args):
    """The state an argument namespace asks for.

    :returns: an ``EEMState``.
    :raises: ValueError or OSError for a bad inventory.
    """
    if args.inventory:
        devices = inventory.load_inventory(args.inventory)
    elif args.servers is not None or args.devices is not None:
        devices = inventory.generate_inventory(
            args.servers or 0, args.devices or 0, seed=args.seed)
    else:
        devices = []
    return eem_state.EEMState(devices, api_version=args.api_version)


def main(argv=None):
    """Run the emulator until SIGTERM or SIGINT.

    :param argv: the arguments, ``sys.argv[1:]`` when None.
    :returns: the exit status.
    """
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format='%(asctime)s %(levelname)s %(name)s %(message)s')
    try:
        state = build_state(args)
    except (OSError, ValueError) as exc:
        print('eem-emulator: cannot load the inventory: %s' % exc,
              file=sys.stderr)
        return 2
    server = eem_server.EmulatorServer(
        state, host=args.host, port=args.port, username=args.username,
        password=args.password, tls_cert=args.tls_cert,
        tls_key=args.tls_key)
    try:
        server.start()
    except OSError as exc:
        print('eem-emulator: cannot listen on %s:%s: %s'
              % (args.host, args.port, exc), file=sys.stderr)
        return 1
    stopping = threading.Event()

    def _stop(signum, frame):
        stopping.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    print('EEM emulator listening on %s' % server.url, flush=True)
    print('eem-emulator: serving %d devices; stop with SIGTERM or Ctrl-C'
          % len(state), file=sys.stderr, flush=True)
    while not stopping.wait(0.5):
        pass
    server.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
