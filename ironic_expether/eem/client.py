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

"""The EEM client: one object per ExpEther Manager."""

from urllib import parse as urlparse

from ironic_expether.eem import connector as eem_connector
from ironic_expether.eem import constants
from ironic_expether.eem import device as eem_device
from ironic_expether.eem import exceptions


def _eeid(eeid):
    """Check an EE id and quote it for a URL path."""
    if not constants.is_valid_eeid(eeid):
        raise ValueError('Invalid EE id %r: expected "0x" and 10 to 12 '
                         'hexadecimal digits' % (eeid,))
    return urlparse.quote(eeid, safe='')


def _group(group_id, minimum, maximum, field='group_id'):
    """Check a group id (int or decimal string) and return it as a str."""
    if isinstance(group_id, bool):
        value = None
    elif isinstance(group_id, int):
        value = group_id
    elif isinstance(group_id, str) and group_id.strip().isdigit():
        value = int(group_id.strip())
    else:
        value = None
    if value is None or not minimum <= value <= maximum:
        raise ValueError('Invalid %s %r: expected an integer from %d to %d'
                         % (field, group_id, minimum, maximum))
    return str(value)


def _update_time(value):
    """Check an update_time (ms since the epoch) and return it as a str."""
    if isinstance(value, bool):
        text = None
    elif isinstance(value, int):
        text = str(value) if value >= 0 else None
    elif isinstance(value, str) and value.strip().isdigit():
        text = value.strip()
    else:
        text = None
    if text is None:
        raise ValueError('Invalid update_time %r: expected a non-negative '
                         'integer' % (value,))
    return text


def _status(status):
    if status is None:
        return None
    value = status.lower() if isinstance(status, str) else None
    if value not in constants.KINDS:
        raise ValueError('Invalid status %r: expected one of %s'
                         % (status, ', '.join(constants.KINDS)))
    return value


