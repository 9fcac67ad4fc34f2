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

"""In-memory state of an emulated EEM: devices, groups and their rules.

Every public method takes one lock, so the state can be shared by the
threads of the HTTP server and by the test that drives it. Devices are
indexed by id, by kind and by group, so that a filtered list or a group
move costs what the answer costs, not what the pod costs; the JSON text
of each device is cached until the device changes, so that a
``devices/detail`` of tens of thousands of devices is a string join.

Values are kept the way EEM sends them: strings for numbers. Devices
loaded from captured data keep their own fields, even odd ones (an
``update_time`` sent as a JSON number stays one until the device changes).
"""

import json
import threading
import time


EESV = 'eesv'
EEIO = 'eeio'
KINDS = (EESV, EEIO)

EEIO_DEFAULT_GROUP = 4093
EESV_DEFAULT_GROUP = 4094
DEFAULT_GROUP = {EESV: EESV_DEFAULT_GROUP, EEIO: EEIO_DEFAULT_GROUP}
MIN_GROUP = 16
MAX_GROUP = 4092

NO_MAC = '00:00:00:00:00:00'
UP = 'up'
DOWN = 'down'


class EEMStateError(Exception):
    """An EEM error answer: HTTP status, EEM code and message."""

    status = 500
    code = '50000'

    def __init__(self, message, code=None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def to_body(self):
        """The JSON error body EEM sends.

        :returns: a dict with ``code`` and ``message``.
        """
        return {'code': self.code, 'message': self.message}


class BadRequest(EEMStateError):
    status = 400
    code = '40000'


class NotFound(EEMStateError):
    status = 404
    code = '40400'


class Conflict(EEMStateError):
    status = 409
    code = '40900'


def _copy(data):
    """A deep copy of JSON data (much faster than ``copy.deepcopy``)."""
    return json.loads(json.dumps(data))


def now_ms():
    """Milliseconds since the epoch, as EEM counts time.

    :returns: an int.
    """
    return int(time.time() * 1000)


def parse_group_id(value, field='group_id'):
    """Parse a group id given as a string or a JSON number.

    :param value: the value received.
    :param field: the field name to put in the error message.
    :returns: the group id as an int.
    :raises: BadRequest if it is not a whole number.
    """
    if isinstance(value, bool):
        raise BadRequest('%s must be a number, not %r' % (field, value),
                         code='40001')
    if isinstance(value, int):
        return value
    # NOTE(expether): a group id has at most 4 digits; a longer string is
    # refused before int() meets Python's limit on digits.
    if (isinstance(value, str) and value.strip().isdigit()
            and len(value.strip()) <= 8):
        return int(value.strip())
    raise BadRequest('%s must be a number, not %.64r' % (field, value),
                     code='40001')


def mac_of(eeid):
    """The MAC address that an EE id encodes, or the all-zero MAC.

    :param eeid: an EE id such as ``0x8cdf9d911cb0``.
    :returns: ``8c:df:9d:91:1c:b0``, or ``00:00:00:00:00:00`` when the id
        does not hold 12 hex digits.
    """
    digits = eeid[2:] if eeid.lower().startswith('0x') else eeid
    if len(digits) != 12:
        return NO_MAC
    try:
        int(digits, 16)
    except ValueError:
        return NO_MAC
    digits = digits.lower()
    return ':'.join(digits[i:i + 2] for i in range(0, 12, 2))


class EEMState(object):
    """The devices of one emulated EEM and the rules that govern them.

    :param devices: device objects in EEM's own format (as in a
        ``devices/detail`` answer); they are copied. ``status`` defaults to
        ``eeio`` and ``group_id`` to the kind's default group when missing.
    :param api_version: the ``version_number`` that ``api_version`` answers.
    :raises: ValueError if a device has no id, a duplicate id or an
        unknown ``status``.
    """

    def __init__(self, devices=None, api_version='1.0'):
        self.api_version = api_version
        self._lock = threading.RLock()
        # The initial inventory, as JSON text: reset() parses it again.
        self._initial = json.dumps(list(devices or ()))
        self._clock = 0
        self._load(self._initial)

    # -- loading and indexes -------------------------------------------

    def _load(self, devices):
        """Index devices given as JSON text."""
        self._devices = {}      # id -> device dict, in insertion order
        self._seq = {}          # id -> insertion number (list order)
        self._next_seq = 0
        self._kind = {}         # id -> 'eesv' | 'eeio'
        self._of_kind = {EESV: {}, EEIO: {}}    # kind -> {id: None}
        self._gid = {}          # id -> group id (int)
        self._groups = {}       # gid -> {'eesv': {id: None}, 'eeio': {...}}
        self._gone = set()      # ids that disappeared (may reappear)
        self._json = {}         # id -> cached JSON text of the device
        self._extra = {}        # id -> {'uid_led_status', 'rotary_...'}
        self._port_of = {}      # eeio id -> (eesv id, port index)
        self._plugged = {}      # eesv id -> {port index: eeio id}
        for device in json.loads(devices):
            self._add(device)

    def _add(self, device):
        if not isinstance(device, dict):
            raise ValueError('a device must be a JSON object, not %r'
                             % (device,))
        eeid = device.get('id')
        if not isinstance(eeid, str) or not eeid:
            raise ValueError('a device needs a string "id": %r' % (device,))
        if eeid in self._devices:
            raise ValueError('duplicate device id %s' % eeid)
        kind = device.setdefault('status', EEIO)
        if kind not in KINDS:
            raise ValueError('device %s: unknown status %r' % (eeid, kind))
        try:
            gid = parse_group_id(device.get('group_id', DEFAULT_GROUP[kind]))
        except BadRequest:
            raise ValueError('device %s: bad group_id %r'
                             % (eeid, device.get('group_id')))
        device['group_id'] = str(gid)
        device.setdefault('update_time', str(self._tick()))
        self._devices[eeid] = device
        self._seq[eeid] = self._next_seq
        self._next_seq += 1
        self._kind[eeid] = kind
        self._of_kind[kind][eeid] = None
        self._gid[eeid] = gid
        self._group(gid)[kind][eeid] = None
        self._extra[eeid] = {'uid_led_status': 'off',
                             'rotary_switch_status': '0'}
        if kind == EESV:
            self._index_ports(eeid)

    def _index_ports(self, eesv_id):
        """Learn which known EEIO sits on each port of a loaded EESV."""
        by_mac = None
        for index, port in enumerate(
                self._devices[eesv_id].get('downstream_ports') or ()):
            if (not isinstance(port, dict)
                    or port.get('eeio_connection_status') != UP):
                continue
            if by_mac is None:
                by_mac = {self._mac(i): i for i in self._members(
                    self._gid[eesv_id], EEIO)}
            eeio_id = by_mac.get(port.get('eeio_mac_address'))
            if eeio_id and eeio_id not in self._port_of:
                self._port_of[eeio_id] = (eesv_id, index)
                self._plugged.setdefault(eesv_id, {})[index] = eeio_id

    def _group(self, gid):
        group = self._groups.get(gid)
        if group is None:
            group = self._groups[gid] = {EESV: {}, EEIO: {}}
        return group

    def _members(self, gid, kind):
        group = self._groups.get(gid)
        return group[kind] if group else {}

    def _tick(self):
        """A new update_time: now, and always later than the last one."""
        self._clock = max(now_ms(), self._clock + 1)
        return self._clock

    def _touch(self, eeid):
        """Record a change of a device: bump update_time, drop its cache."""
        device = self._devices[eeid]
        device['update_time'] = str(self._tick())
        self._json.pop(eeid, None)
        return device['update_time']

    def _mac(self, eeid):
        return self._devices[eeid].get('mac_address') or mac_of(eeid)

    def _visible(self, eeid):
        device = self._devices.get(eeid)
        if device is None or eeid in self._gone:
            raise NotFound('device %s not found' % eeid)
        return device

    def _text(self, eeid):
        text = self._json.get(eeid)
        if text is None:
            text = self._json[eeid] = json.dumps(self._devices[eeid])
        return text

    # -- queries --------------------------------------------------------

    def _select(self, status=None, group_id=None):
        """Ids matching the filters, in insertion order."""
        if status is not None and status not in KINDS:
            raise BadRequest('status must be eesv or eeio, not %r' % status,
                             code='40002')
        if group_id is None:
            ids = self._devices if status is None else self._of_kind[status]
        else:
            gid = parse_group_id(group_id)
            kinds = KINDS if status is None else (status,)
            ids = [i for k in kinds for i in self._members(gid, k)]
            ids.sort(key=self._seq.__getitem__)
        gone = self._gone
        if gone:
            return [i for i in ids if i not in gone]
        return list(ids)

    def list_devices(self, status=None, group_id=None, detail=False):
        """Devices matching the filters.

        :param status: ``eesv``, ``eeio`` or None for both.
        :param group_id: a group id (str or int) or None for any.
        :param detail: full device objects rather than ``{"id": ...}``.
        :returns: a list of dicts (copies), in insertion order.
        :raises: BadRequest for a bad filter.
        """
        with self._lock:
            ids = self._select(status, group_id)
            if detail:
                return _copy([self._devices[i] for i in ids])
            return [{'id': i} for i in ids]

    def devices_body(self, status=None, group_id=None, detail=False):
        """The JSON text of a ``devices`` or ``devices/detail`` answer.

        :param status: ``eesv``, ``eeio`` or None.
        :param group_id: a group id or None.
        :param detail: full objects rather than ids.
        :returns: the body as bytes.
        :raises: BadRequest for a bad filter.
        """
        with self._lock:
            ids = self._select(status, group_id)
            if detail:
                items = ','.join([self._text(i) for i in ids])
            else:
                items = ','.join(['{"id": %s}' % json.dumps(i) for i in ids])
        return ('{"devices": [%s], "timestamp": "%d"}'
                % (items, now_ms())).encode('utf-8')

    def get_device(self, eeid):
        """One device.

        :param eeid: the EE id.
        :returns: a copy of the device object.
        :raises: NotFound.
        """
        with self._lock:
            return _copy(self._visible(eeid))

    def device_body(self, eeid):
        """The JSON text of a ``devices/<id>`` answer.

        :param eeid: the EE id.
        :returns: the body as bytes.
        :raises: NotFound.
        """
        with self._lock:
            self._visible(eeid)
            text = self._text(eeid)
        return ('{"device": %s, "timestamp": "%d"}'
                % (text, now_ms())).encode('utf-8')

    def list_groups(self):
        """The group ids that at least one visible device carries.

        :returns: a list of group ids as strings, in numeric order.
        """
        with self._lock:
            result = []
            for gid in sorted(self._groups):
                group = self._groups[gid]
                if any(i not in self._gone
                       for kind in KINDS for i in group[kind]):
                    result.append(str(gid))
            return result

    def __len__(self):
        with self._lock:
            return len(self._devices) - len(self._gone)

    # -- group moves ----------------------------------------------------

    def _check_update_time(self, device, update_time):
        if update_time is None:
            return
        try:
            expected = int(str(update_time))
        except ValueError:
            raise BadRequest('update_time must be a number, not %.64r'
                             % (update_time,))
        if int(str(device['update_time'])) != expected:
            raise Conflict('device %s changed since update_time %s'
                           % (device['id'], expected), code='40902')

    def _check_up(self, eeid):
        device = self._devices[eeid]
        statuses = []
        for key in ('notification_status0', 'notification_status1'):
            value = device.get(key)
            if isinstance(value, list):
                statuses.extend(value)
        if statuses and UP not in statuses:
            raise Conflict('device %s is not reachable (notification '
                           'status down)' % eeid, code='40904')

    def _free_group(self):
        for gid in range(MIN_GROUP, MAX_GROUP + 1):
            group = self._groups.get(gid)
            if not group or not (group[EESV] or group[EEIO]):
                return gid
        raise Conflict('no free group id left in %d..%d'
                       % (MIN_GROUP, MAX_GROUP), code='40903')

    def _capacity(self, gid):
        """How many EEIOs the EESVs of a group take; None for no limit."""
        total = None
        for eesv_id in self._members(gid, EESV):
            if eesv_id in self._gone:
                continue
            device = self._devices[eesv_id]
            try:
                count = int(device['max_eeio_count'])
            except (KeyError, TypeError, ValueError):
                ports = device.get('downstream_ports')
                if not isinstance(ports, list):
                    continue
                count = len(ports)
            total = count + (total or 0)
        return total

    def _eeio_count(self, gid):
        members = self._members(gid, EEIO)
        return len(members) - sum(1 for i in self._gone if i in members)

    def set_group(self, eeid, group_id=None, update_time=None):
        """Move a device into a group (``PUT devices/<id>/group_id``).

        :param eeid: the EE id.
        :param group_id: the group id (16..4092, str or int), or None to
            let the emulator pick a free one.
        :param update_time: if given, the device's current update_time
            (optimistic concurrency).
        :returns: ``{"group_id": ..., "update_time": ...}``.
        :raises: NotFound, BadRequest for a bad group id, Conflict for an
            EEIO outside 4093 moved elsewhere, a full group, a stale
            update_time or an unreachable device.
        """
        with self._lock:
            device = self._visible(eeid)
            self._check_update_time(device, update_time)
            kind = self._kind[eeid]
            current = self._gid[eeid]
            if group_id is None:
                if kind == EEIO and current != EEIO_DEFAULT_GROUP:
                    raise Conflict(
                        'EEIO %s is in group %d; delete its group id first'
                        % (eeid, current), code='40900')
                target = None
            else:
                target = parse_group_id(group_id)
                if not MIN_GROUP <= target <= MAX_GROUP:
                    raise BadRequest('group_id must be in %d..%d, not %d'
                                     % (MIN_GROUP, MAX_GROUP, target),
                                     code='40001')
                if target == current:
                    return {'group_id': str(current),
                            'update_time': str(device['update_time'])}
                if kind == EEIO and current != EEIO_DEFAULT_GROUP:
                    raise Conflict(
                        'EEIO %s is in group %d; delete its group id first'
                        % (eeid, current), code='40900')
            self._check_up(eeid)
            if target is None:
                target = self._free_group()
            if kind == EEIO:
                capacity = self._capacity(target)
                if capacity is not None and \
                        self._eeio_count(target) >= capacity:
                    raise Conflict('group %d already holds max_eeio_count '
                                   '(%d) EEIOs' % (target, capacity),
                                   code='40901')
            self._move(eeid, target)
            return {'group_id': str(target),
                    'update_time': str(device['update_time'])}

    def delete_group(self, eeid, update_time=None):
        """Send a device back to its default group (DELETE group_id).

        :param eeid: the EE id.
        :param update_time: if given, the device's current update_time.
        :returns: ``{"group_id": ..., "update_time": ...}``.
        :raises: NotFound, Conflict for a stale update_time or an
            unreachable device.
        """
        with self._lock:
            device = self._visible(eeid)
            self._check_update_time(device, update_time)
            target = DEFAULT_GROUP[self._kind[eeid]]
            if self._gid[eeid] != target:
                self._check_up(eeid)
                self._move(eeid, target)
            return {'group_id': str(target),
                    'update_time': str(device['update_time'])}

    def _move(self, eeid, target):
        kind = self._kind[eeid]
        source = self._gid[eeid]
        del self._groups[source][kind][eeid]
        if not (self._groups[source][EESV] or self._groups[source][EEIO]):
            del self._groups[source]
        self._group(target)[kind][eeid] = None
        self._gid[eeid] = target
        self._devices[eeid]['group_id'] = str(target)
        if kind == EEIO:
            self._disconnect(eeid)
        else:
            self._hand_over_ports(eeid)
        self._cable_in(eeid)
        self._touch(eeid)

    # -- downstream ports -------------------------------------------------

    def _disconnect(self, eeio_id):
        """Free the EESV port an EEIO sits on, if any."""
        where = self._port_of.pop(eeio_id, None)
        if where is None:
            return
        eesv_id, index = where
        self._plugged[eesv_id].pop(index, None)
        port = self._devices[eesv_id]['downstream_ports'][index]
        port['eeio_connection_status'] = DOWN
        port['eeio_mac_address'] = NO_MAC
        self._touch(eesv_id)
        eeio = self._devices[eeio_id]
        if 'eesv_connection_status' in eeio or 'eesv_mac_address' in eeio:
            eeio['eesv_connection_status'] = DOWN
            eeio['eesv_mac_address'] = NO_MAC
            self._json.pop(eeio_id, None)

    def _free_port(self, eesv_id):
        ports = self._devices[eesv_id].get('downstream_ports')
        for index, port in enumerate(ports or ()):
            if isinstance(port, dict) and (
                    port.get('eeio_connection_status') != UP
                    or port.get('eeio_mac_address', NO_MAC) == NO_MAC):
                return index
        return None

    def _plug(self, eeio_id, eesv_id, index):
        port = self._devices[eesv_id]['downstream_ports'][index]
        port['eeio_connection_status'] = UP
        port['eeio_mac_address'] = self._mac(eeio_id)
        self._port_of[eeio_id] = (eesv_id, index)
        self._plugged.setdefault(eesv_id, {})[index] = eeio_id
        self._touch(eesv_id)
        eeio = self._devices[eeio_id]
        eeio['eesv_connection_status'] = UP
        eeio['eesv_mac_address'] = self._mac(eesv_id)
        self._json.pop(eeio_id, None)

    def _connect(self, eeio_id):
        """Plug an EEIO into a free port of an EESV of its group."""
        if eeio_id in self._gone or eeio_id in self._port_of:
            return
        for eesv_id in sorted(self._members(self._gid[eeio_id], EESV),
                              key=self._seq.__getitem__):
            if eesv_id in self._gone:
                continue
            index = self._free_port(eesv_id)
            if index is not None:
                self._plug(eeio_id, eesv_id, index)
                return

    def _clear_ports(self, eesv_id):
        """Unplug every EEIO from an EESV; returns the EEIOs unplugged."""
        unplugged = list(self._plugged.get(eesv_id, {}).values())
        for eeio_id in unplugged:
            self._disconnect(eeio_id)
        return unplugged

    def _hand_over_ports(self, eesv_id):
        """Move an EESV's EEIOs to free ports of other EESVs of the group."""
        for orphan in self._clear_ports(eesv_id):
            self._connect(orphan)

    def _cable_in(self, eeid):
        """Give a device its ports.

        An EEIO takes a free port of an EESV of its group; an EESV takes
        the unplugged EEIOs of its group.
        """
        if self._kind[eeid] == EEIO:
            self._connect(eeid)
        else:
            self._fill_ports(eeid)

    def _cable_out(self, eeid):
        """Take a device off the ports.

        An EEIO frees its port; an EESV is marked gone and hands its EEIOs
        over to the other EESVs of its group.
        """
        if self._kind[eeid] == EEIO:
            self._disconnect(eeid)
        else:
            self._gone.add(eeid)
            self._hand_over_ports(eeid)

    def _fill_ports(self, eesv_id):
        """Plug the unplugged EEIOs of an EESV's group into its ports."""
        gid = self._gid[eesv_id]
        if gid > MAX_GROUP:
            # NOTE(expether): the default groups are pools, not servers.
            return
        for eeio_id in list(self._members(gid, EEIO)):
            if eeio_id in self._port_of or eeio_id in self._gone:
                continue
            index = self._free_port(eesv_id)
            if index is None:
                return
            self._plug(eeio_id, eesv_id, index)

    # -- other EEM endpoints ------------------------------------------------

    def get_uid_led(self, eeid):
        """:returns: ``'on'`` or ``'off'``. :raises: NotFound."""
        with self._lock:
            self._visible(eeid)
            return self._extra[eeid]['uid_led_status']

    def set_uid_led(self, eeid, status):
        """Switch the UID LED of a device.

        :param eeid: the EE id.
        :param status: ``'on'`` or ``'off'``.
        :returns: the device's update_time.
        :raises: NotFound, BadRequest for another value.
        """
        if status not in ('on', 'off'):
            raise BadRequest('uid_led_status must be "on" or "off", not %r'
                             % (status,))
        with self._lock:
            self._visible(eeid)
            if self._extra[eeid]['uid_led_status'] != status:
                self._extra[eeid]['uid_led_status'] = status
                return self._touch(eeid)
            return str(self._devices[eeid]['update_time'])

    def rotary_switch_status(self, eeid):
        """:returns: the rotary switch position (str). :raises: NotFound."""
        with self._lock:
            self._visible(eeid)
            return self._extra[eeid]['rotary_switch_status']

    def audit(self, eeid):
        """Audit a device (EEM re-reads it): bumps its update_time.

        :returns: the new update_time. :raises: NotFound.
        """
        with self._lock:
            self._visible(eeid)
            return self._touch(eeid)

    def perst(self, eeid):
        """Reset the PCIe device behind an engine (PERST).

        :returns: the device's update_time (a reset changes no record).
        :raises: NotFound.
        """
        with self._lock:
            return str(self._visible(eeid)['update_time'])

    # -- emulator controls (faults on devices, inventory changes) -------

    def _known(self, eeid):
        if eeid not in self._devices:
            raise NotFound('device %s not found' % eeid)
        return self._devices[eeid]

    def get_device_any(self, eeid):
        """A device, even one that disappeared.

        :returns: a copy of the device. :raises: NotFound.
        """
        with self._lock:
            return _copy(self._known(eeid))

    def set_down(self, eeid, down=True):
        """Make a device unreachable (both notification statuses down).

        :param eeid: the EE id.
        :param down: False brings it back up (status0 up/up, status1
            down/down, as a healthy engine reports).
        :raises: NotFound.
        """
        self.update_device(eeid, {
            'notification_status0': [DOWN, DOWN] if down else [UP, UP],
            'notification_status1': [DOWN, DOWN],
        })

    def set_power(self, eeid, power_status):
        """Change the host power status an EESV reports.

        :param eeid: the EE id.
        :param power_status: ``'on'`` or ``'off'``.
        :raises: NotFound, BadRequest.
        """
        if power_status not in ('on', 'off'):
            raise BadRequest('power_status must be "on" or "off"')
        self.update_device(eeid, {'power_status': power_status})

    def update_device(self, eeid, fields):
        """Change fields of a device as EEM would see them change.

        ``id``, ``status`` and ``group_id`` cannot be changed this way (use
        the group calls). ``uid_led_status`` and ``rotary_switch_status``
        set what the matching endpoints answer.

        :param eeid: the EE id.
        :param fields: a dict of fields.
        :returns: a copy of the device.
        :raises: NotFound, BadRequest.
        """
        if not isinstance(fields, dict):
            raise BadRequest('fields must be a JSON object')
        with self._lock:
            device = self._known(eeid)
            fields = dict(fields)
            for key in ('id', 'status', 'group_id'):
                if key in fields:
                    raise BadRequest('%s cannot be changed here' % key)
            for key in ('uid_led_status', 'rotary_switch_status'):
                if key in fields:
                    self._extra[eeid][key] = str(fields.pop(key))
            device.update(_copy(fields))
            self._touch(eeid)
            return _copy(device)

    def disappear(self, eeid):
        """Make a device vanish from EEM's answers (it may reappear).

        :raises: NotFound.
        """
        with self._lock:
            self._known(eeid)
            if eeid in self._gone:
                return
            self._cable_out(eeid)
            self._gone.add(eeid)

    def reappear(self, eeid):
        """Bring back a device that disappeared, in its old group.

        :raises: NotFound.
        """
        with self._lock:
            self._known(eeid)
            if eeid not in self._gone:
                return
            self._gone.discard(eeid)
            self._cable_in(eeid)
            self._touch(eeid)

    def is_present(self, eeid):
        """:returns: False if the device disappeared. :raises: NotFound."""
        with self._lock:
            self._known(eeid)
            return eeid not in self._gone

    def add_device(self, device):
        """Add a device (a new engine was cabled in).

        :param device: a device object in EEM's format.
        :returns: a copy of the device as stored.
        :raises: BadRequest if it is invalid or its id exists.
        """
        with self._lock:
            try:
                self._add(_copy(device))
            except ValueError as exc:
                raise BadRequest(str(exc))
            eeid = device['id']
            self._cable_in(eeid)
            return _copy(self._devices[eeid])

    def remove_device(self, eeid):
        """Remove a device for good.

        :raises: NotFound.
        """
        with self._lock:
            self._known(eeid)
            self._cable_out(eeid)
            kind, gid = self._kind.pop(eeid), self._gid.pop(eeid)
            del self._of_kind[kind][eeid]
            del self._groups[gid][kind][eeid]
            if not (self._groups[gid][EESV] or self._groups[gid][EEIO]):
                del self._groups[gid]
            for index in (self._devices, self._seq, self._json, self._extra,
                          self._plugged):
                index.pop(eeid, None)
            self._gone.discard(eeid)

    def reset(self):
        """Go back to the devices the state was built with."""
        with self._lock:
            self._load(self._initial)
