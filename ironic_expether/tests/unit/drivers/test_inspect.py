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

from unittest import mock

from ironic.common import driver_factory
from ironic.common import exception
from ironic.common import states
from ironic.conductor import task_manager
from ironic.drivers.modules import inspect_utils
from ironic.drivers.modules.redfish import inspect as redfish_inspect
from ironic import objects

from ironic_expether.drivers import inspect
from ironic_expether import eem
from ironic_expether.tests.unit.drivers import base

T4 = dict(vendor='0x10de', device='0x1eb8', class_code='0x030200')
NVME = dict(vendor='0x144d', device='0xa808', class_code='0x010802')


class _InspectBase(base.DriverTestCase):

    def setUp(self):
        super().setUp()
        self.config(enabled_inspect_interfaces=['expether', 'no-inspect'])
        self.node.inspect_interface = 'expether'
        self.node.save()
        # Hook managers are cached per interface name for the process.
        patcher = mock.patch.dict(inspect_utils._HOOKS_MGR, clear=True)
        patcher.start()
        self.addCleanup(patcher.stop)
        inspect.ExpEtherInspect.delegates.reset()
        self.addCleanup(inspect.ExpEtherInspect.delegates.reset)
        self.client.list_devices.return_value = [
            base.eesv(group_id='100', max_eeio_count=8),
            base.eeio(group_id='100', **T4),
            base.eeio(eeid='0x8cdf9d911c70', group_id='100', **NVME),
            base.eeio(eeid=base.OTHER_EEIO_ID, group_id='4093'),
            base.eeio(eeid='0x8cdf9d911c80', group_id='200'),
            base.eesv(eeid='0x8cdf9d535b20', group_id='200'),
        ]

    def _inspect(self):
        with task_manager.acquire(self.context, self.node.uuid,
                                  shared=False) as task:
            return task.driver.inspect.inspect_hardware(task)

    def _stored(self):
        node = objects.Node.get_by_uuid(self.context, self.node.uuid)
        return node, inspect_utils.get_inspection_data(node, self.context)


class InspectTestCase(_InspectBase):

    def test_default_interface(self):
        hw = driver_factory.get_hardware_type('expether')
        self.assertEqual('expether',
                         driver_factory.default_interface(hw, 'inspect'))
        with task_manager.acquire(self.context, self.node.uuid) as task:
            self.assertIsInstance(task.driver.inspect,
                                  inspect.ExpEtherInspect)

    def test_inspect_without_bmc(self):
        self.assertEqual(states.MANAGEABLE, self._inspect())
        self.client.list_devices.assert_called_once_with()
        self.client.get_device.assert_not_called()
        node, data = self._stored()
        inventory = data['inventory']
        self.assertEqual([
            {'vendor_id': '144d', 'product_id': 'a808', 'class': '010802',
             'revision': None, 'bus': None,
             'expether_id': '0x8cdf9d911c70', 'expether_type': 'SSD',
             'vendor_name': mock.ANY, 'device_name': mock.ANY},
            {'vendor_id': '10de', 'product_id': '1eb8', 'class': '030200',
             'revision': None, 'bus': None,
             'expether_id': base.EEIO_ID, 'expether_type': 'GPU',
             'vendor_name': mock.ANY, 'device_name': mock.ANY},
        ], inventory['pci_devices'])
        self.assertEqual(inventory['pci_devices'],
                         data['plugin_data']['pci_devices'])
        self.assertEqual({'eesv_id': base.EESV_ID, 'group_id': '100',
                          'max_eeio_count': 8, 'power_state': 'on',
                          'device_count': 2}, inventory['expether'])
        self.assertEqual('100', node.properties['expether_group_id'])
        self.assertEqual(8, node.properties['expether_max_eeio_count'])

    def test_inspect_server_in_default_group(self):
        self.client.list_devices.return_value = [
            base.eesv(group_id='4094'), base.eeio(group_id='4093')]
        self._inspect()
        _node, data = self._stored()
        self.assertEqual([], data['inventory']['pci_devices'])
        self.assertEqual(0, data['inventory']['expether']['device_count'])

    def test_hooks_see_the_devices(self):
        # Ironic's own accelerators hook reads vendor_id, product_id, bus.
        self.config(inspection_hooks='accelerators', group='expether')
        self._inspect()
        node, _data = self._stored()
        accelerators = node.properties['accelerators']
        self.assertEqual(1, len(accelerators))
        self.assertEqual('10de', accelerators[0]['vendor_id'])
        self.assertEqual('1eb8', accelerators[0]['device_id'])
        self.assertEqual('GPU', accelerators[0]['type'])

    def test_server_engine_not_listed(self):
        self.client.list_devices.return_value = [base.eeio(group_id='4093')]
        exc = self.assertRaises(exception.InvalidParameterValue,
                                self._inspect)
        self.assertIn('eesv_id', str(exc))
        self.assertIn(base.EESV_ID, str(exc))

    def test_eem_down(self):
        self.client.list_devices.side_effect = eem.EEMConnectionError(
            'GET', 'devices/detail', 'refused')
        exc = self.assertRaises(exception.IronicException, self._inspect)
        self.assertIn('listing the devices for inspection', str(exc))
        self.assertNotIn(base.SECRET, str(exc))
        self.assertRaises(exception.NodeInventoryNotFound, self._stored)

    def test_validate_needs_no_io(self):
        with task_manager.acquire(self.context, self.node.uuid) as task:
            task.driver.inspect.validate(task)
        self.mock_get_client.assert_not_called()

    def test_properties(self):
        props = inspect.ExpEtherInspect().get_properties()
        self.assertIn('eem_address', props)
        self.assertIn('redfish_address', props)
        self.assertNotIn('ipmi_address', props)


