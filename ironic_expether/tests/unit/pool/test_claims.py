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

from unittest import mock

from ironic.common import exception
from ironic.tests.unit.objects import utils as obj_utils
from oslo_utils import uuidutils

from ironic_expether import eem
from ironic_expether.eem_access import fabric
from ironic_expether.eem_access import utils as driver_utils
from ironic_expether.pool import claims
from ironic_expether.pool.db import api
from ironic_expether.pool import podm as podm_api
from ironic_expether.tests.unit.pool import base

EESV = '0x8cdf9d535b14'
PASSWORD = 'eem-S3cret'
NODE = uuidutils.generate_uuid()
OTHER_NODE = uuidutils.generate_uuid()


class ClaimTestCase(base.PoolTestCase):

    def setUp(self):
        super().setUp()
        self.podm = self.create_podm()
        self.devices = self.create_devices(self.podm, 3, type='GPU')

    def test_claim_device(self):
        dev = self.devices[0]
        claimed = claims.claim_device(None, dev.uuid, NODE, 'deployment')
        self.assertEqual(('claimed', NODE, 'deployment'),
                         (claimed.state, claimed.node_uuid, claimed.purpose))
        self.assertIsNotNone(claimed.claimed_at)

    def test_claim_is_exclusive(self):
        dev = self.devices[0]
        claims.claim_device(None, dev.uuid, NODE)
        exc = self.assertRaises(exception.Conflict, claims.claim_device,
                                None, dev.uuid, OTHER_NODE)
        self.assertIn(dev.uuid, str(exc))
        self.assertIn(dev.eeid, str(exc))
        self.assertIn(NODE, str(exc))
        self.assertEqual(NODE, api.get_device(dev.uuid).node_uuid)
        # Not even the holder claims it twice.
        self.assertRaises(exception.Conflict, claims.claim_device, None,
                          dev.uuid, NODE)

    def test_claim_unknown_device_and_purpose(self):
        self.assertRaises(exception.NotFound, claims.claim_device, None,
                          uuidutils.generate_uuid(), NODE)
        self.assertRaises(exception.InvalidParameterValue,
                          claims.claim_device, None, self.devices[0].uuid,
                          NODE, 'fun')

    def test_claim_free_device(self):
        got = {claims.claim_free_device(self.podm.uuid, 'GPU', NODE).uuid
               for _ in range(3)}
        self.assertEqual({d.uuid for d in self.devices}, got)
        exc = self.assertRaises(exception.Conflict, claims.claim_free_device,
                                self.podm.uuid, 'GPU', NODE)
        self.assertIn('GPU', str(exc))
        self.assertIn(self.podm.uuid, str(exc))

    def test_claim_free_device_type_and_exclude(self):
        ssd, = self.create_devices(self.podm, 1, type='SSD', start=10)
        self.assertEqual(ssd.uuid, claims.claim_free_device(
            self.podm.uuid, 'SSD', NODE).uuid)
        exclude = [d.uuid for d in self.devices[:2]]
        self.assertEqual(self.devices[2].uuid, claims.claim_free_device(
            self.podm.uuid, 'GPU', NODE, exclude=exclude).uuid)
        exc = self.assertRaises(exception.Conflict, claims.claim_free_device,
                                self.podm.uuid, 'NIC', NODE)
        self.assertIn('NIC', str(exc))

    def test_claim_free_device_retries_lost_race(self):
        real = api.compare_and_set_device
        lost = []

        def racing(device_uuid, expected, values):
            if not lost:
                # Another claimer takes this one between our read and our
                # update.
                lost.append(device_uuid)
                self.assertTrue(real(device_uuid, expected,
                                     dict(values, node_uuid=OTHER_NODE)))
            return real(device_uuid, expected, values)

        with mock.patch.object(api, 'compare_and_set_device', autospec=True,
                               side_effect=racing):
            dev = claims.claim_free_device(self.podm.uuid, 'GPU', NODE)
        self.assertNotEqual(lost[0], dev.uuid)
        self.assertEqual(NODE, dev.node_uuid)
        self.assertEqual(OTHER_NODE, api.get_device(lost[0]).node_uuid)

    def test_claim_free_device_rereads_when_round_lost(self):
        # Only one device visible per round; the first round loses it.
        real = api.compare_and_set_device
        calls = []

        def racing(device_uuid, expected, values):
            calls.append(device_uuid)
            if len(calls) == 1:
                real(device_uuid, expected, dict(values,
                                                 node_uuid=OTHER_NODE))
            return real(device_uuid, expected, values)

        with mock.patch.object(claims, 'CANDIDATES_PER_ROUND', 1), \
                mock.patch.object(api, 'compare_and_set_device',
                                  autospec=True, side_effect=racing):
            dev = claims.claim_free_device(self.podm.uuid, 'GPU', NODE)
        self.assertEqual(2, len(calls))
        self.assertEqual(NODE, dev.node_uuid)

    def test_claim_free_device_gives_up_on_endless_contention(self):
        with mock.patch.object(api, 'compare_and_set_device', autospec=True,
                               return_value=False) as cas:
            exc = self.assertRaises(exception.Conflict,
                                    claims.claim_free_device,
                                    self.podm.uuid, 'GPU', NODE)
        self.assertIn('concurrent', str(exc))
        self.assertEqual(claims.MAX_CLAIM_ROUNDS * 3, cas.call_count)

    def test_confirm_claim(self):
        dev = self.devices[0]
        claims.claim_device(None, dev.uuid, NODE)
        confirmed = claims.confirm_claim(dev.uuid, NODE, '100')
        self.assertEqual(('allocated', '100', None),
                         (confirmed.state, confirmed.group_id,
                          confirmed.claimed_at))
        # Idempotent for the holder (e.g. discovery confirmed it first).
        claims.confirm_claim(dev.uuid, NODE, '100')
        self.assertRaises(exception.Conflict, claims.confirm_claim,
                          dev.uuid, OTHER_NODE, '100')
        self.assertRaises(exception.Conflict, claims.confirm_claim,
                          self.devices[1].uuid, NODE, '100')

    def test_release_claim_only_by_holder(self):
        dev = self.devices[0]
        claims.claim_device(None, dev.uuid, NODE)
        self.assertFalse(claims.release_claim(dev.uuid, OTHER_NODE))
        self.assertEqual('claimed', api.get_device(dev.uuid).state)
        self.assertTrue(claims.release_claim(dev.uuid, NODE))
        got = api.get_device(dev.uuid)
        self.assertEqual(('free', None, None),
                         (got.state, got.node_uuid, got.purpose))
        # An allocated device is not a pending claim.
        claims.claim_device(None, dev.uuid, NODE)
        claims.confirm_claim(dev.uuid, NODE, '100')
        self.assertFalse(claims.release_claim(dev.uuid, NODE))
        self.assertEqual('allocated', api.get_device(dev.uuid).state)

    def test_devices_of_node(self):
        a, b, c = self.devices
        claims.claim_device(None, a.uuid, NODE, 'composition')
        claims.claim_device(None, b.uuid, NODE, 'deployment')
        claims.claim_device(None, c.uuid, OTHER_NODE)
        self.assertEqual([a.uuid, b.uuid],
                         [d.uuid for d in claims.devices_of_node(NODE)])
        self.assertEqual([b.uuid], [d.uuid for d in claims.devices_of_node(
            NODE, purpose='deployment')])


