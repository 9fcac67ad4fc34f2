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

from ironic.common import exception
from ironic.common import states
from ironic.conductor import task_manager
from ironic.drivers.modules import ipmitool
from ironic.drivers.modules.redfish import management as redfish_mgmt
from ironic.drivers.modules.redfish import power as redfish_power
from ironic.drivers.modules.redfish import utils as redfish_utils

from ironic_expether.drivers import power
from ironic_expether.eem_access import utils
from ironic_expether.tests.unit.drivers import base


class NoBMCPowerTestCase(base.DriverTestCase):

    def test_interface_loaded(self):
        with task_manager.acquire(self.context, self.node.uuid) as task:
            self.assertIsInstance(task.driver.power, power.ExpEtherPower)

    def test_properties(self):
        props = power.ExpEtherPower().get_properties()
        for key in utils.COMMON_PROPERTIES:
            self.assertEqual(utils.COMMON_PROPERTIES[key], props[key])
        for key in ('redfish_address', 'redfish_password', 'ipmi_address',
                    'ipmi_password'):
            self.assertIn(key, props)
        self.assertIn('Optional', props['redfish_address'])

    def test_validate_no_network_io(self):
        with task_manager.acquire(self.context, self.node.uuid) as task:
            task.driver.power.validate(task)
        self.mock_get_client.assert_not_called()
        self.assertFalse(self.client.mock_calls)

    def test_validate_bad_driver_info(self):
        self.node.driver_info = dict(base.INFO, eesv_id='nope')
        self.node.save()
        with task_manager.acquire(self.context, self.node.uuid) as task:
            exc = self.assertRaises(exception.InvalidParameterValue,
                                    task.driver.power.validate, task)
        self.assertIn('eesv_id', str(exc))

    def test_get_power_state_from_eem(self):
        for status, expected in (('on', states.POWER_ON),
                                 ('off', states.POWER_OFF),
                                 ('unknown', states.ERROR)):
            self.devices(base.eesv(power=status))
            with task_manager.acquire(self.context, self.node.uuid,
                                      shared=True) as task:
                self.assertEqual(expected,
                                 task.driver.power.get_power_state(task))
        self.client.get_device.assert_called_with(base.EESV_ID)

    def test_set_power_state_needs_bmc(self):
        with task_manager.acquire(self.context, self.node.uuid) as task:
            exc = self.assertRaises(exception.InvalidParameterValue,
                                    task.driver.power.set_power_state,
                                    task, states.POWER_ON)
            self.assertEqual(400, exc.code)
            self.assertIn('BMC', str(exc))
            self.assertIn('redfish_address', str(exc))
            self.assertIn('ipmi_address', str(exc))
            self.assertRaises(exception.InvalidParameterValue,
                              task.driver.power.reboot, task)
        self.assertFalse(self.client.mock_calls)

    def test_supported_power_states_refused(self):
        # The conductor asks this synchronously before a change: the API
        # answers 400 with the reason.
        with task_manager.acquire(self.context, self.node.uuid) as task:
            exc = self.assertRaises(
                exception.InvalidParameterValue,
                task.driver.power.get_supported_power_states, task)
        self.assertIn('BMC', str(exc))

    def test_supports_power_sync(self):
        with task_manager.acquire(self.context, self.node.uuid) as task:
            self.assertFalse(task.driver.power.supports_power_sync(task))

    def test_exclusive_lock_required(self):
        with task_manager.acquire(self.context, self.node.uuid,
                                  shared=True) as task:
            self.assertRaises(exception.ExclusiveLockRequired,
                              task.driver.power.set_power_state, task,
                              states.POWER_ON)


