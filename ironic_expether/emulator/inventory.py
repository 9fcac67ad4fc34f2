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

"""Inventories for the emulator: loaded from EEM's JSON, or generated.

A generated pod looks like a rack of 40G ExpEther hardware: servers with
an EESV each (group 4094, 16 downstream ports, host power on) and IO boxes
whose EEIOs carry real PCI vendor/device ids and class codes of GPUs, NVMe
SSDs, NICs and FPGAs, all free (group 4093). The same seed always gives
the same pod.
"""

import json
import random

from ironic_expether.emulator import state as eem_state


#: NEC's MAC OUI; real EE ids start with it.
EE_ID_PREFIX = '0x8cdf9d'

#: (name, vendor id, device id, class code) of the cards in generated IO
#: boxes, with the weight of each family.
PCI_CATALOGUE = {
    'GPU': (0.3, [
        ('NVIDIA Tesla V100 PCIe 32GB', '0x10de', '0x1db6', '0x030200'),
        ('NVIDIA Tesla T4', '0x10de', '0x1eb8', '0x030200'),
        ('NVIDIA A100 PCIe 40GB', '0x10de', '0x20f1', '0x030200'),
        ('NVIDIA A40', '0x10de', '0x2235', '0x030200'),
        ('NVIDIA Quadro RTX 6000', '0x10de', '0x1e30', '0x030000'),
        ('NVIDIA RTX A6000', '0x10de', '0x2230', '0x030000'),
    ]),
    'SSD': (0.3, [
        ('Intel SSD DC P4510 (NVMe)', '0x8086', '0x0a54', '0x010802'),
        ('Intel Optane SSD DC P4800X', '0x8086', '0x2701', '0x010802'),
        ('Samsung PM1725a NVMe', '0x144d', '0xa822', '0x010802'),
        ('Samsung PM983 NVMe', '0x144d', '0xa808', '0x010802'),
    ]),
    'NIC': (0.25, [
        ('Mellanox ConnectX-5', '0x15b3', '0x1017', '0x020000'),
        ('Mellanox ConnectX-6', '0x15b3', '0x101b', '0x020000'),
        ('Intel Ethernet Controller X710 for 10GbE SFP+', '0x8086',
         '0x1572', '0x020000'),
        ('Intel Ethernet Controller E810-C for QSFP', '0x8086', '0x1592',
         '0x020000'),
    ]),
    'FPGA': (0.15, [
        ('Xilinx Alveo U200', '0x10ee', '0x5000', '0x120000'),
        ('Xilinx Alveo U250', '0x10ee', '0x5004', '0x120000'),
        ('Xilinx Alveo U280', '0x10ee', '0x500c', '0x120000'),
    ]),
}

HOST_MODELS = ('Express5800/R120h-1M', 'Express5800/R120h-2M',
               'Express5800/R110j-1')
PORTS_40G = 16


def load_inventory(path):
    """Read devices from a JSON file in EEM's own answer format.

    Accepted: a ``devices`` or ``devices/detail`` answer
    (``{"devices": [...]}``), a show answer (``{"device": {...}}``) or a bare
    list of device objects.

    :param path: the file name.
    :returns: a list of device dicts.
    :raises: ValueError if the file is not such a document.
    """
    with open(path, encoding='utf-8') as f:
        try:
            document = json.load(f)
        except ValueError as exc:
            raise ValueError('%s is not JSON: %s' % (path, exc))
    if isinstance(document, dict) and 'devices' in document:
        devices = document['devices']
    elif isinstance(document, dict) and 'device' in document:
        devices = [document['device']]
    else:
        devices = document
    if not isinstance(devices, list) or not all(
            isinstance(d, dict) for d in devices):
        raise ValueError('%s holds no list of devices (expected EEM\'s '
                         '{"devices": [...]} format)' % path)
    return devices


def _mac(eeid):
    return eem_state.mac_of(eeid)


