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

"""Log levels of the passthru routes of the vendor interface.

The routes are :mod:`ironic_expether.drivers.vendor`'s; the methods and
their fixtures come from the Valence passthru tests, one layer below.
"""

from unittest import mock

from ironic.common import exception
from ironic.drivers import base as drivers_base
from ironic import objects
from ironic.tests.unit.conductor import mgr_utils

from ironic_expether.drivers import vendor
from ironic_expether import eem
from ironic_expether.pool.db import api
from ironic_expether.tests.unit.pool import fakes
from ironic_expether.tests.unit.valence import test_passthru as passthru_tests
from ironic_expether.valence import passthru

UNKNOWN_UUID = passthru_tests.UNKNOWN_UUID


@mgr_utils.mock_record_keepalive
class PassthruLogLevelTestCase(passthru_tests.PassthruBase):
    """A user's mistake is no ERROR in the conductor log; an EEM fault is.

    Ironic's passthru wrapper logs every error of a passthru method with
    a traceback (``LOG.exception`` of :mod:`ironic.drivers.base`); the
    vendor interface's validate hooks refuse the mistakes before it.
    """

    def setUp(self):
        super().setUp()
        patcher = mock.patch.object(drivers_base, 'LOG', autospec=True)
        self.ironic_log = patcher.start()
        self.addCleanup(patcher.stop)
        patcher = mock.patch.object(vendor, 'LOG', autospec=True)
        self.vendor_log = patcher.start()
        self.addCleanup(patcher.stop)

    _composed = passthru_tests.PassthruTestCase._composed

    def _mistakes(self):
        """Run user mistakes; return the pool's devices before and after."""
        node = self._composed(['GPU'])
        gpu, = api.list_devices(node_uuid=node.uuid)
        other = self.enroll(2)
        self.fabric.add_eesv(2)
        flavor = api.create_flavor({'name': 'f', 'properties': {
            'pci_device': {'type': ['GPU']}}})
        before = [(d.uuid, d.state, d.node_uuid)
                  for d in api.list_devices()]
        self.client.reset_mock()
        driver_cases = [
            (exception.NotFound, 'device', 'GET', {'uuid': UNKNOWN_UUID}),
            (exception.NotFound, 'pod_managers', 'GET',
             {'uuid': UNKNOWN_UUID}),
            (exception.NotFound, 'pod_managers', 'DELETE',
             {'uuid': UNKNOWN_UUID}),
            (exception.Conflict, 'pod_managers', 'DELETE',
             {'uuid': self.podm.uuid}),
            (exception.NotFound, 'nodes', 'GET', {'uuid': UNKNOWN_UUID}),
            (exception.NotFound, 'compose', 'POST',
             {'name': 'n2', 'podm_id': UNKNOWN_UUID}),
            (exception.NotFound, 'compose', 'POST',
             {'name': 'n2', 'flavor_id': UNKNOWN_UUID}),
            (exception.InvalidParameterValue, 'compose', 'POST',
             {'name': 'bad name'}),
            (exception.DuplicateName, 'compose', 'POST', {'name': 'n1'}),
            (exception.Conflict, 'compose', 'POST',
             {'name': 'n2', 'flavor_id': flavor.uuid}),
            (exception.Conflict, 'compose', 'POST', {
                'name': 'n2',
                'properties': {'pci_device': {'type': ['NIC']}}}),
            (exception.Conflict, 'manage', 'POST',
             {'node_index': node.driver_info['eesv_id']}),
            (exception.NotFound, 'manage', 'POST',
             {'node_index': fakes.eesv_id(2), 'podm_id': UNKNOWN_UUID}),
            (exception.NotFound, 'sync', 'POST', {'podm_id': UNKNOWN_UUID}),
            (exception.NotFound, 'flavors', 'GET', {'uuid': UNKNOWN_UUID}),
            (exception.NotFound, 'flavors', 'DELETE',
             {'uuid': UNKNOWN_UUID}),
        ]
        for error, method, verb, body in driver_cases:
            exc = self.assertFails(error, self.driver_call, method, verb,
                                   **body)
            self.assertLess(exc.code, 500)
        node_cases = [
            (exception.Conflict, other.uuid, {'resource_ids': [gpu.uuid]}),
            (exception.Conflict, other.uuid, {'resource_ids': [gpu.eeid]}),
            (exception.NotFound, node.uuid,
             {'resource_ids': [gpu.uuid, UNKNOWN_UUID]}),
            (exception.NotFound, node.uuid,
             {'resource_ids': [fakes.eeio_id(9)]}),
        ]
        for error, node_uuid, body in node_cases:
            exc = self.assertFails(error, self.node_call, node_uuid,
                                   'release', **body)
            self.assertIn('release', str(exc))
        after = [(d.uuid, d.state, d.node_uuid) for d in api.list_devices()]
        return before, after

    def test_user_mistakes_are_no_error(self):
        before, after = self._mistakes()
        self.ironic_log.exception.assert_not_called()
        self.ironic_log.error.assert_not_called()
        # Refused in validate: not even the method's one-line warning.
        self.assertEqual([], self.vendor_log.mock_calls)
        # Refused as a whole: the held device of a partly wrong release
        # stays with its node.
        self.assertEqual(before, after)

    def test_user_mistakes_ask_eem_nothing(self):
        self._mistakes()
        self.assertEqual([], self.client.mock_calls)

    def test_mistakes_only_eem_tells_are_one_warning(self):
        node = self._composed(['GPU'])
        io = self.fabric.add_eeio(3)
        cases = [
            # The only server engine is taken: EEM's listing tells.
            (exception.Conflict, 'compose', {'name': 'n2'}),
            (exception.NotFound, 'manage',
             {'node_index': fakes.eesv_id(7)}),
            (exception.InvalidParameterValue, 'manage', {'node_index': io}),
        ]
        for error, method, body in cases:
            self.vendor_log.reset_mock()
            exc = self.assertFails(error, self.driver_call, method, 'POST',
                                   **body)
            self.vendor_log.warning.assert_called_once_with(mock.ANY, {
                'method': method, 'code': exc.code, 'err': exc})
            self.vendor_log.exception.assert_not_called()
        self.ironic_log.exception.assert_not_called()
        self.ironic_log.error.assert_not_called()
        self.assertEqual([node.uuid], [n.uuid for n in objects.Node.list(
            self.context)])

    def test_eem_fault_stays_an_error(self):
        self.fabric.add_eesv(1)
        self.client.list_devices.side_effect = eem.EEMConnectionError(
            'GET', 'devices/detail', 'refused')
        self.assertFails(exception.TemporaryFailure, self.driver_call,
                         'compose', 'POST', name='n1')
        self.vendor_log.exception.assert_called_once_with(mock.ANY,
                                                          'compose')
        self.vendor_log.warning.assert_not_called()

    def test_release_eem_fault_stays_an_error(self):
        node = self._composed(['GPU'])
        self.client.get_device.side_effect = eem.EEMConnectionError(
            'GET', 'devices', 'refused')
        self.client.list_devices.side_effect = eem.EEMConnectionError(
            'GET', 'devices/detail', 'refused')
        self.assertFails(exception.TemporaryFailure, self.node_call,
                         node.uuid, 'release')
        self.vendor_log.exception.assert_called_once_with(mock.ANY,
                                                          'release')

    def test_plugin_fault_stays_an_error(self):
        with mock.patch.object(passthru.db_api, 'list_flavors',
                               autospec=True,
                               side_effect=ZeroDivisionError('bug')):
            self.assertFails(exception.VendorPassthruException,
                             self.driver_call, 'flavors')
        self.vendor_log.exception.assert_called_once_with(mock.ANY,
                                                          'flavors')
