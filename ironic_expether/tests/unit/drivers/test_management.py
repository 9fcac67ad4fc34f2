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

from ironic.common import boot_devices
from ironic.common import boot_modes
from ironic.common import components
from ironic.common import exception
from ironic.common import indicator_states
from ironic.conductor import task_manager
from ironic.drivers.modules.redfish import management as redfish_mgmt
from ironic.drivers.modules.redfish import utils as redfish_utils

from ironic_expether.drivers import management
from ironic_expether import eem
from ironic_expether.tests.unit.drivers import base

LED = 'led-%s' % base.EESV_ID


class NoBMCManagementTestCase(base.DriverTestCase):

    def test_interface_loaded(self):
        with task_manager.acquire(self.context, self.node.uuid) as task:
            self.assertIsInstance(task.driver.management,
                                  management.ExpEtherManagement)

    def test_validate_no_network_io(self):
        with task_manager.acquire(self.context, self.node.uuid) as task:
            task.driver.management.validate(task)
        self.mock_get_client.assert_not_called()

    def test_boot_devices(self):
        with task_manager.acquire(self.context, self.node.uuid) as task:
            mgmt = task.driver.management
            self.assertEqual([], mgmt.get_supported_boot_devices(task))
            self.assertEqual({'boot_device': None, 'persistent': None},
                             mgmt.get_boot_device(task))
            exc = self.assertRaises(exception.InvalidParameterValue,
                                    mgmt.set_boot_device, task,
                                    boot_devices.PXE)
            self.assertIn('BMC', str(exc))
            self.assertIn('redfish_address', str(exc))
            self.assertRaises(exception.UnsupportedDriverExtension,
                              mgmt.get_boot_mode, task)
            self.assertRaises(exception.UnsupportedDriverExtension,
                              mgmt.inject_nmi, task)

    def test_boot_modes_and_nmi_need_a_bmc(self):
        with task_manager.acquire(self.context, self.node.uuid,
                                  shared=False) as task:
            mgmt = task.driver.management
            for call, args in [(mgmt.get_supported_boot_modes, ()),
                               (mgmt.set_boot_mode, (boot_modes.UEFI,)),
                               (mgmt.get_boot_mode, ()),
                               (mgmt.inject_nmi, ())]:
                self.assertRaises(exception.UnsupportedDriverExtension,
                                  call, task, *args)
        self.assertFalse(self.client.mock_calls)

    def test_supported_indicators(self):
        with task_manager.acquire(self.context, self.node.uuid) as task:
            mgmt = task.driver.management
            self.assertEqual(
                {components.SYSTEM: {LED: {
                    'readonly': False,
                    'states': [indicator_states.OFF,
                               indicator_states.ON]}}},
                mgmt.get_supported_indicators(task))
            self.assertEqual({}, mgmt.get_supported_indicators(
                task, components.CHASSIS))
            self.assertIn(components.SYSTEM, mgmt.get_supported_indicators(
                task, components.SYSTEM))
        self.assertFalse(self.client.mock_calls)

    def test_indicator_state(self):
        with task_manager.acquire(self.context, self.node.uuid) as task:
            mgmt = task.driver.management
            mgmt.set_indicator_state(task, components.SYSTEM, LED,
                                     indicator_states.ON)
            self.client.set_uid_led.assert_called_once_with(base.EESV_ID,
                                                            True)
            mgmt.set_indicator_state(task, components.SYSTEM, LED,
                                     indicator_states.OFF)
            self.client.set_uid_led.assert_called_with(base.EESV_ID, False)
            self.client.get_uid_led.return_value = True
            self.assertEqual(indicator_states.ON, mgmt.get_indicator_state(
                task, components.SYSTEM, LED))
            self.client.get_uid_led.return_value = False
            self.assertEqual(indicator_states.OFF, mgmt.get_indicator_state(
                task, components.SYSTEM, LED))

    def test_indicator_bad_input(self):
        with task_manager.acquire(self.context, self.node.uuid) as task:
            mgmt = task.driver.management
            for component, indicator, state in (
                    (components.CHASSIS, LED, indicator_states.ON),
                    (components.SYSTEM, 'led-0x000000000000',
                     indicator_states.ON),
                    (components.SYSTEM, LED, indicator_states.BLINKING)):
                self.assertRaises(exception.InvalidParameterValue,
                                  mgmt.set_indicator_state, task, component,
                                  indicator, state)
            self.assertRaises(exception.InvalidParameterValue,
                              mgmt.get_indicator_state, task,
                              components.DISK, LED)
        self.assertFalse(self.client.mock_calls)

    def test_indicator_eem_failure(self):
        self.client.set_uid_led.side_effect = eem.EEMTimeout('PUT', 'x', 3)
        with task_manager.acquire(self.context, self.node.uuid) as task:
            exc = self.assertRaises(
                exception.TemporaryFailure,
                task.driver.management.set_indicator_state, task,
                components.SYSTEM, LED, indicator_states.ON)
        self.assertIn('UID LED', str(exc))

    def _group(self):
        self.devices(base.eesv(group_id='100'))
        self.client.list_devices.return_value = [
            base.eesv(group_id='100'),
            base.eeio(group_id='100'),
            base.eeio(eeid=base.OTHER_EEIO_ID, group_id='100', up=False,
                      class_code='0x010802')]

    def test_sensors_from_eem(self):
        self._group()
        with task_manager.acquire(self.context, self.node.uuid) as task:
            sensors = task.driver.management.get_sensors_data(task)
        self.assertEqual(['ExpEther'], list(sensors))
        eem_sensors = sensors['ExpEther']
        self.assertEqual({base.EESV_ID, base.EEIO_ID, base.OTHER_EEIO_ID},
                         set(eem_sensors))
        self.assertEqual('up', eem_sensors[base.EESV_ID]['Sensor Reading'])
        self.assertEqual('up,up',
                         eem_sensors[base.EESV_ID]['Notification Status 0'])
        self.assertEqual('up', eem_sensors[base.EESV_ID]['Link Status 0'])
        self.assertEqual('GPU', eem_sensors[base.EEIO_ID]['PCI Type'])
        self.assertEqual('down',
                         eem_sensors[base.OTHER_EEIO_ID]['Sensor Reading'])
        self.assertEqual('SSD', eem_sensors[base.OTHER_EEIO_ID]['PCI Type'])
        self.client.list_devices.assert_called_once_with(group_id='100')

    def test_sensors_eem_failure(self):
        self.client.get_device.side_effect = eem.EEMConnectionError(
            'GET', 'devices/x', 'refused')
        with task_manager.acquire(self.context, self.node.uuid) as task:
            self.assertRaises(exception.FailedToGetSensorData,
                              task.driver.management.get_sensors_data, task)


