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

import threading
from unittest import mock

import ddt
import fixtures
from ironic.common import exception
from ironic.common import states
from ironic.tests.unit.db import base as db_base
from ironic.tests.unit.objects import utils as obj_utils
from oslo_utils import uuidutils

from ironic_expether import eem
from ironic_expether.eem_access import utils
from ironic_expether.tests.unit import base


@ddt.ddt
class ParseDriverInfoTestCase(db_base.DbTestCase):

    def _node(self, **changes):
        info = dict(base.INFO)
        for key, value in changes.items():
            if value is None:
                info.pop(key, None)
            else:
                info[key] = value
        return obj_utils.create_test_node(self.context, driver='fake-hardware',
                                          driver_info=info)

    def test_valid(self):
        node = self._node(eem_address=base.EEM_ADDRESS + '/',
                          eesv_id=base.EESV_ID.upper().replace('0X', '0x'))
        self.assertEqual({'address': base.EEM_ADDRESS,
                          'username': 'admin',
                          'password': base.SECRET,
                          'verify': True,
                          'eesv_id': base.EESV_ID},
                         utils.parse_driver_info(node))

    def test_optional_keys_absent(self):
        node = self._node(eem_username=None, eem_password=None)
        info = utils.parse_driver_info(node)
        self.assertIsNone(info['username'])
        self.assertIsNone(info['password'])

    @ddt.data('eem_address', 'eesv_id')
    def test_missing(self, key):
        node = self._node(**{key: None})
        exc = self.assertRaises(exception.MissingParameterValue,
                                utils.parse_driver_info, node)
        self.assertIn(node.uuid, str(exc))
        self.assertIn(key, str(exc))

    def test_missing_both_named(self):
        node = self._node(eem_address=None, eesv_id='')
        exc = self.assertRaises(exception.MissingParameterValue,
                                utils.parse_driver_info, node)
        self.assertIn('eem_address, eesv_id', str(exc))

    @ddt.data(('eem_address', 'ftp://eem.example.com/eem'),
              ('eem_address', 'https://eem.example.com/api'),
              ('eem_address', 'https:///eem'),
              ('eem_address', 'https://eem.example.com:99999/eem'),
              ('eem_address', 'https://eem.example.com/eem?x=1'),
              ('eem_address', 42),
              ('eesv_id', '0x12'),
              ('eesv_id', '8cdf9d535b14'),
              ('eesv_id', 12345),
              ('eem_username', ['admin']),
              ('eem_password', 1234),
              ('eem_verify_ca', 'maybe'),
              ('eem_verify_ca', '/no/such/ca.pem'),
              ('eem_verify_ca', 3))
    @ddt.unpack
    def test_invalid(self, key, value):
        node = self._node(**{key: value})
        exc = self.assertRaises(exception.InvalidParameterValue,
                                utils.parse_driver_info, node)
        self.assertNotIsInstance(exc, exception.MissingParameterValue)
        self.assertIn(node.uuid, str(exc))
        self.assertIn(key, str(exc))

    def test_password_never_in_messages(self):
        node = self._node(eem_password=12345678)
        exc = self.assertRaises(exception.InvalidParameterValue,
                                utils.parse_driver_info, node)
        self.assertNotIn('12345678', str(exc))

    def test_credentials_in_url_rejected_without_echo(self):
        node = self._node(
            eem_address='https://admin:%s@eem.example.com/eem' % base.SECRET)
        exc = self.assertRaises(exception.InvalidParameterValue,
                                utils.parse_driver_info, node)
        self.assertIn('eem_address', str(exc))
        self.assertNotIn(base.SECRET, str(exc))

    @ddt.data(('false', False), ('False', False), ('no', False),
              ('0', False), ('true', True), ('yes', True), (True, True),
              (False, False))
    @ddt.unpack
    def test_verify_ca_booleans(self, value, expected):
        node = self._node(eem_verify_ca=value)
        self.assertIs(expected, utils.parse_driver_info(node)['verify'])

    def test_verify_ca_path(self):
        path = self.useFixture(fixtures.TempDir()).join('ca.pem')
        open(path, 'w').close()
        node = self._node(eem_verify_ca=path)
        self.assertEqual(path, utils.parse_driver_info(node)['verify'])

    def test_verify_ca_default_from_config(self):
        self.config(verify_ca='false', group='expether')
        node = self._node()
        self.assertIs(False, utils.parse_driver_info(node)['verify'])

    def test_verify_ca_bad_config_named(self):
        self.config(verify_ca='sometimes', group='expether')
        node = self._node()
        exc = self.assertRaises(exception.InvalidParameterValue,
                                utils.parse_driver_info, node)
        self.assertIn('[expether]verify_ca', str(exc))

    def test_no_network_io(self):
        node = self._node()
        with mock.patch.object(eem, 'EEMClient', autospec=True) as client:
            utils.parse_driver_info(node)
        client.assert_not_called()


