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

import uuid
import warnings

import ddt
import fixtures
from oslotest import base
import requests
from urllib3 import exceptions as urllib3_exc

from ironic_expether.eem import connector
from ironic_expether.eem import exceptions
from ironic_expether.tests.unit.eem import base as eem_base

PASSWORD = 'S3cret-Pa55word'
ADDRESS = 'http://eem.example.com:30500/eem'
BASE = 'http://eem.example.com:30500/eem/'


@ddt.ddt
class ParseAddressTestCase(base.BaseTestCase):

    @ddt.data('http://eem.example.com:30500/eem',
              'http://eem.example.com:30500/eem/',
              'http://eem.example.com:30500/eem//',
              'HTTP://EEM.example.com:30500/eem')
    def test_trailing_slash_and_case(self, address):
        base_url, display, user, password = connector.parse_address(address)
        self.assertEqual(BASE, base_url)
        self.assertEqual(ADDRESS, display)
        self.assertIsNone(user)
        self.assertIsNone(password)

    def test_https_and_ipv6(self):
        self.assertEqual(
            ('https://[::1]:8443/eem/', 'https://[::1]:8443/eem', None,
             None),
            connector.parse_address('https://[::1]:8443/eem'))

    def test_credentials_taken_out(self):
        base_url, display, user, password = connector.parse_address(
            'http://admin:%s@10.0.0.1/eem/' % PASSWORD)
        self.assertEqual('http://10.0.0.1/eem/', base_url)
        self.assertEqual('http://10.0.0.1/eem', display)
        self.assertEqual('admin', user)
        self.assertEqual(PASSWORD, password)

    def test_quoted_credentials(self):
        _b, _d, user, password = connector.parse_address(
            'http://ad%40min:p%3Ass@10.0.0.1/eem')
        self.assertEqual(('ad@min', 'p:ss'), (user, password))

    @ddt.data('ftp://eem.example.com/eem', 'file:///eem',
              'eem.example.com:30500/eem', '/eem', 'http:///eem',
              'http://eem.example.com:99999/eem',
              'http://eem.example.com/eem?x=1',
              'http://eem.example.com/eem#frag', '', '   ', None, 42)
    def test_invalid(self, address):
        self.assertRaises(ValueError, connector.parse_address, address)

    def test_invalid_does_not_echo_password(self):
        exc = self.assertRaises(
            ValueError, connector.parse_address,
            'ftp://admin:%s@eem.example.com/eem' % PASSWORD)
        self.assertNotIn(PASSWORD, str(exc))
        exc = self.assertRaises(
            ValueError, connector.parse_address,
            'http://admin:%s@eem.example.com/eem?a=b' % PASSWORD)
        self.assertNotIn(PASSWORD, str(exc))