@mock.patch.object(driver_utils, 'get_client', autospec=True)
class AttachDetachTestCase(base.PoolTestCase):

    def setUp(self):
        super().setUp()
        self.node = obj_utils.create_test_node(
            self.context, uuid=NODE, driver_info={
                'eem_address': 'http://10.0.0.1:8080/eem/',
                'eem_username': 'admin', 'eem_password': PASSWORD,
                'eesv_id': EESV})
        self.podm = api.ensure_pod_manager_for_url(
            'http://10.0.0.1:8080/eem', 'admin', PASSWORD)
        self.gpu, self.ssd = self.create_devices(self.podm, 1, type='GPU') + \
            self.create_devices(self.podm, 1, type='SSD', start=5)

    @mock.patch.object(fabric, 'connect', autospec=True, return_value='100')
    def test_attach_by_uuid(self, mock_connect, mock_client):
        dev = claims.attach(self.node, self.gpu.uuid)
        mock_connect.assert_called_once_with(
            mock_client.return_value, EESV, self.gpu.eeid, node=self.node,
            server=None, eeio=None)
        self.assertEqual(('allocated', NODE, 'composition', '100'),
                         (dev.state, dev.node_uuid, dev.purpose,
                          dev.group_id))
        self.assertEqual('allocated', api.get_device(self.gpu.uuid).state)

    @mock.patch.object(fabric, 'connect', autospec=True, return_value='100')
    def test_attach_by_eeid_for_deployment(self, mock_connect, mock_client):
        dev = claims.attach(self.node, self.ssd.eeid.upper().replace(
            '0X', '0x'), purpose='deployment')
        self.assertEqual((self.ssd.uuid, 'deployment'),
                         (dev.uuid, dev.purpose))
        self.assertFalse(mock_client.return_value.get_device.called)

    @mock.patch.object(fabric, 'connect', autospec=True, return_value='100')
    def test_attach_is_idempotent_for_holder(self, mock_connect,
                                             mock_client):
        claims.attach(self.node, self.gpu.uuid)
        dev = claims.attach(self.node, self.gpu.uuid)
        self.assertEqual('allocated', dev.state)
        self.assertEqual(1, mock_connect.call_count)

    @mock.patch.object(fabric, 'connect', autospec=True, return_value='100')
    def test_attach_device_held_by_other_node(self, mock_connect,
                                              mock_client):
        claims.claim_device(None, self.gpu.uuid, OTHER_NODE)
        exc = self.assertRaises(exception.Conflict, claims.attach,
                                self.node, self.gpu.uuid)
        self.assertIn(OTHER_NODE, str(exc))
        self.assertFalse(mock_connect.called)
        self.assertEqual(OTHER_NODE, api.get_device(self.gpu.uuid).node_uuid)

    @mock.patch.object(fabric, 'connect', autospec=True)
    def test_attach_eem_failure_releases_claim(self, mock_connect,
                                               mock_client):
        for error in (exception.DriverOperationError(detail='EEM down'),
                      exception.Conflict('group full'),
                      RuntimeError('boom')):
            mock_connect.side_effect = error
            self.assertRaises(type(error), claims.attach, self.node,
                              self.gpu.uuid)
            got = api.get_device(self.gpu.uuid)
            self.assertEqual(('free', None, None),
                             (got.state, got.node_uuid, got.claimed_at))

    @mock.patch.object(claims, 'confirm_claim', autospec=True,
                       side_effect=exception.Conflict('repaired meanwhile'))
    @mock.patch.object(fabric, 'connect', autospec=True, return_value='100')
    def test_attach_failed_confirm_left_to_discovery(
            self, mock_connect, mock_confirm, mock_client):
        with mock.patch.object(claims.LOG, 'error', autospec=True) as log:
            dev = claims.attach(self.node, self.gpu.uuid)
        self.assertTrue(log.called)
        self.assertEqual('claimed', dev.state)
        self.assertEqual('claimed', api.get_device(self.gpu.uuid).state)

    @mock.patch.object(fabric, 'connect', autospec=True, return_value='100')
    def test_attach_device_of_other_pod_manager(self, mock_connect,
                                                mock_client):
        other = self.create_podm()
        foreign, = self.create_devices(other, 1, start=40)
        exc = self.assertRaises(exception.NotFound, claims.attach,
                                self.node, foreign.uuid)
        self.assertIn(self.podm.uuid, str(exc))
        self.assertFalse(mock_connect.called)
        self.assertEqual('free', api.get_device(foreign.uuid).state)

    @mock.patch.object(fabric, 'connect', autospec=True, return_value='100')
    def test_attach_unknown_eeid_is_read_from_eem(self, mock_connect,
                                                  mock_client):
        client = mock_client.return_value
        client.get_device.return_value = eem.Device({
            'id': '0x0000000000aa', 'status': 'eeio', 'type': '40g',
            'group_id': '4093', 'pcie_class_code': '0x020000'})
        dev = claims.attach(self.node, '0x0000000000aa')
        client.get_device.assert_called_once_with('0x0000000000aa')
        self.assertEqual(('NIC', 'allocated', NODE),
                         (dev.type, dev.state, dev.node_uuid))

    def test_attach_unknown_eeid_unknown_to_eem(self, mock_client):
        mock_client.return_value.get_device.side_effect = eem.EEMNotFound(
            'GET', 'devices/0x0000000000aa', 404)
        self.assertRaises(exception.NotFound, claims.attach, self.node,
                          '0x0000000000aa')
        self.assertEqual(2, len(api.list_devices()))

    def test_attach_bad_reference(self, mock_client):
        self.assertRaises(exception.InvalidParameterValue, claims.attach,
                          self.node, 'gpu0')
        self.assertRaises(exception.InvalidParameterValue, claims.attach,
                          self.node, self.gpu.uuid, purpose='fun')

    def test_unknown_eem_gets_a_pod_manager(self, mock_client):
        node = obj_utils.create_test_node(
            self.context, uuid=OTHER_NODE, driver_info={
                'eem_address': 'https://eem2.example.com/eem',
                'eem_password': PASSWORD, 'eesv_id': EESV})
        podm = podm_api.pod_manager_of_node(node)
        self.assertEqual('https://eem2.example.com/eem', podm.url)
        self.assertEqual(podm.uuid, podm_api.pod_manager_of_node(node).uuid)
        self.assertEqual(2, len(api.list_pod_managers()))

    @mock.patch.object(fabric, 'connect', autospec=True, return_value='100')
    def test_attach_free(self, mock_connect, mock_client):
        dev = claims.attach_free(self.node, 'SSD')
        self.assertEqual((self.ssd.uuid, 'allocated'), (dev.uuid, dev.state))
        self.assertRaises(exception.Conflict, claims.attach_free, self.node,
                          'SSD')

    @mock.patch.object(fabric, 'connect', autospec=True)
    def test_attach_free_skips_device_eem_refuses(self, mock_connect,
                                                  mock_client):
        gpu2, = self.create_devices(self.podm, 1, type='GPU', start=20)
        mock_connect.side_effect = [exception.Conflict('not free in EEM'),
                                    '100']
        dev = claims.attach_free(self.node, 'GPU')
        refused = mock_connect.call_args_list[0][0][2]
        self.assertNotEqual(refused, dev.eeid)
        self.assertEqual('free', api.get_device_by_eeid(
            self.podm.uuid, refused).state)
        self.assertEqual('allocated', dev.state)

    @mock.patch.object(fabric, 'disconnect', autospec=True)
    @mock.patch.object(fabric, 'connect', autospec=True, return_value='100')
    def test_detach(self, mock_connect, mock_disconnect, mock_client):
        claims.attach(self.node, self.gpu.uuid)
        dev = claims.detach(self.node, self.gpu.eeid)
        mock_disconnect.assert_called_once_with(
            mock_client.return_value, EESV, self.gpu.eeid, node=self.node,
            group_id='100')
        self.assertEqual(('free', None, None, eem.EEIO_FREE_GROUP),
                         (dev.state, dev.node_uuid, dev.purpose,
                          dev.group_id))

    @mock.patch.object(fabric, 'disconnect', autospec=True)
    def test_detach_not_held(self, mock_disconnect, mock_client):
        exc = self.assertRaises(exception.Conflict, claims.detach, self.node,
                                self.gpu.uuid)
        self.assertIn('not attached to node %s' % NODE, str(exc))
        claims.claim_device(None, self.gpu.uuid, OTHER_NODE)
        claims.confirm_claim(self.gpu.uuid, OTHER_NODE, '200')
        self.assertRaises(exception.Conflict, claims.detach, self.node,
                          self.gpu.uuid)
        self.assertFalse(mock_disconnect.called)
        self.assertEqual(OTHER_NODE, api.get_device(self.gpu.uuid).node_uuid)

    @mock.patch.object(fabric, 'disconnect', autospec=True)
    def test_detach_in_flight_refused(self, mock_disconnect, mock_client):
        claims.claim_device(None, self.gpu.uuid, NODE)
        exc = self.assertRaises(exception.Conflict, claims.detach, self.node,
                                self.gpu.uuid)
        self.assertIn('claimed', str(exc))
        self.assertFalse(mock_disconnect.called)

    @mock.patch.object(fabric, 'disconnect', autospec=True,
                       side_effect=exception.DriverOperationError(
                           detail='EEM down'))
    @mock.patch.object(fabric, 'connect', autospec=True, return_value='100')
    def test_detach_eem_failure_keeps_allocation(
            self, mock_connect, mock_disconnect, mock_client):
        claims.attach(self.node, self.gpu.uuid)
        self.assertRaises(exception.DriverOperationError, claims.detach,
                          self.node, self.gpu.uuid)
        got = api.get_device(self.gpu.uuid)
        self.assertEqual(('allocated', NODE), (got.state, got.node_uuid))

    @mock.patch.object(fabric, 'disconnect', autospec=True)
    def test_detach_missing_device(self, mock_disconnect, mock_client):
        api.update_device(self.gpu.uuid, {'state': 'missing',
                                          'node_uuid': NODE,
                                          'purpose': 'composition'})
        dev = claims.detach(self.node, self.gpu.uuid)
        self.assertEqual(('missing', None), (dev.state, dev.node_uuid))
        self.assertFalse(mock_disconnect.called)

    @mock.patch.object(fabric, 'unplug', autospec=True)
    @mock.patch.object(fabric, 'read_group', autospec=True,
                       return_value=(None, {}))
    @mock.patch.object(fabric, 'connect', autospec=True, return_value='100')
    def test_release_by_purpose(self, mock_connect, mock_read, mock_unplug,
                                mock_client):
        claims.attach(self.node, self.gpu.uuid)
        claims.attach(self.node, self.ssd.uuid, purpose='deployment')
        released = claims.release(self.node, purpose='deployment')
        self.assertEqual([self.ssd.uuid], [d.uuid for d in released])
        self.assertEqual([self.gpu.uuid], [
            d.uuid for d in claims.devices_of_node(NODE)])
        released = claims.release(self.node)
        self.assertEqual([self.gpu.uuid], [d.uuid for d in released])
        self.assertEqual([], claims.devices_of_node(NODE))
        # One read of the server's group per release, one move per device.
        self.assertEqual([mock.call(mock_client.return_value, EESV, '100',
                                    node=self.node)] * 2,
                         mock_read.call_args_list)
        self.assertEqual(2, mock_unplug.call_count)

    @mock.patch.object(fabric, 'read_group', autospec=True,
                       side_effect=exception.DriverOperationError(
                           detail='EEM down'))
    @mock.patch.object(fabric, 'connect', autospec=True, return_value='100')
    def test_release_group_unreadable_changes_nothing(
            self, mock_connect, mock_read, mock_client):
        claims.attach(self.node, self.gpu.uuid)
        self.assertRaises(exception.DriverOperationError, claims.release,
                          self.node)
        self.assertEqual('allocated', api.get_device(self.gpu.uuid).state)
        self.assertFalse(mock_client.return_value.delete_group.called)

    @mock.patch.object(fabric, 'connect', autospec=True)
    def test_attach_outcome_unknown_keeps_claim(self, mock_connect,
                                                mock_client):
        error = exception.DriverOperationError(detail='EEM timed out')
        mock_connect.side_effect = fabric.OutcomeUnknown(error,
                                                         self.gpu.eeid)
        exc = self.assertRaises(exception.DriverOperationError,
                                claims.attach, self.node, self.gpu.uuid)
        self.assertIs(error, exc)
        got = api.get_device(self.gpu.uuid)
        self.assertEqual(('claimed', NODE), (got.state, got.node_uuid))
        self.assertIsNotNone(got.claimed_at)

    @mock.patch.object(fabric, 'disconnect', autospec=True)
    @mock.patch.object(fabric, 'connect', autospec=True, return_value='100')
    def test_detach_outcome_unknown_keeps_claim(self, mock_connect,
                                                mock_disconnect,
                                                mock_client):
        claims.attach(self.node, self.gpu.uuid)
        error = exception.DriverOperationError(detail='EEM timed out')
        mock_disconnect.side_effect = fabric.OutcomeUnknown(error,
                                                            self.gpu.eeid)
        self.assertRaises(exception.DriverOperationError, claims.detach,
                          self.node, self.gpu.uuid)
        got = api.get_device(self.gpu.uuid)
        self.assertEqual(('claimed', NODE), (got.state, got.node_uuid))

    @mock.patch.object(fabric, 'unplug', autospec=True)
    @mock.patch.object(fabric, 'read_group', autospec=True,
                       return_value=(None, {}))
    @mock.patch.object(fabric, 'connect', autospec=True, return_value='100')
    def test_release_some_continues_after_error(
            self, mock_connect, mock_read, mock_unplug, mock_client):
        claims.attach(self.node, self.gpu.uuid)
        claims.attach(self.node, self.ssd.uuid)
        mock_unplug.side_effect = [exception.DriverOperationError(
            detail='EEM down'), None]
        self.assertRaises(exception.DriverOperationError, claims.release,
                          self.node, [self.gpu.uuid, self.ssd.eeid])
        self.assertEqual('allocated', api.get_device(self.gpu.uuid).state)
        self.assertEqual('free', api.get_device(self.ssd.uuid).state)

    @mock.patch.object(fabric, 'connect', autospec=True)
    def test_no_password_in_errors(self, mock_connect, mock_client):
        mock_connect.side_effect = exception.Conflict('nope')
        claims.claim_device(None, self.ssd.uuid, OTHER_NODE)
        for call in (lambda: claims.attach(self.node, self.gpu.uuid),
                     lambda: claims.attach(self.node, self.ssd.uuid),
                     lambda: claims.attach_free(self.node, 'NIC')):
            exc = self.assertRaises(exception.IronicException, call)
            self.assertNotIn(PASSWORD, str(exc))
        self.assertNotIn(PASSWORD, repr(self.podm))