class GetClientTestCase(db_base.DbTestCase):

    def setUp(self):
        super().setUp()
        utils.clear_client_cache()
        self.addCleanup(utils.clear_client_cache)
        patcher = mock.patch.object(eem, 'EEMClient', autospec=True)
        self.mock_client = patcher.start()
        self.addCleanup(patcher.stop)
        self.mock_client.side_effect = lambda *a, **k: mock.Mock()
        self.node = obj_utils.create_test_node(
            self.context, driver='fake-hardware', driver_info=base.INFO)

    def test_built_with_options(self):
        self.config(request_timeout=5.0, request_retries=4,
                    retry_interval=0.5, group='expether')
        utils.get_client(self.node)
        self.mock_client.assert_called_once_with(
            base.EEM_ADDRESS, username='admin', password=base.SECRET,
            verify=True, timeout=5.0, retries=4, retry_interval=0.5)

    def test_reused_for_same_endpoint(self):
        other = obj_utils.create_test_node(
            self.context, driver='fake-hardware',
            uuid=uuidutils.generate_uuid(),
            driver_info=dict(base.INFO, eesv_id='0x8cdf9d000001',
                             eem_address=base.EEM_ADDRESS + '/'))
        first = utils.get_client(self.node)
        self.assertIs(first, utils.get_client(other))
        self.assertIs(first, utils.get_client(utils.parse_driver_info(other)))
        self.assertEqual(1, self.mock_client.call_count)

    def test_new_client_when_a_key_changes(self):
        first = utils.get_client(self.node)
        changes = [{'eem_address': 'https://eem2.example.com/eem'},
                   {'eem_username': 'other'},
                   {'eem_password': 'changed'},
                   {'eem_verify_ca': False}]
        clients = {id(first)}
        for change in changes:
            self.node.driver_info = dict(base.INFO, **change)
            clients.add(id(utils.get_client(self.node)))
        self.assertEqual(len(changes) + 1, len(clients))
        self.config(request_timeout=1.0, group='expether')
        self.node.driver_info = dict(base.INFO)
        self.assertIsNot(first, utils.get_client(self.node))

    def test_key_holds_no_password(self):
        utils.get_client(self.node)
        for key in utils._CLIENT_CACHE:
            self.assertNotIn(base.SECRET, repr(key))

    def test_cache_is_bounded(self):
        with mock.patch.object(utils, 'CLIENT_CACHE_SIZE', 2):
            for n in range(4):
                utils.get_client({'address': 'https://e%d/eem' % n})
            self.assertEqual(2, len(utils._CLIENT_CACHE))

    @mock.patch.object(utils.LOG, 'warning', autospec=True)
    def test_plain_http_warned_once_per_eem(self, mock_warning):
        http = 'http://eem.example.com:30500/eem'
        for password in ('pw-ONE-1', 'pw-TWO-2', 'pw-THREE-3'):
            # Each password builds a new client; one warning per EEM.
            utils.get_client({'address': http, 'username': 'u',
                              'password': password})
            utils.get_client({'address': http + '/', 'username': 'u',
                              'password': password})
        utils.get_client({'address': 'http://other.example.com/eem'})
        utils.get_client({'address': base.EEM_ADDRESS})
        self.assertEqual(2, mock_warning.call_count)
        texts = [c[0][0] % c[0][1] for c in mock_warning.call_args_list]
        self.assertIn('EEM http://eem.example.com:30500/eem is reached '
                      'over plain HTTP', texts[0])
        self.assertIn('http://other.example.com/eem', texts[1])
        for text in texts:
            for password in ('pw-ONE-1', 'pw-TWO-2', 'pw-THREE-3'):
                self.assertNotIn(password, text)

    @mock.patch.object(utils.LOG, 'warning', autospec=True)
    def test_unverified_tls_warned_once(self, mock_warning):
        self.node.driver_info = dict(base.INFO, eem_verify_ca=False)
        for _ in range(3):
            utils.get_client(self.node)
        utils.get_client({'address': base.EEM_ADDRESS, 'verify': False,
                          'username': 'x'})
        self.assertEqual(1, mock_warning.call_count)
        self.assertIn('not verified', mock_warning.call_args[0][0])

    @mock.patch.object(utils.LOG, 'warning', autospec=True)
    def test_verified_https_not_warned(self, mock_warning):
        utils.get_client(self.node)
        self.node.driver_info = dict(base.INFO, eem_verify_ca=__file__)
        utils.get_client(self.node)
        mock_warning.assert_not_called()

    def test_thread_safe(self):
        results = []

        def worker():
            results.append(utils.get_client(self.node))

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(1, self.mock_client.call_count)
        self.assertEqual(1, len({id(c) for c in results}))


