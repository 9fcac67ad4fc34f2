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

"""Who may call the Valence facade, and for whom it calls Ironic.

The facade runs in a real cheroot server in front of a loopback fake
Ironic that records every request: http_basic with a real bcrypt htpasswd
file, keystone with keystonemiddleware's own AuthTokenFixture.
"""

import base64
import io
import threading

import bcrypt
import fixtures
from keystonemiddleware import fixture as ksm_fixture
from oslotest import base
import requests

from ironic_expether.cmd import valence_api
from ironic_expether.tests.unit.valence import test_facade_ironic_client
from ironic_expether.valence import auth

FACADE_USER = 'facade-service'
FACADE_PASSWORD = 'Facade-0wn-secret'


def _basic(user, password):
    return 'Basic ' + base64.b64encode(
        ('%s:%s' % (user, password)).encode()).decode()


class ListenAddressTestCase(base.BaseTestCase):

    def _conf(self, *argv):
        return valence_api.load_config(list(argv))

    def test_noauth_loopback_only(self):
        for host in ('127.0.0.1', '127.0.0.5', '::1', 'localhost'):
            auth.check_listen_address(self._conf('--host', host))
        for host in ('0.0.0.0', '::', '192.0.2.10'):
            self.assertRaisesRegex(
                ValueError, 'refusing to listen on %s' % host,
                auth.check_listen_address, self._conf('--host', host))

    def test_explicit_option(self):
        path = self.useFixture(fixtures.TempDir()).join('v.conf')
        with open(path, 'w') as f:
            f.write('[valence_api]\nallow_noauth_on_any_address = true\n')
        auth.check_listen_address(
            self._conf('--config-file', path, '--host', '0.0.0.0'))

    def test_main_refuses(self):
        stderr = self.useFixture(fixtures.MonkeyPatch(
            'sys.stderr', io.StringIO())).new_value
        ironic = self.useFixture(test_facade_ironic_client.FakeIronic())
        self.assertEqual(2, valence_api.main(
            ['--host', '0.0.0.0', '--port', '0', '--ironic-url',
             ironic.url]))
        self.assertIn('allow_noauth_on_any_address', stderr.getvalue())
        self.assertEqual([], ironic.requests)


class _ServedFacade(fixtures.Fixture):
    """The facade's real server on a free loopback port."""

    def __init__(self, conf_text, ironic):
        self.conf_text = conf_text
        self.ironic = ironic

    def _setUp(self):
        path = self.useFixture(fixtures.TempDir()).join('valence.conf')
        with open(path, 'w') as f:
            f.write(self.conf_text)
        conf = valence_api.load_config(['--config-file', path, '--port',
                                        '0', '--ironic-url',
                                        self.ironic.url])
        self.server = valence_api.build_server(conf)
        self.server.prepare()
        self.url = 'http://127.0.0.1:%d' % self.server.bind_addr[1]
        thread = threading.Thread(target=self.server.serve, daemon=True)
        thread.start()
        self.addCleanup(thread.join, 10)
        self.addCleanup(self.server.stop)


