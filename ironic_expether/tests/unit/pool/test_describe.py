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

"""One rule for a node's device properties and its owned traits."""

from ironic import objects
from ironic.tests.unit.objects import utils as obj_utils

from ironic_expether.pool.db import api
from ironic_expether.pool.db import models
from ironic_expether.pool.db import session
from ironic_expether.pool import describe
from ironic_expether.tests.unit.pool import base
from ironic_expether.tests.unit.pool import test_discovery

OPERATOR_TRAITS = ['CUSTOM_EXPETHER_ADD_GPU', 'CUSTOM_EXPETHER_GPU_X2',
                   'CUSTOM_RACK_7']


class OwnedTraitsTestCase(base.PoolTestCase):

    def test_owned_traits_are_one_per_device_type(self):
        self.assertEqual(
            {'CUSTOM_EXPETHER_SSD', 'CUSTOM_EXPETHER_NIC',
             'CUSTOM_EXPETHER_GPU', 'CUSTOM_EXPETHER_MULTI',
             'CUSTOM_EXPETHER_USB', 'CUSTOM_EXPETHER_ACS',
             'CUSTOM_EXPETHER_SWITCH', 'CUSTOM_EXPETHER_UNKNOWN'},
            describe.OWNED_TRAITS)
        for trait in OPERATOR_TRAITS:
            self.assertNotIn(trait, describe.OWNED_TRAITS)


class DescribeDevicesTestCase(base.PoolTestCase):

    def setUp(self):
        super().setUp()
        self.podm = self.create_podm()
        self.node_uuid = '1be26c0b-03f2-4d2e-ae87-c02d7f33c781'

    def _device(self, n, type, state, purpose=models.PURPOSE_COMPOSITION):
        return api.create_device(self.podm.uuid, {
            'eeid': '0x0000000000%02x' % n, 'type': type, 'state': state,
            'node_uuid': self.node_uuid, 'purpose': purpose,
            'vendor_name': 'V%d' % n, 'device_name': 'D%d' % n})

    def test_only_allocated_composition_devices_are_listed(self):
        devices = [
            self._device(3, 'SSD', models.DEVICE_ALLOCATED),
            self._device(1, 'GPU', models.DEVICE_ALLOCATED),
            self._device(2, 'NIC', models.DEVICE_MISSING),
            self._device(4, 'USB', models.DEVICE_CLAIMED),
            self._device(5, 'ACS', models.DEVICE_ALLOCATED,
                         purpose=models.PURPOSE_DEPLOYMENT),
        ]
        description = describe.describe_devices(devices)
        self.assertEqual(
            [{'uuid': devices[1].uuid, 'id': '0x000000000001',
              'type': 'GPU', 'vendor_name': 'V1', 'device_name': 'D1'},
             {'uuid': devices[0].uuid, 'id': '0x000000000003',
              'type': 'SSD', 'vendor_name': 'V3', 'device_name': 'D3'}],
            description.devices)
        self.assertEqual({'CUSTOM_EXPETHER_GPU', 'CUSTOM_EXPETHER_SSD'},
                         description.traits)

    def test_device_without_type_is_listed_without_trait(self):
        device = self._device(1, None, models.DEVICE_ALLOCATED)
        description = describe.describe_devices([device])
        self.assertEqual(['0x000000000001'],
                         [d['id'] for d in description.devices])
        self.assertEqual(set(), description.traits)

    def test_nothing_held(self):
        self.assertEqual(([], set()), describe.describe_devices([]))

    def test_shows(self):
        device = self._device(1, 'GPU', models.DEVICE_ALLOCATED)
        description = describe.describe_devices([device])
        properties = {describe.DEVICES_PROPERTY: description.devices,
                      'cpus': 8}
        self.assertTrue(describe.shows(properties, {'CUSTOM_EXPETHER_GPU'},
                                       description))
        self.assertFalse(describe.shows(properties, set(), description))
        self.assertFalse(describe.shows({}, {'CUSTOM_EXPETHER_GPU'},
                                        description))
        self.assertTrue(describe.shows({}, set(),
                                       describe.describe_devices([])))


class UpdateNodeTestCase(base.PoolTestCase):

    def setUp(self):
        super().setUp()
        self.podm = self.create_podm()
        self.node = obj_utils.create_test_node(
            self.context, properties={'cpus': 8})
        for trait in OPERATOR_TRAITS:
            objects.Trait(self.context, node_id=self.node.id, trait=trait,
                          version='1.0').create()

    def _traits(self):
        return sorted(objects.TraitList.get_by_node_id(
            self.context, self.node.id).get_trait_names())

    def _hold(self, n, type, state=models.DEVICE_ALLOCATED):
        return api.create_device(self.podm.uuid, {
            'eeid': '0x0000000000%02x' % n, 'type': type, 'state': state,
            'node_uuid': self.node.uuid,
            'purpose': models.PURPOSE_COMPOSITION})

    def test_owned_traits_follow_devices_operator_traits_stay(self):
        gpu = self._hold(1, 'GPU')
        self._hold(2, 'NIC', state=models.DEVICE_MISSING)
        change = describe.update_node(self.node)
        self.assertEqual(describe.Change([], ['0x000000000001'],
                                         ['CUSTOM_EXPETHER_GPU']), change)
        self.assertEqual(sorted(OPERATOR_TRAITS + ['CUSTOM_EXPETHER_GPU']),
                         self._traits())
        self.node.refresh()
        self.assertEqual(8, self.node.properties['cpus'])
        self.assertEqual(['0x000000000001'], [
            d['id'] for d in
            self.node.properties[describe.DEVICES_PROPERTY]])
        # Nothing changed: nothing written.
        # (The pool shares Ironic's engine in these tests.)
        with test_discovery.WriteCounter(session.get_engine()) as writes:
            self.assertIsNone(describe.update_node(self.node))
        self.assertEqual([], writes.statements)
        # The GPU leaves: its trait goes, the operator's stay.
        api.update_device(gpu.uuid, {'state': models.DEVICE_FREE,
                                     'node_uuid': None, 'purpose': None})
        change = describe.update_node(self.node)
        self.assertEqual(describe.Change(['0x000000000001'], [], []),
                         change)
        self.assertEqual(sorted(OPERATOR_TRAITS), self._traits())
        self.node.refresh()
        self.assertEqual({'cpus': 8}, self.node.properties)

    def test_stale_owned_trait_removed(self):
        objects.Trait(self.context, node_id=self.node.id,
                      trait='CUSTOM_EXPETHER_SSD', version='1.0').create()
        self.assertIsNotNone(describe.update_node(self.node))
        self.assertEqual(sorted(OPERATOR_TRAITS), self._traits())