@ddt.ddt
class EEMErrorsTestCase(db_base.DbTestCase):

    def setUp(self):
        super().setUp()
        self.node = obj_utils.create_test_node(
            self.context, driver='fake-hardware', driver_info=base.INFO)

    def _raise(self, error, **kwargs):
        with utils.eem_errors(self.node, 'doing things', **kwargs):
            raise error

    @ddt.data(
        (eem.EEMNotFound('GET', 'devices/x', 404, '40400', 'gone'),
         exception.NotFound),
        (eem.EEMBadRequest('PUT', 'devices/x/group_id', 400, '40000', 'no'),
         exception.InvalidParameterValue),
        (eem.EEMConflict('PUT', 'devices/x/group_id', 409, '40900', 'busy'),
         exception.Conflict),
        (eem.EEMAuthError('GET', 'devices', 401, '40100', 'who'),
         exception.InvalidParameterValue),
        (eem.EEMAuthError('GET', 'devices', 403, '40300', 'not you'),
         exception.InvalidParameterValue),
        (eem.EEMServerError('GET', 'devices', 500, '50000', 'oops'),
         exception.TemporaryFailure),
        (eem.EEMServerError('GET', 'devices', 503, None, 'busy'),
         exception.TemporaryFailure),
        (eem.EEMHTTPError('GET', 'devices', 429, None, 'slow down'),
         exception.TemporaryFailure),
        (eem.EEMHTTPError('GET', 'devices', 418, None, 'teapot'),
         exception.DriverOperationError),
        (eem.EEMConnectionError('GET', 'devices', 'refused'),
         exception.TemporaryFailure),
        (eem.EEMTimeout('GET', 'devices', 30.0),
         exception.TemporaryFailure),
        (eem.EEMMalformedResponse('GET', 'devices', 200, 'not JSON'),
         exception.TemporaryFailure),
        (eem.EEMError('anything else'), exception.DriverOperationError))
    @ddt.unpack
    def test_translation(self, error, expected):
        exc = self.assertRaises(expected, self._raise, error)
        # Only ironic.common.exception classes survive json-rpc.
        self.assertEqual('ironic.common.exception',
                         type(exc).__module__)
        self.assertIs(error, exc.__cause__)
        message = str(exc)
        self.assertIn(base.EEM_ADDRESS, message)
        self.assertIn('doing things', message)
        self.assertIn(self.node.uuid, message)
        self.assertIn(str(error), message)
        self.assertNotIn(base.SECRET, message)

    def test_http_statuses(self):
        cases = [(eem.EEMNotFound('GET', 'p', 404), 404),
                 (eem.EEMBadRequest('GET', 'p', 400), 400),
                 (eem.EEMConflict('GET', 'p', 409), 409),
                 (eem.EEMAuthError('GET', 'p', 401), 400),
                 (eem.EEMServerError('GET', 'p', 500), 503),
                 (eem.EEMServerError('GET', 'p', 503), 503),
                 (eem.EEMConnectionError('GET', 'p', 'reset'), 503),
                 (eem.EEMTimeout('GET', 'p', 5.0), 503),
                 (eem.EEMMalformedResponse('GET', 'p', 200, 'cut'), 503),
                 (eem.EEMHTTPError('GET', 'p', 418), 500)]
        for error, code in cases:
            exc = self.assertRaises(exception.IronicException,
                                    self._raise, error)
            self.assertEqual(code, exc.code)

    def test_not_found_class_chosen_by_caller(self):
        self.assertRaises(exception.InvalidParameterValue, self._raise,
                          eem.EEMNotFound('GET', 'p', 404),
                          not_found=exception.InvalidParameterValue)

    def test_auth_error_hints_credentials(self):
        exc = self.assertRaises(exception.InvalidParameterValue,
                                self._raise,
                                eem.EEMAuthError('GET', 'p', 401))
        self.assertIn('eem_password', str(exc))
        self.assertIn('driver_info', str(exc))

    def test_auth_error_without_node_hints_pod_manager(self):
        with self.assertRaisesRegex(exception.InvalidParameterValue,
                                    'credentials .* of the pod manager'):
            with utils.eem_errors(None, 'x', address='https://e/eem'):
                raise eem.EEMAuthError('GET', 'p', 401)

    def test_tls_error_asks_for_verify_ca(self):
        exc = self.assertRaises(
            exception.InvalidParameterValue, self._raise,
            eem.EEMTLSError('GET', 'api_version', 'TLS certificate does '
                            'not verify: self-signed certificate'))
        self.assertIn('eem_verify_ca', str(exc))
        self.assertIn('self-signed certificate', str(exc))
        self.assertEqual(400, exc.code)

    def test_malformed_answer_names_eem_step_and_reason(self):
        exc = self.assertRaises(
            exception.TemporaryFailure, self._raise,
            eem.EEMMalformedResponse('GET', 'devices/detail', 200,
                                     '"devices" must be a list of objects'))
        message = str(exc)
        self.assertIn(base.EEM_ADDRESS, message)
        self.assertIn('doing things', message)
        self.assertIn('"devices" must be a list of objects', message)

    def test_ironic_errors_pass_through(self):
        error = exception.Conflict('mine')
        exc = self.assertRaises(exception.Conflict, self._raise, error)
        self.assertIs(error, exc)

    def test_address_without_credentials(self):
        exc = self.assertRaises(
            exception.TemporaryFailure, self._raise,
            eem.EEMConnectionError('GET', 'p', 'refused'),
            address='https://u:%s@eem.example.com:8443/eem' % base.SECRET)
        self.assertIn('https://eem.example.com:8443/eem', str(exc))
        self.assertNotIn(base.SECRET, str(exc))

    def test_without_node(self):
        with self.assertRaisesRegex(exception.TemporaryFailure,
                                    'EEM https://e/eem failed while x'):
            with utils.eem_errors(None, 'x', address='https://e/eem'):
                raise eem.EEMServerError('GET', 'p', 500)


