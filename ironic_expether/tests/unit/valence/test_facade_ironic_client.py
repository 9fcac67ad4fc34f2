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

"""Tests of the facade's Ironic client against a loopback fake Ironic."""

import json
import logging
import socket
import threading
from unittest import mock
from wsgiref import simple_server

import fixtures
from keystoneauth1 import exceptions as ks_exc
from keystoneauth1.identity import generic
from keystoneauth1 import loading as ks_loading
from oslo_config import cfg
from oslotest import base
import webob

from ironic_expether.valence import errors
from ironic_expether.valence import facade
from ironic_expether.valence import ironic_client
from ironic_expether.valence import opts

SECRET = 'Sup3r-s3cret-EEM-pass'


class _QuietHandler(simple_server.WSGIRequestHandler):

    def log_message(self, *args):
        pass


class FakeIronic(fixtures.Fixture):
    """A loopback HTTP server recording requests, answering from a queue."""

    def _setUp(self):
        self.requests = []
        self.answers = []
        self.server = simple_server.make_server(
            '127.0.0.1', 0, self._app, handler_class=_QuietHandler)
        self.url = 'http://127.0.0.1:%d' % self.server.server_port
        thread = threading.Thread(target=self.server.serve_forever,
                                  kwargs={'poll_interval': 0.05},
                                  daemon=True)
        thread.start()
        self.addCleanup(thread.join, 5)
        self.addCleanup(self.server.server_close)
        self.addCleanup(self.server.shutdown)

    def answer(self, status, body):
        self.answers.append((status, body))

    def _app(self, environ, start_response):
        length = int(environ.get('CONTENT_LENGTH') or 0)
        raw = environ['wsgi.input'].read(length) if length else b''
        self.requests.append({
            'method': environ['REQUEST_METHOD'],
            'path': environ['PATH_INFO'],
            'query': environ.get('QUERY_STRING', ''),
            'headers': {key[5:].replace('_', '-').lower(): value
                        for key, value in environ.items()
                        if key.startswith('HTTP_')},
            'body': json.loads(raw) if raw else None})
        status, body = self.answers.pop(0) if self.answers else (200, {})
        text = body if isinstance(body, str) else json.dumps(body)
        start_response('%d X' % status,
                       [('Content-Type', 'application/json')])
        return [text.encode('utf-8')] if status != 204 else []


def _conf(**ironic_opts):
    conf = cfg.ConfigOpts()
    opts.register_opts(conf)
    conf([], project='ironic-expether')
    for name, value in ironic_opts.items():
        conf.set_override(name, value, group='ironic')
    return conf


