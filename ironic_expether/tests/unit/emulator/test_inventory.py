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

import json
import os
import re
import tempfile

from oslotest import base

from ironic_expether.emulator import inventory
from ironic_expether.emulator import state as eem_state

SAMPLES = os.path.join(os.path.dirname(os.path.dirname(__file__)), 'eem',
                       'samples')


def _sample_files_with_devices():
    result = []
    for name in sorted(os.listdir(SAMPLES)):
        if not name.endswith('.json'):
            continue
        with open(os.path.join(SAMPLES, name)) as f:
            if 'devices' in json.load(f):
                result.append(name)
    return result


class LoadTestCase(base.BaseTestCase):

    def test_every_sample_with_devices_loads(self):
        names = _sample_files_with_devices()
        # The samples of the reference: ids, detail of EESVs, mixed detail.
        self.assertGreaterEqual(len(names), 3)
        for name in names:
            path = os.path.join(SAMPLES, name)
            devices = inventory.load_inventory(path)
            state = eem_state.EEMState(devices)
            with open(path) as f:
                expected = json.load(f)['devices']
            self.assertEqual([d['id'] for d in expected],
                             [d['id'] for d in state.list_devices()], name)
            for original in expected:
                served = state.get_device(original['id'])
                for key, value in original.items():
                    if key != 'group_id':
                        self.assertEqual(value, served[key], name)
                self.assertEqual(str(original.get('group_id', served[
                    'group_id'])), served['group_id'])

    def test_mixed_sample_rules(self):
        state = eem_state.EEMState(inventory.load_inventory(
            os.path.join(SAMPLES, 'devices-detail-mixed.json')))
        # Two EESVs and two EEIOs share group 17; a 10G EESV without a
        # max_eeio_count counts its 8 ports.
        self.assertEqual(2, len(state.list_devices(status='eesv',
                                                   group_id='17')))
        # The EEIO of the sample whose notifications are all down cannot
        # be moved.
        self.assertRaises(eem_state.Conflict, state.delete_group,
                          '0x0011dd33cc00')
        answer = state.delete_group('0x021122334400')
        self.assertEqual('4093', answer['group_id'])
        self.assertEqual('17', state.set_group('0x001122338654', '17')[
            'group_id'])

    def test_ids_only_document_gets_defaults(self):
        state = eem_state.EEMState(inventory.load_inventory(
            os.path.join(SAMPLES, 'devices-ids.json')))
        device = state.get_device('0x001122334455')
        self.assertEqual(('eeio', '4093'),
                         (device['status'], device['group_id']))

    def _write(self, text):
        fd, path = tempfile.mkstemp(suffix='.json')
        self.addCleanup(os.unlink, path)
        with os.fdopen(fd, 'w') as f:
            f.write(text)
        return path

    def test_other_shapes(self):
        device = {'id': '0x8cdf9d000001', 'status': 'eesv'}
        for doc in ({'device': device}, [device], {'devices': [device]}):
            self.assertEqual([device], inventory.load_inventory(
                self._write(json.dumps(doc))))

    def test_bad_documents(self):
        for text in ('not json', '{"groups": []}', '{"devices": [1]}',
                     '"x"'):
            self.assertRaises(ValueError, inventory.load_inventory,
                              self._write(text))
        for devices in ([{'status': 'eeio'}],
                        [{'id': '0x1'}, {'id': '0x1'}],
                        [{'id': '0x1', 'status': 'switch'}],
                        [{'id': '0x1', 'group_id': 'x'}]):
            self.assertRaises(ValueError, eem_state.EEMState, devices)


class GenerateTestCase(base.BaseTestCase):

    def test_deterministic(self):
        self.assertEqual(inventory.generate_inventory(3, 20, seed=5),
                         inventory.generate_inventory(3, 20, seed=5))
        self.assertNotEqual(inventory.generate_inventory(3, 20, seed=5),
                            inventory.generate_inventory(3, 20, seed=6))

    def test_shape(self):
        devices = inventory.generate_inventory(4, 400, seed=0)
        self.assertEqual(404, len(devices))
        ids = [d['id'] for d in devices]
        self.assertEqual(len(ids), len(set(ids)))
        for device in devices:
            self.assertRegex(device['id'], r'^0x8cdf9d[0-9a-f]{6}$')
            self.assertEqual(eem_state.mac_of(device['id']),
                             device['mac_address'])
            self.assertEqual('40g', device['type'])
            for key, value in device.items():
                # Every number is a string.
                self.assertNotIsInstance(value, (int, float), key)
        servers, ios = devices[:4], devices[4:]
        for server in servers:
            self.assertEqual(('eesv', '4094', '16', 'on'),
                             (server['status'], server['group_id'],
                              server['max_eeio_count'],
                              server['power_status']))
            self.assertEqual(16, len(server['downstream_ports']))
            self.assertTrue(server['host_model'])
            self.assertTrue(server['host_serial_number'])
        classes = set()
        for io in ios:
            self.assertEqual(('eeio', '4093'), (io['status'],
                                                io['group_id']))
            for key in ('pcie_vendor_id', 'pcie_device_id'):
                self.assertRegex(io[key], r'^0x[0-9a-f]{4}$')
            self.assertRegex(io['pcie_class_code'], r'^0x[0-9a-f]{6}$')
            classes.add(io['pcie_class_code'])
        # GPUs (3D and VGA), NVMe SSDs, NICs and FPGAs all appear.
        self.assertEqual({'0x030200', '0x030000', '0x010802', '0x020000',
                          '0x120000'}, classes)

    def test_catalogue_uses_real_vendors(self):
        vendors = {family: {card[1] for card in cards}
                   for family, (_w, cards) in
                   inventory.PCI_CATALOGUE.items()}
        self.assertEqual({'0x10de'}, vendors['GPU'])
        self.assertEqual({'0x8086', '0x144d'}, vendors['SSD'])
        self.assertEqual({'0x15b3', '0x8086'}, vendors['NIC'])
        self.assertEqual({'0x10ee'}, vendors['FPGA'])

    def test_bad_counts(self):
        self.assertRaises(ValueError, inventory.generate_inventory, -1, 2)
        self.assertRaises(ValueError, inventory.generate_inventory, 1,
                          1 << 24)

    def test_mac_of(self):
        self.assertEqual('8c:df:9d:91:1c:b0',
                         eem_state.mac_of('0x8cdf9d911CB0'))
        self.assertEqual(eem_state.NO_MAC, eem_state.mac_of('0x1111111111'))
        self.assertTrue(re.match('^[0-9:]+$', eem_state.NO_MAC))