class BMCKindTestCase(db_base.DbTestCase):

    def test_kinds(self):
        cases = [(base.INFO, None), (base.REDFISH_INFO, 'redfish'),
                 (base.IPMI_INFO, 'ipmi'),
                 (dict(base.IPMI_INFO, redfish_address='https://b'),
                  'redfish'),
                 (dict(base.INFO, redfish_address=''), None)]
        for info, expected in cases:
            node = obj_utils.create_test_node(
                self.context, driver='fake-hardware', driver_info=info,
                uuid=uuidutils.generate_uuid())
            self.assertEqual(expected, utils.bmc_kind(node), info)


class EEMPowerStateTestCase(base.ExpEtherTestCase):

    def setUp(self):
        super().setUp()
        # One EEM request per power read, no shared snapshot.
        self.config(power_state_cache_ttl=0, group='expether')
        self.node = obj_utils.create_test_node(
            self.context, driver='expether', driver_info=dict(base.INFO))

    def test_states(self):
        for power, expected in (('on', states.POWER_ON),
                                ('off', states.POWER_OFF),
                                (None, states.ERROR)):
            self.devices(base.eesv(power=power))
            self.assertEqual(expected, utils.eem_power_state(self.node))
        self.client.get_device.assert_called_with(base.EESV_ID)

    def test_eeio_id_rejected(self):
        self.devices(base.eeio(eeid=base.EESV_ID))
        exc = self.assertRaises(exception.InvalidParameterValue,
                                utils.eem_power_state, self.node)
        self.assertIn('eesv_id', str(exc))

    def test_unknown_eesv_is_bad_driver_info(self):
        self.devices()
        self.assertRaises(exception.InvalidParameterValue,
                          utils.eem_power_state, self.node)

    def test_eem_down(self):
        self.client.get_device.side_effect = eem.EEMConnectionError(
            'GET', 'devices/x', 'refused')
        self.assertRaises(exception.TemporaryFailure,
                          utils.eem_power_state, self.node)