class IronicClientTestCase(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.ironic = self.useFixture(FakeIronic())
        self.client = ironic_client.IronicClient.from_conf(
            _conf(auth_type='none', endpoint_override=self.ironic.url))

    def test_driver_passthru(self):
        self.ironic.answer(200, {'devices': []})
        answer = self.client.driver_passthru(
            'devices', 'GET', {'state': 'free'}, request_id='req-1')
        self.assertEqual({'devices': []}, answer)
        request = self.ironic.requests[0]
        self.assertEqual('GET', request['method'])
        self.assertEqual('/v1/drivers/expether/vendor_passthru/devices',
                         request['path'])
        self.assertEqual('', request['query'])
        self.assertEqual({'state': 'free'}, request['body'])
        self.assertEqual('latest',
                         request['headers']['x-openstack-ironic-api-version'])
        self.assertEqual('req-1',
                         request['headers']['x-openstack-request-id'])

    def test_node_passthru(self):
        self.ironic.answer(200, {'uuid': 'd'})
        self.client.node_passthru('node 1', 'attach', 'POST',
                                  {'resource_id': 'd'})
        request = self.ironic.requests[0]
        self.assertEqual('POST', request['method'])
        self.assertEqual('/v1/nodes/node 1/vendor_passthru', request['path'])
        self.assertEqual('method=attach', request['query'])
        self.assertEqual({'resource_id': 'd'}, request['body'])

    def test_node_apis(self):
        self.ironic.answer(200, {'uuid': 'n', 'provision_state': 'enroll'})
        self.ironic.answer(202, '')
        self.ironic.answer(204, '')
        self.ironic.answer(204, '')
        node = self.client.get_node('n', fields=['uuid', 'provision_state'])
        self.client.set_power_state('n', 'power on')
        self.client.set_boot_device('n', 'pxe', False)
        self.client.delete_node('n')
        self.assertEqual('enroll', node['provision_state'])
        self.assertEqual(
            [('GET', '/v1/nodes/n', 'fields=uuid%2Cprovision_state', None),
             ('PUT', '/v1/nodes/n/states/power', '', {'target': 'power on'}),
             ('PUT', '/v1/nodes/n/management/boot_device', '',
              {'boot_device': 'pxe', 'persistent': False}),
             ('DELETE', '/v1/nodes/n', '', None)],
            [(r['method'], r['path'], r['query'], r['body'])
             for r in self.ironic.requests])

    def test_endpoint_with_v1_suffix(self):
        client = ironic_client.IronicClient.from_conf(
            _conf(auth_type='none', endpoint_override=self.ironic.url
                  + '/v1/'))
        client.driver_passthru('flavors', 'GET')
        self.assertEqual('/v1/drivers/expether/vendor_passthru/flavors',
                         self.ironic.requests[0]['path'])

    def test_error_translated(self):
        self.ironic.answer(409, {'error_message': json.dumps(
            {'faultcode': 'Client', 'faultstring': 'Node n is locked',
             'debuginfo': None})})
        error = self.assertRaises(errors.ValenceError,
                                  self.client.node_passthru, 'n', 'attach',
                                  'POST', {'resource_id': 'd'})
        self.assertEqual(409, error.status)
        self.assertEqual('Node n is locked', error.detail)
        self.assertEqual('Conflict', error.code)

    def test_error_without_fault(self):
        self.ironic.answer(502, '<html>proxy</html>')
        error = self.assertRaises(errors.ValenceError,
                                  self.client.driver_passthru, 'nodes', 'GET')
        self.assertEqual(502, error.status)
        self.assertIn('502', error.detail)

    def test_answer_not_json(self):
        self.ironic.answer(200, 'not json')
        error = self.assertRaises(errors.ValenceError,
                                  self.client.driver_passthru, 'nodes', 'GET')
        self.assertEqual(502, error.status)

    def test_unreachable(self):
        with socket.socket() as sock:
            sock.bind(('127.0.0.1', 0))
            port = sock.getsockname()[1]
        client = ironic_client.IronicClient.from_conf(
            _conf(auth_type='none',
                  endpoint_override='http://127.0.0.1:%d' % port))
        error = self.assertRaises(errors.IronicUnavailable,
                                  client.driver_passthru, 'nodes', 'GET')
        self.assertEqual(503, error.status)
        self.assertIn('http://127.0.0.1:%d' % port, error.detail)
        self.assertIn('refused', error.detail)

    def test_no_endpoint_configured(self):
        self.assertRaises(ValueError, ironic_client.IronicClient.from_conf,
                          _conf())

    def test_timeout_default(self):
        self.assertEqual(120, self.client._session.timeout)

    def test_passwords_never_logged(self):
        logger = self.useFixture(fixtures.FakeLogger(level=logging.DEBUG))
        body = {'name': 'p', 'url': 'http://127.0.0.1:1/eem',
                'authentication': [{'type': 'basic', 'auth_items': {
                    'username': 'admin', 'password': SECRET}}]}
        self.ironic.answer(200, dict(body, uuid='u'))
        self.client.driver_passthru('pod_managers', 'POST', body)
        self.ironic.answer(400, {'error_message': json.dumps(
            {'faultstring': 'bad url'})})
        self.assertRaises(errors.ValenceError, self.client.driver_passthru,
                          'pod_managers', 'POST', body)
        self.assertEqual(SECRET, self.ironic.requests[0]['body'][
            'authentication'][0]['auth_items']['password'])
        self.assertIn('pod_managers', logger.output)
        self.assertNotIn(SECRET, logger.output)


class KeystoneTestCase(base.BaseTestCase):
    """The password plugin, with Keystone itself mocked."""

    def setUp(self):
        super().setUp()
        self.ironic = self.useFixture(FakeIronic())
        self.conf = _conf()
        self.conf.set_override('auth_type', 'password', group='ironic')
        # NOTE(expether): from_conf registers the plugin's options, but
        # they must exist before they can be set.
        self.conf.register_opts(
            ks_loading.get_auth_plugin_conf_options('password'),
            group='ironic')

    def _client(self, **overrides):
        for name, value in dict(
                auth_url='http://127.0.0.1:5000/v3', username='ironic',
                password=SECRET, project_name='service',
                user_domain_name='Default', project_domain_name='Default',
                **overrides).items():
            self.conf.set_override(name, value, group='ironic')
        return ironic_client.IronicClient.from_conf(self.conf)

    @mock.patch.object(generic.Password, 'get_endpoint', autospec=True)
    @mock.patch.object(generic.Password, 'get_token', autospec=True)
    def test_token_and_catalog(self, mock_token, mock_endpoint):
        mock_token.return_value = 'tok-123'
        mock_endpoint.return_value = self.ironic.url
        client = self._client()
        self.ironic.answer(200, {'nodes': []})
        self.assertEqual({'nodes': []},
                         client.driver_passthru('nodes', 'GET'))
        request = self.ironic.requests[0]
        self.assertEqual('tok-123', request['headers']['x-auth-token'])
        self.assertEqual('/v1/drivers/expether/vendor_passthru/nodes',
                         request['path'])
        kwargs = mock_endpoint.call_args.kwargs
        self.assertEqual('baremetal', kwargs['service_type'])
        self.assertEqual(['internal', 'public'], kwargs['interface'])
        plugin = mock_token.call_args.args[0]
        self.assertEqual('http://127.0.0.1:5000/v3', plugin.auth_url)

    @mock.patch.object(generic.Password, 'get_token', autospec=True)
    def test_endpoint_override_with_keystone(self, mock_token):
        mock_token.return_value = 'tok-456'
        client = self._client(endpoint_override=self.ironic.url)
        client.driver_passthru('nodes', 'GET')
        self.assertEqual('tok-456',
                         self.ironic.requests[0]['headers']['x-auth-token'])

    @mock.patch.object(generic.Password, 'get_token', autospec=True)
    def test_keystone_refuses(self, mock_token):
        mock_token.side_effect = ks_exc.Unauthorized('bad credentials')
        client = self._client(endpoint_override=self.ironic.url)
        api = facade.ValenceAPI(client)
        response = webob.Request.blank('/v1/nodes').get_response(api)
        self.assertEqual(503, response.status_int)
        self.assertIn('authenticate', response.json['detail'])
        self.assertNotIn(SECRET, response.text)
        self.assertEqual([], self.ironic.requests)
