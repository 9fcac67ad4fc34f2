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


"""The expether hardware type in a real Ironic, driven by real clients.

One stack for the whole class (see :class:`base.StackTestCase`): the EEM
emulator, sushy-tools' fake Redfish BMC and Ironic's single process. Each
test works on nodes of its own, on a server of the demo pod no other test
uses, and puts back what it changed in the emulator.
"""

import ast

import requests

from ironic_expether.standalone import pod
from ironic_expether.tests.functional import base

# One demo server per test, so that tests never share hardware.
SERVER_LIFECYCLE = 0
SERVER_BMC_POWER = 1
SERVER_EEM_POWER = 2
SERVER_INDICATOR = 3
SERVER_ATTACH = 4
SERVER_BAD_INPUT = 5


class DriverFlowsTestCase(base.StackTestCase):

    stack_options = {
        'servers': 6,
        'devices': 12,
        # NOTE(expether): the stack's demo nodes and the tests' own nodes
        # share BMC systems; with forced power sync a demo node would
        # switch a system back behind a test's back.
        'ironic_options': {
            'conductor': {'force_power_state_during_sync': False},
        },
    }

    # Helpers

    def passthru(self, node, method, http_method='POST', **kwargs):
        """Call a node passthru method with the ``baremetal`` client.

        :returns: the dict the method returned.
        """
        args = ['node', 'passthru', 'call', '--http-method', http_method,
                node, method]
        for key, value in sorted(kwargs.items()):
            args += ['--arg', '%s=%s' % (key, value)]
        result = self.baremetal(*args, json_output=False)
        # NOTE(expether): `node passthru call` prints str() of the dict.
        return ast.literal_eval(result.stdout.strip())

    def passthru_fails(self, node, method, status='4', http_method='POST',
                       **kwargs):
        args = ['node', 'passthru', 'call', '--http-method', http_method,
                node, method]
        for key, value in sorted(kwargs.items()):
            args += ['--arg', '%s=%s' % (key, value)]
        return self.baremetal_fails(*args, status=status)

    def set_emulated(self, eeid, **fields):
        """Change a device through the emulator's control API."""
        root = self.eem_address.rsplit('/eem', 1)[0]
        response = requests.put(
            '%s/_emulator/devices/%s' % (root, eeid), json=fields,
            auth=(self.stack.eem_username, self.stack.eem_password),
            timeout=10)
        self.assertEqual(200, response.status_code, response.text)

    def led(self, eeid):
        response = requests.get(
            '%s/devices/%s/uid_led_status' % (self.eem_address, eeid),
            auth=(self.stack.eem_username, self.stack.eem_password),
            timeout=10)
        response.raise_for_status()
        return response.json()['uid_led_status']

    def detach_quietly(self, node, eeid):
        self.baremetal('node', 'passthru', 'call', node, 'detach',
                       '--arg', 'resource_id=%s' % eeid, json_output=False,
                       check=False)

    # The stack itself

    def test_stack_enrolled_every_demo_server(self):
        nodes = self.baremetal('node', 'list', '--long').data
        by_name = {node['name']: node for node in nodes}
        for server in pod.servers(self.stack.devices):
            node = by_name[pod.node_name(server['id'])]
            self.assertEqual('expether', node['driver'])
            self.assertEqual(server['id'], node['driver_info']['eesv_id'])
            self.assertEqual('******', node['driver_info']['eem_password'])
            # The stack manages its nodes, so Ironic reads their power.
            self.assertEqual('manageable', node['provision_state'])
            self.assertIn(node['power_state'], ('power on', 'power off'))
        drivers = self.baremetal('driver', 'list').data
        names = [driver.get('name', driver.get('Supported driver(s)'))
                 for driver in drivers]
        self.assertIn('expether', names, drivers)

    # Lifecycle

    def test_create_validate_manage_provide(self):
        server = self.server(SERVER_LIFECYCLE)
        node = self.create_node(server, name='lifecycle')
        self.assertEqual('expether', node['driver'])
        self.assertEqual('enroll', node['provision_state'])
        self.assertEqual('expether', node['power_interface'])
        self.assertEqual('expether', node['management_interface'])
        self.assertEqual('expether', node['vendor_interface'])

        results = {row['Interface']: row for row in self.baremetal(
            'node', 'validate', node['uuid']).data}
        for iface in ('power', 'management', 'boot', 'deploy'):
            self.assertTrue(results[iface]['Result'], results[iface])

        self.baremetal('node', 'manage', '--wait', '90', node['uuid'],
                       json_output=False)
        self.assertEqual('manageable', self.node(node['uuid'])[
            'provision_state'])
        self.baremetal('node', 'provide', '--wait', '120', node['uuid'],
                       json_output=False)
        shown = self.node(node['uuid'])
        self.assertEqual('available', shown['provision_state'])
        self.assertIsNone(shown['last_error'])

    # Power

    def test_power_through_bmc(self):
        server = self.server(SERVER_BMC_POWER)
        node = self.create_node(server)['uuid']
        for verb, state, bmc_state in (('on', 'power on', 'On'),
                                       ('off', 'power off', 'Off'),
                                       ('on', 'power on', 'On')):
            self.baremetal('node', 'power', verb, node, json_output=False)
            self.wait_for_node(node, 'power_state', state)
            self.assertEqual(bmc_state, self.bmc_power_state(server))
        self.baremetal('node', 'reboot', node, json_output=False)
        # The fake BMC switches off at once and back on after a delay;
        # Ironic's reboot returns once it is on again.
        self.wait_for_node(node, 'target_power_state', None)
        shown = self.node(node)
        self.assertEqual('power on', shown['power_state'])
        self.assertIsNone(shown['last_error'])
        self.assertEqual('On', self.bmc_power_state(server))
        self.baremetal('node', 'power', 'off', node, json_output=False)
        self.wait_for_node(node, 'power_state', 'power off')

    def test_power_from_eem_without_bmc(self):
        server = self.server(SERVER_EEM_POWER)
        original = self.eem_device(server['id']).get('power_status')
        self.addCleanup(self.set_emulated, server['id'],
                        power_status=original or 'off')
        node = self.create_node(server, bmc=False)['uuid']
        # Ironic leaves nodes in enroll out of its power sync.
        self.baremetal('node', 'manage', '--wait', '90', node,
                       json_output=False)
        for eem_state, state in (('off', 'power off'), ('on', 'power on'),
                                 ('off', 'power off')):
            self.set_emulated(server['id'], power_status=eem_state)
            self.wait_for_node(node, 'power_state', state)
        result = self.baremetal_fails('node', 'power', 'on', node,
                                      status='400')
        self.assertIn('BMC', result.stderr)
        self.assertEqual('power off', self.node(node)['power_state'])

    # Management

    def test_indicator_on_off(self):
        server = self.server(SERVER_INDICATOR)
        original = self.led(server['id'])
        node = self.create_node(server)['uuid']
        path = '/v1/nodes/%s/management/indicators' % node
        indicators = self.ironic('GET', path, ok=200).json()['indicators']
        self.assertEqual(1, len(indicators), indicators)
        self.assertEqual('system', indicators[0]['component'])
        self.assertFalse(indicators[0]['readonly'])
        ident = indicators[0]['name']  # <name>@<component>
        self.assertTrue(ident.endswith('@system'), ident)
        self.addCleanup(self.ironic, 'PUT', '%s/%s' % (path, ident),
                        json={'state': original})
        # Ironic's indicator states (ironic.common.indicator_states) are
        # lower case, like EEM's.
        for state in ('on', 'off', 'on'):
            self.ironic('PUT', '%s/%s' % (path, ident),
                        json={'state': state}, ok=204)
            self.assertEqual(state, self.led(server['id']))
            self.assertEqual(
                state, self.ironic('GET', '%s/%s' % (path, ident),
                                   ok=200).json()['state'])
        self.ironic('PUT', '%s/%s' % (path, ident),
                    json={'state': 'blinking'}, ok=400)
        self.ironic('PUT', '%s/nosuch@system' % path,
                    json={'state': 'on'}, ok=400)
        self.assertEqual('on', self.led(server['id']))

    # Devices

    def test_attach_devices_detach(self):
        server = self.server(SERVER_ATTACH)
        node = self.create_node(server)['uuid']
        eeid = self.free_devices()[0]
        self.addCleanup(self.detach_quietly, node, eeid)

        # The answer is the pool device in Valence's detail shape.
        attached = self.passthru(node, 'attach', resource_id=eeid)
        self.assertEqual(eeid, attached['properties']['device_id'])
        self.assertEqual(node, attached['node_uuid'])
        group = self.eem_device(server['id'])['group_id']
        self.assertNotIn(group, ('4093', '4094'))
        self.assertEqual(group, self.eem_device(eeid)['group_id'])
        self.assertEqual(group, str(attached['pooled_group_id']))

        listed = self.passthru(node, 'devices', http_method='GET')
        ids = [device['id'] for device in listed['devices']]
        self.assertEqual([eeid], ids)

        # The same through openstacksdk.
        conn = self.sdk()
        answer = conn.baremetal.call_node_vendor_passthru(
            node, 'GET', 'devices').json()
        self.assertEqual(ids, [d['id'] for d in answer['devices']])

        detached = self.passthru(node, 'detach', resource_id=eeid)
        self.assertEqual(eeid, detached['properties']['device_id'])
        self.assertIsNone(detached['node_uuid'])
        self.assertEqual('4093', self.eem_device(eeid)['group_id'])
        listed = self.passthru(node, 'devices', http_method='GET')
        self.assertEqual([], listed['devices'])

    # Bad input: always 4xx

    def test_bad_eem_address(self):
        server = self.server(SERVER_BAD_INPUT)
        node = self.create_node(server, eem_address='not-a-url')['uuid']
        results = {row['Interface']: row for row in self.baremetal(
            'node', 'validate', node).data}
        self.assertFalse(results['power']['Result'])
        self.assertIn('eem_address', results['power']['Reason'])
        result = self.baremetal_fails('node', 'power', 'on', node)
        self.assertIn('eem_address', result.stderr)
        result = self.passthru_fails(node, 'devices', http_method='GET')
        self.assertIn('eem_address', result.stderr)

    def test_bad_eesv_id(self):
        server = self.server(SERVER_BAD_INPUT)
        node = self.create_node(server, eesv_id='0xnothex')['uuid']
        results = {row['Interface']: row for row in self.baremetal(
            'node', 'validate', node).data}
        self.assertFalse(results['management']['Result'])
        self.assertIn('eesv_id', results['management']['Reason'])
        result = self.passthru_fails(node, 'devices', http_method='GET')
        self.assertIn('eesv_id', result.stderr)

    def test_bad_passthru_arguments(self):
        server = self.server(SERVER_BAD_INPUT)
        node = self.create_node(server)['uuid']
        result = self.passthru_fails(node, 'attach', status='400',
                                     resource_id=self.free_devices()[0],
                                     bogus='1')
        self.assertIn('bogus', result.stderr)
        result = self.passthru_fails(node, 'attach', status='400')
        self.assertIn('resource_id', result.stderr)
        result = self.passthru_fails(node, 'attach', status='400',
                                     resource_id='0x12')
        self.assertIn('resource_id', result.stderr)
        self.passthru_fails(node, 'nosuch', status='400')
        self.passthru_fails(node, 'devices', status='400')  # POST, not GET

    def test_attach_device_that_is_not_free(self):
        owner = self.create_node(self.server(SERVER_ATTACH))['uuid']
        other = self.create_node(self.server(SERVER_BAD_INPUT))['uuid']
        eeid = self.free_devices()[-1]
        self.addCleanup(self.detach_quietly, owner, eeid)
        self.passthru(owner, 'attach', resource_id=eeid)
        group = self.eem_device(eeid)['group_id']

        result = self.passthru_fails(other, 'attach', resource_id=eeid)
        self.assertIn(eeid, result.stderr)
        # Nothing moved: the device is still the first node's.
        self.assertEqual(group, self.eem_device(eeid)['group_id'])
        # A server engine is not a device either.
        self.passthru_fails(other, 'attach',
                            resource_id=self.server(SERVER_LIFECYCLE)['id'])
        self.passthru(owner, 'detach', resource_id=eeid)
        self.assertEqual('4093', self.eem_device(eeid)['group_id'])