class RedfishManagementTestCase(base.DriverTestCase):

    driver_info = base.REDFISH_INFO

    @mock.patch.object(redfish_mgmt.RedfishManagement, 'get_boot_device',
                       autospec=True)
    @mock.patch.object(redfish_mgmt.RedfishManagement, 'set_boot_device',
                       autospec=True)
    @mock.patch.object(redfish_mgmt.RedfishManagement,
                       'get_supported_boot_devices', autospec=True,
                       return_value=[boot_devices.PXE, boot_devices.DISK])
    def test_boot_devices_delegated(self, mock_supported, mock_set,
                                    mock_get):
        mock_get.return_value = {'boot_device': boot_devices.PXE,
                                 'persistent': True}
        with task_manager.acquire(self.context, self.node.uuid) as task:
            mgmt = task.driver.management
            self.assertEqual([boot_devices.PXE, boot_devices.DISK],
                             mgmt.get_supported_boot_devices(task))
            mgmt.set_boot_device(task, boot_devices.PXE, persistent=True)
            mock_set.assert_called_once_with(mock.ANY, task,
                                             boot_devices.PXE,
                                             persistent=True)
            self.assertEqual(mock_get.return_value,
                             mgmt.get_boot_device(task))
        self.assertFalse(self.client.mock_calls)

    @mock.patch.object(redfish_mgmt.RedfishManagement, 'inject_nmi',
                       autospec=True)
    @mock.patch.object(redfish_mgmt.RedfishManagement, 'get_boot_mode',
                       autospec=True, return_value=boot_modes.UEFI)
    @mock.patch.object(redfish_mgmt.RedfishManagement, 'set_boot_mode',
                       autospec=True)
    @mock.patch.object(redfish_mgmt.RedfishManagement,
                       'get_supported_boot_modes', autospec=True,
                       return_value=[boot_modes.UEFI])
    def test_boot_modes_and_nmi_delegated(self, mock_modes, mock_set,
                                          mock_get, mock_nmi):
        with task_manager.acquire(self.context, self.node.uuid,
                                  shared=False) as task:
            mgmt = task.driver.management
            self.assertEqual([boot_modes.UEFI],
                             mgmt.get_supported_boot_modes(task))
            mgmt.set_boot_mode(task, boot_modes.UEFI)
            mock_set.assert_called_once_with(mock.ANY, task, boot_modes.UEFI)
            self.assertEqual(boot_modes.UEFI, mgmt.get_boot_mode(task))
            mgmt.inject_nmi(task)
            mock_nmi.assert_called_once_with(mock.ANY, task)
        self.assertFalse(self.client.mock_calls)

    def test_validate_checks_delegate_without_io(self):
        with mock.patch.object(redfish_utils, 'get_system',
                               autospec=True) as get_system:
            with task_manager.acquire(self.context, self.node.uuid) as task:
                task.driver.management.validate(task)
                task.node.driver_info = dict(base.REDFISH_INFO,
                                             redfish_auth_type='magic')
                self.assertRaises(exception.InvalidParameterValue,
                                  task.driver.management.validate, task)
        get_system.assert_not_called()

    @mock.patch.object(redfish_mgmt.RedfishManagement, 'get_sensors_data',
                       autospec=True)
    def test_sensors_merged(self, mock_sensors):
        mock_sensors.return_value = {'Fan': {'fan1': {'Sensor Reading': 1}}}
        self.devices(base.eesv(group_id=eem.EESV_DEFAULT_GROUP))
        with task_manager.acquire(self.context, self.node.uuid) as task:
            sensors = task.driver.management.get_sensors_data(task)
        self.assertEqual({'Fan', 'ExpEther'}, set(sensors))
        self.assertEqual([base.EESV_ID], list(sensors['ExpEther']))

    @mock.patch.object(redfish_mgmt.RedfishManagement, 'get_sensors_data',
                       autospec=True)
    def test_bmc_failure_keeps_eem_sensors(self, mock_sensors):
        mock_sensors.side_effect = exception.RedfishConnectionError(
            node=self.node.uuid, error='boom')
        self.devices(base.eesv())
        self.client.list_devices.return_value = [base.eesv()]
        with task_manager.acquire(self.context, self.node.uuid) as task:
            sensors = task.driver.management.get_sensors_data(task)
        self.assertEqual(['ExpEther'], list(sensors))

    @mock.patch.object(redfish_mgmt.RedfishManagement, 'get_sensors_data',
                       autospec=True)
    def test_eem_failure_keeps_bmc_sensors(self, mock_sensors):
        mock_sensors.return_value = {'Fan': {'fan1': {'Sensor Reading': 1}}}
        self.client.get_device.side_effect = eem.EEMServerError(
            'GET', 'devices/x', 500)
        with task_manager.acquire(self.context, self.node.uuid) as task:
            sensors = task.driver.management.get_sensors_data(task)
        self.assertEqual(['Fan'], list(sensors))

    @mock.patch.object(redfish_mgmt.RedfishManagement, 'get_sensors_data',
                       autospec=True)
    def test_both_fail(self, mock_sensors):
        mock_sensors.side_effect = exception.RedfishError(error='bmc boom')
        self.client.get_device.side_effect = eem.EEMServerError(
            'GET', 'devices/x', 500)
        with task_manager.acquire(self.context, self.node.uuid) as task:
            exc = self.assertRaises(
                exception.FailedToGetSensorData,
                task.driver.management.get_sensors_data, task)
        self.assertIn('bmc boom', str(exc))
        self.assertIn('HTTP 500', str(exc))
