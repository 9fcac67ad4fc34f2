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


"""Compose, manage and the devices of a node."""

import getpass
import os
import sys
import time

from osc_lib.cli import format_columns
from osc_lib.cli import parseractions
from osc_lib import exceptions
from oslo_utils import uuidutils

from ironic_expether.cli import common
from ironic_expether.cli import pool

#: Environment variable a BMC password of ``register`` is read from.
BMC_PASSWORD_ENV = 'EXPETHER_BMC_PASSWORD'
#: Seconds between two looks at the devices with ``compose --wait``.
POLL_INTERVAL = 1


def _device_line(device):
    return '%s %s %s' % (device.get('type'),
                         pool.flatten_device(device).get('eeid'),
                         device.get('uuid'))


def _node_fields(node, devices):
    return {'uuid': node.get('uuid'), 'name': node.get('name'),
            'server_engine': node.get('index'),
            'devices': format_columns.ListColumn(
                [_device_line(d) for d in devices])}


class Compose(common.ShowOne):
    """Compose a node: a free server engine and free devices."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            '--device', metavar='<type>', action='append', default=[],
            help='a device to attach, by type (GPU, SSD, NIC, ...); repeat '
                 'it for each device (--device GPU --device GPU)')
        parser.add_argument(
            '--flavor', metavar='<flavor>',
            help='a stored flavor (name or uuid) listing the devices '
                 'instead of --device')
        parser.add_argument(
            '--name', metavar='<name>',
            help='name of the new node (default: expether-<8 hex digits>)')
        parser.add_argument('--description', metavar='<description>',
                            help='description of the new node')
        parser.add_argument(
            '--pod-manager', metavar='<pod-manager>',
            help='pod manager (name or uuid); needed when there are '
                 'several')
        parser.add_argument(
            '--wait', type=int, dest='wait_timeout', default=None,
            metavar='<time-out>', const=0, nargs='?',
            help='wait until every device of the node is up in its server '
                 "engine's group, printing progress; an optional time-out "
                 'in seconds (default: 0, wait indefinitely)')
        return parser

    def take_action(self, parsed_args):
        if parsed_args.flavor and parsed_args.device:
            raise exceptions.CommandError(
                'Give either --device or --flavor, not both')
        body = {'name': parsed_args.name or 'expether-%s'
                % uuidutils.generate_uuid()[:8]}
        if parsed_args.description is not None:
            body['description'] = parsed_args.description
        types = common.device_types(parsed_args.device)
        if parsed_args.flavor:
            body['flavor_id'] = common.find_flavor(self.api,
                                                   parsed_args.flavor)
        elif types:
            body['properties'] = common.pci_properties(types)
        if parsed_args.pod_manager:
            body['podm_id'] = common.find_pod_manager(
                self.api, parsed_args.pod_manager)
        waiting = parsed_args.wait_timeout is not None
        started = time.monotonic()
        if waiting:
            self.progress('Composing %s with %s...' % (
                body['name'], 'flavor %s' % parsed_args.flavor
                if parsed_args.flavor else common.describe_types(types)))
        node = self.api.driver_passthru('compose', 'POST', body)
        devices = self.api.driver_passthru(
            'devices', 'GET', {'node_id': node['uuid']})['devices']
        if waiting:
            self.progress('Node %s composed on server engine %s with %d '
                          'device(s)' % (node['uuid'], node.get('index'),
                                         len(devices)))
            self._wait(node, devices, parsed_args.wait_timeout, started)
        return zip(*sorted(_node_fields(node, devices).items()))

    def _wait(self, node, devices, timeout, started):
        wanted = {pool.flatten_device(d)['eeid'] for d in devices}
        deadline = started + timeout if timeout else None
        last = None
        while True:
            answer = self.api.node_passthru(node['uuid'], 'devices', 'GET')
            up = {d['id'] for d in answer.get('devices', ())
                  if d.get('state') == 'up'} & wanted
            if len(up) != last:
                last = len(up)
                self.progress('%d of %d device(s) up in group %s of %s'
                              % (len(up), len(wanted),
                                 answer.get('group_id'),
                                 answer.get('eesv_id')))
            if up == wanted:
                self.progress('Ready in %.1f s'
                              % (time.monotonic() - started))
                return
            if deadline is not None and time.monotonic() >= deadline:
                raise exceptions.CommandError(
                    'Node %s: %d of %d device(s) up after %d seconds'
                    % (node['uuid'], len(up), len(wanted), timeout))
            time.sleep(POLL_INTERVAL)


class Manage(common.ShowOne):
    """Enroll an existing server engine, with its devices, as a node."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('server_engine', metavar='<server-engine>',
                            help='EE id of the server engine (0x...)')
        parser.add_argument(
            '--pod-manager', metavar='<pod-manager>',
            help='pod manager (name or uuid); needed when there are '
                 'several')
        return parser

    def take_action(self, parsed_args):
        body = {'node_index': parsed_args.server_engine.lower()}
        if parsed_args.pod_manager:
            body['podm_id'] = common.find_pod_manager(
                self.api, parsed_args.pod_manager)
        node = self.api.driver_passthru('manage', 'POST', body)
        devices = self.api.driver_passthru(
            'devices', 'GET', {'node_id': node['uuid']})['devices']
        return zip(*sorted(_node_fields(node, devices).items()))


