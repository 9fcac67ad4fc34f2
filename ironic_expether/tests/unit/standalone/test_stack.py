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


import os
import signal
import sqlite3
import sys
import tempfile

import fixtures
from oslotest import base

from ironic_expether.cmd import standalone as cmd
from ironic_expether.standalone import pod
from ironic_expether.standalone import stack as stack_mod

EESV = {'id': '0x8cdf9d42c6c6', 'status': 'eesv', 'power_status': 'on',
        'group_id': '4094'}
DEVICES = [
    EESV,
    {'id': '0x8cdf9d000001', 'status': 'eeio', 'group_id': '4093',
     'pcie_class_code': '0x030200'},
    {'id': '0x8cdf9d000002', 'status': 'eeio', 'group_id': '4093',
     'pcie_class_code': '0x010802'},
    {'id': '0x8cdf9d000003', 'status': 'eeio', 'group_id': '17',
     'pcie_class_code': '0x020000'},
    {'id': '0x8cdf9d000004', 'status': 'eeio', 'group_id': '4093',
     'pcie_class_code': 'garbage'},
]


class PodTestCase(base.BaseTestCase):

    def test_names_and_uuids_are_stable(self):
        self.assertEqual('eesv-8cdf9d42c6c6', pod.node_name(EESV['id']))
        self.assertEqual(pod.system_uuid('0x8CDF9D42C6C6'),
                         pod.system_uuid(EESV['id']))
        self.assertNotEqual(pod.system_uuid('0x8cdf9d42c6c7'),
                            pod.system_uuid(EESV['id']))
        mac = pod.host_mac(EESV['id'])
        self.assertEqual(mac, pod.host_mac(EESV['id']))
        self.assertRegex(mac, r'^02(:[0-9a-f]{2}){5}$')

    def test_bmc_systems(self):
        off = dict(EESV, id='0x8cdf9d42c6c7', power_status='off')
        systems = pod.bmc_systems([EESV, off])
        self.assertEqual(['On', 'Off'], [s['power_state'] for s in systems])
        self.assertEqual(pod.system_uuid(EESV['id']), systems[0]['uuid'])
        self.assertEqual('eesv-8cdf9d42c6c6', systems[0]['name'])
        self.assertEqual(pod.host_mac(EESV['id']),
                         systems[0]['nics'][0]['mac'])

    def test_servers_and_pool_summary(self):
        self.assertEqual([EESV], pod.servers(DEVICES))
        self.assertEqual({'GPU': 1, 'SSD': 1, 'other': 1},
                         dict(pod.pool_summary(DEVICES)))


