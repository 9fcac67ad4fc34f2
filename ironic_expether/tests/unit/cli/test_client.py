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


"""Tests of the commands' HTTP layer: retries only on a locked node."""

import configparser
import importlib
import os
from unittest import mock

from keystoneauth1 import exceptions as ks_exc
from osc_lib import exceptions
from oslotest import base

from ironic_expether.cli import client
from ironic_expether.tests.unit.cli import fakes

LOCKED = ('Node 1be26c0b-03f2-4d2e-ae87-c02d7f33c123 is locked by host '
          'conductor1, please retry after the current operation is '
          'completed.')


class ErrorMessageTest(base.BaseTestCase):

    def test_json_string_error_message(self):
        self.assertEqual('device not free', client.error_message(
            fakes.ironic_error(409, 'device not free')))

    def test_object_error_message(self):
        self.assertEqual('bad name', client.error_message(fakes.response(
            400, {'error_message': {'faultstring': 'bad name'}})))

    def test_not_json(self):
        response = fakes.response(502)
        response._content = b'<html>Bad gateway</html>'
        self.assertEqual('<html>Bad gateway</html>',
                         client.error_message(response))

    def test_empty(self):
        self.assertEqual('Reason 503',
                         client.error_message(fakes.response(503)))

    def test_is_locked(self):
        self.assertTrue(client.is_locked(409, LOCKED))
        self.assertFalse(client.is_locked(409, 'podm_id: no free server '
                                               'engine is left'))
        self.assertFalse(client.is_locked(400, LOCKED))


class IronicAPITest(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.session = fakes.FakeSession()
        self.sleep = mock.Mock(spec=[])
        self.api = client.IronicAPI(self.session, fakes.ENDPOINT + '/v1/',
                                    max_retries=3, retry_interval=2,
                                    sleep=self.sleep)

    def test_driver_passthru_path_form(self):
        self.session.add('POST', fakes.driver_path('compose'),
                         fakes.response(200, {'uuid': 'u'}))
        self.assertEqual({'uuid': 'u'}, self.api.driver_passthru(
            'compose', 'POST', {'name': 'n'}))
        verb, path, query, body, headers = self.session.calls[0]
        self.assertEqual(('POST', fakes.driver_path('compose'), {}),
                         (verb, path, query))
        self.assertEqual({'name': 'n'}, body)
        self.assertEqual('latest',
                         headers['X-OpenStack-Ironic-API-Version'])

    def test_node_passthru_query_form(self):
        self.session.add('GET', fakes.node_path('n1'),
                         fakes.response(200, {'devices': []}),
                         method='devices')
        self.assertEqual({'devices': []},
                         self.api.node_passthru('n1', 'devices', 'GET'))
        self.assertEqual({'method': 'devices'}, self.session.calls[0][2])

    def test_locked_node_is_retried(self):
        self.session.add('POST', fakes.node_path('n1'), [
            fakes.ironic_error(409, LOCKED), fakes.ironic_error(409, LOCKED),
            fakes.response(200, {'released': []})], method='release')
        self.assertEqual({'released': []},
                         self.api.node_passthru('n1', 'release'))
        self.assertEqual(3, len(self.session.calls))
        self.assertEqual([mock.call(2), mock.call(2)],
                         self.sleep.call_args_list)

    def test_locked_node_gives_up(self):
        self.session.add('POST', fakes.node_path('n1'),
                         fakes.ironic_error(409, LOCKED), method='attach')
        error = self.assertRaises(client.APIError, self.api.node_passthru,
                                  'n1', 'attach')
        self.assertEqual(409, error.status)
        self.assertEqual(4, len(self.session.calls))
        self.assertEqual(3, self.sleep.call_count)

    def test_conflict_is_answered_at_once(self):
        message = ('properties.pci_device.type: 3 device(s) of type GPU '
                   'requested, 1 free')
        self.session.add('POST', fakes.driver_path('compose'),
                         fakes.ironic_error(409, message))
        error = self.assertRaises(client.APIError, self.api.driver_passthru,
                                  'compose', 'POST', {})
        self.assertEqual('%s (HTTP 409)' % message, str(error))
        self.assertEqual(1, len(self.session.calls))
        self.sleep.assert_not_called()

    def test_other_errors_not_retried(self):
        self.session.add('GET', '/v1/nodes/x', fakes.ironic_error(
            404, 'Node x could not be found.'))
        error = self.assertRaises(client.APIError, self.api.get_node, 'x')
        self.assertEqual(404, error.status)
        self.assertEqual('Node x could not be found. (HTTP 404)', str(error))
        self.sleep.assert_not_called()

    def test_unreachable(self):
        session = mock.Mock(spec=['request'])
        session.request.side_effect = ks_exc.ConnectFailure('refused')
        api = client.IronicAPI(session, fakes.ENDPOINT)
        error = self.assertRaises(exceptions.CommandError, api.get_node, 'x')
        self.assertIn('cannot be reached', str(error))

    def test_no_body(self):
        self.session.add('DELETE', '/v1/nodes/x', fakes.response(204))
        self.assertIsNone(self.api.request('DELETE', '/nodes/x'))

    def test_names_are_quoted(self):
        self.session.add('GET', '/v1/nodes/a%2Fb', fakes.response(200, {}))
        self.api.get_node('a/b')
        self.assertEqual('/v1/nodes/a%2Fb', self.session.calls[0][1])

    def test_from_app(self):
        app = mock.Mock()
        app.client_manager.baremetal.http_client.endpoint_trimmed = (
            fakes.ENDPOINT)
        app.options.max_retries = 7
        app.options.retry_interval = 1
        api = client.IronicAPI.from_app(app)
        self.assertIs(app.client_manager.baremetal.http_client.session,
                      api.session)
        self.assertEqual((fakes.ENDPOINT, 7, 1),
                         (api.endpoint, api.max_retries,
                          api.retry_interval))


class EntryPointsTest(base.BaseTestCase):
    """Every command of setup.cfg can be loaded."""

    def test_entry_points(self):
        root = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
        config = configparser.ConfigParser()
        config.read(os.path.join(root, 'setup.cfg'))
        lines = [line.strip() for line in config.get(
            'entry_points', 'openstack.baremetal.v1').splitlines()
            if line.strip()]
        self.assertGreaterEqual(len(lines), 18)
        for line in lines:
            name, target = [part.strip() for part in line.split('=')]
            self.assertTrue(name.startswith('baremetal_expether_'), name)
            module, cls = target.split(':')
            command = getattr(importlib.import_module(module), cls)
            self.assertTrue(callable(command.take_action), name)