@ddt.ddt
class ConnectorArgumentsTestCase(eem_base.SessionTestCase):

    def test_defaults(self):
        conn = connector.Connector(ADDRESS)
        self.assertEqual(30.0, conn.timeout)
        self.assertEqual(2, conn.retries)
        self.assertEqual(1.0, conn.retry_interval)
        self.assertIs(True, conn.verify)
        self.assertEqual(ADDRESS, conn.address)
        # No I/O in the constructor.
        self.assertFalse(self.session.request.called)
        self.session_cls.assert_called_once_with()

    @ddt.data({'timeout': 0}, {'timeout': -1}, {'timeout': 'ten'},
              {'timeout': True}, {'retries': -1}, {'retries': 1.5},
              {'retries': True}, {'retry_interval': -0.1},
              {'retry_interval': 'x'}, {'verify': ''}, {'verify': 1},
              {'verify': None})
    def test_invalid_arguments(self, kwargs):
        self.assertRaises(ValueError, connector.Connector, ADDRESS, **kwargs)

    @ddt.data((30.0, 2, 1.0, 93.0), (30.0, 0, 1.0, 30.0),
              (10.0, 3, 0.5, 43.5), (2.0, 1, 0.0, 4.0))
    @ddt.unpack
    def test_worst_case_seconds(self, timeout, retries, interval, expected):
        conn = connector.Connector(ADDRESS, timeout=timeout, retries=retries,
                                   retry_interval=interval)
        self.assertEqual(expected, conn.worst_case_seconds)

    def test_worst_case_matches_sleeps_and_timeouts(self):
        conn = connector.Connector(ADDRESS, timeout=5.0, retries=3,
                                   retry_interval=0.25)
        self.answer(*[requests.ConnectTimeout('slow')] * 4)
        self.assertRaises(exceptions.EEMTimeout, conn.get, 'devices')
        slept = sum(c.args[0] for c in self.sleep.call_args_list)
        self.assertEqual(4 * 5.0 + slept, conn.worst_case_seconds)

    @staticmethod
    def _warn(host):
        warnings.warn("Unverified HTTPS request is being made to host '%s'. "
                      "Adding certificate verification is strongly advised."
                      % host, urllib3_exc.InsecureRequestWarning)

    def test_insecure_warning_muted_only_without_verification(self):
        verified = '%s.example.com' % uuid.uuid4().hex
        unverified = '%s.example.com' % uuid.uuid4().hex
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            connector.Connector('https://%s/eem' % verified)
            connector.Connector('https://%s/eem' % unverified, verify=False)
            connector.Connector('https://%s/eem' % unverified, verify=False)
            self._warn(verified)
            self._warn(unverified)
            self._warn('elsewhere.example.com')
        self.assertEqual(
            [verified, 'elsewhere.example.com'],
            [str(w.message).split("'")[1] for w in caught])

    def test_repr_has_no_password(self):
        conn = connector.Connector(ADDRESS, username='admin',
                                   password=PASSWORD)
        self.assertNotIn(PASSWORD, repr(conn))
        self.assertIn('eem.example.com', repr(conn))


