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

"""Day 2 over real processes: servicing, runbooks, limits, inspection.

One stack for the class (Ironic's single process, the EEM emulator, the
fake Redfish BMC), driven with the ``baremetal`` client. The servicing
tests share one demo node, deployed once with the fake deploy interface
(deploying costs more than the steps themselves); each of them leaves it
``active`` and without devices, as it found it. Inspection uses a node of
its own without a BMC (the fake BMC has no processors, which Ironic's
redfish inspection needs).
"""

import json
import os

from ironic_expether.tests.functional import base

DRIVER = 'expether'
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..',
                                    '..'))
RUNBOOKS = os.path.join(ROOT, 'etc', 'ironic-expether', 'runbooks')

#: The demo node the servicing tests share.
NODE_ACTIVE = 0
#: The server of the inspection test's own node.
SERVER_INSPECT = 1


class ServicingTest(base.StackTestCase):

    stack_options = {
        'servers': 2,
        'devices': 12,
        'expether': {'max_devices_per_owner': 'GPU:1'},
        'ironic_options': {'conductor': {'automated_clean': False}},
    }

    #: Whether the shared node was deployed.
    deployed = False

    # Helpers

    def stack_node(self, index):
        return self.stack.nodes[index]['uuid']

    def driver_call(self, method, verb='GET', body=None):
        response = self.ironic(
            verb, '/v1/drivers/%s/vendor_passthru/%s' % (DRIVER, method),
            json=body or {})
        self.assertEqual(200, response.status_code, response.text)
        return response.json()

    def sync(self):
        podms = [p for p in self.driver_call('pod_managers')['pod_managers']
                 if p['url'].rstrip('/') == self.eem_address.rstrip('/')]
        data = self.driver_call('sync', 'POST',
                                {'podm_id': podms[0]['uuid']})
        self.assertEqual('SUCCESS', data['results'][0]['status'], data)

    def active_node(self):
        """The shared node, deployed (fake deploy) on first use.

        :returns: its uuid.
        """
        node = self.stack_node(NODE_ACTIVE)
        if not type(self).deployed:
            self.baremetal('node', 'provide', '--wait', '120', node,
                           json_output=False)
            self.baremetal('node', 'deploy', '--wait', '120', node,
                           json_output=False)
            type(self).deployed = True
        self.addCleanup(self._back_to_active, node)
        self.sync()
        return node

    def _back_to_active(self, node):
        shown = self.api_node(node)
        if shown['maintenance']:
            self.baremetal('node', 'maintenance', 'unset', node,
                           json_output=False)
        if shown['provision_state'] == 'service failed':
            self.baremetal('node', 'abort', node, json_output=False)
            self.wait_state(node, 'active')
        if self.pool_of(node):
            self.service(node, [{'interface': 'vendor',
                                 'step': 'release_devices'}])

    def wait_state(self, node, state):
        """Wait for a provision state, reading Ironic's API.

        :returns: the node.
        """
        def reached():
            shown = self.api_node(node)
            return shown if shown['provision_state'] == state else None

        return self.wait_until(reached, message='node %s to reach %s'
                               % (node, state))

    def service(self, node, steps, wait=True):
        args = ['node', 'service', node, '--service-steps',
                json.dumps(steps)]
        if wait:
            self.baremetal(*args + ['--wait', '90'], json_output=False)
            shown = self.api_node(node)
            self.assertEqual('active', shown['provision_state'],
                             shown['last_error'])
            return shown
        self.baremetal(*args, json_output=False)
        return self.wait_state(node, 'service failed')

    @staticmethod
    def attach_step(**args):
        return [{'interface': 'vendor', 'step': 'attach_devices',
                 'args': args}]

    @staticmethod
    def detach_step(**args):
        return [{'interface': 'vendor', 'step': 'detach_devices',
                 'args': args}]

    def api_node(self, node):
        """A node from Ironic's API (cheaper than one more client run)."""
        return self.ironic('GET', '/v1/nodes/%s' % node, ok=200).json()

    def traits(self, node):
        return set(self.ironic('GET', '/v1/nodes/%s/traits' % node,
                               ok=200).json()['traits'])

    def node_devices(self, node):
        properties = self.api_node(node)['properties']
        return {d['id']: d['type'] for d in
                properties.get('expether_devices') or []}

    def group_of(self, eeid):
        return str(self.eem_device(eeid)['group_id'])

    def eeio_groups(self):
        return {d['id']: str(d['group_id']) for d in self.eem_devices()
                if d.get('status') == 'eeio'}

    def pool_of(self, node):
        return sorted(d['resource_uri'].split('/', 1)[1] for d in
                      self.driver_call('devices')['devices']
                      if d['node_uuid'] == node)

    def free_of(self, pci_type):
        return sorted(d['resource_uri'].split('/', 1)[1] for d in
                      self.driver_call('devices')['devices']
                      if d['state'] == 'free' and d['type'] == pci_type)

    def history(self, node):
        return [e['event'] for e in self.ironic(
            'GET', '/v1/nodes/%s/history?detail=true' % node,
            ok=200).json()['history']]

    # Tests

    def test_service_attach_then_detach_a_gpu(self):
        node = self.active_node()
        self.assertIn('CUSTOM_EXPETHER', self.traits(node))
        server = self.stack.nodes[NODE_ACTIVE]['eesv_id']

        shown = self.service(node, self.attach_step(
            pci_device={'type': ['GPU']}))
        self.assertIsNone(shown['last_error'])
        held = self.pool_of(node)
        self.assertEqual(1, len(held))
        gpu = held[0]
        group = self.group_of(server)
        self.assertNotIn(group, ('4093', '4094'))
        self.assertEqual(group, self.group_of(gpu))
        self.assertEqual({gpu: 'GPU'}, self.node_devices(node))
        self.assertIn('CUSTOM_EXPETHER_GPU', self.traits(node))
        self.assertTrue(any('attached device %s' % gpu in event
                            for event in self.history(node)))

        self.service(node, self.detach_step(types=['GPU']))
        self.assertEqual('4093', self.group_of(gpu))
        self.assertEqual([], self.pool_of(node))
        self.assertEqual({}, self.node_devices(node))
        self.assertNotIn('CUSTOM_EXPETHER_GPU', self.traits(node))
        self.assertIn('CUSTOM_EXPETHER', self.traits(node))
        self.assertTrue(any('returned device %s' % gpu in event
                            for event in self.history(node)))

    def test_failed_attach_leaves_nothing_and_service_again_works(self):
        node = self.active_node()
        gpu, ssd = self.free_of('GPU')[0], self.free_of('SSD')[0]
        before = self.eeio_groups()
        # EEM fails the move of the second device only.
        self.control.add_fault('error', path='/eem/devices/%s/group_id'
                               % ssd, method='PUT', count=1, status=500)
        self.addCleanup(self.control.clear_faults)

        shown = self.service(node, self.attach_step(
            resource_ids=[gpu, ssd]), wait=False)
        self.assertEqual([], self.control.faults())
        error = shown['last_error']
        self.assertIn(ssd, error)
        self.assertIn('attaching device %s to group' % ssd, error)
        self.assertIn('Returned to the pool: %s' % gpu, error)
        self.assertEqual(before, self.eeio_groups())
        self.assertEqual([], self.pool_of(node))
        self.assertEqual({}, self.node_devices(node))
        self.assertNotIn('CUSTOM_EXPETHER_GPU', self.traits(node))
        # Ironic puts a node whose service step failed in maintenance.
        self.assertTrue(shown['maintenance'])
        self.assertEqual('service failure', shown['fault'])

        # Ironic's recovery for servicing: out of maintenance, service
        # again.
        self.baremetal('node', 'maintenance', 'unset', node,
                       json_output=False)
        self.service(node, self.attach_step(resource_ids=[gpu]))
        self.assertEqual([gpu], self.pool_of(node))
        self.service(node, [{'interface': 'vendor',
                             'step': 'release_devices'}])
        self.assertEqual('4093', self.group_of(gpu))

    def test_sample_runbooks_through_the_api(self):
        node = self.active_node()
        for name in ('expether-add-one-gpu', 'expether-return-all-gpus'):
            self.baremetal('runbook', 'create', '--name', name,
                           '--steps', os.path.join(RUNBOOKS,
                                                   name + '.yaml'))
            self.addCleanup(self.baremetal, 'runbook', 'delete', name,
                            json_output=False)
            self.baremetal('runbook', 'trait', 'add', name,
                           'CUSTOM_EXPETHER', json_output=False)

        self.baremetal('node', 'service', node, '--runbook',
                       'expether-add-one-gpu', '--wait', '120',
                       json_output=False)
        held = self.pool_of(node)
        self.assertEqual(1, len(held))
        self.assertEqual({held[0]: 'GPU'}, self.node_devices(node))
        self.assertTrue(any('rebooted the node' in event
                            for event in self.history(node)))

        self.baremetal('node', 'service', node, '--runbook',
                       'expether-return-all-gpus', '--wait', '120',
                       json_output=False)
        self.assertEqual([], self.pool_of(node))
        self.assertEqual('4093', self.group_of(held[0]))

    def test_tenant_step_refused_at_its_limit(self):
        node = self.active_node()
        self.baremetal('node', 'set', node, '--owner', 'tenant-a',
                       json_output=False)
        self.addCleanup(self.baremetal, 'node', 'unset', node, '--owner',
                        json_output=False)
        self.service(node, self.attach_step(pci_device={'type': ['GPU']}))
        before = self.eeio_groups()
        shown = self.service(node, self.attach_step(
            pci_device={'type': ['GPU']}), wait=False)
        self.assertIn('[expether]max_devices_per_owner GPU=1',
                      shown['last_error'])
        self.assertIn('tenant-a', shown['last_error'])
        self.assertEqual(before, self.eeio_groups())
        self.assertEqual(1, len(self.pool_of(node)))
        # Or abort (out of maintenance first): back to active.
        self.baremetal('node', 'maintenance', 'unset', node,
                       json_output=False)
        self.baremetal('node', 'abort', node, json_output=False)
        self.wait_state(node, 'active')

    def test_inspect_fills_the_inventory(self):
        server = self.server(SERVER_INSPECT)
        node = self.create_node(server, bmc=False)['uuid']
        self.assertEqual('expether',
                         self.api_node(node)['inspect_interface'])
        self.baremetal('node', 'manage', '--wait', '90', node,
                       json_output=False)
        self.assertIn('CUSTOM_EXPETHER', self.traits(node))
        self.sync()
        ssd = self.free_of('SSD')[-1]
        self.ironic('POST', '/v1/nodes/%s/vendor_passthru?method=attach'
                    % node, ok=200, json={'resource_id': ssd})
        self.addCleanup(self.ironic, 'POST',
                        '/v1/nodes/%s/vendor_passthru?method=detach' % node,
                        json={'resource_id': ssd})

        self.baremetal('node', 'inspect', '--wait', '120', node,
                       json_output=False)
        shown = self.wait_state(node, 'manageable')
        self.assertIsNone(shown['last_error'])
        # NOTE(expether): `inventory save` prints JSON, without -f.
        inventory = json.loads(self.baremetal(
            'node', 'inventory', 'save', node,
            json_output=False).stdout)['inventory']
        self.assertEqual([ssd], [d['expether_id']
                                 for d in inventory['pci_devices']])
        wire = self.eem_device(ssd)
        device = inventory['pci_devices'][0]
        self.assertEqual(wire['pcie_vendor_id'].lower(),
                         '0x' + device['vendor_id'])
        self.assertEqual(wire['pcie_device_id'].lower(),
                         '0x' + device['product_id'])
        self.assertEqual('SSD', device['expether_type'])
        self.assertEqual(server['id'], inventory['expether']['eesv_id'])
        self.assertEqual(self.group_of(server['id']),
                         shown['properties']['expether_group_id'])
