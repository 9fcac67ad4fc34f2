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

"""A shared, short-lived snapshot of each EEM's device list.

Ironic's power state sync asks every node for its power state. For nodes
without a BMC the answer is EEM's ``power_status`` of the node's server
engine; asking EEM once per node would cost N requests per sync interval.
Instead, :func:`get_device` answers from one ``devices/detail`` answer per
EEM, kept for ``[expether] power_state_cache_ttl`` seconds and shared by
every thread of the process:

* concurrent callers of an expired snapshot wait for ONE refresh (a lock
  per EEM), instead of all asking EEM;
* a failed refresh is remembered for the same time, so that N nodes of a
  dead EEM cost one timeout per interval, not N;
* discovery hands its own ``devices/detail`` answer over with
  :func:`store`, which costs nothing.

Keys are the EEM client objects of :func:`ironic_expether.eem_access.utils.
get_client`, one per EEM address and credentials, so a node with wrong
credentials never reads another's snapshot. No Ironic imports here beyond
the configuration.
"""

import threading
import time
import weakref

from ironic_expether import conf
from ironic_expether import eem


class _Snapshot(object):
    """One EEM's device list, or the error of its last refresh."""

    __slots__ = ('lock', 'devices', 'error', 'taken_at', '__weakref__')

    def __init__(self):
        self.lock = threading.Lock()
        self.devices = None
        self.error = None
        self.taken_at = None

    def fresh(self, ttl, now):
        return self.taken_at is not None and now - self.taken_at < ttl


_SNAPSHOTS = weakref.WeakKeyDictionary()
_SNAPSHOTS_LOCK = threading.Lock()


def _snapshot(client):
    with _SNAPSHOTS_LOCK:
        entry = _SNAPSHOTS.get(client)
        if entry is None:
            entry = _SNAPSHOTS[client] = _Snapshot()
        return entry


def _ttl():
    return conf.CONF.expether.power_state_cache_ttl


def store(client, devices):
    """Record a fresh ``devices/detail`` answer of an EEM.

    :param client: the :class:`ironic_expether.eem.EEMClient` it came from.
    :param devices: the list of :class:`ironic_expether.eem.Device`.
    """
    if _ttl() <= 0:
        return
    entry = _snapshot(client)
    by_id = {d.id.lower(): d for d in devices if d.id}
    with entry.lock:
        entry.devices, entry.error = by_id, None
        entry.taken_at = time.monotonic()


def devices(client):
    """Every device of an EEM, from a snapshot at most TTL seconds old.

    :param client: an :class:`ironic_expether.eem.EEMClient`.
    :returns: a dict of lower-case EE id to
        :class:`ironic_expether.eem.Device`.
    :raises: the :class:`ironic_expether.eem.EEMError` of the last refresh
        if it failed less than TTL seconds ago.
    """
    ttl = _ttl()
    if ttl <= 0:
        return {d.id.lower(): d for d in client.list_devices() if d.id}
    entry = _snapshot(client)
    with entry.lock:
        if not entry.fresh(ttl, time.monotonic()):
            try:
                listed = client.list_devices()
            except eem.EEMError as e:
                entry.devices, entry.error = None, e
            else:
                entry.devices = {d.id.lower(): d for d in listed if d.id}
                entry.error = None
            entry.taken_at = time.monotonic()
        if entry.error is not None:
            raise entry.error
        return entry.devices


def get_device(client, eeid):
    """One device of an EEM, from the shared snapshot.

    With ``[expether] power_state_cache_ttl`` at 0 this is a plain
    ``get_device`` request.

    :param client: an :class:`ironic_expether.eem.EEMClient`.
    :param eeid: the EE id.
    :returns: an :class:`ironic_expether.eem.Device`.
    :raises: EEMNotFound if EEM does not list it; any other
        :class:`ironic_expether.eem.EEMError` of the refresh.
    """
    if _ttl() <= 0:
        return client.get_device(eeid)
    device = devices(client).get(eeid.lower())
    if device is None:
        raise eem.EEMNotFound('GET', 'devices/detail', 404,
                              eem_message='device %s is not listed' % eeid)
    return device


def clear():
    """Forget every snapshot (for tests and reconfiguration)."""
    with _SNAPSHOTS_LOCK:
        _SNAPSHOTS.clear()