@ddt.ddt
class ConnectorRequestTestCase(eem_base.SessionTestCase):

    def setUp(self):
        super().setUp()
        self.conn = connector.Connector(ADDRESS, username='admin',
                                        password=PASSWORD)

    def _kwargs(self, call):
        method, url = call.args
        return method, url, call.kwargs

    def test_get_exact_call(self):
        self.answer(eem_base.make_response(200, {'version_number': '1'}))
        self.assertEqual({'version_number': '1'},
                         self.conn.get('api_version'))
        self.session.request.assert_called_once()
        method, url, kwargs = self._kwargs(self.session.request.call_args)
        self.assertEqual(('GET', BASE + 'api_version'), (method, url))
        self.assertIsNone(kwargs['params'])
        self.assertEqual({'Accept': 'application/json'}, kwargs['headers'])
        self.assertIs(True, kwargs['verify'])
        self.assertEqual(30.0, kwargs['timeout'].total)
        self.assertIs(False, kwargs['allow_redirects'])
        self.assertNotIn('json', kwargs)
        auth = kwargs['auth']
        self.assertIsInstance(auth, requests.auth.HTTPBasicAuth)
        self.assertEqual(('admin', PASSWORD), (auth.username, auth.password))

    def test_params_drop_none(self):
        self.answer(eem_base.make_response(200, {'devices': []}))
        self.conn.get('devices', params={'status': 'eeio',
                                         'group_id': None})
        self.assertEqual({'status': 'eeio'},
                         self.session.request.call_args.kwargs['params'])

    def test_no_auth_without_username(self):
        conn = connector.Connector(ADDRESS)
        self.answer(eem_base.make_response(200, {}))
        conn.get('x')
        self.assertIsNone(self.session.request.call_args.kwargs['auth'])

    def test_url_credentials_used(self):
        conn = connector.Connector(
            'http://admin:%s@eem.example.com:30500/eem' % PASSWORD)
        self.assertEqual(ADDRESS, conn.address)
        self.answer(eem_base.make_response(200, {}))
        conn.get('x')
        method, url, kwargs = self._kwargs(self.session.request.call_args)
        self.assertEqual(BASE + 'x', url)
        self.assertEqual(PASSWORD, kwargs['auth'].password)

    def test_explicit_credentials_win_over_url(self):
        conn = connector.Connector(
            'http://old:oldpassword@eem.example.com/eem', username='new',
            password='newpassword')
        self.answer(eem_base.make_response(200, {}))
        conn.get('x')
        auth = self.session.request.call_args.kwargs['auth']
        self.assertEqual(('new', 'newpassword'),
                         (auth.username, auth.password))

    @ddt.data(False, True, '/etc/ssl/eem-ca.pem')
    def test_verify_on_every_request(self, verify):
        conn = connector.Connector('https://eem.example.com/eem',
                                   verify=verify, timeout=7)
        self.answer(eem_base.make_response(200, {}),
                    eem_base.make_response(200, {}),
                    eem_base.make_response(200, {}))
        conn.get('a')
        conn.put('b', body={'k': 'v'})
        conn.delete('c')
        self.assertEqual(3, self.session.request.call_count)
        for call in self.session.request.call_args_list:
            self.assertEqual(verify, call.kwargs['verify'])
            self.assertEqual(7.0, call.kwargs['timeout'].total)

    def test_put_body_and_delete_params(self):
        self.answer(eem_base.make_response(200, {'group_id': '17'}),
                    eem_base.make_response(200, {'update_time': '1'}))
        self.assertEqual({'group_id': '17'},
                         self.conn.put('devices/0x1/group_id',
                                       body={'group_id': '17'}))
        self.assertEqual({'update_time': '1'},
                         self.conn.delete('devices/0x1/group_id',
                                          params={'update_time': '5'}))
        put, delete = self.session.request.call_args_list
        self.assertEqual(('PUT', BASE + 'devices/0x1/group_id'), put.args)
        self.assertEqual({'group_id': '17'}, put.kwargs['json'])
        self.assertEqual(('DELETE', BASE + 'devices/0x1/group_id'),
                         delete.args)
        self.assertEqual({'update_time': '5'}, delete.kwargs['params'])
        self.assertNotIn('json', delete.kwargs)

    def test_put_without_body(self):
        self.answer(eem_base.make_response(200, {}))
        self.conn.put('devices/0x1/perst')
        self.assertNotIn('json', self.session.request.call_args.kwargs)

    def test_empty_answers(self):
        self.answer(eem_base.make_response(204), eem_base.make_response(200),
                    eem_base.make_response(200))
        self.assertEqual({}, self.conn.put('a'))
        self.assertEqual({}, self.conn.delete('b'))
        exc = self.assertRaises(exceptions.EEMMalformedResponse,
                                self.conn.get, 'c')
        self.assertEqual(('GET', 'c', 200),
                         (exc.method, exc.path, exc.status_code))

    # Retries

    @ddt.data(500, 502, 503, 504)
    def test_get_retries_5xx_then_fails(self, status):
        self.answer(*[eem_base.make_response(status, {'code': '%d00'
                                                      % status})] * 3)
        exc = self.assertRaises(exceptions.EEMServerError, self.conn.get,
                                'devices/detail')
        self.assertEqual(status, exc.status_code)
        self.assertEqual(3, self.session.request.call_count)
        self.assertEqual([((1.0,),), ((2.0,),)],
                         [c[0:1] for c in self.sleep.call_args_list])

    def test_get_retries_5xx_then_succeeds(self):
        self.answer(eem_base.make_response(503),
                    eem_base.make_response(200, {'groups': []}))
        self.assertEqual({'groups': []}, self.conn.get('groups'))
        self.assertEqual(2, self.session.request.call_count)
        self.sleep.assert_called_once_with(1.0)

    @ddt.data(requests.ConnectionError('refused'),
              requests.exceptions.ChunkedEncodingError('cut'))
    def test_get_retries_connection_errors(self, error):
        self.answer(error, error, error)
        exc = self.assertRaises(exceptions.EEMConnectionError,
                                self.conn.get, 'devices')
        self.assertNotIsInstance(exc, exceptions.EEMTimeout)
        self.assertEqual(3, self.session.request.call_count)
        self.assertEqual(2, self.sleep.call_count)

    @ddt.data(requests.ConnectTimeout('connect'),
              requests.ReadTimeout('read'))
    def test_get_retries_timeouts(self, error):
        self.answer(error, error, error)
        exc = self.assertRaises(exceptions.EEMTimeout, self.conn.get,
                                'devices')
        self.assertEqual(30.0, exc.timeout)
        self.assertEqual(('GET', 'devices'), (exc.method, exc.path))
        self.assertEqual(3, self.session.request.call_count)

    def test_get_connection_error_then_success(self):
        self.answer(requests.ConnectionError('refused'),
                    requests.ReadTimeout('slow'),
                    eem_base.make_response(200, {'version_number': '2'}))
        self.assertEqual({'version_number': '2'},
                         self.conn.get('api_version'))
        self.assertEqual([((1.0,),), ((2.0,),)],
                         [c[0:1] for c in self.sleep.call_args_list])

    def test_no_retries_configured(self):
        conn = connector.Connector(ADDRESS, retries=0)
        self.answer(eem_base.make_response(500))
        self.assertRaises(exceptions.EEMServerError, conn.get, 'x')
        self.assertEqual(1, self.session.request.call_count)
        self.assertFalse(self.sleep.called)

    def test_retry_budget_is_per_request(self):
        self.answer(*([eem_base.make_response(500)] * 3
                      + [eem_base.make_response(500)] * 3))
        self.assertRaises(exceptions.EEMServerError, self.conn.get, 'x')
        self.assertRaises(exceptions.EEMServerError, self.conn.get, 'x')
        self.assertEqual(6, self.session.request.call_count)

    @ddt.data(501, 505)
    def test_get_not_retried_on_permanent_5xx(self, status):
        self.answer(eem_base.make_response(status))
        self.assertRaises(exceptions.EEMServerError, self.conn.get, 'x')
        self.assertEqual(1, self.session.request.call_count)

    @ddt.data(400, 401, 403, 404, 409)
    def test_get_not_retried_on_4xx(self, status):
        self.answer(eem_base.make_response(status))
        self.assertRaises(exceptions.EEMHTTPError, self.conn.get, 'x')
        self.assertEqual(1, self.session.request.call_count)

    @ddt.data('put', 'delete')
    def test_write_not_retried_on_5xx(self, method):
        self.answer(eem_base.make_response(503), eem_base.make_response(200))
        self.assertRaises(exceptions.EEMServerError,
                          getattr(self.conn, method), 'devices/0x1/group_id')
        self.assertEqual(1, self.session.request.call_count)
        self.assertFalse(self.sleep.called)

    @ddt.data(('put', requests.ConnectionError('refused')),
              ('put', requests.ReadTimeout('slow')),
              ('delete', requests.ConnectionError('refused')),
              ('delete', requests.ConnectTimeout('slow')))
    @ddt.unpack
    def test_write_not_retried_on_connection_error(self, method, error):
        self.answer(error, eem_base.make_response(200))
        self.assertRaises(exceptions.EEMConnectionError,
                          getattr(self.conn, method), 'devices/0x1/group_id')
        self.assertEqual(1, self.session.request.call_count)

    def test_tls_error_not_retried(self):
        self.answer(requests.exceptions.SSLError('certificate verify '
                                                 'failed'))
        exc = self.assertRaises(exceptions.EEMTLSError,
                                self.conn.get, 'x')
        self.assertIsInstance(exc, exceptions.EEMConnectionError)
        self.assertIn('TLS certificate does not verify', str(exc))
        self.assertEqual(1, self.session.request.call_count)

    def test_tls_verify_failure_is_one_short_line(self):
        # What urllib3 says about a self-signed certificate.
        self.answer(requests.exceptions.SSLError(
            "HTTPSConnectionPool(host='eem', port=30500): Max retries "
            "exceeded with url: /eem/api_version (Caused by SSLError("
            "SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] "
            "certificate verify failed: self-signed certificate "
            "(_ssl.c:1006)')))"))
        exc = self.assertRaises(exceptions.EEMTLSError, self.conn.get, 'x')
        self.assertEqual('EEM GET x failed: TLS certificate does not '
                         'verify: self-signed certificate', str(exc))

    def test_other_tls_error_keeps_its_text(self):
        self.answer(requests.exceptions.SSLError('wrong version number'))
        exc = self.assertRaises(exceptions.EEMTLSError, self.conn.get, 'x')
        self.assertIn('TLS error: wrong version number', str(exc))

    def test_other_request_error_not_retried(self):
        self.answer(requests.exceptions.InvalidHeader('bad'))
        self.assertRaises(exceptions.EEMConnectionError, self.conn.get, 'x')
        self.assertEqual(1, self.session.request.call_count)

    # Bodies

    @ddt.data((b'<html>oops</html>', 'not JSON'),
              (b'{"truncated": ', 'not JSON'),
              (b'["a", "list"]', 'expected a JSON object, got list'),
              (b'"text"', 'expected a JSON object, got str'),
              (b'null', 'expected a JSON object, got NoneType'))
    @ddt.unpack
    def test_malformed_bodies(self, content, reason):
        self.answer(eem_base.make_response(200, content=content))
        exc = self.assertRaises(exceptions.EEMMalformedResponse,
                                self.conn.get, 'devices/detail')
        self.assertEqual(reason, exc.reason)
        self.assertEqual(200, exc.status_code)
        self.assertEqual('devices/detail', exc.path)
        self.assertEqual(1, self.session.request.call_count)

    def test_redirect_is_malformed(self):
        response = eem_base.make_response(302)
        response.headers['Location'] = 'http://elsewhere/login'
        self.answer(response)
        exc = self.assertRaises(exceptions.EEMMalformedResponse,
                                self.conn.get, 'x')
        self.assertEqual(302, exc.status_code)

    # Secrets

    def test_password_never_in_errors_or_logs(self):
        logger = self.useFixture(fixtures.FakeLogger(level='DEBUG'))
        errors = []
        cases = [
            eem_base.make_response(401, {'code': '40100',
                                         'message': 'bad credentials'}),
            eem_base.make_response(403),
            eem_base.make_response(404, {'code': '40400'}),
            eem_base.make_response(409, {'code': '40900', 'message': 'no'}),
            eem_base.make_response(400, content=b'bad'),
            eem_base.make_response(500, reason='Internal Server Error'),
            eem_base.make_response(200, content=b'not json'),
            # A library that would echo the password is scrubbed too.
            requests.ConnectionError('failed for admin:%s' % PASSWORD),
            requests.ReadTimeout('timeout %s' % PASSWORD),
            requests.exceptions.SSLError('tls %s' % PASSWORD),
        ]
        for case in cases:
            self.session.request.reset_mock()
            self.session.request.side_effect = [case] * 3
            try:
                self.conn.put('devices/0x8cdf9d911c60/group_id',
                              body={'group_id': '17'})
            except exceptions.EEMError as exc:
                errors.append(exc)
            else:
                self.fail('No error for %r' % case)
            self.assertEqual(1, self.session.request.call_count)
        self.assertEqual(len(cases), len(errors))
        for exc in errors:
            self.assertNotIn(PASSWORD, str(exc))
            self.assertNotIn(PASSWORD, repr(exc))
            self.assertNotIn('Authorization', str(exc))
        self.assertNotIn(PASSWORD, logger.output)
        self.assertIn('EEM PUT devices/0x8cdf9d911c60/group_id answered 401',
                      logger.output)
        self.assertNotIn('"group_id": "17"', logger.output)

    def test_close(self):
        self.conn.close()
        self.session.close.assert_called_once_with()
