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


"""Configuration files of the standalone stack.

:func:`ironic_conf` builds the ``ironic.conf`` of a single-process Ironic
with the ``expether`` hardware type and :func:`write_ironic_conf` writes it;
:func:`write_sushy_conf` writes the Python configuration file of
sushy-tools' fake Redfish BMC.
"""

import os
import pprint


def ironic_conf(workdir, api_port, api_host='127.0.0.1',
                sync_power_state_interval=60, automated_clean=True,
                expether=None, debug=False, overrides=None):
    """Build the ``ironic.conf`` of the standalone stack.

    The result enables only what the stack uses: the ``expether`` hardware
    type with its power, management and vendor interfaces, the ``fake``
    boot and deploy interfaces (``deploy`` reaches ``active`` without PXE
    or an agent ramdisk), the ``noop`` network interface and the ``no-*``
    variants of every other interface type, with SQLite in ``workdir``,
    no authentication and no message bus.

    :param workdir: absolute path of the work directory (database, state).
    :param api_port: TCP port of the Ironic API.
    :param api_host: address the API listens on.
    :param sync_power_state_interval: seconds between two power state
        syncs of the conductor.
    :param automated_clean: whether ``provide`` runs automated cleaning.
    :param expether: dict of ``[expether]`` options (None: the defaults).
    :param debug: whether Ironic logs at debug level.
    :param overrides: more options, a dict of section names to dicts of
        option values; they win over the values above.
    :returns: a dict of sections, each a dict of option names to strings.
    """
    workdir = os.path.abspath(workdir)
    sections = {
        'DEFAULT': {
            'debug': debug,
            'host': 'standalone',
            'state_path': workdir,
            'auth_strategy': 'noauth',
            'rpc_transport': 'none',
            'enabled_hardware_types': 'expether',
            'enabled_power_interfaces': 'expether',
            'enabled_management_interfaces': 'expether',
            'enabled_vendor_interfaces': 'expether,no-vendor',
            'enabled_boot_interfaces': 'fake',
            'enabled_deploy_interfaces': 'fake',
            'enabled_network_interfaces': 'noop',
            'default_network_interface': 'noop',
            'enabled_bios_interfaces': 'no-bios',
            'enabled_console_interfaces': 'no-console',
            'enabled_firmware_interfaces': 'no-firmware',
            'enabled_inspect_interfaces': 'expether,no-inspect',
            'enabled_raid_interfaces': 'no-raid',
            'enabled_rescue_interfaces': 'no-rescue',
            'enabled_storage_interfaces': 'noop',
        },
        'api': {
            'host_ip': api_host,
            'port': api_port,
        },
        'conductor': {
            'automated_clean': automated_clean,
            'sync_power_state_interval': sync_power_state_interval,
        },
        'database': {
            'connection': 'sqlite:///%s' % os.path.join(workdir,
                                                        'ironic.sqlite'),
        },
        'oslo_concurrency': {
            'lock_path': os.path.join(workdir, 'locks'),
        },
        'expether': dict(expether or {}),
    }
    for name, options in (overrides or {}).items():
        sections.setdefault(name, {}).update(options)
    return {name: {key: _ini_value(value) for key, value in options.items()}
            for name, options in sections.items()}


def render_ini(sections):
    """Render sections as INI text, ``DEFAULT`` first.

    :param sections: a dict of section names to dicts of option strings.
    :returns: the text of the file.
    """
    lines = []
    names = sorted(sections, key=lambda name: (name != 'DEFAULT', name))
    for name in names:
        if not sections[name]:
            continue
        if lines:
            lines.append('')
        lines.append('[%s]' % name)
        for key, value in sections[name].items():
            if '\n' in value:
                raise ValueError('option %s.%s holds a newline' % (name, key))
            lines.append('%s = %s' % (key, value))
    return '\n'.join(lines) + '\n'


def write_ironic_conf(path, sections):
    """Write ``ironic.conf``, readable by its owner only.

    The file may hold the EEM password when ``[expether]`` options carry
    one, hence the mode.

    :param path: the file to write (replaced when it exists).
    :param sections: what :func:`ironic_conf` returned.
    :returns: ``path``.
    """
    write_private(path, '# Written by ironic-expether-standalone; '
                        'rewritten on every start.\n' + render_ini(sections))
    return path


def write_sushy_conf(path, systems, state_dir, listen_ip='127.0.0.1',
                     port=8000):
    """Write the configuration of sushy-tools' fake Redfish BMC.

    :param path: the file to write (Python, read by ``sushy-emulator
        --config``).
    :param systems: the fake systems, dicts with ``uuid``, ``name``,
        ``power_state`` (``On``/``Off``) and ``nics`` (a list of dicts with
        ``mac``), as sushy-tools' fake driver expects them.
    :param state_dir: directory where the fake driver keeps its state;
        one per stack, or stacks running side by side share their systems.
    :param listen_ip: address the BMC listens on.
    :param port: TCP port of the BMC.
    :returns: ``path``.
    """
    settings = {
        'SUSHY_EMULATOR_LISTEN_IP': listen_ip,
        'SUSHY_EMULATOR_LISTEN_PORT': int(port),
        'SUSHY_EMULATOR_FAKE_DRIVER': True,
        'SUSHY_EMULATOR_FAKE_SYSTEMS': list(systems),
        'SUSHY_EMULATOR_STATE_DIR': state_dir,
        # NOTE(expether): the fake driver never calls out unless a system
        # asks for it; keep the notification URL on loopback anyway.
        'EXTERNAL_NOTIFICATION_URL': 'http://127.0.0.1:9',
    }
    text = ['# Written by ironic-expether-standalone; rewritten on every '
            'start.']
    for key, value in settings.items():
        text.append('%s = %s' % (key, pprint.pformat(value, width=72)))
    write_private(path, '\n'.join(text) + '\n')
    return path


def _ini_value(value):
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return str(value)


def write_private(path, text):
    """Replace a file atomically with one only its owner can read.

    :param path: the file to write.
    :param text: its new content.
    """
    tmp = path + '.tmp'
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as stream:
        stream.write(text)
    os.replace(tmp, path)
