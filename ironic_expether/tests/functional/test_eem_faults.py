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

"""EEM faults against real processes: one table, one stack.

Each row sets one fault mode in the EEM emulator (over its control API),
runs one operation through Ironic's API (node and driver passthru,
management) or the Valence facade, clears the fault and checks:

* the answer came within the operation's budget, computed from the
  client's documented worst case (``EEMClient.worst_case_seconds``);
* its status is the one of the fault mode (503 for an EEM that is down,
  slow, failing or answering garbage; 400 for refused credentials;
  success or 503 when only every second request fails), never a bare
  500, and the message names the EEM and carries no traceback;
* while EEM is slow, the conductor still answers other requests.

After the table, one discovery cycle runs and nothing is lost: every IO
engine is free or in the group of a server an Ironic node holds, the pool
agrees with EEM device by device, nothing stays ``claimed``, no node the
table tried to compose is left, and the pod manager is online again. Power
reads of a node without BMC then fail until Ironic puts it in maintenance
with the fault ``power failure``, and recover by themselves once EEM
answers. Last, no log, answer,
``last_error`` or node history holds the test passwords.

By default a representative subset of 29 rows runs; set
``EXPETHER_FULL_FAULT_TABLE=1`` to run every operation under every mode
(90 rows). Each row's status, time and the row itself are attached to the
test result as ``fault-table``.
"""

import collections
import concurrent.futures
import json
import os
import re
import tempfile
import time
import urllib.parse

import requests

from ironic_expether import emulator
from ironic_expether.emulator import control
from ironic_expether.tests.functional import base
from ironic_expether.tests.functional import emulator_fixture

DRIVER = 'expether'
FULL_ENV = 'EXPETHER_FULL_FAULT_TABLE'

#: EEM client options of the stack (small, so that slow rows stay short).
TIMEOUT = 1.5
RETRIES = 1
INTERVAL = 0.2
#: EEMClient.worst_case_seconds for a GET with these options.
WORST_GET = (RETRIES + 1) * TIMEOUT + INTERVAL * (2 ** RETRIES - 1)
#: A PUT or DELETE is sent once.
WORST_WRITE = TIMEOUT
#: Time Ironic, the facade and the clients add to an answer.
OVERHEAD = 6.0
#: [expether]claim_timeout of the stack.
CLAIM_TIMEOUT = 30
#: [expether]discovery_interval of the stack.
DISCOVERY_INTERVAL = 5
#: Seconds the emulator refuses connections in the "refused" rows.
REFUSE_SECONDS = 6

#: Fault modes: name -> (rules or special action, statuses accepted).
#: A status of 'ok' is any 2xx answer.
MODES = collections.OrderedDict([
    ('refused', ('refuse', {503})),
    ('reset', ([{'kind': 'error', 'drop': True,
                 'path': '/eem/*'}], {503})),
    ('slow', ([{'kind': 'latency', 'seconds': TIMEOUT + 1.0,
                'path': '/eem/*'}], {503})),
    ('5xx', ([{'kind': 'error', 'status': 500, 'path': '/eem/*'}], {503})),
    ('5xx-every-2nd', ([{'kind': 'error', 'status': 503, 'every': 2,
                         'path': '/eem/*'}], {'ok', 503})),
    ('not-json', ([{'kind': 'malformed', 'body': 'not-json',
                    'path': '/eem/*'}], {503})),
    ('truncated', ([{'kind': 'malformed', 'body': 'truncated',
                     'path': '/eem/*'}], {503})),
    ('wrong-shape', ([{'kind': 'malformed', 'body': 'devices-not-list',
                       'path': '/eem/devices*'},
                      {'kind': 'malformed', 'body': 'wrong-shape',
                       'path': '/eem/devices/*'},
                      {'kind': 'malformed', 'body': 'wrong-shape',
                       'path': '/eem/api_version'}], {503})),
    ('password-changed', ('password', {400})),
])

