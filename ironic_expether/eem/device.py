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

"""Typed view of one EEM device (an EESV or an EEIO engine)."""

from ironic_expether.eem import constants
from ironic_expether.eem import pci

_ON_OFF = ('on', 'off')


def _text(value):
    """A string field: strings kept, numbers converted, others None."""
    if type(value) is str:
        # NOTE(expether): EEM's usual answer, first: discovery parses
        # every device of a pod in each cycle.
        return value
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value)
    return None


def _lower(value):
    text = value if type(value) is str else _text(value)
    return text.strip().lower() if text is not None else None


def _integer(value):
    """An integer field sent as a string or a JSON number, else None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        try:
            return int(value.strip(), 10)
        except ValueError:
            return None
    return None


def _status_list(value):
    """A notification status: a list of lower-case strings."""
    if value is None:
        return []
    if not isinstance(value, list):
        value = [value]
    statuses = []
    for item in value:
        item = _lower(item)
        if item is not None:
            statuses.append(item)
    return statuses


def _power_state(raw):
    power = _lower(raw.get('power_status'))
    return power if power in _ON_OFF else None


def _downstream_ports(raw):
    ports = raw.get('downstream_ports')
    return ports if isinstance(ports, list) else []


def _text_of(key):
    return lambda raw: _text(raw.get(key))


#: Fields parsed on first read, each from the raw dict.
_LAZY = {
    'update_time': lambda raw: _integer(raw.get('update_time')),
    'power_state': _power_state,
    'max_eeio_count': lambda raw: _integer(raw.get('max_eeio_count')),
    'downstream_ports': _downstream_ports,
    'serial_number': _text_of('serial_number'),
    'model': _text_of('model'),
    'host_model': _text_of('host_model'),
    'host_serial_number': _text_of('host_serial_number'),
    'ee_version': _text_of('ee_version'),
    'notification_status0': lambda raw: _status_list(
        raw.get('notification_status0')),
    'notification_status1': lambda raw: _status_list(
        raw.get('notification_status1')),
    'link_status0': lambda raw: _lower(raw.get('link_status0')),
    'link_status1': lambda raw: _lower(raw.get('link_status1')),
}


class Device(object):
    """One engine as EEM describes it, parsed once.

    Build it with :meth:`from_json`. Missing keys give None (or an empty
    list); numbers are accepted as strings (EEM's habit) or JSON numbers.

    :ivar id: EE id (str) or None.
    :ivar kind: ``'eesv'`` (server engine), ``'eeio'`` (IO engine) or None.
    :ivar group_id: group id as a string, or None.
    :ivar type: lower-case generation, ``'1g'``, ``'10g'``, ``'40g'`` or
        whatever else EEM says, or None.
    :ivar update_time: last change, in milliseconds since the epoch, or None.
    :ivar power_state: host power as EEM reports it (EESV only):
        ``'on'``, ``'off'`` or None.
    :ivar max_eeio_count: how many EEIOs the EESV can take (int) or None.
    :ivar downstream_ports: EESV downstream ports, as EEM gives them (list).
    :ivar notification_status0: list of ``'up'``/``'down'``.
    :ivar notification_status1: list of ``'up'``/``'down'``.
    :ivar link_status0: ``'up'``/``'down'`` or None.
    :ivar link_status1: ``'up'``/``'down'`` or None.
    :ivar pci_class: 24-bit PCI class code (int) or None.
    :ivar pci_vendor_id: PCI vendor id (int) or None.
    :ivar pci_device_id: PCI device id (int) or None.
    :ivar raw: the dict EEM sent (not copied; do not modify it).
    """

    __slots__ = ('raw', 'id', 'kind', 'group_id', 'type', 'update_time',
                 'power_state', 'max_eeio_count', 'downstream_ports',
                 'mac_address', 'serial_number', 'model', 'host_model',
                 'host_serial_number', 'ee_version', 'notification_status0',
                 'notification_status1', 'link_status0', 'link_status1',
                 'pci_class', 'pci_vendor_id', 'pci_device_id')

    def __init__(self, raw):
        # NOTE(expether): only what discovery reads of every device of a
        # pod in each cycle is parsed here; the other fields are parsed
        # on first read by __getattr__ (see _LAZY).
        self.raw = raw
        get = raw.get
        self.id = _text(get('id'))
        kind = _lower(get('status'))
        self.kind = kind if kind in constants.KINDS else None
        group_id = _text(get('group_id'))
        self.group_id = group_id.strip() if group_id is not None else None
        self.type = _lower(get('type')) or None
        self.mac_address = _text(get('mac_address'))
        self.pci_class = pci.parse_hex(get('pcie_class_code'))
        self.pci_vendor_id = pci.parse_hex(get('pcie_vendor_id'))
        self.pci_device_id = pci.parse_hex(get('pcie_device_id'))

    def __getattr__(self, name):
        # Only called for a slot not set yet: parse a lazy field once.
        parse = _LAZY.get(name)
        if parse is None:
            raise AttributeError("'Device' object has no attribute %r"
                                 % name)
        value = parse(self.raw)
        setattr(self, name, value)
        return value

    @classmethod
    def from_json(cls, doc):
        """Parse one device object of an EEM answer.

        :param doc: the device dict (an item of ``devices``, or the
            ``device`` of a show answer).
        :returns: a Device.
        :raises: TypeError when ``doc`` is not a dict.
        """
        if not isinstance(doc, dict):
            raise TypeError('An EEM device must be a JSON object, not %s'
                            % type(doc).__name__)
        return cls(doc)

    @property
    def is_eesv(self):
        """True for a server engine."""
        return self.kind == constants.KIND_EESV

    @property
    def is_eeio(self):
        """True for an IO engine."""
        return self.kind == constants.KIND_EEIO

    @property
    def is_free(self):
        """True for an EEIO in the free group (4093)."""
        return self.is_eeio and self.group_id == constants.EEIO_FREE_GROUP

    @property
    def has_own_group(self):
        """True when the engine is in a user group (16..4092).

        A server engine has one once a device was attached to it; the
        default groups (4093 free devices, 4094 servers) are nobody's.
        """
        try:
            gid = int(self.group_id)
        except (TypeError, ValueError):
            return False
        return constants.MIN_GROUP_ID <= gid <= constants.MAX_GROUP_ID

    @property
    def is_up(self):
        """Whether the engine is alive, from its notification statuses.

        False when EEM reports at least one notification status entry (in
        ``notification_status0`` and ``notification_status1`` together)
        and every reported entry is ``'down'``; True otherwise, including
        when EEM reports none (no evidence that the engine is down).
        Valence looked at ``notification_status0[0]`` only; EEM's own
        client counts an engine alive when any entry is up.
        """
        # NOTE(expether): read from the raw document, as _status_list
        # would parse it, without building the lists: discovery asks
        # every IO engine of a pod in each cycle.
        reported = False
        for key in ('notification_status0', 'notification_status1'):
            value = self.raw.get(key)
            if value is None:
                continue
            for item in (value if isinstance(value, list) else (value,)):
                status = _lower(item)
                if status is None:
                    continue
                if status != 'down':
                    return True
                reported = True
        return not reported

    @property
    def pci_type(self):
        """Device type (Valence's vocabulary) or None without a class code."""
        return pci.pci_type(self.pci_class)

    @property
    def pci_vendor_name(self):
        """Vendor name from the system's pci.ids, or None."""
        return pci.vendor_name(self.pci_vendor_id)

    @property
    def pci_device_name(self):
        """Device name from the system's pci.ids, or None."""
        return pci.device_name(self.pci_vendor_id, self.pci_device_id)

    def to_dict(self):
        """A JSON-able summary (ids in hex, names resolved).

        :returns: a dict of plain JSON types.
        """
        def hex_or_none(value, width):
            if value is None:
                return None
            return '0x%0*x' % (width, value)

        return {
            'id': self.id,
            'kind': self.kind,
            'group_id': self.group_id,
            'type': self.type,
            'update_time': self.update_time,
            'power_state': self.power_state,
            'max_eeio_count': self.max_eeio_count,
            'mac_address': self.mac_address,
            'serial_number': self.serial_number,
            'model': self.model,
            'host_model': self.host_model,
            'host_serial_number': self.host_serial_number,
            'ee_version': self.ee_version,
            'is_up': self.is_up,
            'is_free': self.is_free,
            'notification_status0': list(self.notification_status0),
            'notification_status1': list(self.notification_status1),
            'link_status0': self.link_status0,
            'link_status1': self.link_status1,
            'pci_type': self.pci_type,
            'pci_class': hex_or_none(self.pci_class, 6),
            'pci_vendor_id': hex_or_none(self.pci_vendor_id, 4),
            'pci_device_id': hex_or_none(self.pci_device_id, 4),
            'pci_vendor_name': self.pci_vendor_name,
            'pci_device_name': self.pci_device_name,
        }

    def __repr__(self):
        return ('<Device %(id)s kind=%(kind)s group=%(group)s type=%(type)s>'
                % {'id': self.id, 'kind': self.kind, 'group': self.group_id,
                   'type': self.type})
