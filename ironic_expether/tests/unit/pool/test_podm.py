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

"""Pod manager <-> EEM <-> Ironic node (ironic_expether.pool.podm)."""

from ironic.common import exception
from ironic.common import states
from ironic import objects

from ironic_expether.pool.db import api
from ironic_expether.pool import podm as podm_api
from ironic_expether.tests.unit.pool import fakes


class PodmTestCase(fakes.ComposeTestCase):

    def test_node_uuid_is_stable_and_case_blind(self):
        first = podm_api.node_uuid_for(self.podm.uuid, '0x8CDF9D535B14')
        self.assertEqual(first, podm_api.node_uuid_for(self.podm.uuid,
                                                       '0x8cdf9d535b14'))
        self.assertNotEqual(first, podm_api.node_uuid_for(
            self.create_podm().uuid, '0x8cdf9d535b14'))

    def test_node_driver_info_round_trips_to_the_same_client_info(self):
        podm = self.create_podm(verify='/etc/ca.pem')
        info = podm_api.node_driver_info(podm, '0x8CDF9D535B14')
        self.assertEqual({'eem_address': podm.url,
                          'eesv_id': '0x8cdf9d535b14',
                          'eem_username': 'admin',
                          'eem_password': 'S3cret-pw',
                          'eem_verify_ca': '/etc/ca.pem'}, info)
        self.assertEqual('/etc/ca.pem', podm_api.client_info(podm)['verify'])

    def test_nodes_of_pod_manager_by_eesv(self):
        mine = self.enroll(1)
        other = self.create_podm()
        self.enroll(2, driver_info={'eem_address': other.url,
                                    'eesv_id': fakes.eesv_id(2)})
        self.enroll(3, driver_info={'eem_address': 'not a url',
                                    'eesv_id': fakes.eesv_id(3)})
        nodes = podm_api.nodes_of_pod_manager(self.context, self.podm)
        self.assertEqual({fakes.eesv_id(1): mine.uuid},
                         {k: n.uuid for k, n in nodes.items()})

    def test_server_of_node_parses_once(self):
        node = self.enroll(1)
        server = podm_api.server_of(node)
        self.assertEqual(self.podm.uuid, server.podm.uuid)
        self.assertIs(self.client, server.client)
        self.assertEqual(fakes.eesv_id(1), server.eesv_id)
        self.assertEqual(fakes.EEM_URL,
                         self.mock_get_client.call_args[0][0]['address'])

    def test_pod_manager_of_node_registers_an_unknown_eem(self):
        node = self.enroll(1, driver_info={
            'eem_address': 'http://other-eem.test:30500/eem',
            'eesv_id': fakes.eesv_id(1)})
        podm = podm_api.pod_manager_of_node(node)
        self.assertEqual('http://other-eem.test:30500/eem', podm.url)
        self.assertEqual(podm.uuid,
                         podm_api.pod_manager_of_node(node).uuid)
        self.assertEqual(2, len(api.list_pod_managers()))

    def test_new_node_reserved_and_named(self):
        self.config(host='conductor-x')
        node = podm_api.new_node(self.context, self.podm, fakes.eesv_id(1),
                                 name='n1', description='d', reserved=True)
        node = objects.Node.get_by_uuid(self.context, node.uuid)
        self.assertEqual(podm_api.node_uuid_for(self.podm.uuid,
                                                fakes.eesv_id(1)),
                         node.uuid)
        self.assertEqual(('n1', 'd', states.ENROLL, 'expether'),
                         (node.name, node.description, node.provision_state,
                          node.driver))
        self.assertEqual('conductor-x', node.reservation)
        self.assertEqual('expether', node.vendor_interface)

    def test_new_node_unreserved_unnamed(self):
        node = podm_api.new_node(self.context, self.podm, fakes.eesv_id(1))
        node = objects.Node.get_by_uuid(self.context, node.uuid)
        self.assertIsNone(node.name)
        self.assertIsNone(node.reservation)

    def test_new_node_twice_for_one_engine_conflicts(self):
        podm_api.new_node(self.context, self.podm, fakes.eesv_id(1))
        self.assertRaises(exception.NodeAlreadyExists, podm_api.new_node,
                          self.context, self.podm, fakes.eesv_id(1),
                          name='other')

    def test_get_pod_manager(self):
        self.assertEqual(self.podm.uuid,
                         podm_api.get_pod_manager(None).uuid)
        self.create_podm()
        exc = self.assertRaises(exception.MissingParameterValue,
                                podm_api.get_pod_manager, None)
        self.assertIn('podm_id', str(exc))
        exc = self.assertRaises(exception.NotFound, podm_api.get_pod_manager,
                                '2f4a4d3c-7c5e-4b1f-9a0e-6f1d2c3b4a59')
        self.assertIn('podm_id', str(exc))
