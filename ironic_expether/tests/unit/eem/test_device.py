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

import copy
import json

import ddt
import fixtures
from oslotest import base

from ironic_expether import eem
from ironic_expether.eem import device as eem_device
from ironic_expether.eem import pci
from ironic_expether.tests.unit.eem import base as eem_base


def _by_id(name):
    return {doc['id']: eem.Device.from_json(doc)
            for doc in eem_base.load_sample(name)['devices']}


class DeviceBaseTestCase(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        # No system pci.ids leaks into the tests: names come from the
        # fixture file only.
        pci.reset_database()
        self.addCleanup(pci.reset_database)
        self.useFixture(fixtures.EnvironmentVariable(
            pci.PCI_IDS_ENV, eem_base.PCI_IDS_FIXTURE))


class SampleDevicesTestCase(DeviceBaseTestCase):

    def test_valence_eesv_sample(self):
        devices = _by_id('devices-detail-eesv.json')
        self.assertEqual(['0x1111111111', '0x2222222222'], list(devices))
        dev = devices['0x1111111111']
        self.assertIs(eem.Device, eem_device.Device)
        self.assertEqual('eesv', dev.kind)
        self.assertTrue(dev.is_eesv)
        self.assertFalse(dev.is_eeio)
        self.assertFalse(dev.is_free)
        self.assertEqual('1234', dev.group_id)
        self.assertEqual('40g', dev.type)
        self.assertEqual(1518999910510, dev.update_time)
        self.assertEqual('on', dev.power_state)
        self.assertEqual(16, dev.max_eeio_count)
        self.assertEqual('11:11:11:11:11:11', dev.mac_address)
        self.assertEqual('abcd 01234', dev.serial_number)
        self.assertEqual('ExpEther Board (40G)', dev.model)
        self.assertEqual('', dev.host_model)
        self.assertEqual('', dev.host_serial_number)
        self.assertEqual('v1.0', dev.ee_version)
        self.assertEqual(['up', 'down'], dev.notification_status0)
        self.assertEqual(['down', 'down'], dev.notification_status1)
        self.assertTrue(dev.is_up)
        self.assertEqual([], dev.downstream_ports)
        self.assertIsNone(dev.link_status0)
        # EESV's "device_id" is an EE hardware id, not a PCI device id.
        self.assertIsNone(dev.pci_device_id)
        self.assertIsNone(dev.pci_class)
        self.assertIsNone(dev.pci_type)
        self.assertIsNone(dev.pci_vendor_name)
        self.assertEqual('nbc', dev.raw['eesv_type'])
        other = devices['0x2222222222']
        self.assertEqual('10g', other.type)
        self.assertEqual(8, other.max_eeio_count)
        self.assertEqual('5678', other.group_id)

    def test_ruby_mixed_sample(self):
        devices = _by_id('devices-detail-mixed.json')
        self.assertEqual(4, len(devices))

        down = devices['0x0011dd33cc00']
        self.assertEqual('eeio', down.kind)
        self.assertEqual('1g', down.type)
        self.assertEqual('17', down.group_id)
        self.assertFalse(down.is_up)
        self.assertFalse(down.is_free)
        self.assertEqual('down', down.link_status0)
        self.assertEqual('down', down.link_status1)
        self.assertIsNone(down.pci_type)
        self.assertIsNone(down.max_eeio_count)
        self.assertIsNone(down.power_state)

        eesv10 = devices['0x001122334455']
        # update_time sent as a JSON number.
        self.assertEqual(1428979349749, eesv10.update_time)
        self.assertEqual('10g', eesv10.type)
        self.assertEqual(8, len(eesv10.downstream_ports))
        self.assertEqual({'downstream_port_id': '0',
                          'eeio_connection_status': 'down',
                          'eeio_mac_address': '00:00:00:00:00:00'},
                         eesv10.downstream_ports[0])
        self.assertTrue(eesv10.is_up)
        self.assertIsNone(eesv10.power_state)

        eeio10 = devices['0x021122334400']
        self.assertEqual(1428979350749, eeio10.update_time)
        self.assertTrue(eeio10.is_eeio)
        self.assertTrue(eeio10.is_up)
        self.assertIsNone(eeio10.pci_vendor_id)
        self.assertIsNone(eeio10.pci_type)
        self.assertIsNone(eeio10.pci_device_name)

        eesv40 = devices['0x001122338654']
        self.assertEqual('40g', eesv40.type)
        self.assertEqual(16, len(eesv40.downstream_ports))
        self.assertEqual('00:11:22:33:ae:18',
                         eesv40.downstream_ports[0]['eeio_mac_address'])
        self.assertEqual(16, eesv40.max_eeio_count)
        self.assertEqual(1448961731001, eesv40.update_time)
        self.assertEqual('on', eesv40.power_state)
        self.assertEqual('', eesv40.model)

    def test_every_detail_sample_to_dict_is_json(self):
        for name in ('devices-detail-eesv.json',
                     'devices-detail-mixed.json'):
            for dev in _by_id(name).values():
                summary = dev.to_dict()
                self.assertEqual(summary, json.loads(json.dumps(summary)))
                self.assertEqual(dev.id, summary['id'])
                self.assertEqual(dev.is_up, summary['is_up'])

    def test_id_only_sample(self):
        docs = eem_base.load_sample('devices-ids.json')['devices']
        devices = [eem.Device.from_json(doc) for doc in docs]
        self.assertEqual(['0x001122334455', '0x021122334400',
                          '0x0011dd33cc00'], [d.id for d in devices])
        for dev in devices:
            self.assertIsNone(dev.kind)
            self.assertIsNone(dev.group_id)
            self.assertTrue(dev.is_up)
            self.assertFalse(dev.is_free)


@ddt.ddt
class DeviceParsingTestCase(DeviceBaseTestCase):

    def test_missing_keys(self):
        dev = eem.Device.from_json({})
        for attr in ('id', 'kind', 'group_id', 'type', 'update_time',
                     'power_state', 'max_eeio_count', 'mac_address',
                     'serial_number', 'model', 'host_model',
                     'host_serial_number', 'ee_version', 'link_status0',
                     'link_status1', 'pci_class', 'pci_vendor_id',
                     'pci_device_id', 'pci_type', 'pci_vendor_name',
                     'pci_device_name'):
            self.assertIsNone(getattr(dev, attr), attr)
        self.assertEqual([], dev.downstream_ports)
        self.assertEqual([], dev.notification_status0)
        self.assertEqual([], dev.notification_status1)
        self.assertTrue(dev.is_up)
        self.assertFalse(dev.is_free)
        self.assertFalse(dev.is_eesv)
        self.assertFalse(dev.is_eeio)
        self.assertEqual({}, dev.raw)
        json.dumps(dev.to_dict())

    def test_numbers_as_json_numbers(self):
        dev = eem.Device.from_json({
            'id': '0x8cdf9d911c60', 'status': 'eeio', 'group_id': 4093,
            'update_time': 1521117379726, 'max_eeio_count': 16.0,
            'pcie_class_code': 0x010802, 'pcie_vendor_id': 0x144d,
            'pcie_device_id': 0xa808})
        self.assertEqual('4093', dev.group_id)
        self.assertTrue(dev.is_free)
        self.assertEqual(1521117379726, dev.update_time)
        self.assertEqual(16, dev.max_eeio_count)
        self.assertEqual(0x010802, dev.pci_class)
        self.assertEqual('SSD', dev.pci_type)
        self.assertEqual('Samsung Electronics Co Ltd', dev.pci_vendor_name)
        self.assertEqual('NVMe SSD Controller SM981/PM981/PM983',
                         dev.pci_device_name)

    def test_40g_eeio_with_pcie_ids(self):
        dev = eem.Device.from_json({
            'id': '0x8cdf9d911c60', 'status': 'eeio', 'type': '40g',
            'group_id': '4093', 'pcie_class_code': '0x030200',
            'pcie_vendor_id': '0x10de', 'pcie_device_id': '0x1db6',
            'notification_status0': ['up', 'down'],
            'notification_status1': ['down', 'down']})
        self.assertTrue(dev.is_free)
        self.assertTrue(dev.is_up)
        self.assertEqual(0x030200, dev.pci_class)
        self.assertEqual(0x10de, dev.pci_vendor_id)
        self.assertEqual(0x1db6, dev.pci_device_id)
        self.assertEqual('GPU', dev.pci_type)
        self.assertEqual('NVIDIA Corporation', dev.pci_vendor_name)
        self.assertEqual('GV100GL [Tesla V100 PCIe 32GB]',
                         dev.pci_device_name)
        summary = dev.to_dict()
        self.assertEqual('0x030200', summary['pci_class'])
        self.assertEqual('0x10de', summary['pci_vendor_id'])
        self.assertEqual('0x1db6', summary['pci_device_id'])
        self.assertEqual('GPU', summary['pci_type'])
        self.assertEqual('NVIDIA Corporation', summary['pci_vendor_name'])

    @ddt.data(('0x010802', 'SSD'), ('010802', 'SSD'), ('0x030200', 'GPU'),
              ('0x030000', 'GPU'), ('0x0c0330', 'USB'), ('0x120000', 'ACS'),
              ('0x060400', 'SWITCH'), ('0x020000', 'NIC'),
              ('0x040100', 'Multi'), ('0x0b4000', 'Unknown'),
              ('0xff0000', 'Unknown'))
    @ddt.unpack
    def test_class_code_table(self, code, expected):
        dev = eem.Device.from_json({'status': 'eeio',
                                    'pcie_class_code': code})
        self.assertEqual(expected, dev.pci_type)
        self.assertIn(expected, eem.PCI_TYPES)

    def test_ids_without_prefix(self):
        dev = eem.Device.from_json({'pcie_vendor_id': '8086',
                                    'pcie_device_id': '0953'})
        self.assertEqual(0x8086, dev.pci_vendor_id)
        self.assertEqual(0x0953, dev.pci_device_id)
        self.assertEqual('PCIe Data Center SSD', dev.pci_device_name)
        self.assertIsNone(dev.pci_type)

    def test_unknown_ids_have_no_names(self):
        dev = eem.Device.from_json({'pcie_vendor_id': '0x1234',
                                    'pcie_device_id': '0x5678',
                                    'pcie_class_code': '0x020000'})
        self.assertEqual('NIC', dev.pci_type)
        self.assertIsNone(dev.pci_vendor_name)
        self.assertIsNone(dev.pci_device_name)

    def test_garbage_values(self):
        dev = eem.Device.from_json({
            'id': 12, 'status': 'router', 'group_id': ['17'],
            'update_time': 'yesterday', 'max_eeio_count': 'many',
            'power_status': 'standby', 'downstream_ports': 'none',
            'notification_status0': 'down', 'pcie_class_code': 'VGA',
            'pcie_vendor_id': True, 'type': ''})
        self.assertEqual('12', dev.id)
        self.assertIsNone(dev.kind)
        self.assertIsNone(dev.group_id)
        self.assertIsNone(dev.update_time)
        self.assertIsNone(dev.max_eeio_count)
        self.assertIsNone(dev.power_state)
        self.assertIsNone(dev.type)
        self.assertEqual([], dev.downstream_ports)
        self.assertEqual(['down'], dev.notification_status0)
        self.assertFalse(dev.is_up)
        self.assertIsNone(dev.pci_class)
        self.assertIsNone(dev.pci_type)
        self.assertIsNone(dev.pci_vendor_id)

    def test_case_is_normalised(self):
        dev = eem.Device.from_json({'status': 'EEIO', 'type': '40G',
                                    'power_status': 'Off',
                                    'group_id': ' 4093 ',
                                    'notification_status0': ['DOWN'],
                                    'notification_status1': ['Down']})
        self.assertEqual('eeio', dev.kind)
        self.assertEqual('40g', dev.type)
        self.assertEqual('off', dev.power_state)
        self.assertTrue(dev.is_free)
        self.assertFalse(dev.is_up)

    def test_eesv_in_4093_is_not_free(self):
        dev = eem.Device.from_json({'status': 'eesv', 'group_id': '4093'})
        self.assertFalse(dev.is_free)

    @ddt.data(('16', True), ('4092', True), (' 100 ', True), (100, True),
              ('15', False), ('4093', False), ('4094', False), (None, False),
              ('', False), ('abc', False))
    @ddt.unpack
    def test_has_own_group(self, group_id, expected):
        dev = eem.Device.from_json({'status': 'eesv', 'group_id': group_id})
        self.assertIs(expected, dev.has_own_group)

    def test_other_generation_kept(self):
        self.assertEqual('80g', eem.Device.from_json({'type': '80g'}).type)

    @ddt.data(([], [], True),
              (['down', 'down'], ['down', 'down'], False),
              (['down', 'down'], [], False),
              ([], ['down'], False),
              (['up', 'down'], ['down', 'down'], True),
              (['down', 'down'], ['down', 'up'], True),
              (['unknown'], ['down'], True))
    @ddt.unpack
    def test_is_up(self, status0, status1, expected):
        dev = eem.Device.from_json({'notification_status0': status0,
                                    'notification_status1': status1})
        self.assertIs(expected, dev.is_up)

    def test_ten_digit_ids(self):
        dev = eem.Device.from_json({'id': '0x1111111111'})
        self.assertEqual('0x1111111111', dev.id)
        self.assertTrue(eem.is_valid_eeid(dev.id))

    @ddt.data(None, [], 'device', 42)
    def test_from_json_rejects_non_object(self, doc):
        self.assertRaises(TypeError, eem.Device.from_json, doc)

    def test_raw_is_the_document(self):
        doc = {'id': '0x8cdf9d911c60', 'vendor_extension': {'x': 1}}
        self.assertIs(doc, eem.Device.from_json(doc).raw)

    def test_repr(self):
        dev = eem.Device.from_json({'id': '0x8cdf9d911c60',
                                    'status': 'eesv', 'group_id': '17',
                                    'type': '40g'})
        self.assertEqual('<Device 0x8cdf9d911c60 kind=eesv group=17 '
                         'type=40g>', repr(dev))

    def test_fields_parsed_on_first_read_once(self):
        doc = {'id': '0x8cdf9d911c60', 'status': 'eesv',
               'power_status': 'ON', 'max_eeio_count': '8',
               'serial_number': 42, 'link_status0': ' Up '}
        dev = eem.Device.from_json(doc)
        self.assertEqual('on', dev.power_state)
        self.assertEqual(8, dev.max_eeio_count)
        self.assertEqual('42', dev.serial_number)
        self.assertEqual('up', dev.link_status0)
        self.assertIsNone(dev.host_model)
        self.assertEqual([], dev.downstream_ports)
        # Parsed once: the raw document is not read again.
        doc['power_status'] = 'off'
        self.assertEqual('on', dev.power_state)

    def test_unknown_attribute(self):
        dev = eem.Device.from_json({'id': '0x8cdf9d911c60'})
        self.assertRaises(AttributeError, getattr, dev, 'no_such_field')
        self.assertFalse(hasattr(dev, 'no_such_field'))

    def test_copy(self):
        dev = eem.Device.from_json({'id': '0x8cdf9d911c60',
                                    'status': 'eesv', 'model': 'm'})
        clone = copy.copy(dev)
        self.assertEqual(dev.to_dict(), clone.to_dict())
        self.assertEqual('m', clone.model)

    def test_is_up_agrees_with_the_status_lists(self):
        values = [None, [], 'down', 'UP', ['down'], ['Down ', None],
                  ['down', 'up'], [None], [7], {'x': 1}, ['down', {}]]
        for status0 in values:
            for status1 in values:
                dev = eem.Device.from_json({'notification_status0': status0,
                                            'notification_status1': status1})
                statuses = dev.notification_status0 + dev.notification_status1
                expected = (not statuses
                            or any(s != 'down' for s in statuses))
                self.assertEqual(expected, dev.is_up, (status0, status1))