class EEMClient(object):
    """Client of the ExpEther Manager (EEM) REST API.

    Building a client does no I/O; every method makes exactly one HTTP
    request (GETs may be retried, see
    :class:`~ironic_expether.eem.connector.Connector` for the timeout,
    retry and threading rules and the worst-case duration).

    Every method raises :class:`~ironic_expether.eem.exceptions.EEMError`
    subclasses for EEM failures, and ValueError for arguments that cannot
    be sent (a malformed EE id or group id), before any I/O.

    :param address: EEM base URL ending in ``/eem`` (trailing slash
        optional), http or https. Credentials embedded in it are taken out
        and used when ``username`` is None.
    :param username: HTTP Basic user; None sends no authentication.
    :param password: HTTP Basic password.
    :param verify: True (verify TLS against the system store), False, or
        the path of a CA bundle.
    :param timeout: seconds per attempt.
    :param retries: extra attempts for a GET.
    :param retry_interval: first backoff between GET attempts, in seconds
        (doubled each time).
    :raises: ValueError for a bad address or bad numbers.
    """

    def __init__(self, address, username=None, password=None, verify=True,
                 timeout=30.0, retries=2, retry_interval=1.0):
        self._conn = eem_connector.Connector(
            address, username=username, password=password, verify=verify,
            timeout=timeout, retries=retries, retry_interval=retry_interval)

    @property
    def address(self):
        """The base URL, without credentials."""
        return self._conn.address

    @property
    def worst_case_seconds(self):
        """Longest time one GET may take, retries and backoff included."""
        return self._conn.worst_case_seconds

    @staticmethod
    def _field(doc, key, method, path, types=(str,)):
        value = doc.get(key)
        if isinstance(value, bool) or not isinstance(value, types):
            raise exceptions.EEMMalformedResponse(
                method, path, 200,
                'missing or invalid "%s"' % key)
        return value

    def _list(self, doc, key, path):
        items = self._field(doc, key, 'GET', path, types=(list,))
        if not all(isinstance(item, dict) for item in items):
            raise exceptions.EEMMalformedResponse(
                'GET', path, 200, '"%s" must be a list of objects' % key)
        return items

    def _ids(self, items, key, path):
        result = []
        for item in items:
            value = item.get('id')
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                raise exceptions.EEMMalformedResponse(
                    'GET', path, 200, 'an item of "%s" has no id' % key)
            result.append(str(value))
        return result

    def api_version(self):
        """Version of EEM's API.

        :returns: the ``version_number`` EEM reports, as a string.
        :raises: EEMError.
        """
        path = 'api_version'
        doc = self._conn.get(path)
        return str(self._field(doc, 'version_number', 'GET', path,
                               types=(str, int, float)))

    @staticmethod
    def _filters(status, group_id):
        return {'status': _status(status),
                'group_id': (None if group_id is None else
                             _group(group_id, 1, 4095))}

    def list_devices(self, status=None, group_id=None):
        """Every device with its details (``GET devices/detail``).

        :param status: ``'eesv'``, ``'eeio'`` or None for both.
        :param group_id: only devices of this group (int or str), or None.
        :returns: a list of :class:`~ironic_expether.eem.device.Device`.
        :raises: ValueError for a bad filter; EEMError.
        """
        path = 'devices/detail'
        doc = self._conn.get(path, params=self._filters(status, group_id))
        return [eem_device.Device.from_json(item)
                for item in self._list(doc, 'devices', path)]

    def list_device_ids(self, status=None, group_id=None):
        """EE ids of the devices (``GET devices``).

        :param status: ``'eesv'``, ``'eeio'`` or None for both.
        :param group_id: only devices of this group (int or str), or None.
        :returns: a list of EE ids (str).
        :raises: ValueError for a bad filter; EEMError.
        """
        path = 'devices'
        doc = self._conn.get(path, params=self._filters(status, group_id))
        return self._ids(self._list(doc, 'devices', path), 'devices', path)

    def get_device(self, eeid):
        """One device (``GET devices/<eeid>``).

        :param eeid: EE id.
        :returns: a :class:`~ironic_expether.eem.device.Device`.
        :raises: ValueError for a malformed id; EEMNotFound; EEMError.
        """
        path = 'devices/%s' % _eeid(eeid)
        doc = self._conn.get(path)
        return eem_device.Device.from_json(
            self._field(doc, 'device', 'GET', path, types=(dict,)))

    def set_group(self, eeid, group_id=None, update_time=None):
        """Put a device into a group (``PUT devices/<eeid>/group_id``).

        :param eeid: EE id.
        :param group_id: the group (16 to 4092, int or str); None asks EEM
            to choose a free group (the body then has no ``group_id``).
        :param update_time: the device's ``update_time`` as last read
            (int or decimal str), or None. When given, EEM refuses the
            change (EEMConflict) if the device changed since then.
        :returns: the group id EEM answered, as a string.
        :raises: ValueError for a malformed id, group or update_time;
            EEMError. This PUT is never retried: after EEMConnectionError
            or EEMMalformedResponse the change may or may not have been
            applied; read the device to find out.
        """
        path = 'devices/%s/group_id' % _eeid(eeid)
        body = {}
        if group_id is not None:
            body['group_id'] = _group(group_id, constants.MIN_GROUP_ID,
                                      constants.MAX_GROUP_ID)
        if update_time is not None:
            body['update_time'] = _update_time(update_time)
        doc = self._conn.put(path, body=body)
        return str(self._field(doc, 'group_id', 'PUT', path,
                               types=(str, int))).strip()

    def delete_group(self, eeid, update_time=None):
        """Send a device back to its default group.

        ``DELETE devices/<eeid>/group_id``: 4093 for an EEIO, 4094 for an
        EESV.

        :param eeid: EE id.
        :param update_time: the device's ``update_time`` as last read, or
            None; when given, EEM refuses (EEMConflict) a device that
            changed since then.
        :raises: ValueError for a malformed id or update_time; EEMError.
            Never retried.
        """
        params = None
        if update_time is not None:
            params = {'update_time': _update_time(update_time)}
        self._conn.delete('devices/%s/group_id' % _eeid(eeid),
                          params=params)

    def get_uid_led(self, eeid):
        """State of the engine's UID LED.

        :param eeid: EE id.
        :returns: True when lit.
        :raises: ValueError for a malformed id; EEMError.
        """
        path = 'devices/%s/uid_led_status' % _eeid(eeid)
        doc = self._conn.get(path)
        value = doc.get('uid_led_status')
        if isinstance(value, str) and value.strip().lower() in ('on', 'off'):
            return value.strip().lower() == 'on'
        raise exceptions.EEMMalformedResponse(
            'GET', path, 200, 'missing or invalid "uid_led_status"')

    def set_uid_led(self, eeid, on):
        """Light or switch off the engine's UID LED.

        :param eeid: EE id.
        :param on: True to light it.
        :raises: ValueError for a malformed id; EEMError.
        """
        self._conn.put('devices/%s/uid_led_status' % _eeid(eeid),
                       body={'uid_led_status': 'on' if on else 'off'})

    def list_groups(self):
        """Group ids in use (``GET groups``).

        :returns: a list of group ids (str).
        :raises: EEMError.
        """
        path = 'groups'
        doc = self._conn.get(path)
        return self._ids(self._list(doc, 'groups', path), 'groups', path)

    def audit(self, eeid):
        """Ask EEM to re-read an engine (``PUT devices/<eeid>/audit``).

        :param eeid: EE id.
        :raises: ValueError for a malformed id; EEMError.
        """
        self._conn.put('devices/%s/audit' % _eeid(eeid))

    def perst(self, eeid):
        """Reset the PCIe link behind an engine (``PUT .../perst``).

        :param eeid: EE id.
        :raises: ValueError for a malformed id; EEMError.
        """
        self._conn.put('devices/%s/perst' % _eeid(eeid))

    def close(self):
        """Close the HTTP connections (the client stays usable)."""
        self._conn.close()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.close()

    def __repr__(self):
        return '<EEMClient %s>' % self.address
