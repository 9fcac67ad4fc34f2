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
from ironic.conductor import task_manager

from ironic_expether.drivers import vendor
from ironic_expether import eem
from ironic_expether.eem_access import utils
from ironic_expether.pool.db import api as pool_api
from ironic_expether.pool import podm as podm_api
from ironic_expether.tests.unit.drivers import base


class VendorTestCase(base.DriverTestCase):

    def test_interface_and_routes(self):
        with task_manager.acquire(self.context, self.node.uuid) as task:
            self.assertIsInstance(task.driver.vendor, vendor.ExpEtherVendor)
            routes = task.driver.vendor.vendor_routes
        self.assertEqual({'attach', 'detach', 'devices', 'release',
                          'register'}, set(routes))
        for name in ('attach', 'detach'):
            self.assertEqual(['POST'], routes[name]['http_methods'])
            self.assertFalse(routes[name]['async'])
            self.assertTrue(routes[name]['require_exclusive_lock'])
        self.assertEqual(['GET'], routes['devices']['http_methods'])
        self.assertFalse(routes['devices']['async'])
        self.assertFalse(routes['devices']['require_exclusive_lock'])

    def test_properties(self):
        self.assertEqual(utils.COMMON_PROPERTIES,
                         vendor.ExpEtherVendor().get_properties())

    def _validate(self, method, **kwargs):
        with task_manager.acquire(self.context, self.node.uuid) as task:
            return task.driver.vendor.validate(task, method=method,
                                               **kwargs)

    def test_validate_good(self):
        self._validate('attach', http_method='POST',
                       resource_id=base.EEIO_ID)
        self._validate('detach', http_method='POST',
                       resource_id=base.EEIO_ID.upper().replace('X', 'x'))
        self._validate('devices', http_method='GET')
        self._validate(None)
        self.mock_get_client.assert_not_called()

    def test_validate_bad_input(self):
        cases = [
            ('attach', {'resource_id': base.EEIO_ID, 'force': True},
             exception.InvalidParameterValue, 'force'),
            ('attach', {}, exception.MissingParameterValue, 'resource_id'),
            ('detach', {}, exception.MissingParameterValue, 'resource_id'),
            ('attach', {'resource_id': 'gpu0'},
             exception.InvalidParameterValue, 'resource_id'),
            ('detach', {'resource_id': 42},
             exception.InvalidParameterValue, 'resource_id'),
            ('devices', {'group_id': '100'},
             exception.InvalidParameterValue, 'group_id'),
            ('compose', {}, exception.InvalidParameterValue, 'compose'),
        ]
        for method, body, error, field in cases:
            exc = self.assertRaises(error, self._validate, method,
                                    http_method='POST', **body)
            self.assertEqual(400, exc.code)
            self.assertIn(field, str(exc))
        self.assertFalse(self.client.mock_calls)

    def test_validate_bad_driver_info(self):
        self.node.driver_info = {'eesv_id': base.EESV_ID}
        self.node.save()
        exc = self.assertRaises(exception.MissingParameterValue,
                                self._validate, 'devices')
        self.assertIn('eem_address', str(exc))

    def test_attach(self):
        self.devices(base.eesv(group_id='100'), base.eeio())
        self.client.list_devices.return_value = [base.eesv(group_id='100')]
        self.client.set_group.return_value = '100'
        with task_manager.acquire(self.context, self.node.uuid) as task:
            result = task.driver.vendor.attach(
                task, http_method='POST', resource_id=base.EEIO_ID)
        self.assertEqual('devices/%s' % base.EEIO_ID, result['resource_uri'])
        self.assertEqual(base.EESV_ID, result['node_id'])
        self.assertEqual(self.node.uuid, result['node_uuid'])
        self.assertEqual('100', result['pooled_group_id'])
        self.assertEqual('allocated', result['state'])
        self.client.set_group.assert_called_once_with(
            base.EEIO_ID, '100', update_time=1521117379726)
        # The client of the node's EEM (asked with its parsed driver_info).
        self.assertEqual(base.EEM_ADDRESS,
                         self.mock_get_client.call_args[0][0]['address'])

    def test_attach_eesv_in_default_group(self):
        self.devices(base.eesv(group_id=eem.EESV_DEFAULT_GROUP), base.eeio())
        self.client.set_group.side_effect = ['555', '555']
        with task_manager.acquire(self.context, self.node.uuid) as task:
            result = task.driver.vendor.attach(
                task, http_method='POST', resource_id=base.EEIO_ID)
        self.assertEqual('555', result['pooled_group_id'])
        self.assertEqual([mock.call(base.EESV_ID, None,
                                    update_time=1521117379726),
                          mock.call(base.EEIO_ID, '555',
                                    update_time=1521117379726)],
                         self.client.set_group.call_args_list)

    def test_attach_not_free(self):
        self.devices(base.eesv(), base.eeio(group_id='777'))
        with task_manager.acquire(self.context, self.node.uuid) as task:
            exc = self.assertRaises(exception.Conflict,
                                    task.driver.vendor.attach, task,
                                    http_method='POST',
                                    resource_id=base.EEIO_ID)
        self.assertEqual(409, exc.code)
        self.assertIn('not free', str(exc))
        self.client.set_group.assert_not_called()

    def test_attach_past_max(self):
        self.devices(base.eesv(max_eeio_count=1), base.eeio())
        self.client.list_devices.return_value = [
            base.eeio(eeid=base.OTHER_EEIO_ID, group_id='100')]
        with task_manager.acquire(self.context, self.node.uuid) as task:
            exc = self.assertRaises(exception.Conflict,
                                    task.driver.vendor.attach, task,
                                    http_method='POST',
                                    resource_id=base.EEIO_ID)
        self.assertIn('max_eeio_count', str(exc))
        self.client.set_group.assert_not_called()

    def test_attach_unknown_device(self):
        self.devices(base.eesv())
        with task_manager.acquire(self.context, self.node.uuid) as task:
            exc = self.assertRaises(exception.NotFound,
                                    task.driver.vendor.attach, task,
                                    http_method='POST',
                                    resource_id=base.EEIO_ID)
        self.assertEqual(404, exc.code)

    def _held_device(self, group_id='100'):
        with task_manager.acquire(self.context, self.node.uuid) as task:
            podm = podm_api.pod_manager_of_node(task.node)
        return pool_api.create_device(podm.uuid, {
            'eeid': base.EEIO_ID, 'type': 'GPU', 'group_id': group_id,
            'state': 'allocated', 'node_uuid': self.node.uuid,
            'purpose': 'composition'})

    def test_validate_refuses_what_the_pool_refuses(self):
        device = self._held_device()
        other = self.node.uuid.replace(self.node.uuid[:8], 'aaaaaaaa')
        cases = [
            # Held by this node: attach is a no-op, detach is fine.
            ('attach', base.EEIO_ID, None),
            ('detach', device.uuid, None),
            # Unknown to the pool: detach 404; attach of an EE id asks EEM.
            ('detach', base.OTHER_EEIO_ID, exception.NotFound),
            ('attach', base.OTHER_EEIO_ID, None),
            ('attach', '11111111-2222-3333-4444-555555555555',
             exception.NotFound),
        ]
        for method, ref, error in cases:
            if error is None:
                self._validate(method, http_method='POST', resource_id=ref)
            else:
                exc = self.assertRaises(error, self._validate, method,
                                        http_method='POST', resource_id=ref)
                self.assertIn(method, str(exc))
        pool_api.update_device(device.uuid, {'node_uuid': other})
        exc = self.assertRaises(exception.Conflict, self._validate,
                                'attach', http_method='POST',
                                resource_id=base.EEIO_ID)
        self.assertIn('not free', str(exc))
        self.assertIn(other, str(exc))
        exc = self.assertRaises(exception.Conflict, self._validate,
                                'detach', http_method='POST',
                                resource_id=device.uuid)
        self.assertIn('not attached to node %s' % self.node.uuid, str(exc))
        self.assertFalse(self.client.mock_calls)
        self.mock_get_client.assert_not_called()

    def test_detach(self):
        self._held_device()
        self.devices(base.eesv(), base.eeio(group_id='100'))
        self.client.list_devices.return_value = [base.eesv(),
                                                 base.eeio(group_id='100')]
        with task_manager.acquire(self.context, self.node.uuid) as task:
            result = task.driver.vendor.detach(
                task, http_method='POST', resource_id=base.EEIO_ID)
        self.assertEqual('free', result['state'])
        self.assertIsNone(result['node_id'])
        self.assertEqual(eem.EEIO_FREE_GROUP, result['pooled_group_id'])
        self.client.delete_group.assert_called_once_with(
            base.EEIO_ID, update_time=1521117379726)

    def test_detach_device_of_another_group(self):
        self._held_device()
        self.devices(base.eesv(), base.eeio(group_id='200'))
        self.client.list_devices.return_value = [base.eesv()]
        with task_manager.acquire(self.context, self.node.uuid) as task:
            exc = self.assertRaises(exception.Conflict,
                                    task.driver.vendor.detach, task,
                                    http_method='POST',
                                    resource_id=base.EEIO_ID)
        self.assertIn('not attached', str(exc))
        self.client.delete_group.assert_not_called()

    def test_devices(self):
        self.devices(base.eesv(group_id='100'))
        self.client.list_devices.return_value = [
            base.eesv(group_id='100'),
            base.eeio(eeid=base.OTHER_EEIO_ID, group_id='100', up=False,
                      class_code='0x010802', vendor='0x144d',
                      device='0xa808'),
            base.eeio(group_id='100')]
        with task_manager.acquire(self.context, self.node.uuid,
                                  shared=True) as task:
            result = task.driver.vendor.devices(task, http_method='GET')
        self.assertEqual(base.EESV_ID, result['eesv_id'])
        self.assertEqual('100', result['group_id'])
        self.assertEqual(16, result['max_eeio_count'])
        # Sorted by EE id.
        self.assertEqual([base.OTHER_EEIO_ID, base.EEIO_ID],
                         [d['id'] for d in result['devices']])
        ssd, gpu = result['devices']
        self.assertEqual('GPU', gpu['type'])
        self.assertEqual('up', gpu['state'])
        self.assertEqual('0x10de', gpu['pci_vendor_id'])
        self.assertEqual('100', gpu['group_id'])
        self.assertEqual('SSD', ssd['type'])
        self.assertEqual('down', ssd['state'])
        for key in ('vendor_name', 'device_name', 'engine_type'):
            self.assertIn(key, gpu)
        self.client.list_devices.assert_called_once_with(group_id='100')

    def test_devices_eem_down(self):
        self.client.get_device.side_effect = eem.EEMTimeout('GET', 'x', 3)
        with task_manager.acquire(self.context, self.node.uuid,
                                  shared=True) as task:
            exc = self.assertRaises(exception.TemporaryFailure,
                                    task.driver.vendor.devices, task,
                                    http_method='GET')
        self.assertIn(base.EEM_ADDRESS, str(exc))
        self.assertNotIn(base.SECRET, str(exc))