#: Operations: name -> budget in EEM worst cases (GETs, writes).
OPERATIONS = collections.OrderedDict([
    ('compose-passthru', (3, 4)),
    ('compose-facade', (3, 4)),
    ('attach', (3, 2)),
    ('detach', (3, 2)),
    ('release', (3, 2)),
    ('manage', (3, 2)),
    ('pod-manager-create', (1, 0)),
    ('sync', (1, 0)),
    ('indicator-get', (1, 0)),
    ('indicator-set', (1, 1)),
])

#: The subset run in CI: every mode on the cheapest conductor operation,
#: the modes a compose reacts to differently, every operation under a 5xx,
#: and a few other pairs. EXPETHER_FULL_FAULT_TABLE=1 runs all 90 rows.
CI_ROWS = (
    [(mode, 'indicator-get') for mode in MODES]
    + [(mode, 'compose-passthru') for mode in
       ('slow', '5xx-every-2nd', 'wrong-shape', 'password-changed')]
    + [('5xx', op) for op in OPERATIONS
       if op not in ('indicator-get', 'compose-passthru')]
    + [('refused', 'attach'), ('refused', 'compose-facade'),
       ('refused', 'sync'), ('slow', 'attach'), ('not-json', 'detach'),
       ('reset', 'release'), ('wrong-shape', 'sync'),
       ('truncated', 'manage')]
)

NEW_PASSWORD = 'Changed-Pa55-%d' % os.getpid()


