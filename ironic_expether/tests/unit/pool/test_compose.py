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

"""Composition: server engine choice, device attachment, rollback, manage."""

from unittest import mock

from ironic.common import exception
from ironic.common import states
from ironic import objects

from ironic_expether import eem
from ironic_expether.pool import claims
from ironic_expether.pool import compose
from ironic_expether.pool.db import api
from ironic_expether.pool import podm as podm_api
from ironic_expether.tests.unit.pool import fakes


class ComposeTestCase(fakes.ComposeTestCase):

    def _pool_state(self):
        return {d.eeid: (d.state, d.node_uuid) for d in api.list_devices()}

    def test_compose_creates_node_with_devices(self):
        sv = self.fabric.add_eesv(1)
        self.add_pool_devices(self.podm, [(1, 'GPU'), (2, 'GPU'),
                                          (3, 'NIC')])
        node = compose.compose(self.context, 'node1',
                               podm_uuid=self.podm.uuid,
                               types=['GPU', 'GPU'], description='two gpus')
        self.assertEqual(podm_api.node_uuid_for(self.podm.uuid, sv),
                         node.uuid)
        self.assertEqual('node1', node.name)
        self.assertEqual('expether', node.driver)
        self.assertEqual('two gpus', node.description)
        self.assertEqual(states.ENROLL, node.provision_state)
        self.assertIsNone(node.reservation)
        self.assertEqual({'eem_address': fakes.EEM_URL, 'eesv_id': sv,
                          'eem_username': 'admin',
                          'eem_password': fakes.PASSWORD},
                         node.driver_info)
        listed = node.properties[compose.DEVICES_PROPERTY]
        self.assertEqual(['GPU', 'GPU'], [d['type'] for d in listed])
        self.assertEqual({'CUSTOM_EXPETHER_GPU'}, set(
            objects.TraitList.get_by_node_id(self.context, node.id)
            .get_trait_names()))
        held = api.list_devices(node_uuid=node.uuid)
        self.assertEqual(2, len(held))
        for device in held:
            self.assertEqual('allocated', device.state)
            self.assertEqual('composition', device.purpose)
            # EEM agrees: the device is in the server's group.
            self.assertEqual(self.fabric.group(sv),
                             self.fabric.group(device.eeid))
        self.assertEqual('4093', self.fabric.group(fakes.eeio_id(3)))

    def test_compose_without_devices(self):
        self.fabric.add_eesv(1)
        node = compose.compose(self.context, 'bare', podm_uuid=None)
        self.assertEqual([], api.list_devices(node_uuid=node.uuid))
        self.assertNotIn(compose.DEVICES_PROPERTY, node.properties)

    def test_compose_rolls_back_on_eem_failure(self):
        sv = self.fabric.add_eesv(1)
        self.add_pool_devices(self.podm, [(1, 'GPU'), (2, 'SSD')])
        # 1st PUT: the server gets a group; 2nd: first device; 3rd fails.
        self.fabric.fail_set_group_at = 3
        self.assertRaises(exception.TemporaryFailure, compose.compose,
                          self.context, 'node1', podm_uuid=self.podm.uuid,
                          types=['GPU', 'SSD'])
        for eeid, (state, holder) in self._pool_state().items():
            self.assertEqual(('free', None), (state, holder), eeid)
            self.assertEqual('4093', self.fabric.group(eeid))
        self.assertRaises(exception.NodeNotFound, objects.Node.get_by_uuid,
                          self.context,
                          podm_api.node_uuid_for(self.podm.uuid, sv))
        self.assertEqual([], objects.Node.list(self.context))

    def test_compose_not_enough_devices_touches_nothing(self):
        self.fabric.add_eesv(1)
        self.add_pool_devices(self.podm, [(1, 'GPU')])
        exc = self.assertRaises(exception.Conflict, compose.compose,
                                self.context, 'node1',
                                podm_uuid=self.podm.uuid,
                                types=['GPU', 'GPU'])
        self.assertIn('GPU', str(exc))
        self.assertEqual(0, self.fabric.set_group_calls)
        self.assertEqual([], objects.Node.list(self.context))

    def test_compose_stays_within_pod_manager(self):
        other = self.create_podm()
        self.fabric.add_eesv(1)
        self.add_pool_devices(other, [(1, 'GPU')])
        self.assertRaises(exception.Conflict, compose.compose,
                          self.context, 'node1', podm_uuid=self.podm.uuid,
                          types=['GPU'])
        self.assertEqual('free', api.list_devices()[0].state)

    def test_compose_skips_unhealthy_and_used_servers(self):
        self.fabric.add_eesv(1, up=False)
        self.fabric.add_eesv(2, group_id='200')
        self.fabric.add_eeio(50, group_id='200')   # someone else's device
        self.fabric.add_eesv(3, max_eeio_count=0)
        self.enroll(4, instance_uuid='a2e4e4a2-7d9f-4c71-8cf5-4e0f3d2a1b11')
        self.enroll(5, maintenance=True)
        good = self.fabric.add_eesv(6)
        self.add_pool_devices(self.podm, [(1, 'NIC')])
        for n in (4, 5):
            self.fabric.add_eesv(n)
        node = compose.compose(self.context, 'n1', podm_uuid=self.podm.uuid,
                               types=['NIC'])
        self.assertEqual(good, node.driver_info['eesv_id'])

    def test_compose_skips_enrolled_node_holding_devices(self):
        held = self.enroll(1)
        self.fabric.add_eesv(1)
        self.add_pool_devices(self.podm, [(1, 'NIC')])
        api.update_device(api.list_devices()[0].uuid,
                          {'state': 'allocated', 'node_uuid': held.uuid,
                           'purpose': 'composition'})
        exc = self.assertRaises(exception.Conflict, compose.compose,
                                self.context, 'n1', podm_uuid=self.podm.uuid)
        self.assertIn('no free server engine', str(exc))

    def test_compose_reuses_idle_enrolled_node(self):
        existing = self.enroll(1, provision_state=states.MANAGEABLE)
        self.fabric.add_eesv(1)
        self.add_pool_devices(self.podm, [(1, 'SSD')])
        node = compose.compose(self.context, 'reused',
                               podm_uuid=self.podm.uuid, types=['SSD'])
        self.assertEqual(existing.uuid, node.uuid)
        self.assertEqual('reused', node.name)
        self.assertIsNone(node.reservation)
        self.assertEqual(1, len(objects.Node.list(self.context)))
        self.assertEqual(1, len(api.list_devices(node_uuid=node.uuid)))

    def test_compose_skips_locked_enrolled_node(self):
        self.enroll(1, reservation='other-conductor')
        self.fabric.add_eesv(1)
        self.assertRaises(exception.Conflict, compose.compose, self.context,
                          'n1', podm_uuid=self.podm.uuid)

    def test_compose_lost_race_for_server_takes_another(self):
        # Another request created the node of engine 1 meanwhile (its
        # driver_info is not visible yet in our listing): the unique uuid
        # makes us move on to engine 2.
        sv1 = self.fabric.add_eesv(1)
        sv2 = self.fabric.add_eesv(2)
        self.enroll(9, uuid=podm_api.node_uuid_for(self.podm.uuid, sv1),
                    driver_info={})
        with mock.patch.object(podm_api, 'nodes_of_pod_manager',
                               autospec=True,
                               side_effect=lambda c, p: {}):
            with mock.patch.object(
                    compose.random, 'random', autospec=True,
                    side_effect=[0.1, 0.9]):
                node = compose.compose(self.context, 'n1',
                                       podm_uuid=self.podm.uuid)
        self.assertEqual(sv2, node.driver_info['eesv_id'])

    def test_selection_is_not_eem_order(self):
        for n in range(1, 6):
            self.fabric.add_eesv(n)
        devices = self.fabric.list_devices()
        firsts = {compose.select_candidates(devices, {}, 0)[0][0].id
                  for _ in range(60)}
        self.assertGreater(len(firsts), 1)

    def test_selection_prefers_fewest_used(self):
        devices = [eem.Device(r) for r in (
            {'id': fakes.eesv_id(1), 'status': 'eesv', 'group_id': '300'},
            {'id': fakes.eeio_id(1), 'status': 'eeio', 'group_id': '300'},
            {'id': fakes.eesv_id(2), 'status': 'eesv', 'group_id': '4094'})]
        ranked = compose.select_candidates(devices, {}, 1)
        self.assertEqual([fakes.eesv_id(2)], [e.id for e, _n in ranked])

    def test_compose_bad_name_and_duplicate_name(self):
        self.fabric.add_eesv(1)
        exc = self.assertRaises(exception.InvalidParameterValue,
                                compose.compose, self.context, 'no spaces',
                                podm_uuid=self.podm.uuid)
        self.assertIn('name', str(exc))
        self.enroll(2, name='taken')
        self.assertRaises(exception.DuplicateName, compose.compose,
                          self.context, 'taken', podm_uuid=self.podm.uuid)

    def test_compose_unknown_podm(self):
        exc = self.assertRaises(
            exception.NotFound, compose.compose, self.context, 'n',
            podm_uuid='11111111-1111-1111-1111-111111111111')
        self.assertIn('podm_id', str(exc))

    def test_podm_required_when_several(self):
        self.create_podm()
        exc = self.assertRaises(exception.MissingParameterValue,
                                compose.compose, self.context, 'n')
        self.assertIn('podm_id', str(exc))

    def test_requested_types_from_flavor(self):
        flavor = api.create_flavor({'name': 'f', 'properties': {
            'pci_device': {'type': ['NIC', 'GPU']}}})
        self.assertEqual(['NIC', 'GPU'], compose.requested_types(
            self.context, flavor_id=flavor.uuid))
        exc = self.assertRaises(
            exception.NotFound, compose.requested_types, self.context,
            flavor_id='11111111-1111-1111-1111-111111111111')
        self.assertIn('flavor_id', str(exc))

    def test_describe_node_removes_gone_traits(self):
        node = self.enroll(1)
        objects.Trait(self.context, node_id=node.id,
                      trait='CUSTOM_EXPETHER_GPU', version='1.0').create()
        objects.Trait(self.context, node_id=node.id, trait='CUSTOM_OTHER',
                      version='1.0').create()
        compose.describe_node(node)
        self.assertEqual(['CUSTOM_OTHER'], objects.TraitList.get_by_node_id(
            self.context, node.id).get_trait_names())

    def _traits(self, node):
        return sorted(objects.TraitList.get_by_node_id(
            self.context, node.id).get_trait_names())

    def test_operator_traits_survive_compose_and_release(self):
        # The operator's trait naming a deploy template that runs the
        # compose_devices step shares the prefix; it is not the plugin's.
        existing = self.enroll(1, provision_state=states.AVAILABLE)
        for trait in ('CUSTOM_EXPETHER_ADD_GPU', 'CUSTOM_RACK_7'):
            objects.Trait(self.context, node_id=existing.id, trait=trait,
                          version='1.0').create()
        self.fabric.add_eesv(1)
        self.add_pool_devices(self.podm, [(1, 'SSD'), (2, 'NIC')])
        node = compose.compose(self.context, 'ops', podm_uuid=self.podm.uuid,
                               types=['SSD', 'NIC'])
        self.assertEqual(existing.uuid, node.uuid)
        self.assertEqual(['CUSTOM_EXPETHER_ADD_GPU', 'CUSTOM_EXPETHER_NIC',
                          'CUSTOM_EXPETHER_SSD', 'CUSTOM_RACK_7'],
                         self._traits(node))
        nic = api.list_devices(node_uuid=node.uuid, type='NIC')[0]
        claims.release(node, [nic.uuid])
        compose.describe_node(node)
        self.assertEqual(['CUSTOM_EXPETHER_ADD_GPU', 'CUSTOM_EXPETHER_SSD',
                          'CUSTOM_RACK_7'], self._traits(node))
        claims.release(node)
        compose.describe_node(node)
        self.assertEqual(['CUSTOM_EXPETHER_ADD_GPU', 'CUSTOM_RACK_7'],
                         self._traits(node))
        node.refresh()
        self.assertNotIn(compose.DEVICES_PROPERTY, node.properties)

    def test_missing_device_not_listed(self):
        # Same rule as discovery: a device EEM no longer reports is still
        # held by the node but neither listed nor in the traits.
        self.fabric.add_eesv(1)
        self.add_pool_devices(self.podm, [(1, 'GPU'), (2, 'SSD')])
        node = compose.compose(self.context, 'n1', podm_uuid=self.podm.uuid,
                               types=['GPU', 'SSD'])
        ssd = api.list_devices(node_uuid=node.uuid, type='SSD')[0]
        api.update_device(ssd.uuid, {'state': 'missing'})
        compose.describe_node(node)
        node.refresh()
        self.assertEqual(['GPU'], [
            d['type'] for d in node.properties[compose.DEVICES_PROPERTY]])
        self.assertEqual(['CUSTOM_EXPETHER_GPU'], self._traits(node))
        self.assertEqual(node.uuid, api.get_device(ssd.uuid).node_uuid)