class InspectWithRedfishTestCase(_InspectBase):

    driver_info = base.REDFISH_INFO

    def test_validate_checks_redfish_keys(self):
        self.node.driver_info = dict(base.REDFISH_INFO,
                                     redfish_system_id=42)
        self.node.save()
        with task_manager.acquire(self.context, self.node.uuid) as task:
            self.assertRaises(exception.InvalidParameterValue,
                              task.driver.inspect.validate, task)

    @mock.patch.object(redfish_inspect.RedfishInspect, 'inspect_hardware',
                       autospec=True)
    def test_delegates_and_merges(self, mock_redfish):
        system = mock.Mock()
        bmc_device = {'vendor_id': '8086', 'product_id': '1572',
                      'class': '020000'}

        def fake_redfish(self_, task):
            # What redfish does: its PCIe devices, then it stores.
            with mock.patch.object(
                    redfish_inspect.RedfishInspect, '_get_pcie_devices',
                    autospec=True, return_value=[bmc_device]):
                pci = self_._get_pcie_devices(system)
            inspect_utils.store_inspection_data(
                task.node, {'pci_devices': pci, 'memory': {}}, {},
                task.context)
            task.node.properties = dict(task.node.properties,
                                        memory_mb=4096)
            task.node.save()
            return states.MANAGEABLE

        mock_redfish.side_effect = fake_redfish
        self.assertEqual(states.MANAGEABLE, self._inspect())
        node, data = self._stored()
        ids = [(d['vendor_id'], d['product_id'])
               for d in data['inventory']['pci_devices']]
        self.assertEqual([('8086', '1572'), ('144d', 'a808'),
                          ('10de', '1eb8')], ids)
        self.assertEqual(base.EESV_ID,
                         data['inventory']['expether']['eesv_id'])
        self.assertEqual(4096, node.properties['memory_mb'])
        self.assertEqual('100', node.properties['expether_group_id'])

    def test_merge_only_during_inspection(self):
        delegate = inspect._RedfishWithEEM()
        with mock.patch.object(redfish_inspect.RedfishInspect,
                               '_get_pcie_devices', autospec=True,
                               return_value=[{'vendor_id': '8086'}]):
            self.assertEqual([{'vendor_id': '8086'}],
                             delegate._get_pcie_devices(mock.Mock()))
