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


"""The demo pod of the standalone stack.

The EEM emulator generates the pod (``--servers N --devices M --seed S``:
40G server engines and IO engines with GPUs, NVMe SSDs, NICs and FPGAs).
This module names its servers, describes the fake Redfish systems that
stand for their BMCs and reads the pod back from EEM's wire format.
"""

import collections
import hashlib
import uuid

import requests

#: Demo pod defaults: four 40G servers and a pool of twelve devices.
DEFAULT_SERVERS = 4
DEFAULT_DEVICES = 12
DEFAULT_SEED = 3

#: Namespace of the fake BMC system uuids (derived from EE ids, so that a
#: restarted stack gives a server the same system).
_SYSTEM_NAMESPACE = uuid.UUID('5f1e8a3c-6d0b-4d8e-9a51-3b1e0c7d2a94')

#: PCI base class (``class_code >> 16``) to the device type names of
#: Valence, used for the pool summary only.
_BASE_CLASS_TYPES = {0x01: 'SSD', 0x02: 'NIC', 0x03: 'GPU', 0x12: 'ACS'}


def node_name(eesv_id):
    """The Ironic node name of a server engine.

    :param eesv_id: the EE id (``0x`` + 12 hex digits).
    :returns: ``eesv-`` followed by the 12 hex digits.
    """
    return 'eesv-' + eesv_id.lower().removeprefix('0x')


def system_uuid(eesv_id):
    """The fake BMC system uuid standing for a server engine's host."""
    return str(uuid.uuid5(_SYSTEM_NAMESPACE, eesv_id.lower()))


def host_mac(eesv_id):
    """A stable, locally administered MAC address for a server's NIC."""
    digest = hashlib.sha256(eesv_id.lower().encode()).digest()
    return ':'.join('%02x' % b for b in (b'\x02' + digest[:5]))


def bmc_systems(servers):
    """The fake Redfish systems of the demo servers.

    :param servers: server engines as dicts of EEM's wire format (at least
        ``id``; ``power_status`` sets the initial power state).
    :returns: a list of system dicts for sushy-tools' fake driver.
    """
    systems = []
    for server in servers:
        power = 'On' if server.get('power_status') == 'on' else 'Off'
        systems.append({
            'uuid': system_uuid(server['id']),
            'name': node_name(server['id']),
            'power_state': power,
            'external_notifier': False,
            'nics': [{'mac': host_mac(server['id']),
                      'ip': '127.0.0.1'}],
        })
    return systems


def list_devices(eem_address, username=None, password=None, verify=True,
                 timeout=10.0):
    """Read every device of an EEM (``GET devices/detail``).

    :param eem_address: base URL of the EEM API, ending in ``/eem``.
    :param username: Basic auth user (None: no auth).
    :param password: Basic auth password.
    :param verify: TLS verification (bool or CA bundle path).
    :param timeout: seconds for the request.
    :returns: a list of device dicts in EEM's wire format.
    :raises: requests.RequestException on any failure.
    """
    auth = (username, password or '') if username else None
    url = eem_address.rstrip('/') + '/devices/detail'
    response = requests.get(url, auth=auth, verify=verify, timeout=timeout)
    response.raise_for_status()
    return list(response.json().get('devices') or [])


def servers(devices):
    """The server engines (EESVs) among devices, sorted by EE id."""
    return sorted((d for d in devices if d.get('status') == 'eesv'),
                  key=lambda d: d['id'])


def pool_summary(devices):
    """Count the free IO engines of a pod by device type.

    :param devices: device dicts in EEM's wire format.
    :returns: an ordered dict of type name to count, e.g.
        ``{'GPU': 3, 'NIC': 4, 'SSD': 5}``.
    """
    counts = collections.Counter()
    for device in devices:
        if device.get('status') != 'eeio':
            continue
        if str(device.get('group_id')) != '4093':
            continue
        try:
            base = int(str(device.get('pcie_class_code')), 0) >> 16
        except ValueError:
            base = None
        counts[_BASE_CLASS_TYPES.get(base, 'other')] += 1
    return collections.OrderedDict(sorted(counts.items()))