class HttpBasicTestCase(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        tmp = self.useFixture(fixtures.TempDir())
        self.htpasswd = tmp.join('htpasswd')
        with open(self.htpasswd, 'w') as f:
            for user, password in (('alice', 'Alice-pw'),
                                   ('bob', 'Bob-pw')):
                digest = bcrypt.hashpw(password.encode(),
                                       bcrypt.gensalt(4)).decode()
                f.write('%s:%s\n' % (user, digest))
        self.ironic = self.useFixture(test_facade_ironic_client.FakeIronic())
        # The facade's own credentials are configured, to show that they
        # are not the ones Ironic receives.
        self.facade = self.useFixture(_ServedFacade(
            '[valence_api]\nauth_strategy = http_basic\n'
            'http_basic_auth_user_file = %s\n'
            '[ironic]\nauth_type = http_basic\nusername = %s\n'
            'password = %s\n' % (self.htpasswd, FACADE_USER,
                                 FACADE_PASSWORD), self.ironic))

    def test_refused_without_or_with_wrong_credentials(self):
        for headers in ({}, {'Authorization': _basic('alice', 'wrong')},
                        {'Authorization': _basic('carol', 'Alice-pw')}):
            for method, path, body in (
                    ('POST', '/v1/nodes', {'name': 'n'}),
                    ('POST', '/v1/pod_managers', {'url': 'http://e'}),
                    ('DELETE', '/v1/nodes/n', None),
                    ('GET', '/v1/devices', None)):
                response = requests.request(
                    method, self.facade.url + path, json=body,
                    headers=headers, timeout=10)
                self.assertEqual(401, response.status_code,
                                 (headers, method, path))
                self.assertEqual('Basic realm="Valence API"',
                                 response.headers['WWW-Authenticate'])
                self.assertEqual(401, response.json()['status'])
        self.assertEqual([], self.ironic.requests)

    def test_undecodable_credentials(self):
        # Ironic's basic authentication answers 400 to these.
        for header, detail in (('Basic %%%', 'authorization token'),
                               ('Bearer abc', 'Unsupported authorization')):
            response = requests.get(self.facade.url + '/v1/devices',
                                    headers={'Authorization': header},
                                    timeout=10)
            self.assertEqual(400, response.status_code)
            self.assertIn(detail, response.json()['detail'])
        self.assertEqual([], self.ironic.requests)

    def test_caller_credentials_sent_on(self):
        self.ironic.answer(200, {'devices': []})
        self.ironic.answer(200, {'devices': []})
        for user, password in (('alice', 'Alice-pw'), ('bob', 'Bob-pw')):
            response = requests.get(
                self.facade.url + '/v1/devices',
                headers={'Authorization': _basic(user, password)},
                timeout=10)
            self.assertEqual(200, response.status_code, response.text)
        self.assertEqual(
            [_basic('alice', 'Alice-pw'), _basic('bob', 'Bob-pw')],
            [r['headers'].get('authorization')
             for r in self.ironic.requests])

    def test_version_documents_public(self):
        for path in ('/', '/v1'):
            response = requests.get(self.facade.url + path, timeout=10)
            self.assertEqual(200, response.status_code)
        self.assertEqual([], self.ironic.requests)

    def test_unreadable_file(self):
        conf = valence_api.load_config(
            ['--port', '0', '--ironic-url', self.ironic.url])
        conf.set_override('auth_strategy', 'http_basic', 'valence_api')
        conf.set_override('http_basic_auth_user_file',
                          self.htpasswd + '.missing', 'valence_api')
        self.assertRaisesRegex(ValueError, 'http_basic_auth_user_file',
                               valence_api.build_server, conf)


class KeystoneTestCase(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.tokens = self.useFixture(ksm_fixture.AuthTokenFixture())
        self.token = 'tok-' + 'a' * 28
        self.tokens.add_token_data(token_id=self.token, user_id='u1',
                                   user_name='alice', project_id='p1',
                                   project_name='demo',
                                   role_list=['member'])
        self.ironic = self.useFixture(test_facade_ironic_client.FakeIronic())
        self.facade = self.useFixture(_ServedFacade(
            '[valence_api]\nauth_strategy = keystone\n'
            '[keystone_authtoken]\n'
            'www_authenticate_uri = http://keystone.test/identity\n'
            '[ironic]\nauth_type = http_basic\nusername = %s\n'
            'password = %s\n' % (FACADE_USER, FACADE_PASSWORD),
            self.ironic))

    def test_refused_without_or_with_bad_token(self):
        for headers in ({}, {'X-Auth-Token': 'not-a-token'}):
            for method, path, body in (
                    ('POST', '/v1/nodes', {'name': 'n'}),
                    ('POST', '/v1/nodes/n/action',
                     {'Reset': {'Type': 'ForceOff'}}),
                    ('GET', '/v1/pod_managers', None)):
                response = requests.request(
                    method, self.facade.url + path, json=body,
                    headers=headers, timeout=10)
                self.assertEqual(401, response.status_code,
                                 (headers, method, path))
        self.assertEqual([], self.ironic.requests)

    def test_caller_token_sent_on(self):
        self.ironic.answer(200, {'flavors': []})
        response = requests.get(self.facade.url + '/v1/flavors',
                                headers={'X-Auth-Token': self.token},
                                timeout=10)
        self.assertEqual(200, response.status_code, response.text)
        self.assertEqual([], response.json())
        headers = self.ironic.requests[0]['headers']
        self.assertEqual(self.token, headers['x-auth-token'])
        self.assertNotIn('authorization', headers)
