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

"""The interfaces as a real conductor manager calls them."""

from ironic.common import exception
from ironic.common import states
from ironic.tests.unit.conductor import mgr_utils
import oslo_messaging as messaging

from ironic_expether.tests.unit.drivers import base


@mgr_utils.mock_record_keepalive
class ConductorTestCase(mgr_utils.ServiceSetUpMixin, base.DriverTestCase):

    def assertRPCError(self, error, func, *args):
        exc = self.assertRaises(messaging.rpc.ExpectedException, func, *args)
        self.assertIs(error, exc.exc_info[0])
        return exc.exc_info[1]

    def test_power_change_without_bmc_is_refused_synchronously(self):
        self._start_service()
        exc = self.assertRPCError(exception.InvalidParameterValue,
                                  self.service.change_node_power_state,
                                  self.context, self.node.uuid,
                                  states.POWER_ON)
        self.assertIn('BMC', str(exc))
        self.node.refresh()
        self.assertIsNone(self.node.target_power_state)

    def test_sync_passthru_returns_dict(self):
        self._start_service()
        self.devices(base.eesv(group_id='100'), base.eeio())
        self.client.list_devices.return_value = []
        self.client.set_group.return_value = '100'
        result = self.service.vendor_passthru(
            self.context, self.node.uuid, 'attach', 'POST',
            {'resource_id': base.EEIO_ID})
        self.assertFalse(result['async'])
        self.assertEqual('devices/%s' % base.EEIO_ID,
                         result['return']['resource_uri'])
        self.assertEqual('100', result['return']['pooled_group_id'])
        self.assertEqual(base.EESV_ID, result['return']['node_id'])

    def test_passthru_bad_argument_is_400(self):
        self._start_service()
        exc = self.assertRPCError(exception.InvalidParameterValue,
                                  self.service.vendor_passthru, self.context,
                                  self.node.uuid, 'attach', 'POST',
                                  {'resource_id': base.EEIO_ID, 'bogus': 1})
        self.assertIn('bogus', str(exc))
        self.assertFalse(self.client.mock_calls)

    def test_passthru_wrong_verb(self):
        self._start_service()
        self.assertRPCError(exception.InvalidParameterValue,
                            self.service.vendor_passthru, self.context,
                            self.node.uuid, 'devices', 'POST', {})