def _common(eeid, status, group_id, update_time):
    return {
        'id': eeid,
        'status': status,
        'update_time': update_time,
        'admin_status': 'enabled',
        'monitoring_status': 'enabled',
        'notification_status0': ['up', 'up'],
        'notification_status1': ['down', 'down'],
        'mac_address': _mac(eeid),
        'group_id': group_id,
        'vlan_tagging': 'disabled',
        'multi_mac_addresses': 'enabled',
        'encryption': ['disabled'] * 16,
        'type': '40g',
        'uid_switch_status': 'off',
        'pcie_link_width': 'x8',
        'interrupt_vector': '0x0',
        'ee_version': 'v1.0',
        'device_id': '0x1d',
        'revision': '0x0',
        'fpga_version': '0x1',
        'eeprom_data_version': '0x0',
        'link_status0': 'up',
        'link_status1': 'down',
    }


def make_eesv(eeid, rng=None, update_time='0'):
    """A 40G EESV in its default group, host powered on.

    :param eeid: its EE id.
    :param rng: a ``random.Random`` for the serial numbers.
    :param update_time: its update_time (str).
    :returns: the device dict.
    """
    rng = rng or random.Random(eeid)
    device = _common(eeid, eem_state.EESV,
                     str(eem_state.EESV_DEFAULT_GROUP), update_time)
    device.update({
        'power_status': 'on',
        'serial_number': 'EE4%07d' % rng.randrange(10 ** 7),
        'model': 'ExpEther Board (40G)',
        'max_eeio_count': str(PORTS_40G),
        'eesv_type': 'nbc',
        'compatibility': ['default'],
        'host_serial_number': '%010d' % rng.randrange(10 ** 10),
        'host_model': rng.choice(HOST_MODELS),
        'downstream_ports': [
            {'downstream_port_id': str(i),
             'eeio_connection_status': 'down',
             'eeio_mac_address': eem_state.NO_MAC}
            for i in range(PORTS_40G)],
    })
    return device


def make_eeio(eeid, card, rng=None, update_time='0'):
    """A free 40G EEIO in front of one PCIe card.

    :param eeid: its EE id.
    :param card: ``(name, vendor id, device id, class code)``.
    :param rng: a ``random.Random`` for the serial number.
    :param update_time: its update_time (str).
    :returns: the device dict.
    """
    rng = rng or random.Random(eeid)
    _name, vendor, device_id, class_code = card
    device = _common(eeid, eem_state.EEIO,
                     str(eem_state.EEIO_DEFAULT_GROUP), update_time)
    device.update({
        'serial_number': 'EE4%07d' % rng.randrange(10 ** 7),
        'model': 'ExpEther I/O Unit (40G)',
        'path_status0': 'up',
        'path_status1': 'down',
        'eesv_connection_status': 'down',
        'eesv_mac_address': eem_state.NO_MAC,
        'pcie_connection_status': 'up',
        'pcie_vendor_id': vendor,
        'pcie_device_id': device_id,
        'pcie_class_code': class_code,
    })
    return device


def _pick_card(rng):
    roll = rng.random()
    for weight, cards in PCI_CATALOGUE.values():
        if roll < weight:
            return rng.choice(cards)
        roll -= weight
    return rng.choice(PCI_CATALOGUE['GPU'][1])


def generate_inventory(servers, devices, seed=0):
    """A realistic pod: ``servers`` 40G EESVs and ``devices`` EEIOs.

    :param servers: how many EESVs.
    :param devices: how many EEIOs.
    :param seed: the seed; the same arguments give the same pod.
    :returns: a list of device dicts, EESVs first.
    :raises: ValueError for a negative count or more than 2**24 devices.
    """
    if servers < 0 or devices < 0:
        raise ValueError('counts must not be negative')
    total = servers + devices
    if total > 1 << 24:
        raise ValueError('at most %d devices fit in the %s id range'
                         % (1 << 24, EE_ID_PREFIX))
    rng = random.Random(seed)
    suffixes = rng.sample(range(1 << 24), total)
    update_time = '1700000000000'
    result = []
    for n, suffix in enumerate(suffixes):
        eeid = '%s%06x' % (EE_ID_PREFIX, suffix)
        if n < servers:
            result.append(make_eesv(eeid, rng, update_time))
        else:
            result.append(make_eeio(eeid, _pick_card(rng), rng,
                                    update_time))
    return result
