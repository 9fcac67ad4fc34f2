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

from ironic.common import driver_factory
from ironic.conductor import task_manager
from ironic.drivers.modules import fake
from ironic.drivers.modules import noop

from ironic_expether.drivers import hardware
from ironic_expether.drivers import management
from ironic_expether.drivers import power
from ironic_expether.drivers import vendor
from ironic_expether.tests.unit.drivers import base


class HardwareTestCase(base.DriverTestCase):

    def test_entry_point(self):
        hw = driver_factory.get_hardware_type('expether')
        self.assertIsInstance(hw, hardware.ExpEtherHardware)

    def test_expether_interfaces_first(self):
        hw = hardware.ExpEtherHardware()
        self.assertIs(power.ExpEtherPower, hw.supported_power_interfaces[0])
        self.assertIs(management.ExpEtherManagement,
                      hw.supported_management_interfaces[0])
        self.assertEqual([vendor.ExpEtherVendor, noop.NoVendor],
                         hw.supported_vendor_interfaces)
        self.assertIs(fake.FakeBoot, hw.supported_boot_interfaces[-1])
        self.assertIs(fake.FakeDeploy, hw.supported_deploy_interfaces[-1])
        self.assertNotIn(fake.FakeBoot, hw.supported_boot_interfaces[:-1])

    def test_node_interfaces(self):
        with task_manager.acquire(self.context, self.node.uuid) as task:
            self.assertIsInstance(task.driver.power, power.ExpEtherPower)
            self.assertIsInstance(task.driver.management,
                                  management.ExpEtherManagement)
            self.assertIsInstance(task.driver.vendor, vendor.ExpEtherVendor)
            self.assertIsInstance(task.driver.boot, fake.FakeBoot)
            self.assertIsInstance(task.driver.deploy, fake.FakeDeploy)

    def test_generic_defaults_win_when_enabled(self):
        self.config(enabled_boot_interfaces=['fake', 'pxe'],
                    enabled_deploy_interfaces=['fake', 'direct'])
        hw = driver_factory.get_hardware_type('expether')
        self.assertEqual('pxe', driver_factory.default_interface(hw, 'boot'))
        self.assertEqual('direct',
                         driver_factory.default_interface(hw, 'deploy'))

    def test_vendor_not_forced(self):
        self.config(enabled_vendor_interfaces=['no-vendor'],
                    enabled_management_interfaces=['noop'],
                    enabled_power_interfaces=['expether'])
        hw = driver_factory.get_hardware_type('expether')
        self.assertEqual('no-vendor',
                         driver_factory.default_interface(hw, 'vendor'))
        self.assertEqual('noop',
                         driver_factory.default_interface(hw, 'management'))
