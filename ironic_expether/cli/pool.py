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

from osc_lib import exceptions
from osc_lib import utils

from ironic_expether.cli import common

#: Pool states, as ``--state`` accepts them.
STATES = ('free', 'allocated', 'claimed', 'missing')

LIST_COLUMNS = ('uuid', 'type', 'state', 'node_uuid', 'resource_uri',
                'pooled_group_id')
LIST_HEADERS = ('UUID', 'Type', 'State', 'Node UUID', 'EE ID', 'Group ID')
LONG_COLUMNS = LIST_COLUMNS + ('model', 'purpose', 'podm_id')
LONG_HEADERS = LIST_HEADERS + ('Model', 'Purpose', 'Pod Manager')

SHOW_FIELDS = ('uuid', 'type', 'state', 'node_uuid', 'node_id', 'purpose',
               'eeid', 'pooled_group_id', 'podm_id', 'created_at',
               'updated_at')


def _eeid(resource_uri):
    return (resource_uri or '').rpartition('/')[2] or None


def model_id(device):
    """``"0x10de:0x20b0"``: a device's PCI vendor and device id, or None."""
    vendor, dev = device.get('pci_vendor_id'), device.get('pci_device_id')
    if vendor is None or dev is None:
        return None
    return '%s:%s' % (vendor, dev)


def model(device):
    """A device's model: its PCI ids, and its names when they are known."""
    ids = model_id(device)
    names = ' '.join(n for n in (device.get('vendor_name'),
                                 device.get('device_name')) if n)
    if ids and names:
        return '%s (%s)' % (ids, names)
    return ids or names or None


def parse_model(value):
    """``--model`` as ``"0x10de:0x20b0"``.

    :param value: ``VENDOR:DEVICE``, hexadecimal with or without ``0x``.
    :raises: CommandError for another form.
    """
    parts = value.strip().lower().split(':')
    try:
        if len(parts) != 2:
            raise ValueError(value)
        ids = [int(p, 16) for p in parts]
    except ValueError:
        raise exceptions.CommandError(
            '--model: %r is not VENDOR:DEVICE, the PCI ids in hexadecimal '
            '(10de:20b0)' % value)
    if not all(0 <= i <= 0xffff for i in ids):
        raise exceptions.CommandError(
            '--model: %r: PCI ids are at most 0xffff' % value)
    return '0x%04x:0x%04x' % tuple(ids)


def _row(device, columns):
    values = dict(device, resource_uri=_eeid(device.get('resource_uri')),
                  model=model(device))
    return utils.get_dict_properties(values, columns)


def flatten_device(device):
    """One pool device (Valence's detail shape) as a flat dict.

    Valence's ``properties.model`` (the engine generation, ``40g``) is
    shown as ``engine_type``, as the node's ``devices`` command names it.
    """
    result = {key: device.get(key) for key in SHOW_FIELDS
              if key in device}
    result['eeid'] = _eeid(device.get('resource_uri'))
    for key in ('pci_vendor_id', 'pci_device_id', 'vendor_name',
                'device_name'):
        if key in device:
            result[key] = device[key]
    properties = device.get('properties') or {}
    if 'mac_address' in properties:
        result['mac_address'] = properties['mac_address']
    if 'model' in properties:
        result['engine_type'] = properties['model']
    for key, value in (device.get('extra') or {}).items():
        if result.get(key) is None:
            result[key] = value
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
        parser.add_argument('--model', metavar='<vendor:device>',
                            help='only devices of this model: PCI vendor '
                                 'and device id in hexadecimal (10de:20b0)')
        parser.add_argument('--long', action='store_true', default=False,
                            help='show the model, purpose and pod manager '
                                 'too')
        return parser

    def take_action(self, parsed_args):
        body = {}
        wanted = parse_model(parsed_args.model) if parsed_args.model else None
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
        if wanted:
            devices = [d for d in devices if model_id(d) == wanted]
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
    """Count the pool's devices per pod manager and type (or model)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--pod-manager', metavar='<pod-manager>',
                            help='only this pod manager (name or uuid)')
        parser.add_argument('--by-model', action='store_true',
                            default=False,
                            help='one row per model (PCI vendor and device '
                                 'id) rather than per type')
        return parser

    def take_action(self, parsed_args):
        body = {}
        if parsed_args.pod_manager:
            body['podm_id'] = common.find_pod_manager(
                self.api, parsed_args.pod_manager)
        devices = self.api.driver_passthru('devices', 'GET', body)['devices']
        counts = {}
        for device in devices:
            key = (device.get('podm_id') or '', device.get('type') or '')
            if parsed_args.by_model:
                key += (model(device) or '',)
            row = counts.setdefault(key, dict.fromkeys(STATES, 0))
            state = device.get('state')
            row[state] = row.get(state, 0) + 1
        headers = ('Pod Manager', 'Type') + (
            ('Model',) if parsed_args.by_model else ()) + (
            'Free', 'Allocated', 'Claimed', 'Missing', 'Total')
        rows = []
        for key, row in sorted(counts.items()):
            rows.append(tuple(k or None for k in key) + (
                row['free'], row['allocated'], row['claimed'],
                row['missing'], sum(row.values())))
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