class StackTestCase(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix='expether-stack-')

    def _stack(self, **kwargs):
        stack = stack_mod.Stack(stack_mod.StackOptions(workdir=self.tmp,
                                                       **kwargs))
        stack.eem_address = 'http://127.0.0.1:1234/eem'
        stack.eem_username = 'admin'
        stack.eem_password = 'secret'
        stack.devices = DEVICES
        return stack

    def test_driver_info_with_bmc(self):
        stack = self._stack()
        stack.bmc_address = 'http://127.0.0.1:8000'
        self.assertEqual({
            'eem_address': 'http://127.0.0.1:1234/eem',
            'eem_username': 'admin', 'eem_password': 'secret',
            'eesv_id': EESV['id'],
            'redfish_address': 'http://127.0.0.1:8000',
            'redfish_system_id': '/redfish/v1/Systems/%s'
            % pod.system_uuid(EESV['id'])}, stack.driver_info(EESV))

    def test_driver_info_without_bmc_and_with_ca(self):
        stack = self._stack(bmc=False)
        stack.eem_verify_ca = '/etc/ca.pem'
        info = stack.driver_info(EESV)
        self.assertNotIn('redfish_address', info)
        self.assertEqual('/etc/ca.pem', info['eem_verify_ca'])

    def test_usage_names_endpoint_and_free_device(self):
        stack = self._stack(port=7000)
        stack.nodes = [{'name': 'eesv-8cdf9d42c6c6'}]
        stack.pod_manager_uuid = 'c8a1f0a4-6a4f-4b49-9d1c-3f1f3c1f0a11'
        text = '\n'.join(stack.usage())
        self.assertIn('export PATH=%s:$PATH OS_AUTH_TYPE=none '
                      'OS_ENDPOINT=http://127.0.0.1:7000'
                      % os.path.dirname(sys.executable), text)
        self.assertIn('baremetal expether attach eesv-8cdf9d42c6c6 '
                      '0x8cdf9d000001', text)
        self.assertIn('baremetal expether compose --pod-manager '
                      'c8a1f0a4-6a4f-4b49-9d1c-3f1f3c1f0a11 --device ', text)
        self.assertIn('baremetal expether pool list --pod-manager '
                      'c8a1f0a4-6a4f-4b49-9d1c-3f1f3c1f0a11', text)
        self.assertNotIn('secret', text)

    def test_stable_port(self):
        stack = self._stack()
        port = stack._stable_port('x')
        self.assertEqual(port, stack._stable_port('x'))
        self.assertTrue(os.path.exists(os.path.join(self.tmp, 'ports.json')))

    def test_has_table(self):
        path = os.path.join(self.tmp, 'db.sqlite')
        self.assertFalse(stack_mod._has_table(path, 'alembic_version'))
        with sqlite3.connect(path) as conn:
            conn.execute('CREATE TABLE alembic_version (v TEXT)')
        self.assertTrue(stack_mod._has_table(path, 'alembic_version'))
        self.assertFalse(stack_mod._has_table(path, 'nodes'))

    def test_console_command_falls_back_to_module(self):
        argv = stack_mod.console_command('no-such-script-here',
                                         'pkg.mod:func')
        self.assertEqual('-c', argv[1])
        self.assertIn('from pkg.mod import func', argv[2])


class CommandLineTestCase(base.BaseTestCase):

    def test_defaults(self):
        opts = cmd.options_from_args(cmd.build_parser().parse_args([]))
        self.assertEqual('.stack', opts.workdir)
        self.assertEqual(6385, opts.port)
        self.assertTrue(opts.bmc)
        self.assertTrue(opts.use_emulator)
        self.assertEqual(8181, opts.valence_port)
        self.assertEqual(pod.DEFAULT_SERVERS, opts.servers)

    def test_external_eem(self):
        opts = cmd.options_from_args(cmd.build_parser().parse_args([
            '--eem-address', 'https://eem.example.com/eem',
            '--eem-username', 'u', '--eem-password', 'p',
            '--eem-verify-ca', 'false', '--enroll', '--no-bmc',
            '--port', '7000']))
        self.assertFalse(opts.use_emulator)
        self.assertFalse(opts.eem_verify_ca)
        self.assertTrue(opts.enroll)
        self.assertFalse(opts.bmc)
        self.assertEqual(7000, opts.port)

    def test_eem_password_from_the_environment(self):
        self.useFixture(fixtures.EnvironmentVariable(
            'EXPETHER_EEM_PASSWORD', 'from-env'))
        opts = cmd.options_from_args(cmd.build_parser().parse_args([
            '--eem-address', 'https://eem.example.com/eem']))
        self.assertEqual('from-env', opts.eem_password)
        opts = cmd.options_from_args(cmd.build_parser().parse_args([
            '--eem-address', 'https://eem.example.com/eem',
            '--eem-password', 'from-argv']))
        self.assertEqual('from-argv', opts.eem_password)

    def test_first_signal_stops_later_ones_are_ignored(self):
        for signum in (signal.SIGINT, signal.SIGTERM):
            self.addCleanup(signal.signal, signum, signal.getsignal(signum))
        self.assertRaises(cmd._Terminated, cmd._raise_terminated,
                          signal.SIGINT, None)
        self.assertEqual(signal.SIG_IGN, signal.getsignal(signal.SIGINT))
        self.assertEqual(signal.SIG_IGN, signal.getsignal(signal.SIGTERM))

    def test_enroll_needs_external_eem(self):
        self.assertRaises(SystemExit, cmd.main, ['--enroll'])
