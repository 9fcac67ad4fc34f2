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

import ddt
from oslotest import base

from ironic_expether import eem
from ironic_expether.eem import exceptions
from ironic_expether.tests.unit.eem import base as eem_base


@ddt.ddt
class RaiseForResponseTestCase(base.BaseTestCase):

    @ddt.data((400, exceptions.EEMBadRequest),
              (401, exceptions.EEMAuthError),
              (403, exceptions.EEMAuthError),
              (404, exceptions.EEMNotFound),
              (409, exceptions.EEMConflict),
              (500, exceptions.EEMServerError),
              (503, exceptions.EEMServerError),
              (599, exceptions.EEMServerError))
    @ddt.unpack
    def test_status_with_eem_body(self, status, cls):
        response = eem_base.make_response(
            status, {'code': '%d00' % status, 'message': 'EEM says no'})
        exc = self.assertRaises(
            cls, exceptions.raise_for_response, 'GET', 'devices/0x1', response)
        self.assertIsInstance(exc, exceptions.EEMHTTPError)
        self.assertIsInstance(exc, exceptions.EEMError)
        self.assertEqual('GET', exc.method)
        self.assertEqual('devices/0x1', exc.path)
        self.assertEqual(status, exc.status_code)
        self.assertEqual('%d00' % status, exc.code)
        self.assertEqual('EEM says no', exc.eem_message)
        self.assertEqual('EEM GET devices/0x1 answered HTTP %d (code %d00): '
                         'EEM says no' % (status, status), str(exc))

    @ddt.data((400, exceptions.EEMBadRequest),
              (401, exceptions.EEMAuthError),
              (403, exceptions.EEMAuthError),
              (404, exceptions.EEMNotFound),
              (409, exceptions.EEMConflict),
              (500, exceptions.EEMServerError),
              (503, exceptions.EEMServerError))
    @ddt.unpack
    def test_status_without_eem_body(self, status, cls):
        response = eem_base.make_response(
            status, content=b'<html>Tomcat error page</html>',
            reason='Some Reason')
        exc = self.assertRaises(
            cls, exceptions.raise_for_response, 'PUT', 'groups', response)
        self.assertIsNone(exc.code)
        self.assertEqual('Some Reason', exc.eem_message)
        self.assertEqual('EEM PUT groups answered HTTP %d: Some Reason'
                         % status, str(exc))
        self.assertNotIn('Tomcat', str(exc))

    def test_empty_error_body_no_reason(self):
        response = eem_base.make_response(404)
        exc = self.assertRaises(exceptions.EEMNotFound,
                                exceptions.raise_for_response, 'GET', 'x',
                                response)
        self.assertIsNone(exc.code)
        self.assertIsNone(exc.eem_message)
        self.assertEqual('EEM GET x answered HTTP 404', str(exc))

    def test_other_4xx_is_plain_http_error(self):
        response = eem_base.make_response(418, {'code': '41800'})
        exc = self.assertRaises(exceptions.EEMHTTPError,
                                exceptions.raise_for_response, 'GET', 'x',
                                response)
        self.assertIs(exceptions.EEMHTTPError, type(exc))
        self.assertEqual('41800', exc.code)

    def test_code_as_json_number(self):
        response = eem_base.make_response(404, {'code': 40400,
                                                'message': 'no such device'})
        exc = self.assertRaises(exceptions.EEMNotFound,
                                exceptions.raise_for_response, 'GET', 'x',
                                response)
        self.assertEqual('40400', exc.code)

    def test_error_body_not_an_object(self):
        response = eem_base.make_response(500, ['a', 'list'],
                                          reason='Internal Server Error')
        exc = self.assertRaises(exceptions.EEMServerError,
                                exceptions.raise_for_response, 'GET', 'x',
                                response)
        self.assertIsNone(exc.code)
        self.assertEqual('Internal Server Error', exc.eem_message)

    def test_long_message_is_cut(self):
        response = eem_base.make_response(400, {'code': '40000',
                                                'message': 'x' * 5000})
        exc = self.assertRaises(exceptions.EEMBadRequest,
                                exceptions.raise_for_response, 'GET', 'x',
                                response)
        self.assertLess(len(exc.eem_message), 600)
        self.assertTrue(exc.eem_message.endswith('...'))

    @ddt.data(200, 201, 204, 302)
    def test_success_does_not_raise(self, status):
        self.assertIsNone(exceptions.raise_for_response(
            'GET', 'x', eem_base.make_response(status, {})))

    def test_timeout_is_connection_error(self):
        exc = exceptions.EEMTimeout('GET', 'devices', 2.5)
        self.assertIsInstance(exc, exceptions.EEMConnectionError)
        self.assertEqual(2.5, exc.timeout)
        self.assertEqual('EEM GET devices failed: no answer within 2.5 '
                         'seconds', str(exc))

    def test_malformed_response(self):
        exc = exceptions.EEMMalformedResponse('GET', 'groups', 200,
                                              'not JSON')
        self.assertEqual(('GET', 'groups', 200),
                         (exc.method, exc.path, exc.status_code))
        self.assertEqual('EEM GET groups answered HTTP 200 with a malformed '
                         'body: not JSON', str(exc))

    def test_reexported_from_package(self):
        for name in ('EEMError', 'EEMConnectionError', 'EEMTimeout',
                     'EEMHTTPError', 'EEMBadRequest', 'EEMAuthError',
                     'EEMNotFound', 'EEMConflict', 'EEMServerError',
                     'EEMMalformedResponse', 'raise_for_response'):
            self.assertIs(getattr(exceptions, name), getattr(eem, name))
