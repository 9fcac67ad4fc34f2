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

"""Composition over real processes: Ironic, the EEM emulator, the BMC.

Compose through openstacksdk's driver passthru and ``baremetal node
passthru call``, rollback when EEM fails mid-way, concurrent composes and
attaches racing for a few devices, and devices attached by a deploy
template's ``compose_devices`` step and returned by automated cleaning.
"""

import collections
import concurrent.futures
import json
import time
import uuid

import requests

from ironic_expether.tests.functional import base

DRIVER = 'expether'


class ComposeFlowsTest(base.StackTestCase):

    # Helpers

    def driver_call(self, method, verb='GET', body=None, ok=True):
        # NOTE(expether): Ironic 39 answers the ?method= form of driver
        # passthru (what openstacksdk's call_driver_vendor_passthru sends)
        # with a 500 IndexError in its API validation, whatever the verb;
        # the path form works.
        response = self.ironic(
            verb, '/v1/drivers/%s/vendor_passthru/%s' % (DRIVER, method),
            json=body or {})
        data = response.json() if response.content else None
        if ok:
            self.assertEqual(200, response.status_code, response.text)
        return response.status_code, data

    def sdk_driver_call(self, method, verb, body):
        """The same call through an openstacksdk connection's session."""
        response = self.sdk().baremetal.request(
            '/drivers/%s/vendor_passthru/%s' % (DRIVER, method), verb,
            json=body)
        return response.status_code, response.json()

    def node_call(self, node, method, verb='POST', body=None):
        response = self.ironic(
            verb, '/v1/nodes/%s/vendor_passthru?method=%s' % (node, method),
            json=body or {})
        return response.status_code, (response.json() if response.content
                                      else None)

    def podm_uuid(self):
        _status, data = self.driver_call('pod_managers')
        podms = [p for p in data['pod_managers']
                 if p['url'].rstrip('/') == self.eem_address.rstrip('/')]
        self.assertEqual(1, len(podms), data)
        return podms[0]['uuid']

    def sync(self):
        _status, data = self.driver_call('sync', 'POST',
                                         {'podm_id': self.podm_uuid()})
        self.assertEqual('SUCCESS', data['results'][0]['status'], data)

    def pool(self):
        return self.driver_call('devices')[1]['devices']

    def free_of_type(self):
        counts = collections.Counter(d['type'] for d in self.pool()
                                     if d['state'] == 'free' and d['type'])
        return counts.most_common()

    def compose(self, name, types, ok=True):
        status, data = self.driver_call(
            'compose', 'POST',
            {'name': name, 'podm_id': self.podm_uuid(),
             'properties': {'pci_device': {'type': types}}}, ok=False)
        if ok:
            self.assertEqual(200, status, data)
            self.addCleanup(self._decompose, data['uuid'],
                            self.node(data['uuid'])['name'])
        return status, data

    def _decompose(self, node_uuid, composed_name):
        """Release a composed node's devices; give back the stack's name."""
        self.node_call(node_uuid, 'release')
        node = self.node(node_uuid)
        stack_node = [n for n in self.stack.nodes if n['uuid'] == node_uuid]
        if stack_node and node['name'] != stack_node[0]['name']:
            self.baremetal('node', 'set', node_uuid, '--name',
                           stack_node[0]['name'], json_output=False)
        elif not stack_node:
            self.baremetal('node', 'delete', node_uuid, json_output=False)

    def eem_groups(self):
        return {d['id']: str(d['group_id']) for d in self.eem_devices()}

    def unheld_in_groups(self):
        """EE ids of IO engines in some group that no node holds."""
        held = {d['resource_uri'].split('/', 1)[1] for d in self.pool()
                if d['node_uuid']}
        return {d['id'] for d in self.eem_devices()
                if d.get('status') == 'eeio'
                and str(d.get('group_id')) != '4093'
                and d['id'] not in held}

    def assertPoolMatchesEEM(self):
        """Every device is in at most one node, and EEM agrees."""
        groups = self.eem_groups()
        nodes = {n['uuid']: n for n in self.driver_call('nodes')[1]['nodes']}
        for device in self.pool():
            eeid = device['resource_uri'].split('/', 1)[1]
            self.assertNotEqual('claimed', device['state'], device)
            if device['state'] == 'free':
                self.assertIsNone(device['node_uuid'], device)
                self.assertEqual('4093', groups[eeid], device)
            elif device['node_uuid']:
                eesv = nodes[device['node_uuid']]['index']
                self.assertEqual(groups[eesv], groups[eeid], device)

    # Tests

    def test_compose_through_sdk_and_release_through_baremetal(self):
        self.sync()
        pci_type, count = self.free_of_type()[0]
        name = 'fn-compose-%s' % uuid.uuid4().hex[:6]
        status, body = self.sdk_driver_call(
            'compose', 'POST',
            {'name': name, 'podm_id': self.podm_uuid(),
             'properties': {'pci_device': {'type': [pci_type]}}})
        self.assertEqual(200, status, body)
        self.addCleanup(self._decompose, body['uuid'], name)
        self.assertEqual(name, body['name'])
        self.assertEqual({'uuid', 'name', 'index', 'resource_uri'},
                         set(body))
        held = [d for d in self.pool() if d['node_uuid'] == body['uuid']]
        self.assertEqual([pci_type], [d['type'] for d in held])
        groups = self.eem_groups()
        eeid = held[0]['resource_uri'].split('/', 1)[1]
        self.assertEqual(groups[body['index']], groups[eeid])
        node = self.node(body['uuid'])
        self.assertIn('CUSTOM_EXPETHER_%s' % pci_type.upper(),
                      node['traits'])
        result = self.baremetal('node', 'passthru', 'call', body['uuid'],
                                'release', json_output=False)
        self.assertIn(held[0]['uuid'], result.stdout)
        self.assertEqual('4093', self.eem_groups()[eeid])
        self.assertPoolMatchesEEM()

    def test_rollback_when_second_group_put_fails(self):
        self.sync()
        pci_type, count = self.free_of_type()[0]
        self.assertGreaterEqual(count, 2)
        before_groups = self.eem_groups()
        before_pool = {d['uuid']: (d['state'], d['node_uuid'])
                       for d in self.pool()}
        # Seed 10 at rate 0.5: the first matching PUT passes, the second
        # fails (then the rule expires).
        self.control.add_fault('error', path='*/group_id', method='PUT',
                               rate=0.5, seed=10, count=1, status=500)
        self.addCleanup(self.control.clear_faults)
        status, data = self.compose('fn-rollback', [pci_type, pci_type],
                                    ok=False)
        self.assertGreaterEqual(status, 500, data)
        self.assertEqual([], self.control.faults())
        after_groups = self.eem_groups()
        # No IO engine moved (a server engine may keep the group EEM
        # assigned it).
        for device in self.eem_devices():
            if device.get('status') == 'eeio':
                self.assertEqual(before_groups[device['id']],
                                 after_groups[device['id']], device['id'])
        self.assertEqual(before_pool, {d['uuid']: (d['state'],
                                                   d['node_uuid'])
                                       for d in self.pool()})
        names = [n.get('Name', n.get('name'))
                 for n in self.baremetal('node', 'list').data]
        self.assertNotIn('fn-rollback', names)
        self.assertPoolMatchesEEM()

    def test_lost_answers_settled(self):
        # EEM carries out each group change but cuts its answer short: the
        # plugin reads the device again and goes on (issue 9).
        self.sync()
        pci_type, _count = self.free_of_type()[0]
        self.control.reset_counters()
        self.control.add_fault('malformed', path='*/group_id', method='PUT',
                               body='truncated', count=2)
        self.addCleanup(self.control.clear_faults)
        _status, data = self.compose('fn-lost-answer', [pci_type])
        self.control.clear_faults()
        held = [d for d in self.pool() if d['node_uuid'] == data['uuid']]
        self.assertEqual([(pci_type, 'allocated')],
                         [(d['type'], d['state']) for d in held])
        counters = self.control.counters()
        # The moves, and one read of the engine per lost answer.
        self.assertLessEqual(counters['PUT /eem/devices/<id>/group_id'], 2)
        self.assertEqual(counters['PUT /eem/devices/<id>/group_id'],
                         counters.get('GET /eem/devices/<id>', 0))
        self.assertPoolMatchesEEM()
        self.control.add_fault('malformed', path='*/group_id',
                               method='DELETE', body='truncated', count=1)
        status, body = self.node_call(data['uuid'], 'release')
        self.assertEqual(200, status, body)
        self.assertEqual([], self.control.faults())
        eeid = held[0]['resource_uri'].split('/', 1)[1]
        self.assertEqual('4093', self.eem_groups()[eeid])
        self.assertPoolMatchesEEM()

    def test_concurrent_composes_and_attaches(self):
        self.sync()
        pci_type, count = self.free_of_type()[0]
        free = [d for d in self.pool()
                if d['state'] == 'free' and d['type'] == pci_type][:3]
        targets = [n['uuid'] for n in self.stack.nodes]
        unheld_before = self.unheld_in_groups()

        def compose(i):
            return self.driver_call(
                'compose', 'POST',
                {'name': 'fn-race-%d' % i, 'podm_id': self.podm_uuid(),
                 'properties': {'pci_device': {'type': [pci_type]}}},
                ok=False)

        def attach(i):
            return self.node_call(targets[i % len(targets)], 'attach',
                                  body={'resource_id':
                                        free[i % len(free)]['uuid']})

        def retrying(func):
            # NOTE(expether): the single-process Ironic may reset a
            # connection under this load; such a request never reached
            # the conductor, so sending it again is safe.
            def call(i):
                for attempt in range(5):
                    try:
                        return func(i)
                    except requests.ConnectionError:
                        time.sleep(0.2 * (attempt + 1))
                return func(i)
            return call

        with concurrent.futures.ThreadPoolExecutor(20) as pool:
            futures = [pool.submit(retrying(compose if i % 2 else attach),
                                   i) for i in range(20)]
            results = [f.result() for f in futures]
        for status, data in results:
            self.assertIn(status, (200, 409), data)
            if isinstance(data, dict) and 'index' in data:
                self.addCleanup(self._decompose, data['uuid'], data['name'])
        for target in targets:
            self.addCleanup(self.node_call, target, 'release')
        self.assertPoolMatchesEEM()
        holders = collections.Counter(
            d['uuid'] for d in self.pool() if d['node_uuid'])
        self.assertTrue(all(c == 1 for c in holders.values()))
        self.assertTrue(any(s == 200 for s, _d in results))
        # None leaked: no device left in a group without a holder.
        self.assertEqual(unheld_before, self.unheld_in_groups())

    def test_deploy_template_attaches_and_cleaning_returns(self):
        self.sync()
        pci_type, count = self.free_of_type()[0]
        trait = 'CUSTOM_FN_DEPLOY_%s' % uuid.uuid4().hex[:6].upper()
        steps = [{'interface': 'vendor', 'step': 'compose_devices',
                  'args': {'pci_device': {'type': [pci_type]}},
                  'priority': 150}]
        self.baremetal('deploy', 'template', 'create', trait, '--steps',
                       json.dumps(steps))
        self.addCleanup(self.baremetal, 'deploy', 'template', 'delete',
                        trait, json_output=False)
        node = self.stack.nodes[-1]['uuid']
        # Ironic applies the deploy templates named by the instance's
        # traits (Nova copies a flavor's required traits there).
        self.baremetal('node', 'add', 'trait', node, trait,
                       json_output=False)
        self.addCleanup(self.baremetal, 'node', 'remove', 'trait', node,
                        trait, json_output=False, check=False)
        self.baremetal('node', 'set', node, '--instance-info',
                       'traits=%s' % json.dumps([trait]),
                       json_output=False)
        self.baremetal('node', 'provide', node, '--wait', '90',
                       json_output=False)
        before = {d['uuid'] for d in self.pool() if d['node_uuid'] == node}
        self.baremetal('node', 'deploy', node, '--wait', '90',
                       json_output=False)
        during = [d for d in self.pool() if d['node_uuid'] == node
                  and d['purpose'] == 'deployment']
        self.assertEqual([pci_type], [d['type'] for d in during])
        self.assertPoolMatchesEEM()
        self.baremetal('node', 'undeploy', node, '--wait', '120',
                       json_output=False)
        after = {d['uuid'] for d in self.pool() if d['node_uuid'] == node}
        self.assertEqual(before, after)
        self.assertEqual('4093', self.eem_groups()[
            during[0]['resource_uri'].split('/', 1)[1]])
        self.baremetal('node', 'manage', node, '--wait', '60',
                       json_output=False)
