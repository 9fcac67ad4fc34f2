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

"""The conductor killed (SIGKILL) in a compose, attach, detach and release.

One standalone stack (the single-process ``ironic``, the emulator over
HTTP). For each kill point the emulator's ``hold`` fault stops the request
at a known EEM request, the test kills ``ironic``'s process group, decides
what EEM does with the held request (drop it: the move never happened; or
carry it out: a move whose answer nobody read), starts ``ironic`` again
and then waits at most ``claim_timeout`` plus a few discovery cycles for:
no device ``claimed``, no node marked as being composed, every device free
or in the group of a server an existing node holds, the pool agreeing with
EEM device by device; then the interrupted request, repeated, succeeds.
"""

import os
import signal
import threading
import time
import uuid

import requests
from testtools import content

from ironic_expether.tests.functional import base

DRIVER = 'expether'
#: [expether] claim_timeout and discovery_interval of the stack.
CLAIM_TIMEOUT = 5
DISCOVERY_INTERVAL = 2
#: What the repair may take after the restart.
REPAIR_SECONDS = CLAIM_TIMEOUT + 6 * DISCOVERY_INTERVAL
MOVE = '/eem/devices/*/group_id'
COMPOSING = 'expether_composing'


class ConductorCrashTestCase(base.StackTestCase):

    stack_options = {
        'sync_power_state_interval': 0,
        'expether': {'discovery_interval': DISCOVERY_INTERVAL,
                     'claim_timeout': CLAIM_TIMEOUT},
    }

    # Helpers

    def driver_call(self, method, verb='GET', body=None):
        return self.ironic(
            verb, '/v1/drivers/%s/vendor_passthru/%s' % (DRIVER, method),
            json=body or {})

    def node_call(self, node, method, body=None):
        return self.ironic(
            'POST', '/v1/nodes/%s/vendor_passthru?method=%s' % (node, method),
            json=body or {})

    def podm_uuid(self):
        podms = self.driver_call('pod_managers').json()['pod_managers']
        return [p['uuid'] for p in podms
                if p['url'].rstrip('/') == self.eem_address.rstrip('/')][0]

    def pool(self):
        response = self.driver_call('devices')
        self.assertEqual(200, response.status_code, response.text)
        return response.json()['devices']

    def free_of(self, count):
        """``count`` free devices of one type: (type, [eeid, ...])."""
        by_type = {}
        for device in self.pool():
            if device['state'] == 'free' and device['type']:
                by_type.setdefault(device['type'], []).append(
                    device['resource_uri'].split('/', 1)[1])
        for dtype, eeids in sorted(by_type.items()):
            if len(eeids) >= count:
                return dtype, sorted(eeids)[:count]
        self.fail('no %d free devices of one type: %s' % (count, by_type))

    def nodes(self):
        response = self.ironic('GET', '/v1/nodes?detail=true&driver=%s'
                               % DRIVER, ok=200)
        return response.json()['nodes']

    def problems(self):
        """What is wrong now between Ironic, the pool and EEM (a list)."""
        problems = []
        nodes = {n['uuid']: n for n in self.nodes()}
        for node in nodes.values():
            if COMPOSING in (node.get('properties') or {}):
                problems.append('node %s (%s) is still being composed'
                                % (node['uuid'], node['name']))
        pool = {d['resource_uri'].split('/', 1)[1]: d for d in self.pool()}
        eem = self.eem_devices()
        groups = {d['id']: str(d.get('group_id')) for d in eem}
        for device in eem:
            if device.get('status') != 'eeio':
                continue
            eeid, group = device['id'], groups[device['id']]
            record = pool.get(eeid)
            if record is None:
                problems.append('%s is not in the pool' % eeid)
            elif record['state'] == 'claimed':
                problems.append('%s is still claimed' % eeid)
            elif group == '4093':
                if record['state'] != 'free' or record['node_uuid']:
                    problems.append('%s is free in EEM, not in the pool: '
                                    '%s' % (eeid, record))
            else:
                holder = nodes.get(record['node_uuid'])
                eesv = holder and holder['driver_info'].get('eesv_id')
                if holder is None or groups.get(eesv) != group:
                    problems.append('%s is in group %s of no node\'s server '
                                    '(pool: %s)' % (eeid, group, record))
        return problems

    def in_background(self, func):
        """Run a request in a thread; its outcome lands in a dict."""
        outcome = {}

        def run():
            try:
                outcome['response'] = func()
            except requests.RequestException as e:
                outcome['error'] = e

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        self.addCleanup(thread.join, 5)
        return thread, outcome

    def wait_held(self):
        held = self.wait_until(self.control.held, 60,
                               'a request held by the emulator')
        self.assertEqual(1, len(held), held)
        return held[0]

    def ironic_child(self):
        children = [c for c in self.stack.supervisor.children
                    if c.name == 'ironic' or c.name.startswith('ironic-')
                    and c.name[len('ironic-'):].isdigit()]
        return children[-1]

    def kill_and_restart(self, drop):
        """SIGKILL ``ironic``, settle the held request, start it again.

        :param drop: drop the held EEM request (its write never happens)
            rather than carry it out (its answer goes to nobody).
        :returns: seconds from the kill to a repaired state.
        """
        supervisor = self.stack.supervisor
        child = self.ironic_child()
        os.killpg(child.pid, signal.SIGKILL)
        child.popen.wait(30)
        killed = time.monotonic()
        supervisor.children.remove(child)
        self.assertEqual(1, self.control.release(drop=drop))
        name = 'ironic-%d' % (len(self.restarts) + 1)
        self.restarts.append(name)
        supervisor.start(
            name, child.argv,
            ready=lambda c: self.stack.api().has_driver(DRIVER),
            timeout=180)
        restarted = time.monotonic()
        left = base.stack_mod.wait_for(lambda: not self.problems(),
                                       REPAIR_SECONDS, interval=1)
        if not left:
            self.fail('not repaired %d s after the restart: %s'
                      % (REPAIR_SECONDS, self.problems()))
        self.addDetail('repair-%s' % name, content.text_content(
            'restart %.1f s, repair %.1f s after it' % (
                restarted - killed, time.monotonic() - restarted)))

    def compose(self, name, dtype, count):
        return self.driver_call('compose', 'POST', {
            'name': name, 'podm_id': self.podm_uuid(),
            'properties': {'pci_device': {'type': [dtype] * count}}})

    def stack_name(self, node_uuid):
        names = [n['name'] for n in self.stack.nodes
                 if n['uuid'] == node_uuid]
        return names[0] if names else None

    def decompose(self, node_uuid):
        """Release a composed node, give back its name or delete it."""
        self.assertEqual(200, self.node_call(node_uuid, 'release')
                         .status_code)
        name = self.stack_name(node_uuid)
        if name:
            self.baremetal('node', 'set', node_uuid, '--name', name,
                           json_output=False)
        else:
            self.baremetal('node', 'delete', node_uuid, json_output=False)

    # The test: one stack, the kill points in sequence.

    def test_kill_points(self):
        self.restarts = []
        self.assertEqual([], self.problems())
        self._compose_between_two_moves()
        node = self.stack.nodes[-1]['uuid']
        eeid = self._attach_after_the_claim(node)
        self._detach_after_the_claim(node, eeid)
        self._release_between_two_moves(node)
        self.assertEqual([], self.problems())

    def _compose_between_two_moves(self):
        """Killed after the first device's move, the second one held."""
        name = 'crash-%s' % uuid.uuid4().hex[:6]
        dtype, _eeids = self.free_of(2)
        # The server engine's move into a group of its own, the first
        # device's move, then the second device's move is held.
        self.control.hold(path=MOVE, method='PUT', skip=2)
        self.addCleanup(self.control.clear_faults)
        thread, outcome = self.in_background(
            lambda: self.compose(name, dtype, 2))
        held = self.wait_held()
        composing = [n for n in self.nodes() if n['name'] == name]
        self.assertEqual(1, len(composing), composing)
        self.assertIn(COMPOSING, composing[0]['properties'])
        # The first device moved, the second claimed, its move held.
        states = sorted(d['state'] for d in self.pool()
                        if d['node_uuid'] == composing[0]['uuid'])
        self.assertEqual(['allocated', 'claimed'], states, held)
        self.kill_and_restart(drop=True)
        thread.join(30)
        self.assertNotIn('response', outcome)
        self.assertEqual([], [n['uuid'] for n in self.nodes()
                              if n['name'] == name])
        response = self.compose(name, dtype, 2)
        self.assertEqual(200, response.status_code, response.text)
        node = response.json()
        self.assertNotIn(COMPOSING, self.node(node['uuid'])['properties'])
        self.assertEqual(2, len([d for d in self.pool()
                                 if d['node_uuid'] == node['uuid']
                                 and d['state'] == 'allocated']))
        self.decompose(node['uuid'])

    def _attach_after_the_claim(self, node):
        """Killed with the device claimed, its move never carried out."""
        _dtype, (eeid,) = self.free_of(1)
        self.control.hold(path=MOVE, method='PUT')
        thread, outcome = self.in_background(lambda: self.node_call(
            node, 'attach', {'resource_id': eeid}))
        self.wait_held()
        self.assertEqual('claimed', {
            d['resource_uri'].split('/', 1)[1]: d['state']
            for d in self.pool()}[eeid])
        self.kill_and_restart(drop=True)
        thread.join(30)
        self.assertNotIn('response', outcome)
        response = self.node_call(node, 'attach', {'resource_id': eeid})
        self.assertEqual(200, response.status_code, response.text)
        return eeid

    def _detach_after_the_claim(self, node, eeid):
        """Killed with the device claimed, its move never carried out."""
        self.control.hold(path=MOVE)
        thread, outcome = self.in_background(lambda: self.node_call(
            node, 'detach', {'resource_id': eeid}))
        self.wait_held()
        self.assertEqual('claimed', {
            d['resource_uri'].split('/', 1)[1]: d['state']
            for d in self.pool()}[eeid])
        self.kill_and_restart(drop=True)
        thread.join(30)
        self.assertNotIn('response', outcome)
        # Still attached (EEM never moved it): the detach is repeated.
        response = self.node_call(node, 'detach', {'resource_id': eeid})
        self.assertEqual(200, response.status_code, response.text)

    def _release_between_two_moves(self, node):
        """Killed between two moves of a release; the held one is done."""
        _dtype, eeids = self.free_of(2)
        for eeid in eeids:
            response = self.node_call(node, 'attach', {'resource_id': eeid})
            self.assertEqual(200, response.status_code, response.text)
        mine = [d for d in self.pool() if d['node_uuid'] == node]
        self.assertEqual(2, len(mine), mine)
        self.control.hold(path=MOVE, skip=1)
        thread, outcome = self.in_background(
            lambda: self.node_call(node, 'release'))
        self.wait_held()
        self.kill_and_restart(drop=False)
        thread.join(30)
        self.assertNotIn('response', outcome)
        response = self.node_call(node, 'release')
        self.assertEqual(200, response.status_code, response.text)
        self.assertEqual([], [d for d in self.pool()
                              if d['node_uuid'] == node])
