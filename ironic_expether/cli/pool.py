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


"""``baremetal expether pool ...`` and ``baremetal expether sync``."""

from osc_lib import utils

from ironic_expether.cli import common

#: Pool states, as ``--state`` accepts them.
STATES = ('free', 'allocated', 'claimed', 'missing')

LIST_COLUMNS = ('uuid', 'type', 'state', 'node_uuid', 'resource_uri',
                'pooled_group_id')
LIST_HEADERS = ('UUID', 'Type', 'State', 'Node UUID', 'EE ID', 'Group ID')
LONG_COLUMNS = LIST_COLUMNS + ('purpose', 'podm_id')
LONG_HEADERS = LIST_HEADERS + ('Purpose', 'Pod Manager')

SHOW_FIELDS = ('uuid', 'type', 'state', 'node_uuid', 'node_id', 'purpose',
               'eeid', 'pooled_group_id', 'podm_id', 'created_at',
               'updated_at')


def _eeid(resource_uri):
    return (resource_uri or '').rpartition('/')[2] or None


def _row(device, columns):
    values = dict(device, resource_uri=_eeid(device.get('resource_uri')))
    return utils.get_dict_properties(values, columns)


def flatten_device(device):
    """One pool device (Valence's detail shape) as a flat dict.

    Valence's ``properties.model`` (the engine generation, ``40g``) is
    shown as ``engine_type``, as the node's ``devices`` command names it.
    """
    result = {key: device.get(key) for key in SHOW_FIELDS
              if key in device}
    result['eeid'] = _eeid(device.get('resource_uri'))
    properties = device.get('properties') or {}
    if 'mac_address' in properties:
        result['mac_address'] = properties['mac_address']
    if 'model' in properties:
        result['engine_type'] = properties['model']
    for key, value in (device.get('extra') or {}).items():
        result.setdefault(key, value)
    return result


class ListPool(common.Lister):
    """List the devices of the ExpEther pool."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--type', metavar='<type>',
                            help='only devices of this type (GPU, SSD, '
                                 'NIC, ...)')
        parser.add_argument('--state', metavar='<state>', choices=STATES,
                            help='only devices in this state: %s'
                                 % ', '.join(STATES))
        parser.add_argument('--pod-manager', metavar='<pod-manager>',
                            help='only devices of this pod manager (name '
                                 'or uuid)')
        parser.add_argument('--node', metavar='<node>',
                            help='only devices held by this node (uuid, '
                                 'or the EE id of its server engine)')
        parser.add_argument('--long', action='store_true', default=False,
                            help='show the purpose and pod manager too')
        return parser

    def take_action(self, parsed_args):
        body = {}
        if parsed_args.type:
            body['type'] = common.device_types([parsed_args.type])[0]
        if parsed_args.state:
            body['state'] = parsed_args.state
        if parsed_args.pod_manager:
            body['podm_id'] = common.find_pod_manager(
                self.api, parsed_args.pod_manager)
        if parsed_args.node:
            body['node_id'] = self._node_id(parsed_args.node)
        devices = self.api.driver_passthru('devices', 'GET', body)['devices']
        devices.sort(key=lambda d: (d.get('podm_id') or '',
                                    d.get('type') or '',
                                    d.get('resource_uri') or ''))
        if parsed_args.long:
            return LONG_HEADERS, (_row(d, LONG_COLUMNS) for d in devices)
        return LIST_HEADERS, (_row(d, LIST_COLUMNS) for d in devices)

    def _node_id(self, node):
        if common.is_uuid(node) or node.lower().startswith('0x'):
            return node.lower()
        return self.api.get_node(node)['uuid']


class ShowPoolDevice(common.ShowOne):
    """Show one device of the ExpEther pool."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('device', metavar='<device>',
                            help='pool uuid or EE id of the device')
        return parser

    def take_action(self, parsed_args):
        device = self.api.driver_passthru(
            'device', 'GET', {'uuid': parsed_args.device.lower()})
        data = flatten_device(device)
        return zip(*sorted(data.items()))


class SummaryPool(common.Lister):
    """Count the pool's devices per pod manager and type."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--pod-manager', metavar='<pod-manager>',
                            help='only this pod manager (name or uuid)')
        return parser

    def take_action(self, parsed_args):
        body = {}
        if parsed_args.pod_manager:
            body['podm_id'] = common.find_pod_manager(
                self.api, parsed_args.pod_manager)
        devices = self.api.driver_passthru('devices', 'GET', body)['devices']
        counts = {}
        for device in devices:
            key = (device.get('podm_id'), device.get('type'))
            row = counts.setdefault(key, dict.fromkeys(STATES, 0))
            state = device.get('state')
            row[state] = row.get(state, 0) + 1
        headers = ('Pod Manager', 'Type', 'Free', 'Allocated', 'Claimed',
                   'Missing', 'Total')
        rows = []
        for (podm, pci_type), row in sorted(
                counts.items(), key=lambda i: (i[0][0] or '', i[0][1] or '')):
            rows.append((podm, pci_type, row['free'], row['allocated'],
                         row['claimed'], row['missing'],
                         sum(row.values())))
        return headers, rows


class Sync(common.Lister):
    """Refresh the pool from EEM now (one pod manager, or every one)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--pod-manager', metavar='<pod-manager>',
                            help='only this pod manager (name or uuid)')
        return parser

    def take_action(self, parsed_args):
        body = {}
        if parsed_args.pod_manager:
            body['podm_id'] = common.find_pod_manager(
                self.api, parsed_args.pod_manager)
        results = self.api.driver_passthru('sync', 'POST', body)['results']
        return (('Pod Manager', 'Status', 'Detail'),
                [(r.get('podm_id'), r.get('status'), _detail(r))
                 for r in results])


def _detail(result):
    if result.get('detail'):
        return result['detail']
    changes = result.get('changes') or {}
    return ', '.join('%s: %s' % (k, v) for k, v in sorted(changes.items())
                     if v) or 'no change'
