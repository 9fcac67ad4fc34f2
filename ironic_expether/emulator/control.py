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

"""A small client of the emulator's ``/_emulator`` control API.

For tests that run the emulator as a separate process::

    control = EmulatorControl('http://127.0.0.1:30500/eem')
    control.add_fault('error', status=503, path='/eem/devices/detail',
                      count=2)
    control.set_device('0x8cdf9d000001', down=True)
    assert control.counters()['GET /eem/devices/detail'] == 3
"""

import urllib.parse

import requests


class EmulatorControlError(Exception):
    """The control API answered an error."""

    def __init__(self, status, message):
        super().__init__('%s: %s' % (status, message))
        self.status = status


class EmulatorControl(object):
    """Client of one emulator's control API.

    :param base_url: the emulator's EEM base URL (ending in ``/eem``) or
        its root URL.
    :param username: the Basic auth user, if the emulator has one.
    :param password: the Basic auth password.
    :param verify: TLS verification (True, False or a CA bundle path).
    :param timeout: seconds to wait for each answer.
    """

    def __init__(self, base_url, username=None, password=None, verify=True,
                 timeout=10.0):
        root = base_url.rstrip('/')
        if root.endswith('/eem'):
            root = root[:-len('/eem')]
        self.root = root + '/_emulator'
        self._session = requests.Session()
        if username is not None:
            self._session.auth = (username, password or '')
        self._session.verify = verify
        self._timeout = timeout

    def close(self):
        """Close the HTTP session."""
        self._session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def _call(self, method, path, body=None):
        response = self._session.request(
            method, self.root + path, json=body, timeout=self._timeout)
        try:
            data = response.json()
        except ValueError:
            data = {}
        if response.status_code >= 400:
            raise EmulatorControlError(response.status_code,
                                       data.get('message', response.text))
        return data

    @staticmethod
    def _quote(eeid):
        return urllib.parse.quote(eeid, safe='')

    # -- counters ----------------------------------------------------------

    def counters(self):
        """:returns: ``{"GET /eem/devices/detail": N, ...}``."""
        return self._call('GET', '/counters')['counters']

    def reset_counters(self):
        """Set every request counter back to zero."""
        self._call('DELETE', '/counters')

    # -- faults ------------------------------------------------------------

    def faults(self):
        """:returns: the active fault rules (a list of dicts)."""
        return self._call('GET', '/faults')['faults']

    def add_fault(self, kind, **fields):
        """Add one fault rule (see the package docstring).

        :param kind: ``latency``, ``error`` or ``malformed``.
        :param fields: the rule's fields, e.g. ``path``, ``count``.
        :returns: the active rules.
        """
        rule = dict(fields, kind=kind)
        return self._call('POST', '/faults', {'faults': [rule]})['faults']

    def set_faults(self, rules):
        """Replace every fault rule.

        :param rules: a list of rule dicts.
        :returns: the active rules.
        """
        return self._call('PUT', '/faults', {'faults': rules})['faults']

    def clear_faults(self):
        """Remove every fault rule."""
        self._call('DELETE', '/faults')

    def hold(self, path='*', method=None, skip=0, seconds=None):
        """Hold the next matching EEM request until :meth:`release`.

        :param path: a path glob, like a fault rule's.
        :param method: the HTTP method, or None for any.
        :param skip: matching requests let through first.
        :param seconds: longest the request waits (default 120).
        :returns: the active rules.
        """
        fields = {'path': path, 'skip': skip}
        if method:
            fields['method'] = method
        if seconds is not None:
            fields['seconds'] = seconds
        return self.add_fault('hold', **fields)

    def held(self):
        """:returns: the requests held now (``id``, ``method``, ``path``)."""
        return self._call('GET', '/holds')['held']

    def release(self, drop=False):
        """Release every held request.

        :param drop: close their connections without acting on them.
        :returns: how many were released.
        """
        return self._call('POST', '/holds/release',
                          {'drop': drop})['released']

    def refuse_connections(self, seconds):
        """Close the listening socket for ``seconds``, then listen again."""
        # NOTE(expether): the emulator closes this connection after the
        # answer; the session must not try to reuse it.
        self._call('POST', '/faults', {'refuse_seconds': seconds})
        self._session.close()

    def set_credentials(self, username, password):
        """Change EEM's Basic auth credentials (None: no authentication).

        This client keeps using the old ones: build a new
        :class:`EmulatorControl` with the new credentials afterwards.
        """
        return self._call('PUT', '/credentials',
                          {'username': username, 'password': password})

    # -- devices -----------------------------------------------------------

    def get_device(self, eeid):
        """:returns: ``{"device": {...}, "present": bool}``."""
        return self._call('GET', '/devices/' + self._quote(eeid))

    def set_device(self, eeid, **changes):
        """Change a device.

        :param eeid: the EE id.
        :param changes: ``down=``, ``present=``, ``power_status=`` or any
            EEM field.
        :returns: ``{"device": {...}, "present": bool}``.
        """
        return self._call('PUT', '/devices/' + self._quote(eeid), changes)

    def add_devices(self, devices):
        """Add devices (EEM device objects).

        :returns: the devices as stored.
        """
        return self._call('POST', '/devices', {'devices': devices})['devices']

    def remove_device(self, eeid):
        """Remove a device for good."""
        self._call('DELETE', '/devices/' + self._quote(eeid))

    def reset_devices(self):
        """Go back to the inventory the emulator started with."""
        self._call('DELETE', '/devices')
