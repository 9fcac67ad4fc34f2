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


"""The ``baremetal expether`` and ``openstack baremetal expether`` commands.

The real commands, installed by this package's ``openstack.baremetal.v1``
entry points, run against the standalone stack.
"""

import collections
import os
import subprocess
import uuid

from ironic_expether.standalone import pod
from ironic_expether.standalone import stack as stack_mod
from ironic_expether.tests.functional import base


class CLITest(base.StackTestCase):

    stack_options = {'servers': 3, 'devices': 10}

    # Helpers

    def expether(self, *args, **kwargs):
        """``baremetal expether ...``."""
        return self.baremetal('expether', *args, **kwargs)

    def expether_fails(self, *args):
        """``baremetal expether ...`` that must fail: exit 1, no trace."""
        result = self.expether(*args, json_output=False, check=False)
        self.assertEqual(1, result.returncode, str(result))
        self.assertNotIn('Traceback', result.stderr, str(result))
        return result

    def openstack(self, *args, env=None):
        """``openstack baremetal expether ... -f json``."""
        argv = stack_mod.console_command(
            'openstack', 'openstackclient.shell:main')
        argv += ['baremetal', 'expether'] + list(args) + ['-f', 'json']
        environ = dict(os.environ, OS_AUTH_TYPE='none',
                       OS_ENDPOINT=self.endpoint)
        for key in ('OS_CLOUD', 'OS_AUTH_URL', 'OS_TOKEN'):
            environ.pop(key, None)
        environ.update(env or {})
        proc = subprocess.run(argv, env=environ, capture_output=True,
                              text=True, timeout=120,
                              stdin=subprocess.DEVNULL)
        result = base.CommandResult(argv, proc.returncode, proc.stdout,
                                    proc.stderr)
        self.assertEqual(0, result.returncode, str(result))
        return result

    def podm_uuid(self):
        """The stack's pod manager (registered when it started)."""
        self.assertIsNotNone(self.stack.pod_manager_uuid)
        return self.stack.pod_manager_uuid

    def pool(self, *filters):
        return self.expether('pool', 'list', *filters).data

    def free_types(self):
        """(type, count) of the free devices, most first, from EEM."""
        counts = pod.pool_summary(self.eem_devices())
        return sorted(((t, n) for t, n in counts.items() if n),
                      key=lambda item: (-item[1], item[0]))

    def _give_back(self, node_uuid, name):
        """Release a composed node's devices; give back the stack's name."""
        self.expether('release', node_uuid)
        stack_node = [n for n in self.stack.nodes if n['uuid'] == node_uuid]
        if stack_node and name != stack_node[0]['name']:
            self.baremetal('node', 'set', node_uuid, '--name',
                           stack_node[0]['name'], json_output=False)
        elif not stack_node:
            self.baremetal('node', 'delete', node_uuid, json_output=False)

    # Tests

    def test_pool_commands_in_both_clients(self):
        podm = self.podm_uuid()
        podms = self.expether('pod', 'manager', 'list').data
        self.assertEqual([self.eem_address], [p['URL'] for p in podms
                                              if p['UUID'] == podm])
        free = self.pool('--pod-manager', podm, '--state', 'free')
        self.assertEqual(sorted(self.free_devices()),
                         sorted(d['EE ID'] for d in free))
        summary = self.expether('pool', 'summary').data
        self.assertEqual(
            dict(self.free_types()),
            {row['Type']: row['Free'] for row in summary
             if row['Pod Manager'] == podm and row['Free']})
        shown = self.expether('pool', 'show', free[0]['EE ID']).data
        self.assertEqual(free[0]['UUID'], shown['uuid'])
        self.assertEqual('free', shown['state'])
        # Models: the PCI ids EEM reports, as a column and a filter.
        eem = {d['id']: d for d in self.eem_devices()}
        models = collections.Counter()
        for row in self.pool('--state', 'free', '--long'):
            wire = eem[row['EE ID']]
            model = '0x%04x:0x%04x' % (int(wire['pcie_vendor_id'], 16),
                                       int(wire['pcie_device_id'], 16))
            self.assertTrue(row['Model'].startswith(model), row)
            models[model] += 1
        model, count = models.most_common(1)[0]
        self.assertEqual(count, len(self.pool('--model', model, '--state',
                                              'free')))
        # The same command through python-openstackclient.
        self.assertEqual(summary, self.openstack('pool', 'summary').data)

    def test_compose_wait_devices_and_release(self):
        podm = self.podm_uuid()
        (pci_type, count), = self.free_types()[:1]
        name = 'cli-%s' % uuid.uuid4().hex[:6]
        result = self.expether('compose', '--pod-manager', podm, '--device',
                               pci_type, '--name', name, '--wait', '60')
        node = result.data
        self.addCleanup(self._give_back, node['uuid'], name)
        self.assertIn('Composing %s with 1 %s' % (name, pci_type),
                      result.stderr)
        self.assertIn('1 of 1 device(s) up', result.stderr)
        self.assertEqual(name, node['name'])
        self.assertEqual(1, len(node['devices']), node)
        dev_type, eeid, dev_uuid = node['devices'][0].split()
        self.assertEqual(pci_type, dev_type)
        # EEM has the device in the server engine's group.
        self.assertEqual(self.eem_device(node['server_engine'])['group_id'],
                         self.eem_device(eeid)['group_id'])
        listed = self.expether('devices', name).data
        self.assertEqual([eeid], [d['EE ID'] for d in listed])
        held = self.pool('--node', name)
        self.assertEqual([dev_uuid], [d['UUID'] for d in held])
        released = self.expether('release', name).data
        self.assertEqual([dev_uuid], [r['Released'] for r in released])
        self.assertEqual('4093', str(self.eem_device(eeid)['group_id']))

    def test_conflict_answered_at_once(self):
        podm = self.podm_uuid()
        pci_type, count = self.free_types()[0]
        args = ['compose', '--pod-manager', podm, '--name', 'cli-too-many']
        args += ['--device', pci_type] * (count + 1)
        result = self.expether_fails(*args)
        self.assertIn('HTTP 409', result.stderr)
        self.assertIn('%d device(s) of type %s requested' % (count + 1,
                                                             pci_type),
                      result.stderr)
        # One request, no retry (python-ironicclient's own HTTP client
        # would send it six times, two seconds apart): keystoneauth logs
        # each request with --debug.
        debug = self.baremetal('--debug', 'expether', *args,
                               json_output=False, check=False)
        self.assertEqual(1, debug.returncode, str(debug))
        self.assertEqual(1, debug.stderr.count(
            'REQ: curl -g -i -X POST %s/v1/drivers/expether/vendor_passthru'
            '/compose' % self.endpoint), debug.stderr[-3000:])
        names = [n.get('Name', n.get('name'))
                 for n in self.baremetal('node', 'list').data]
        self.assertNotIn('cli-too-many', names)

    def test_attach_detach_and_errors(self):
        node = self.stack.nodes[0]
        free = self.pool('--state', 'free')[0]
        attached = self.expether('attach', node['name'], free['EE ID']).data
        self.addCleanup(self.expether, 'release', node['uuid'], '--device',
                        free['UUID'], check=False)
        self.assertEqual('allocated', attached['state'])
        self.assertEqual(node['uuid'], attached['node_uuid'])
        # Detaching it from another node is a conflict, answered at once.
        other = self.stack.nodes[1]
        result = self.expether_fails('detach', other['name'], free['UUID'])
        self.assertIn('HTTP 409', result.stderr)
        detached = self.expether('detach', node['name'], free['UUID']).data
        self.assertEqual('free', detached['state'])
        result = self.expether_fails('devices', 'no-such-node')
        self.assertIn('HTTP 404', result.stderr)
        result = self.expether_fails('pool', 'list', '--type', 'TPU')
        self.assertIn("unknown device type 'TPU'", result.stderr)
        # Bad arguments: exit status 2, as every osc command.
        result = self.expether('compose', '--wait', 'soon',
                               json_output=False, check=False)
        self.assertEqual(2, result.returncode, str(result))

    def test_flavors_and_pod_manager_password(self):
        name = 'cli-flavor-%s' % uuid.uuid4().hex[:6]
        created = self.expether('flavor', 'create', name, '--device', 'GPU',
                                '--device', 'SSD').data
        self.addCleanup(self.expether, 'flavor', 'delete', created['uuid'],
                        json_output=False, check=False)
        self.assertEqual(['GPU', 'SSD'], created['devices'])
        listed = {f['Name']: f for f in self.expether('flavor', 'list').data}
        self.assertEqual(['GPU', 'SSD'], listed[name]['Devices'])
        self.expether('flavor', 'delete', name, json_output=False)
        self.assertNotIn(name, [f['Name'] for f in
                                self.expether('flavor', 'list').data])
        # No password on the command line: the environment, else a
        # terminal; with neither the command says so and sends nothing.
        result = self.expether_fails('pod', 'manager', 'create', 'cli-x',
                                     '--url', self.eem_address,
                                     '--username', 'admin')
        self.assertIn('EXPETHER_EEM_PASSWORD', result.stderr)
        wrong = 'wrong-%s' % uuid.uuid4().hex[:6]
        argv = stack_mod.console_command(
            'baremetal', 'ironicclient.shell:main') + [
            'expether', 'pod', 'manager', 'create', 'cli-x', '--url',
            self.eem_address, '--username', 'admin']
        env = dict(os.environ, OS_AUTH_TYPE='none',
                   OS_ENDPOINT=self.endpoint, EXPETHER_EEM_PASSWORD=wrong)
        proc = subprocess.run(argv, env=env, capture_output=True, text=True,
                              timeout=60, stdin=subprocess.DEVNULL)
        self.assertEqual(1, proc.returncode, proc.stderr)
        self.assertIn('refused the credentials', proc.stderr)
        self.assertNotIn(wrong, proc.stderr + proc.stdout)
        self.assertNotIn('cli-x', [p['Name'] for p in self.expether(
            'pod', 'manager', 'list').data])
