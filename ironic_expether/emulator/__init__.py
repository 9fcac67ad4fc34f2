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

"""An ExpEther Manager (EEM) emulator, as sushy-tools is for Redfish.

A real HTTP(S) server that speaks EEM's REST wire format under ``/eem``
(every number a string, errors as ``{"code": "<status>NN", "message":
...}``), over an in-memory pod loaded from EEM's own ``devices/detail``
JSON or generated. Run it as ``eem-emulator`` (or ``python -m
ironic_expether.emulator``), or in-process::

    from ironic_expether import emulator

    state = emulator.EEMState(emulator.generate_inventory(4, 32, seed=1))
    with emulator.EmulatorServer(state, port=0) as server:
        ...  # talk to server.url ('http://127.0.0.1:<port>/eem')
        server.faults.add_error(status=503, path='/eem/devices/detail',
                                count=2)
        server.state.set_down('0x8cdf9d...')

EEM endpoints (below ``/eem``)
------------------------------
``GET api_version``, ``GET devices`` and ``GET devices/detail`` (filters
``status=eesv|eeio`` and ``group_id=N``; insertion order),
``GET devices/<id>``, ``PUT devices/<id>/group_id`` (``{"group_id": "N"}``
with N in 16..4092, or null/missing to get a free group),
``DELETE devices/<id>/group_id`` (EEIO back to 4093, EESV to 4094),
``GET|PUT devices/<id>/uid_led_status``, ``GET groups``,
``PUT devices/<id>/audit``, ``PUT devices/<id>/perst``,
``GET devices/<id>/rotary_switch_status``.

Rules: moving an EEIO that is not in 4093 to another group is 409 (code
40900); more EEIOs in a group than the sum of its EESVs' ``max_eeio_count``
is 409 (40901); an optional ``update_time`` (PUT body or DELETE query)
that is not the device's current one is 409 (40902); a group move of a
device whose notification statuses are all down is 409 (40904); a bad
group id is 400 (40001). Every change bumps the device's ``update_time``
(milliseconds, strictly increasing); EEIOs joining a group take a free
downstream port of one of its EESVs, whose ``downstream_ports`` and the
EEIO's ``eesv_connection_status``/``eesv_mac_address`` follow.

Control API (below ``/_emulator``, same Basic auth as EEM)
-----------------------------------------------------------
``GET /_emulator/counters``
    ``{"counters": {"GET /eem/devices/detail": 3, ...}}``: EEM requests
    received, by method and path template (faulted ones included).
``DELETE /_emulator/counters``
    reset the counters.
``GET /_emulator/faults``
    ``{"faults": [...], "refusing": false}``.
``PUT /_emulator/faults``
    replace the fault rules: ``{"faults": [<rule>, ...]}``; with
    ``"refuse_seconds": N`` also close the listening socket and every
    open connection, and listen again after N seconds.
``POST /_emulator/faults``
    add rules (``{"faults": [...]}`` or one rule object), same
    ``refuse_seconds``.
``DELETE /_emulator/faults``
    remove every rule.
``GET /_emulator/holds``
    ``{"held": [{"id": 1, "method": "PUT", "path": "..."}]}``: the
    requests a ``hold`` rule keeps waiting now.
``POST /_emulator/holds/release``
    release them: EEM acts on each and answers, or with ``{"drop":
    true}`` closes its connection without acting on it.
``PUT /_emulator/credentials``
    ``{"username": "u", "password": "p"}``: EEM's Basic auth credentials
    change (as when an EEM admin changes the password); ``"username":
    null`` turns authentication off.
``POST /_emulator/devices``
    add devices: ``{"devices": [<EEM device object>, ...]}`` (201).
``DELETE /_emulator/devices``
    reset the pod to the inventory it started with.
``GET /_emulator/devices/<id>``
    ``{"device": {...}, "present": true}``, also for a vanished device.
``PUT /_emulator/devices/<id>``
    change a device: ``{"down": true}`` (both notification statuses
    down; false brings it up), ``{"present": false}`` (it vanishes from
    every answer; true brings it back in its group),
    ``{"power_status": "off"}``, ``{"uid_led_status": "on"}``,
    ``{"rotary_switch_status": "14"}``, or any other EEM field.
``DELETE /_emulator/devices/<id>``
    remove a device for good.

A fault rule is ``{"kind": "latency"|"error"|"malformed", "path": <glob>,
"method": <method>, "count": N, ...}``: ``path`` is an ``fnmatch`` glob
matched against the request path or its template (``/eem/devices/<id>``),
``*`` by default; ``count`` makes it expire after N uses. ``latency``
takes ``seconds``; ``error`` takes ``status`` (default 500), ``rate``
(0..1, default 1), ``seed`` (repeatable rates), ``every`` (fail every
N-th matching request), ``code``, ``message`` and ``drop`` (reset the
connection without answering); ``malformed`` takes ``body``:
``not-json``, ``wrong-shape``, ``empty``, ``truncated``, ``no-devices``,
``devices-not-list`` or ``device-without-id``.
``ironic_expether.emulator.control.EmulatorControl`` is a client for it.
"""

from ironic_expether.emulator.inventory import generate_inventory  # noqa
from ironic_expether.emulator.inventory import load_inventory  # noqa
from ironic_expether.emulator.server import EmulatorServer  # noqa
from ironic_expether.emulator.state import EEMState  # noqa
from ironic_expether.emulator.state import EEMStateError  # noqa

__all__ = ['EEMState', 'EEMStateError', 'EmulatorServer',
           'generate_inventory', 'load_inventory']