class ManageTestCase(fakes.ComposeTestCase):

    def test_manage_adopts_group_devices(self):
        sv = self.fabric.add_eesv(1, group_id='300')
        self.fabric.add_eeio(1, 'GPU', group_id='300')
        self.add_pool_devices(self.podm, [(2, 'SSD')])
        api.update_device(api.list_devices()[0].uuid,
                          {'group_id': '300', 'state': 'allocated'})
        self.fabric.raw[fakes.eeio_id(2)]['group_id'] = '300'
        node = compose.manage(self.context, sv.upper().replace('X', 'x'),
                              podm_uuid=self.podm.uuid)
        self.assertEqual(sv, node.name)
        self.assertEqual(sv, node.driver_info['eesv_id'])
        self.assertIsNone(node.reservation)
        held = api.list_devices(node_uuid=node.uuid)
        self.assertEqual({fakes.eeio_id(1), fakes.eeio_id(2)},
                         {d.eeid for d in held})
        self.assertEqual({'GPU', 'SSD'}, {d.type for d in held})
        # Adopted, not moved.
        self.assertEqual(0, self.fabric.set_group_calls)

    def test_manage_twice_is_409(self):
        sv = self.fabric.add_eesv(1)
        compose.manage(self.context, sv, podm_uuid=self.podm.uuid)
        exc = self.assertRaises(exception.Conflict, compose.manage,
                                self.context, sv, podm_uuid=self.podm.uuid)
        self.assertEqual(409, exc.code)
        self.assertIn('already managed', str(exc))

    def test_manage_eeio_is_400(self):
        io = self.fabric.add_eeio(1)
        exc = self.assertRaises(exception.InvalidParameterValue,
                                compose.manage, self.context, io,
                                podm_uuid=self.podm.uuid)
        self.assertIn('node_index', str(exc))
        self.assertEqual([], objects.Node.list(self.context))

    def test_manage_unknown_is_404(self):
        exc = self.assertRaises(exception.NotFound, compose.manage,
                                self.context, fakes.eesv_id(7),
                                podm_uuid=self.podm.uuid)
        self.assertEqual(404, exc.code)
