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

"""The in-process EEM emulator behind an autospec EEM client, counted.

:class:`EmulatedEEM` answers the methods of an autospec mock of
:class:`ironic_expether.eem.EEMClient` from the emulator's own
:class:`~ironic_expether.emulator.state.EEMState` (the rules of the
emulator: ``update_time`` preconditions, ``max_eeio_count``, "delete the
group id first", devices down), so that tests can assert the number of
EEM requests an operation makes, one per client call as on the wire.

Faults are injected per call: :meth:`EmulatedEEM.fail` makes the n-th
call of a method fail before EEM acts (the move did not happen), and
:meth:`EmulatedEEM.lose_answer` lets EEM act, then loses the answer (a
timeout or a truncated body: the move did happen, the caller cannot
know).
"""

import collections
from unittest import mock

from ironic_expether import eem
from ironic_expether.emulator import state as eem_state

#: Request names, as the emulator's counters name them.
LIST = 'GET devices/detail'
GET = 'GET devices/<id>'
PUT = 'PUT devices/<id>/group_id'
DELETE = 'DELETE devices/<id>/group_id'

_ERRORS = {400: eem.EEMBadRequest, 404: eem.EEMNotFound,
           409: eem.EEMConflict}


class EmulatedEEM(object):
    """An EEM client mock answered by an emulator state, with counters.

    :param devices: device dicts in EEM's wire format (for example from
        :func:`ironic_expether.emulator.generate_inventory`), or an
        :class:`~ironic_expether.emulator.state.EEMState`.
    """

    METHODS = {'list_devices': LIST, 'get_device': GET,
               'set_group': PUT, 'delete_group': DELETE}

    def __init__(self, devices=()):
        if isinstance(devices, eem_state.EEMState):
            self.state = devices
        else:
            self.state = eem_state.EEMState(list(devices))
        self.counts = collections.Counter()
        self.log = []
        self._faults = {}
        self.client = mock.create_autospec(eem.EEMClient, instance=True)
        for name in self.METHODS:
            getattr(self.client, name).side_effect = getattr(self, name)
        self.client.address = 'http://eem.test/eem'

    # Counting

    @property
    def total(self):
        """EEM requests since the last :meth:`reset`."""
        return sum(self.counts.values())

    def reset(self):
        """Forget the counts and the log (faults stay)."""
        self.counts.clear()
        del self.log[:]

    # Faults

    def fail(self, method, nth=1, error=None):
        """Make the nth call of a client method fail before EEM acts.

        :param method: ``set_group``, ``delete_group``, ``get_device`` or
            ``list_devices``.
        :param nth: which call, counted from now (1 = the next one).
        :param error: the exception; a 500 by default.
        """
        self._fault(method, nth, ('fail', error))

    def lose_answer(self, method, nth=1, error=None):
        """Let EEM carry out the nth call, then lose its answer.

        :param method: as :meth:`fail`.
        :param nth: which call, counted from now.
        :param error: the exception the caller sees; a timeout by default.
        """
        self._fault(method, nth, ('lose', error))

    def before(self, method, nth, hook):
        """Run hook(*args) just before EEM carries out the nth call.

        For changes made outside Ironic between a read and a move.
        """
        self._fault(method, nth, ('hook', hook))

    def _fault(self, method, nth, action):
        assert method in self.METHODS, method
        done = sum(1 for name, _args in self.log if name == method)
        self._faults[(method, done + nth)] = action

    def _call(self, method, func, *args):
        name = self.METHODS[method]
        verb, path = name.split(' ', 1)
        self.counts[name] += 1
        self.log.append((method, args))
        nth = sum(1 for name, _args in self.log if name == method)
        kind, error = self._faults.pop((method, nth), (None, None))
        if kind == 'hook':
            error(*args)
        elif kind == 'fail':
            raise error or eem.EEMServerError(
                verb, path, 500, code='50000',
                eem_message='injected failure')
        try:
            result = func(*args)
        except eem_state.EEMStateError as e:
            cls = _ERRORS.get(e.status, eem.EEMServerError)
            raise cls(verb, path, e.status, code=e.code,
                      eem_message=e.message)
        if kind == 'lose':
            raise error or eem.EEMTimeout(verb, path, 5.0,
                                          'injected: answer lost')
        return result

    # The EEMClient methods

    def list_devices(self, status=None, group_id=None):
        return self._call('list_devices', lambda s, g: [
            eem.Device.from_json(d) for d in self.state.list_devices(
                s, g, detail=True)], status, group_id)

    def get_device(self, eeid):
        return self._call('get_device', lambda i: eem.Device.from_json(
            self.state.get_device(i.lower())), eeid)

    def set_group(self, eeid, group_id=None, update_time=None):
        return self._call('set_group', lambda i, g, u: self.state.set_group(
            i.lower(), g, update_time=u)['group_id'],
            eeid, group_id, update_time)

    def delete_group(self, eeid, update_time=None):
        self._call('delete_group', lambda i, u: self.state.delete_group(
            i.lower(), update_time=u), eeid, update_time)

    # Reading the emulator's truth

    def group(self, eeid):
        """The group id (str) EEM has for a device."""
        return self.state.get_device_any(eeid.lower())['group_id']