class EEMFaultsTestCase(base.StackTestCase):

    stack_options = {
        'valence': True,
        'expether': {'request_timeout': TIMEOUT,
                     'request_retries': RETRIES,
                     'retry_interval': INTERVAL,
                     'discovery_interval': DISCOVERY_INTERVAL,
                     # A write whose answer was lost keeps its claim until
                     # discovery repairs it, this long after.
                     'claim_timeout': CLAIM_TIMEOUT,
                     'power_state_cache_ttl': 1},
        'ironic_options': {
            'conductor': {'power_failure_recovery_interval': 5,
                          'power_state_sync_max_retries': 1,
                          'force_power_state_during_sync': False},
        },
    }

    # Helpers

    def driver_call(self, method, verb='GET', body=None):
        return self.ironic(
            verb, '/v1/drivers/%s/vendor_passthru/%s' % (DRIVER, method),
            json=body or {})

    def node_call(self, node, method, verb='POST', body=None):
        return self.ironic(
            verb, '/v1/nodes/%s/vendor_passthru?method=%s' % (node, method),
            json=body or {})

    def facade(self, method, path, body=None):
        return requests.request(method, self.stack.valence_url + path,
                                json=body, timeout=120)

    def podm_uuid(self):
        podms = self.driver_call('pod_managers').json()['pod_managers']
        mine = [p for p in podms
                if p['url'].rstrip('/') == self.eem_address.rstrip('/')]
        self.assertEqual(1, len(mine), podms)
        return mine[0]

    def sync(self):
        response = self.driver_call('sync', 'POST',
                                    {'podm_id': self.podm['uuid']})
        self.assertEqual(200, response.status_code, response.text)
        return response.json()['results'][0]

    def pool(self):
        response = self.driver_call('devices')
        self.assertEqual(200, response.status_code, response.text)
        return response.json()['devices']

    def free_device(self):
        free = sorted((d['resource_uri'].split('/', 1)[1], d['type'])
                      for d in self.pool() if d['state'] == 'free'
                      and d['type'])
        self.assertTrue(free, 'no free device left in the pool')
        return free[0]

    def clear_faults(self, mode):
        if mode == 'refused':
            base.stack_mod.wait_for(self._emulator_answers,
                                    REFUSE_SECONDS + 10)
        elif mode == 'password-changed':
            self._new_control(NEW_PASSWORD).set_credentials(
                self.stack.eem_username, self.stack.eem_password)
        self.control.clear_faults()

    def _emulator_answers(self):
        try:
            self.control.faults()
            return True
        except Exception:
            return False

    def _new_control(self, password):
        parts = urllib.parse.urlsplit(self.eem_address)
        ctl = control.EmulatorControl(
            '%s://%s' % (parts.scheme, parts.netloc),
            username=self.stack.eem_username, password=password)
        self.addCleanup(ctl.close)
        return ctl

    def set_fault(self, mode):
        rules, _accepted = MODES[mode]
        if rules == 'refuse':
            self.control.refuse_connections(REFUSE_SECONDS)
        elif rules == 'password':
            self.control.set_credentials(self.stack.eem_username,
                                         NEW_PASSWORD)
        else:
            self.control.set_faults(rules)

    # Operations: each returns (status, text) and registers its own
    # clean-up for after the fault is cleared.

    def op_compose_passthru(self, cleanups):
        name = 'fault-%d' % len(self.composed)
        self.composed.append(name)
        _eeid, dtype = self.free_device()
        response = self.driver_call(
            'compose', 'POST', {'name': name, 'podm_id': self.podm['uuid'],
                                'properties': {'pci_device':
                                               {'type': [dtype]}}})
        if response.status_code == 200:
            cleanups.append(lambda: self._decompose(response.json()['uuid']))
        return response

    def op_compose_facade(self, cleanups):
        name = 'fault-%d' % len(self.composed)
        self.composed.append(name)
        _eeid, dtype = self.free_device()
        response = self.facade('POST', '/v1/nodes', {
            'podm_id': self.podm['uuid'], 'name': name,
            'properties': {'pci_device': {'type': [dtype]}}})
        if response.status_code == 200:
            cleanups.append(lambda: self._decompose(response.json()['uuid']))
        return response

    def _decompose(self, node_uuid):
        self.node_call(node_uuid, 'release')
        node = self.node(node_uuid)
        stack_node = [n for n in self.stack.nodes if n['uuid'] == node_uuid]
        if stack_node and node['name'] != stack_node[0]['name']:
            self.baremetal('node', 'set', node_uuid, '--name',
                           stack_node[0]['name'], json_output=False)
        elif not stack_node:
            self.baremetal('node', 'delete', node_uuid, json_output=False)

    def op_attach(self, cleanups):
        eeid, _dtype = self.free_device()
        cleanups.append(lambda: self.node_call(
            self.node_uuid, 'detach', body={'resource_id': eeid}))
        return self.node_call(self.node_uuid, 'attach',
                              body={'resource_id': eeid})

    def prepare_detach(self):
        eeid, _dtype = self.free_device()
        response = self.node_call(self.node_uuid, 'attach',
                                  body={'resource_id': eeid})
        self.assertEqual(200, response.status_code, response.text)
        return eeid

    def op_detach(self, cleanups, eeid):
        cleanups.append(lambda: self.node_call(
            self.node_uuid, 'detach', body={'resource_id': eeid}))
        return self.node_call(self.node_uuid, 'detach',
                              body={'resource_id': eeid})

    prepare_release = prepare_detach

    def op_release(self, cleanups, eeid):
        cleanups.append(lambda: self.node_call(self.node_uuid, 'release'))
        return self.node_call(self.node_uuid, 'release')

    def op_manage(self, cleanups):
        response = self.driver_call('manage', 'POST', {
            'podm_id': self.podm['uuid'], 'node_index': self.spare_eesv})
        if response.status_code == 200:
            uuid = response.json()['uuid']
            cleanups.append(lambda: self.baremetal(
                'node', 'delete', uuid, json_output=False))
        return response

    def op_pod_manager_create(self, cleanups):
        # NOTE(expether): the URL of the pod manager the stack registered:
        # EEM is asked first, so a working EEM answers 409 (exists).
        return self.driver_call('pod_managers', 'POST', {
            'name': 'again', 'url': self.eem_address,
            'authentication': [{'type': 'basic', 'auth_items': {
                'username': self.stack.eem_username,
                'password': self.stack.eem_password}}]})

    def op_sync(self, cleanups):
        return self.driver_call('sync', 'POST',
                                {'podm_id': self.podm['uuid']})

    def op_indicator_get(self, cleanups):
        return self.ironic('GET', self.indicator)

    def op_indicator_set(self, cleanups):
        return self.ironic('PUT', self.indicator, json={'state': 'on'})

    # Checks

    def outcome(self, op, response):
        """The status a row is judged by."""
        status = response.status_code
        if op == 'sync' and status == 200:
            result = response.json()['results'][0]
            if result['status'] != 'SUCCESS':
                # A sync reports a failed pod manager in its answer.
                return 503, result.get('detail', '')
        if op == 'pod-manager-create' and status == 409:
            return 200, response.text
        return status, response.text

    def check_row(self, mode, op, status, text, elapsed, problems):
        _rules, accepted = MODES[mode]
        gets, writes = OPERATIONS[op]
        budget = gets * WORST_GET + writes * WORST_WRITE + OVERHEAD
        if mode == 'refused':
            budget = max(budget, REFUSE_SECONDS + OVERHEAD)
        ok = 200 <= status < 300
        where = '%s/%s' % (mode, op)
        if not (status in accepted or (ok and 'ok' in accepted)):
            problems.append('%s: HTTP %s, expected %s: %s'
                            % (where, status, sorted(map(str, accepted)),
                               text[:600]))
        if elapsed > budget:
            problems.append('%s: answered in %.1f s, budget %.1f s'
                            % (where, elapsed, budget))
        if 'Traceback' in text:
            problems.append('%s: traceback in the answer: %s'
                            % (where, text[:600]))
        if self.stack.eem_password in text or NEW_PASSWORD in text:
            problems.append('%s: a password in the answer' % where)
        if not ok and status != 409:
            host = urllib.parse.urlsplit(self.eem_address).netloc
            if host not in text:
                problems.append('%s: the message does not name EEM %s: %s'
                                % (where, host, text[:600]))

    def conductor_answers(self):
        """A conductor call that needs no EEM, timed."""
        started = time.monotonic()
        response = self.driver_call('pod_managers')
        return response.status_code, time.monotonic() - started

    # The table

    def rows(self):
        if os.environ.get(FULL_ENV):
            return [(mode, op) for op in OPERATIONS for mode in MODES]
        return CI_ROWS

    def test_fault_table(self):
        self.podm = self.podm_uuid()
        self.composed = []
        self.node_uuid = self.stack.nodes[0]['uuid']
        path = '/v1/nodes/%s/management/indicators' % self.node_uuid
        indicators = self.ironic('GET', path, ok=200).json()['indicators']
        self.indicator = '%s/%s' % (path, indicators[0]['name'])
        self.spare_eesv = self._add_spare_server()
        # A node without BMC, out of enroll: Ironic's power sync reads its
        # power state from EEM.
        no_bmc = self.create_node(self.server(1), bmc=False)['uuid']
        self.baremetal('node', 'manage', '--wait', '60', no_bmc,
                       json_output=False)

        problems = []
        timings = []
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=2)
        self.addCleanup(pool.shutdown)
        for mode, op in self.rows():
            cleanups = []
            prepare = getattr(self, 'prepare_' + op.replace('-', '_'), None)
            args = (prepare(),) if prepare else ()
            self.set_fault(mode)
            side = None
            if mode == 'slow':
                # The conductor keeps answering while EEM is slow.
                side = pool.submit(lambda: (time.sleep(0.5),
                                            self.conductor_answers())[1])
            started = time.monotonic()
            response = getattr(self, 'op_' + op.replace('-', '_'))(
                cleanups, *args)
            elapsed = time.monotonic() - started
            status, text = self.outcome(op, response)
            timings.append('%-18s %-20s %3s %5.1f s'
                           % (mode, op, status, elapsed))
            self.check_row(mode, op, status, text, elapsed, problems)
            if op == 'sync' and status != 200:
                # The pod manager goes offline (with the reason, logged).
                podm_status = self.podm_uuid()['status']
                if podm_status != 'Offline':
                    problems.append('%s/%s: pod manager %s, not Offline'
                                    % (mode, op, podm_status))
            if side is not None:
                side_status, side_time = side.result()
                if side_status != 200 or side_time > 3 * TIMEOUT:
                    problems.append('%s/%s: the conductor answered another '
                                    'request with %s after %.1f s'
                                    % (mode, op, side_status, side_time))
            self.clear_faults(mode)
            for cleanup in cleanups:
                cleanup()
        self.addDetail('fault-table', base.content.text_content(
            '\n'.join(timings)))

        problems += self.check_podm_online()
        problems += self.check_nothing_lost()
        problems += self.check_recovered(no_bmc)
        problems += self.check_no_secrets()
        self.assertEqual([], problems, '\n'.join(problems))

    def _add_spare_server(self):
        """A server engine no node holds, for the manage rows."""
        template = [d for d in self.eem_devices()
                    if d.get('status') == 'eesv'][0]
        spare = dict(template, id='0x8cdf9dfa0001',
                     mac_address='8c:df:9d:fa:00:01', group_id='4094')
        for key in ('downstream_ports',):
            spare.pop(key, None)
        self.control.add_devices([spare])
        self.addCleanup(self.control.remove_device, spare['id'])
        return spare['id']

    def check_nothing_lost(self):
        problems = []

        def unclaimed():
            return not [d for d in self.pool() if d['state'] == 'claimed']

        # Claims of writes whose answer was lost are repaired by discovery
        # once they are claim_timeout old.
        base.stack_mod.wait_for(unclaimed,
                                CLAIM_TIMEOUT + 3 * DISCOVERY_INTERVAL)
        result = self.sync()
        if result['status'] != 'SUCCESS':
            problems.append('sync after the table: %s' % result)
        pool = {d['resource_uri'].split('/', 1)[1]: d for d in self.pool()}
        nodes = {n['uuid']: n for n in self.sdk_nodes()}
        eesv_groups = {}
        for device in self.eem_devices():
            if device.get('status') == 'eesv':
                eesv_groups[device['id']] = str(device.get('group_id'))
        for device in self.eem_devices():
            if device.get('status') != 'eeio':
                continue
            eeid, group = device['id'], str(device.get('group_id'))
            record = pool.get(eeid)
            if record is None:
                problems.append('%s is not in the pool' % eeid)
                continue
            if record['state'] == 'claimed':
                problems.append('%s is still claimed' % eeid)
            if group == '4093':
                if record['state'] != 'free':
                    problems.append('%s is free in EEM, %s in the pool'
                                    % (eeid, record['state']))
                continue
            holder = nodes.get(record['node_uuid'])
            if holder is None:
                problems.append('%s is in group %s, held by no node (pool: '
                                '%s)' % (eeid, group, record))
                continue
            eesv = holder['driver_info'].get('eesv_id')
            if eesv_groups.get(eesv) != group:
                problems.append('%s is in group %s, its node %s has server '
                                '%s in group %s' % (eeid, group,
                                                    holder['uuid'], eesv,
                                                    eesv_groups.get(eesv)))
        names = {n['name'] for n in nodes.values()}
        left = sorted(set(self.composed) & names)
        if left:
            problems.append('composed nodes left behind: %s' % left)
        return problems

    def sdk_nodes(self):
        response = self.ironic('GET', '/v1/nodes?detail=true&driver=%s'
                               % DRIVER, ok=200)
        return response.json()['nodes']

    def check_podm_online(self):
        """The pod manager is back online by itself (periodic discovery)."""

        def podm_online():
            return self.podm_uuid()['status'] == 'Online'

        if not base.stack_mod.wait_for(podm_online, 30):
            return ['the pod manager is not back online by itself: %s'
                    % self.podm_uuid()]
        return []

    def check_recovered(self, no_bmc):
        problems = []

        def node_state():
            node = self.node(no_bmc)
            return node['power_state'], node['maintenance'], node['fault']

        # Ironic's power sync: failed reads, then maintenance with the
        # fault "power failure", then recovery without an operator.
        self.control.set_faults(MODES['5xx'][0])
        faulted = base.stack_mod.wait_for(
            lambda: node_state()[1:] == (True, 'power failure'), 40)
        self.control.clear_faults()
        if not faulted:
            problems.append('node %s without BMC: no maintenance with fault '
                            '"power failure" while EEM failed: %s'
                            % (no_bmc, node_state()))

        def recovered():
            power, maintenance, _fault = node_state()
            return power in ('power on', 'power off') and not maintenance

        if not base.stack_mod.wait_for(recovered, 40):
            problems.append('node %s without BMC did not recover: %s'
                            % (no_bmc, node_state()))
        return problems

    def check_no_secrets(self):
        """No test password in logs, answers, last_error or history."""
        problems = []
        secrets = [self.stack.eem_password, NEW_PASSWORD]
        texts = {}
        log_dir = os.path.join(self.workdir, 'logs')
        for name in os.listdir(log_dir):
            with open(os.path.join(log_dir, name), errors='replace') as f:
                texts['log %s' % name] = f.read()
        nodes = self.sdk_nodes()
        texts['GET /v1/nodes'] = json.dumps(nodes)
        for node in nodes:
            history = self.ironic('GET', '/v1/nodes/%s/history?detail=true'
                                  % node['uuid'])
            texts['history of %s' % node['uuid']] = history.text
        texts['pod managers'] = self.driver_call('pod_managers').text
        texts['facade pod managers'] = self.facade(
            'GET', '/v1/pod_managers').text
        for where, text in texts.items():
            for secret in secrets:
                if secret and secret in text:
                    problems.append('a test password in %s' % where)
        offline = r'Pod manager %s \([^)]*\) is now offline: \S' % (
            self.podm['uuid'])
        if not re.search(offline, texts['log ironic.log']):
            problems.append('no "%s" in ironic.log' % offline)
        # The stack's EEM is plain http://: one warning, not one per
        # request.
        warned = texts['log ironic.log'].count(
            'EEM %s is reached over plain HTTP' % self.eem_address.rstrip('/'))
        if warned != 1:
            problems.append('%d warnings about plain HTTP to %s in '
                            'ironic.log, expected 1' % (warned,
                                                        self.eem_address))
        return problems

    def test_tls_verification(self):
        """An EEM over TLS: on by default, a CA bundle path honoured."""
        directory = tempfile.mkdtemp(dir=self.workdir)
        cert, key = emulator_fixture.write_self_signed_cert(directory)
        inventory = emulator.generate_inventory(1, 1, seed=11)
        server = emulator.EmulatorServer(emulator.EEMState(inventory),
                                         tls_cert=cert, tls_key=key)
        server.start()
        self.addCleanup(server.stop)
        eesv = [d for d in inventory if d['status'] == 'eesv'][0]
        node = self.create_node(eesv, bmc=False, eem_address=server.url,
                                eem_username=None, eem_password=None)
        path = '/v1/nodes/%s/management/indicators' % node['uuid']
        indicator = '%s/%s' % (path, self.ironic('GET', path, ok=200).json()[
            'indicators'][0]['name'])

        # Verification is on by default: the self-signed certificate is
        # refused, with one line that says what to fix.
        response = self.ironic('GET', indicator)
        self.assertEqual(400, response.status_code, response.text)
        self.assertIn('TLS certificate does not verify', response.text)
        self.assertIn('eem_verify_ca', response.text)
        self.assertNotIn('HTTPSConnectionPool', response.text)

        # The CA bundle given in eem_verify_ca is honoured.
        self.baremetal('node', 'set', node['uuid'], '--driver-info',
                       'eem_verify_ca=%s' % cert, json_output=False)
        response = self.ironic('GET', indicator)
        self.assertEqual(200, response.status_code, response.text)
        self.assertIn(response.json()['state'], ('on', 'off'))
