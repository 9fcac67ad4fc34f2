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

"""Run the devstack plugin's phases against a stub of devstack's helpers.

devstack itself cannot run in the unit tests. Each test sources
devstack/settings and devstack/plugin.sh in bash, as stack.sh does, with
the helpers of devstack_stub/functions.sh, then checks the resulting
ironic.conf and the commands that would have run.
"""

import base64
import configparser
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading

import fixtures
from oslotest import base

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..',
                                    '..'))
PLUGIN_DIR = os.path.join(ROOT, 'devstack')
STUB = os.path.join(os.path.dirname(__file__), 'devstack_stub',
                    'functions.sh')

EESV_IDS = ['0x8cdf9d911c60', '0x8cdf9d911c61', '0x8cdf9d911c62']


class FakeEEM(object):
    """An EEM answering api_version and the EESV list, nothing else."""

    def __init__(self, username=None, password=None):
        expected = None
        if username:
            expected = 'Basic ' + base64.b64encode(
                ('%s:%s' % (username, password)).encode()).decode()
        self.requests = []
        requests = self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                requests.append(self.path)
                if expected and self.headers.get('Authorization') != expected:
                    return self._answer(401, {'code': '40100',
                                              'message': 'Unauthorized'})
                if self.path == '/eem/api_version':
                    return self._answer(200, {'version_number': '1.0'})
                if self.path == '/eem/devices?status=eesv':
                    return self._answer(200, {
                        'devices': [{'id': i} for i in EESV_IDS],
                        'timestamp': '1521117379726'})
                return self._answer(404, {'code': '40400',
                                          'message': 'Not found'})

            def _answer(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                      Handler)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever,
                                        daemon=True)
        self._thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class PluginTestBase(base.BaseTestCase):
    """A temporary devstack: ironic.conf, stub log, fake console scripts."""

    def setUp(self):
        super(PluginTestBase, self).setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.conf = os.path.join(self.tmp, 'ironic.conf')
        self.log = os.path.join(self.tmp, 'stub.log')
        self.state = os.path.join(self.tmp, 'state')
        self.bin = os.path.join(self.tmp, 'bin')
        os.mkdir(self.state)
        os.mkdir(self.bin)
        open(self.log, 'w').close()
        self._write_command('ironic-expether-dbsync')
        self._write_command('eem-emulator')
        self.env = {
            'PATH': os.environ.get('PATH', '/usr/bin:/bin'),
            'STUB_LOG': self.log,
            'STUB_STATE_DIR': self.state,
            'STUB_BIN_DIR': self.bin,
            'STUB_PYTHON': sys.executable,
            'PYTHON': sys.executable,
            'DEST': os.path.join(self.tmp, 'opt'),
            'DATA_DIR': os.path.join(self.tmp, 'data'),
            'IRONIC_CONF_FILE': self.conf,
            'ENABLED_SERVICES': 'key,ir-api,ir-cond',
            'EXPETHER_BAREMETAL_CMD': 'stub_baremetal',
        }

    def _write_command(self, name, rc=0):
        """A fake console script that logs its arguments."""
        path = os.path.join(self.bin, name)
        with open(path, 'w') as f:
            f.write('#!/bin/bash\necho "%s $*" >> "$STUB_LOG"\nexit %d\n'
                    % (name, rc))
        os.chmod(path, 0o755)

    def _write_conf(self, text):
        with open(self.conf, 'w') as f:
            f.write(text)

    def _read_conf(self):
        parser = configparser.ConfigParser(interpolation=None)
        parser.optionxform = str
        parser.read(self.conf)
        return parser

    def _run(self, *phase, expect_rc=0, **env):
        """Source settings and plugin.sh for one phase, as stack.sh does."""
        script = ('set -eu; source "%s"; source "%s/settings"; '
                  'source "%s/plugin.sh" %s'
                  % (STUB, PLUGIN_DIR, PLUGIN_DIR, ' '.join(phase)))
        full_env = dict(self.env, **env)
        result = subprocess.run(['bash', '-c', script], env=full_env,
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(expect_rc, result.returncode,
                         'stdout: %s\nstderr: %s'
                         % (result.stdout, result.stderr))
        return result

    def _logged(self):
        with open(self.log) as f:
            return f.read().splitlines()

    def _fake_eem(self, **kwargs):
        eem = FakeEEM(**kwargs)
        self.addCleanup(eem.stop)
        return eem


class DevstackPluginTestCase(PluginTestBase):

    def test_scripts_parse(self):
        for name in ('plugin.sh', 'settings'):
            subprocess.run(['bash', '-n', os.path.join(PLUGIN_DIR, name)],
                           check=True)

    def test_install_runs_setup_develop(self):
        self._run('stack', 'install')
        self.assertEqual(
            ['setup_develop %s' % os.path.join(self.tmp, 'opt',
                                               'ironic-expether')],
            self._logged())

    def test_post_config_appends_to_existing_lists(self):
        self._write_conf(
            '[DEFAULT]\n'
            'enabled_hardware_types = ipmi,redfish\n'
            'enabled_power_interfaces = ipmitool,redfish\n'
            'enabled_management_interfaces = ipmitool,redfish\n'
            'enabled_boot_interfaces = ipxe,pxe\n'
            '[database]\n'
            'connection = mysql+pymysql://root@127.0.0.1/ironic\n')
        self._run('stack', 'post-config')
        conf = self._read_conf()
        default = conf['DEFAULT']
        self.assertEqual('ipmi,redfish,expether',
                         default['enabled_hardware_types'])
        self.assertEqual('ipmitool,redfish,expether',
                         default['enabled_power_interfaces'])
        self.assertEqual('ipmitool,redfish,expether',
                         default['enabled_management_interfaces'])
        # Unset in the file and in devstack: Ironic's default list, plus
        # expether (Ironic's default would not load it).
        self.assertEqual('ipmitool,redfish,no-vendor,expether',
                         default['enabled_vendor_interfaces'])
        # What was there stays.
        self.assertEqual('ipxe,pxe', default['enabled_boot_interfaces'])
        self.assertEqual('mysql+pymysql://root@127.0.0.1/ironic',
                         conf['database']['connection'])
        self.assertEqual('True', conf['expether']['verify_ca'])
        self.assertFalse(conf.has_option('expether', 'discovery_interval'))
        self.assertIn('ironic-expether-dbsync --config-file %s upgrade'
                      % self.conf, self._logged())
        self.assertTrue(os.path.isdir(
            os.path.join(self.tmp, 'data', 'ironic-expether')))

    def test_post_config_starts_from_devstack_variables(self):
        self._write_conf('[DEFAULT]\n')
        self._run('stack', 'post-config',
                  IRONIC_ENABLED_HARDWARE_TYPES='ipmi,fake-hardware',
                  IRONIC_ENABLED_VENDOR_INTERFACES='ipmitool,no-vendor',
                  EXPETHER_DISCOVERY_INTERVAL='30',
                  EXPETHER_AUTO_ENROLL='True',
                  EXPETHER_EEM_VERIFY_CA='/etc/ssl/eem-ca.pem')
        conf = self._read_conf()
        self.assertEqual('ipmi,fake-hardware,expether',
                         conf['DEFAULT']['enabled_hardware_types'])
        self.assertEqual('ipmitool,no-vendor,expether',
                         conf['DEFAULT']['enabled_vendor_interfaces'])
        # Unset everywhere: Ironic enables the first supported power and
        # management interfaces of every hardware type, expether's
        # included, so the plugin leaves them unset.
        self.assertFalse(conf.has_option('DEFAULT',
                                         'enabled_power_interfaces'))
        self.assertFalse(conf.has_option('DEFAULT',
                                         'enabled_management_interfaces'))
        self.assertEqual('30', conf['expether']['discovery_interval'])
        self.assertEqual('True', conf['expether']['auto_enroll'])
        self.assertEqual('/etc/ssl/eem-ca.pem',
                         conf['expether']['verify_ca'])

    def test_post_config_twice_adds_expether_once(self):
        self._write_conf('[DEFAULT]\n'
                         'enabled_hardware_types = redfish\n'
                         'enabled_power_interfaces = redfish\n')
        self._run('stack', 'post-config')
        self._run('stack', 'post-config')
        conf = self._read_conf()
        self.assertEqual('redfish,expether',
                         conf['DEFAULT']['enabled_hardware_types'])
        self.assertEqual('redfish,expether',
                         conf['DEFAULT']['enabled_power_interfaces'])

    def test_post_config_fails_when_dbsync_fails(self):
        self._write_conf('[DEFAULT]\n')
        self._write_command('ironic-expether-dbsync', rc=1)
        result = self._run('stack', 'post-config', expect_rc=1)
        self.assertIn('ironic-expether-dbsync upgrade failed', result.stderr)

    def test_nothing_happens_without_ironic(self):
        self._write_conf('[DEFAULT]\nenabled_hardware_types = ipmi\n')
        for phase in (('stack', 'install'), ('stack', 'post-config'),
                      ('stack', 'extra'), ('unstack',), ('clean',)):
            self._run(*phase, ENABLED_SERVICES='key,n-cpu',
                      EXPETHER_USE_EMULATOR='True')
        self.assertEqual([], self._logged())
        conf = self._read_conf()
        self.assertEqual('ipmi', conf['DEFAULT']['enabled_hardware_types'])

    def test_extra_without_emulator_does_nothing(self):
        self._run('stack', 'extra')
        self.assertEqual([], self._logged())

    def test_extra_starts_emulator_and_enrolls_its_servers(self):
        eem = self._fake_eem()
        # One server is enrolled already and must be left alone.
        with open(os.path.join(self.state, 'nodes'), 'w') as f:
            f.write('eesv-%s\n' % EESV_IDS[0][2:])
        self._run('stack', 'extra', EXPETHER_USE_EMULATOR='True',
                  EXPETHER_EMULATOR_PORT=str(eem.port),
                  EXPETHER_EMULATOR_SERVERS='3',
                  EXPETHER_EMULATOR_DEVICES='12')
        logged = self._logged()
        address = 'http://127.0.0.1:%d/eem' % eem.port
        self.assertEqual(
            'run_process eem-emulator %s/eem-emulator --host 127.0.0.1 '
            '--port %d --servers 3 --devices 12' % (self.bin, eem.port),
            logged[0])
        self.assertEqual('wait_for_service 60 %s/api_version' % address,
                         logged[1])
        creates = [line for line in logged
                   if line.startswith('baremetal node create')]
        self.assertEqual(
            ['baremetal node create --driver expether --name eesv-%s '
             '--driver-info eem_address=%s --driver-info eesv_id=%s '
             '--driver-info eem_verify_ca=True' % (eesv[2:], address, eesv)
             for eesv in EESV_IDS[1:]],
            creates)
        self.assertIn('/eem/devices?status=eesv', eem.requests)

    def test_extra_enrolls_servers_of_a_real_eem_with_credentials(self):
        eem = self._fake_eem(username='admin', password='s3cret')
        address = 'http://127.0.0.1:%d/eem/' % eem.port
        self._run('stack', 'extra', EXPETHER_EEM_ADDRESS=address,
                  EXPETHER_EEM_USERNAME='admin',
                  EXPETHER_EEM_PASSWORD='s3cret',
                  EXPETHER_ENROLL_NODES='True')
        logged = self._logged()
        self.assertFalse([line for line in logged
                          if line.startswith('run_process')])
        creates = [line for line in logged
                   if line.startswith('baremetal node create')]
        self.assertEqual(len(EESV_IDS), len(creates))
        for eesv, line in zip(EESV_IDS, creates):
            self.assertIn('--driver-info eesv_id=%s' % eesv, line)
            self.assertIn('--driver-info eem_address=%s' % address, line)
            self.assertIn('--driver-info eem_username=admin', line)
            self.assertIn('--driver-info eem_password=s3cret', line)

    def test_extra_fails_when_the_eem_refuses_the_credentials(self):
        eem = self._fake_eem(username='admin', password='s3cret')
        result = self._run(
            'stack', 'extra', expect_rc=1,
            EXPETHER_EEM_ADDRESS='http://127.0.0.1:%d/eem' % eem.port,
            EXPETHER_EEM_USERNAME='admin', EXPETHER_EEM_PASSWORD='wrong',
            EXPETHER_ENROLL_NODES='True')
        self.assertIn('cannot list the server engines', result.stderr)
        self.assertNotIn('wrong', result.stderr)
        self.assertFalse([line for line in self._logged()
                          if line.startswith('baremetal node create')])

    def test_enroll_without_an_eem_dies(self):
        result = self._run('stack', 'extra', expect_rc=1,
                           EXPETHER_ENROLL_NODES='True')
        self.assertIn('EXPETHER_ENROLL_NODES needs', result.stderr)

    def test_unstack_stops_emulator_and_clean_removes_data(self):
        data = os.path.join(self.tmp, 'data', 'ironic-expether')
        os.makedirs(data)
        self._run('unstack', EXPETHER_USE_EMULATOR='True')
        self.assertEqual(['stop_process eem-emulator'], self._logged())
        self._run('clean', EXPETHER_USE_EMULATOR='True')
        self.assertFalse(os.path.exists(data))

    def test_unstack_without_emulator_stops_nothing(self):
        self._run('unstack')
        self.assertEqual([], self._logged())


class RealEmulatorTestCase(PluginTestBase):
    """The extra phase with the real eem-emulator."""

    def test_extra_enrolls_every_server_of_the_real_emulator(self):
        bin_dir = os.path.dirname(sys.executable)
        self.assertTrue(os.path.exists(os.path.join(bin_dir, 'eem-emulator')),
                        'eem-emulator is not installed next to %s'
                        % sys.executable)
        if shutil.which('setsid') is None:
            self.skipTest('setsid is not installed')
        port = _free_port()
        env = dict(EXPETHER_USE_EMULATOR='True',
                   EXPETHER_EMULATOR_PORT=str(port),
                   EXPETHER_EMULATOR_SERVERS='3',
                   EXPETHER_EMULATOR_DEVICES='6',
                   EXPETHER_BIN_DIR=bin_dir,
                   STUB_EXEC_PROCESSES='1')
        self.addCleanup(self._run, 'unstack', **env)
        self._run('stack', 'extra', **env)
        creates = [line for line in self._logged()
                   if line.startswith('baremetal node create')]
        self.assertEqual(3, len(creates))
        for line in creates:
            self.assertIn('--driver expether', line)
            self.assertIn('eem_address=http://127.0.0.1:%d/eem' % port, line)
        self._run('unstack', **env)
        self.assertFalse(os.path.exists(
            os.path.join(self.state, 'eem-emulator.pid')))


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]