class _DeviceAction(common.ShowOne):
    method = None

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('node', metavar='<node>',
                            help='name or uuid of the node')
        parser.add_argument('device', metavar='<device>',
                            help='pool uuid or EE id of the device')
        return parser

    def take_action(self, parsed_args):
        device = self.api.node_passthru(
            parsed_args.node, self.method, 'POST',
            {'resource_id': parsed_args.device.lower()})
        return zip(*sorted(pool.flatten_device(device).items()))


class Attach(_DeviceAction):
    """Attach a free device of the pool to a node."""

    method = 'attach'


class Detach(_DeviceAction):
    """Return a device a node holds to the free pool."""

    method = 'detach'


class ListNodeDevices(common.Lister):
    """List the devices in the group of a node's server engine (EEM)."""

    columns = ('id', 'type', 'vendor_name', 'device_name', 'pci_vendor_id',
               'pci_device_id', 'state', 'group_id')
    headers = ('EE ID', 'Type', 'Vendor', 'Device', 'PCI Vendor ID',
               'PCI Device ID', 'State', 'Group ID')

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('node', metavar='<node>',
                            help='name or uuid of the node')
        return parser

    def take_action(self, parsed_args):
        answer = self.api.node_passthru(parsed_args.node, 'devices', 'GET')
        return self.headers, ([d.get(c) for c in self.columns]
                              for d in answer.get('devices', ()))


class Release(common.Lister):
    """Return devices of a node to the pool (all of its composition)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('node', metavar='<node>',
                            help='name or uuid of the node')
        parser.add_argument(
            '--device', metavar='<device>', action='append',
            help='release only this device (pool uuid or EE id); '
                 'repeatable. Default: every device of the composition')
        return parser

    def take_action(self, parsed_args):
        body = {}
        if parsed_args.device:
            body['resource_ids'] = [d.lower() for d in parsed_args.device]
        answer = self.api.node_passthru(parsed_args.node, 'release', 'POST',
                                        body)
        return ('Released',), [(uuid,) for uuid in answer['released']]


def read_password(env, prompt, stdin=None):
    """A password from the environment or, on a terminal, a prompt.

    Passwords never come from the command line, where ``ps`` shows them.

    :param env: the environment variable to read first.
    :param prompt: the prompt.
    :returns: the password, or None when neither gives one.
    """
    value = os.environ.get(env)
    if value is not None:
        return value
    stdin = stdin or sys.stdin
    if stdin is not None and stdin.isatty():
        return getpass.getpass(prompt)
    return None


class Register(common.ShowOne):
    """Add BMC details to a node and move it on from enroll."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('node', metavar='<node>',
                            help='name or uuid of the node')
        parser.add_argument(
            '--bmc-address', metavar='<address>', required=True,
            help='BMC address: a Redfish URL (https://bmc or '
                 'https://bmc/redfish/v1/Systems/<id>) or an IPMI host')
        parser.add_argument('--bmc-username', metavar='<username>',
                            help='BMC user; its password is read from '
                                 'the %s environment variable, or asked '
                                 'for on a terminal' % BMC_PASSWORD_ENV)
        parser.add_argument('--bmc-system-id', metavar='<system-id>',
                            help='Redfish system id')
        parser.add_argument('--bmc-port', metavar='<port>', type=int,
                            help='IPMI port')
        parser.add_argument(
            '--driver-info', metavar='<key=value>', default={},
            action=parseractions.KeyValueAction,
            help='another BMC key (redfish_verify_ca=False, '
                 'ipmi_priv_level=...); repeatable')
        parser.add_argument('--mac', metavar='<mac>',
                            help='MAC address of the node (a port is '
                                 'created for it)')
        return parser

    def take_action(self, parsed_args):
        for key in parsed_args.driver_info:
            if key.endswith('password'):
                raise exceptions.CommandError(
                    '--driver-info %s: passwords are read from %s or a '
                    'prompt, never from the command line'
                    % (key, BMC_PASSWORD_ENV))
        info = dict(parsed_args.driver_info)
        info['address'] = parsed_args.bmc_address
        if parsed_args.bmc_username:
            info['username'] = parsed_args.bmc_username
            password = read_password(BMC_PASSWORD_ENV, 'BMC password: ')
            if password is None:
                raise exceptions.CommandError(
                    'No BMC password: set %s or run the command on a '
                    'terminal' % BMC_PASSWORD_ENV)
            info['password'] = password
        if parsed_args.bmc_system_id:
            info['system_id'] = parsed_args.bmc_system_id
        if parsed_args.bmc_port is not None:
            info['port'] = parsed_args.bmc_port
        body = {'driver_info': info}
        if parsed_args.mac:
            body['mac'] = parsed_args.mac
        node = self.api.node_passthru(parsed_args.node, 'register', 'POST',
                                      body)
        return zip(*sorted(node.items()))