class RedfishPowerTestCase(base.DriverTestCase):

    driver_info = base.REDFISH_INFO

    def test_validate_checks_delegate_without_io(self):
        with mock.patch.object(redfish_utils, 'get_system',
                               autospec=True) as get_system:
            with task_manager.acquire(self.context, self.node.uuid) as task:
                task.driver.power.validate(task)
                task.node.driver_info = dict(base.REDFISH_INFO,
                                             redfish_verify_ca='maybe')
                exc = self.assertRaises(exception.InvalidParameterValue,
                                        task.driver.power.validate, task)
                self.assertIn('redfish_verify_ca', str(exc))
        get_system.assert_not_called()
        self.mock_get_client.assert_not_called()

    @mock.patch.object(redfish_power.RedfishPower, 'get_power_state',
                       autospec=True, return_value=states.POWER_OFF)
    def test_get_power_state(self, mock_get):
        with task_manager.acquire(self.context, self.node.uuid,
                                  shared=True) as task:
            self.assertEqual(states.POWER_OFF,
                             task.driver.power.get_power_state(task))
            mock_get.assert_called_once_with(mock.ANY, task)
        self.assertFalse(self.client.mock_calls)

    @mock.patch.object(redfish_power.RedfishPower, 'set_power_state',
                       autospec=True)
    def test_set_power_state(self, mock_set):
        with task_manager.acquire(self.context, self.node.uuid) as task:
            task.driver.power.set_power_state(task, states.POWER_ON,
                                              timeout=10)
            mock_set.assert_called_once_with(mock.ANY, task,
                                             states.POWER_ON, timeout=10)

    @mock.patch.object(redfish_power.RedfishPower, 'reboot', autospec=True)
    def test_reboot(self, mock_reboot):
        with task_manager.acquire(self.context, self.node.uuid) as task:
            task.driver.power.reboot(task, timeout=5)
            mock_reboot.assert_called_once_with(mock.ANY, task, timeout=5)

    @mock.patch.object(redfish_mgmt.RedfishManagement, 'restore_boot_device',
                       autospec=True)
    @mock.patch.object(redfish_utils, 'get_system', autospec=True)
    @mock.patch.object(redfish_power.RedfishPower, 'set_power_state',
                       autospec=True)
    def test_restores_remembered_boot_device(self, mock_set, mock_system,
                                             mock_restore):
        self.node.set_driver_internal_info('redfish_boot_device', 'pxe')
        self.node.save()
        with task_manager.acquire(self.context, self.node.uuid) as task:
            task.driver.power.set_power_state(task, states.POWER_ON)
            mock_restore.assert_called_once_with(
                mock.ANY, task, mock_system.return_value)
            task.driver.power.set_power_state(task, states.POWER_OFF)
        self.assertEqual(1, mock_restore.call_count)
        self.assertEqual(2, mock_set.call_count)

    def test_supported_power_states_and_sync(self):
        with task_manager.acquire(self.context, self.node.uuid) as task:
            self.assertEqual(
                redfish_power.RedfishPower().get_supported_power_states(task),
                task.driver.power.get_supported_power_states(task))
            self.assertTrue(task.driver.power.supports_power_sync(task))


class IPMIPowerTestCase(base.DriverTestCase):

    driver_info = base.IPMI_INFO

    @mock.patch.object(ipmitool.IPMIPower, 'get_power_state', autospec=True,
                       return_value=states.POWER_ON)
    @mock.patch.object(ipmitool, '_constructor_checks', autospec=True)
    def test_built_lazily_once(self, mock_checks, mock_get):
        with task_manager.acquire(self.context, self.node.uuid) as task:
            mock_checks.assert_not_called()
            self.assertEqual(states.POWER_ON,
                             task.driver.power.get_power_state(task))
            task.driver.power.get_power_state(task)
        mock_checks.assert_called_once_with(driver='IPMIPower')
        self.assertEqual(2, mock_get.call_count)

    @mock.patch.object(ipmitool, '_constructor_checks', autospec=True)
    def test_without_ipmitool_is_400(self, mock_checks):
        # What Ironic raises when the ipmitool binary is missing.
        mock_checks.side_effect = exception.DriverLoadError(
            driver='IPMIPower', reason='Unable to locate usable ipmitool '
            'command in the system path')
        with task_manager.acquire(self.context, self.node.uuid) as task:
            for call in (lambda: task.driver.power.validate(task),
                         lambda: task.driver.power.get_power_state(task),
                         lambda: task.driver.power.set_power_state(
                             task, states.POWER_OFF),
                         lambda: task.driver.power.reboot(task),
                         lambda: task.driver.power.
                         get_supported_power_states(task)):
                exc = self.assertRaises(exception.InvalidParameterValue,
                                        call)
                self.assertEqual(400, exc.code)
                self.assertIn('ipmi_address', str(exc))
                self.assertIn('Unable to locate usable ipmitool', str(exc))
                self.assertNotIn('calvin', str(exc))
        # Not remembered: installing ipmitool fixes it without a restart.
        self.assertEqual(5, mock_checks.call_count)

    @mock.patch.object(ipmitool.IPMIPower, 'set_power_state', autospec=True)
    @mock.patch.object(ipmitool, '_constructor_checks', autospec=True)
    def test_set_power_state(self, mock_checks, mock_set):
        with task_manager.acquire(self.context, self.node.uuid) as task:
            task.driver.power.set_power_state(task, states.POWER_OFF)
            mock_set.assert_called_once_with(mock.ANY, task,
                                             states.POWER_OFF, timeout=None)
            self.assertTrue(task.driver.power.supports_power_sync(task))

    @mock.patch.object(ipmitool, '_constructor_checks', autospec=True)
    def test_validate_checks_delegate(self, mock_checks):
        with task_manager.acquire(self.context, self.node.uuid) as task:
            task.driver.power.validate(task)
            task.node.driver_info = dict(base.IPMI_INFO, ipmi_port='x')
            self.assertRaises(exception.InvalidParameterValue,
                              task.driver.power.validate, task)
