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

"""The seed document's Valence flow, sent verbatim with curl.

Every request of ``valence-expether-driver.rst`` goes to the
Valence-compatible facade in front of the standalone stack (host, port and
ids substituted, nothing else changed), and each answer is checked against
the documented status code and shape.
"""

import json
import os
import subprocess

from ironic_expether.standalone import pod
from ironic_expether.tests.functional import base

_JSON_HEADERS = ['-H', 'Accept:application/json',
                 '-H', 'Content-Type:application/json']


class ValenceSeedFlowTestCase(base.StackTestCase):

    # NOTE(expether): the seed document starts from an empty Valence: the
    # stack registers no pod manager and enrolls no server here.
    stack_options = {'valence': True, 'populate': False}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.valence_url = cls.stack.valence_url

    def curl(self, method, path, data=None):
        """Run the seed document's curl command; return (status, body)."""
        argv = ['curl', '-i', '-X', method, self.valence_url + path]
        if data is not None:
            argv += ['-d', data]
        argv += _JSON_HEADERS
        env = dict(os.environ, NO_PROXY='127.0.0.1,localhost',
                   no_proxy='127.0.0.1,localhost')
        result = subprocess.run(argv, capture_output=True, text=True,
                                timeout=180, env=env)
        self.assertEqual(0, result.returncode, result.stderr)
        head, _sep, body = result.stdout.replace('\r\n', '\n').partition(
            '\n\n')
        status = int(head.split('\n', 1)[0].split()[1])
        return status, (json.loads(body) if body.strip() else None)

    def _bmc_url(self, eesv_id):
        return '%s/redfish/v1/Systems/%s' % (self.stack.bmc_address,
                                             pod.system_uuid(eesv_id))

    def _free_eesv(self, managed):
        for device in self.eem_devices():
            if device.get('status') == 'eesv' and device['id'] not in managed:
                return device['id']
        self.fail('no server engine left for manage')

    def test_seed_flow(self):
        # Create a pod_manager.
        status, podm = self.curl(
            'POST', '/v1/pod_managers',
            '{"url": "%s", "name": "podm1", "driver": "expether", '
            '"authentication": [{"type": "basic", "auth_items": '
            '{"username": "%s", "password": "%s"}}]}'
            % (self.eem_address, self.stack.eem_username,
               self.stack.eem_password))
        self.assertEqual(200, status, podm)
        self.assertEqual({'authentication', 'created_at', 'driver', 'name',
                          'status', 'updated_at', 'url', 'uuid'}, set(podm))
        self.assertEqual('Online', podm['status'])
        self.assertNotEqual(
            self.stack.eem_password,
            podm['authentication'][0]['auth_items']['password'])
        podm_id = podm['uuid']

        # Compose a node using properties.
        status, node1 = self.curl(
            'POST', '/v1/nodes',
            '{"podm_id": "%s", "name": "node1", "properties": '
            '{"pci_device": {"type": ["NIC"]}}}' % podm_id)
        self.assertEqual(200, status, node1)
        self.assertEqual({'index', 'name', 'resource_uri', 'uuid'},
                         set(node1))
        self.assertEqual('devices/' + node1['index'], node1['resource_uri'])
        self.addCleanup(self.curl, 'DELETE', '/v1/nodes/' + node1['uuid'])

        # Compose a node using a flavor.
        status, flavor = self.curl(
            'POST', '/v1/flavors',
            '{"name": "nic", "properties": {"pci_device": '
            '{"type": ["NIC"]}}}')
        self.assertEqual(200, status, flavor)
        status, node2 = self.curl(
            'POST', '/v1/nodes',
            '{"podm_id": "%s", "name": "node2", "flavor_id": "%s"}'
            % (podm_id, flavor['uuid']))
        self.assertEqual(200, status, node2)
        self.assertEqual({'index', 'name', 'resource_uri', 'uuid'},
                         set(node2))
        self.addCleanup(self.curl, 'DELETE', '/v1/nodes/' + node2['uuid'])
        self.assertNotEqual(node1['index'], node2['index'])

        # Manage a node.
        status, nodes = self.curl('GET', '/v1/nodes')
        self.assertEqual(200, status, nodes)
        self.assertIsInstance(nodes, list)
        index = self._free_eesv({node['index'] for node in nodes})
        status, managed = self.curl(
            'POST', '/v1/nodes/manage',
            '{"podm_id": "%s", "node_index": "%s"}' % (podm_id, index))
        self.assertEqual(200, status, managed)
        self.assertEqual({'index': index, 'name': index,
                          'resource_uri': 'devices/' + index,
                          'uuid': managed['uuid']}, managed)
        self.addCleanup(self.curl, 'DELETE', '/v1/nodes/' + managed['uuid'])

        # List devices.
        status, devices = self.curl('GET', '/v1/devices')
        self.assertEqual(200, status, devices)
        self.assertIsInstance(devices, list)
        self.assertTrue(devices)
        for device in devices:
            # Valence's keys, plus node_uuid and purpose (views.py).
            self.assertEqual(set(), {'node_id', 'podm_id', 'pooled_group_id',
                                     'resource_uri', 'state', 'type',
                                     'uuid'} - set(device))
        free = [d for d in devices if d['state'] == 'free']
        self.assertTrue(free, devices)

        # Attach/detach a device to node.
        path = '/v1/nodes/%s/action' % node1['uuid']
        status, body = self.curl(
            'POST', path, '{"attach": {"resource_id": "%s"}}'
            % free[0]['uuid'])
        self.assertEqual((204, None), (status, body))
        status, device = self.curl('GET', '/v1/devices/' + free[0]['uuid'])
        self.assertEqual(200, status, device)
        self.assertEqual('allocated', device['state'])
        status, body = self.curl(
            'POST', path, '{"detach": {"resource_id": "%s"}}'
            % free[0]['uuid'])
        self.assertEqual((204, None), (status, body))

        # Node register, without mac (Valence crashed there), then with.
        # The document's "address" placeholder becomes the BMC of the
        # composed server (the fake Redfish BMC's system URL).
        status, registered = self.curl(
            'POST', '/v1/nodes/%s/register' % node1['uuid'],
            '{"driver_info": {"username":"admin","password":"password", '
            '"address":"%s"}}' % self._bmc_url(node1['index']))
        self.assertEqual(200, status, registered)
        self.assertEqual('ironic', registered['managed_by'])
        self.assertEqual(node1['uuid'], registered['uuid'])
        for key in ('created_at', 'index', 'name', 'podm_id',
                    'resource_uri', 'updated_at'):
            self.assertIn(key, registered)
        status, registered = self.curl(
            'POST', '/v1/nodes/%s/register' % node2['uuid'],
            '{"driver_info": {"username":"admin","password":"password", '
            '"address":"%s"}, "mac": "52:54:00:12:34:56"}'
            % self._bmc_url(node2['index']))
        self.assertEqual(200, status, registered)
        self.assertEqual('ironic', registered['managed_by'])
