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

"""Deploy step compose_devices and clean step release_devices."""

from ironic.common import exception
from ironic.conductor import task_manager

from ironic_expether.pool import compose
from ironic_expether.pool.db import api
from ironic_expether.tests.unit.drivers import base
from ironic_expether.tests.unit.pool import fakes


class DeviceStepsTestCase(base.ComposeTestCase):

    def setUp(self):
        super().setUp()
        self.fabric.add_eesv(1)
        self.add_pool_devices(self.podm, [(1, 'NIC'), (2, 'GPU'),
                                          (3, 'GPU')])
        self.node = compose.compose(self.context, 'n1',
                                    podm_uuid=self.podm.uuid, types=['NIC'])

    def test_steps_are_declared(self):
        self.config(release_devices_clean_step_priority=42, group='expether')
        with task_manager.acquire(self.context, self.node.uuid) as task:
            deploy = task.driver.vendor.get_deploy_steps(task)
            clean = task.driver.vendor.get_clean_steps(task)
        step, = [s for s in deploy if s['step'] == 'compose_devices']
        self.assertEqual(0, step['priority'])
        self.assertTrue(step['argsinfo']['pci_device']['required'])
        step, = [s for s in clean if s['step'] == 'release_devices']
        self.assertEqual(42, step['priority'])
        self.assertFalse(step['requires_ramdisk'])

    def test_deploy_attaches_and_clean_returns_exactly_those(self):
        with task_manager.acquire(self.context, self.node.uuid) as task:
            task.driver.vendor.compose_devices(
                task, pci_device={'type': ['GPU', 'GPU']})
        deployment = api.list_devices(node_uuid=self.node.uuid,
                                      purpose='deployment')
        self.assertEqual(['GPU', 'GPU'], [d.type for d in deployment])
        with task_manager.acquire(self.context, self.node.uuid) as task:
            task.driver.vendor.release_devices(task)
        held = api.list_devices(node_uuid=self.node.uuid)
        self.assertEqual([('NIC', 'composition')],
                         [(d.type, d.purpose) for d in held])
        for device in deployment:
            self.assertEqual('4093', self.fabric.group(device.eeid))
            self.assertEqual('free', api.get_device(device.uuid).state)

    def test_deploy_step_rolls_back(self):
        # The server already has a group: one PUT per device; 2nd fails.
        self.fabric.fail_set_group_at = self.fabric.set_group_calls + 2
        with task_manager.acquire(self.context, self.node.uuid) as task:
            self.assertRaises(exception.TemporaryFailure,
                              task.driver.vendor.compose_devices, task,
                              pci_device={'type': ['GPU', 'GPU']})
        self.assertEqual([], api.list_devices(purpose='deployment'))
        for n in (2, 3):
            self.assertEqual('4093', self.fabric.group(fakes.eeio_id(n)))

    def test_deploy_step_bad_argument(self):
        with task_manager.acquire(self.context, self.node.uuid) as task:
            for arg in (None, {'type': ['FPGA']}, {'types': ['GPU']}):
                exc = self.assertRaises(exception.InvalidParameterValue,
                                        task.driver.vendor.compose_devices,
                                        task, pci_device=arg)
                self.assertIn('pci_device', str(exc))
