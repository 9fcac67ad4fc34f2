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
from ironic.tests import base as test_base

from ironic_expether import eem
from ironic_expether.eem_access import fabric
from ironic_expether.tests.unit import base

UPDATE_TIME = 1521117379726


class FabricTestCase(test_base.TestCase):

    def setUp(self):
        super().setUp()
        self.client = mock.create_autospec(eem.EEMClient, instance=True)

    def devices(self, *devices):
        by_id = {d.id: d for d in devices}

        def get_device(eeid):
            try:
                return by_id[eeid]
            except KeyError:
                raise eem.EEMNotFound('GET', 'devices/%s' % eeid, 404)

        self.client.get_device.side_effect = get_device


class ConnectTestCase(FabricTestCase):

    def test_connect(self):
        self.devices(base.eesv(group_id='100'), base.eeio())
        self.client.list_devices.return_value = [base.eesv(group_id='100')]
        self.client.set_group.return_value = '100'
        self.assertEqual('100', fabric.connect(self.client, base.EESV_ID,
                                               base.EEIO_ID))
        self.client.list_devices.assert_called_once_with(group_id='100')
        # The move carries the device's update_time as read.
        self.client.set_group.assert_called_once_with(
            base.EEIO_ID, '100', update_time=UPDATE_TIME)

    def test_ids_normalized(self):
        self.devices(base.eesv(), base.eeio())
        self.client.list_devices.return_value = []
        self.client.set_group.return_value = '100'
        fabric.connect(self.client, base.EESV_ID.upper().replace('X', 'x'),
                       base.EEIO_ID.upper().replace('X', 'x'))
        self.client.set_group.assert_called_once_with(
            base.EEIO_ID, '100', update_time=UPDATE_TIME)

    def test_eesv_in_default_group_gets_one_first(self):
        self.devices(base.eesv(group_id=eem.EESV_DEFAULT_GROUP), base.eeio())
        self.client.set_group.side_effect = ['321', '321']
        self.assertEqual('321', fabric.connect(self.client, base.EESV_ID,
                                               base.EEIO_ID))
        self.assertEqual([mock.call(base.EESV_ID, None,
                                    update_time=UPDATE_TIME),
                          mock.call(base.EEIO_ID, '321',
                                    update_time=UPDATE_TIME)],
                         self.client.set_group.call_args_list)
        # The default group is shared by every EESV: never counted.
        self.client.list_devices.assert_not_called()

    def test_device_not_free(self):
        self.devices(base.eesv(), base.eeio(group_id='200'))
        exc = self.assertRaises(exception.Conflict, fabric.connect,
                                self.client, base.EESV_ID, base.EEIO_ID)
        self.assertIn(base.EEIO_ID, str(exc))
        self.assertIn('200', str(exc))
        self.client.set_group.assert_not_called()

    def test_device_down(self):
        self.devices(base.eesv(), base.eeio(up=False))
        exc = self.assertRaises(exception.Conflict, fabric.connect,
                                self.client, base.EESV_ID, base.EEIO_ID)
        self.assertIn('down', str(exc))
        self.client.set_group.assert_not_called()

    def test_already_attached_is_idempotent(self):
        self.devices(base.eesv(group_id='100'), base.eeio(group_id='100'))
        self.assertEqual('100', fabric.connect(self.client, base.EESV_ID,
                                               base.EEIO_ID))
        self.client.set_group.assert_not_called()

    def test_group_full(self):
        self.devices(base.eesv(max_eeio_count=2), base.eeio())
        self.client.list_devices.return_value = [
            base.eesv(), base.eeio(eeid='0x000000000001', group_id='100'),
            base.eeio(eeid='0x000000000002', group_id='100')]
        exc = self.assertRaises(exception.Conflict, fabric.connect,
                                self.client, base.EESV_ID, base.EEIO_ID)
        self.assertIn('max_eeio_count 2', str(exc))
        self.client.set_group.assert_not_called()

    def test_group_below_max_counts_eeios_only(self):
        self.devices(base.eesv(max_eeio_count=2), base.eeio())
        self.client.list_devices.return_value = [
            base.eesv(), base.eeio(eeid='0x000000000001', group_id='100')]
        self.client.set_group.return_value = '100'
        self.assertEqual('100', fabric.connect(self.client, base.EESV_ID,
                                               base.EEIO_ID))

    def test_bad_ids(self):
        for eesv_id, eeio_id, field in (('bogus', base.EEIO_ID, 'eesv_id'),
                                        (base.EESV_ID, '0x1', 'resource_id'),
                                        (base.EESV_ID, None, 'resource_id')):
            exc = self.assertRaises(exception.InvalidParameterValue,
                                    fabric.connect, self.client, eesv_id,
                                    eeio_id)
            self.assertIn(field, str(exc))
        self.client.get_device.assert_not_called()

    def test_wrong_kinds(self):
        self.devices(base.eeio(eeid=base.EESV_ID), base.eeio())
        exc = self.assertRaises(exception.InvalidParameterValue,
                                fabric.connect, self.client, base.EESV_ID,
                                base.EEIO_ID)
        self.assertIn('eesv_id', str(exc))
        self.devices(base.eesv(), base.eesv(eeid=base.EEIO_ID))
        exc = self.assertRaises(exception.InvalidParameterValue,
                                fabric.connect, self.client, base.EESV_ID,
                                base.EEIO_ID)
        self.assertIn('resource_id', str(exc))

    def test_unknown_device_is_not_found(self):
        self.devices(base.eesv())
        exc = self.assertRaises(exception.NotFound, fabric.connect,
                                self.client, base.EESV_ID, base.EEIO_ID)
        self.assertIn(base.EEIO_ID, str(exc))

    def test_unknown_eesv_is_invalid(self):
        self.devices(base.eeio())
        self.assertRaises(exception.InvalidParameterValue, fabric.connect,
                          self.client, base.EESV_ID, base.EEIO_ID)

    def test_eem_failure_on_move(self):
        self.devices(base.eesv(), base.eeio())
        self.client.list_devices.return_value = []
        self.client.set_group.side_effect = eem.EEMServerError(
            'PUT', 'devices/x/group_id', 500)
        exc = self.assertRaises(exception.TemporaryFailure,
                                fabric.connect, self.client, base.EESV_ID,
                                base.EEIO_ID)
        self.assertIn('attaching device %s' % base.EEIO_ID, str(exc))


class LostAnswerTestCase(FabricTestCase):
    """A move whose answer was lost is settled by reading the device."""

    def setUp(self):
        super().setUp()
        self.server = fabric.Server(base.eesv(group_id='100'), count=0)

    def test_applied(self):
        self.client.set_group.side_effect = eem.EEMTimeout(
            'PUT', 'devices/x/group_id', 5.0)
        self.devices(base.eeio(group_id='100'))
        self.assertEqual('100', fabric.plug(self.client, self.server,
                                            base.eeio()))
        self.client.get_device.assert_called_once_with(base.EEIO_ID)
        self.assertEqual(1, self.server.count)

    def test_not_applied(self):
        self.client.set_group.side_effect = eem.EEMMalformedResponse(
            'PUT', 'devices/x/group_id', 200, 'truncated')
        self.devices(base.eeio())
        exc = self.assertRaises(exception.TemporaryFailure, fabric.plug,
                                self.client, self.server, base.eeio())
        self.assertIn('attaching device %s' % base.EEIO_ID, str(exc))
        self.assertEqual(0, self.server.count)

    def test_unknown(self):
        self.client.set_group.side_effect = eem.EEMTimeout(
            'PUT', 'devices/x/group_id', 5.0)
        self.client.get_device.side_effect = eem.EEMConnectionError(
            'GET', 'devices/x', 'refused')
        exc = self.assertRaises(fabric.OutcomeUnknown, fabric.plug,
                                self.client, self.server, base.eeio())
        self.assertEqual(base.EEIO_ID, exc.eeid)
        self.assertIsInstance(exc.error, exception.TemporaryFailure)
        self.assertIn('attaching device', str(exc.error))

    def test_refusal_is_not_reread(self):
        self.client.set_group.side_effect = eem.EEMConflict(
            'PUT', 'devices/x/group_id', 409, code='40902')
        self.assertRaises(exception.Conflict, fabric.plug, self.client,
                          self.server, base.eeio())
        self.client.get_device.assert_not_called()

    def test_server_group_applied(self):
        server = fabric.Server(base.eesv(group_id=eem.EESV_DEFAULT_GROUP))
        self.client.set_group.side_effect = [
            eem.EEMTimeout('PUT', 'devices/x/group_id', 5.0), '77']
        self.devices(base.eesv(group_id='77'))
        self.assertEqual('77', fabric.plug(self.client, server,
                                           base.eeio()))
        self.assertEqual(('77', 1), (server.group_id, server.count))

    def test_unplug_applied(self):
        self.client.delete_group.side_effect = eem.EEMTimeout(
            'DELETE', 'devices/x/group_id', 5.0)
        self.devices(base.eeio())
        fabric.unplug(self.client, base.eesv(group_id='100'),
                      base.eeio(group_id='100'))
        self.client.delete_group.assert_called_once_with(
            base.EEIO_ID, update_time=UPDATE_TIME)


class ServerTestCase(FabricTestCase):

    def test_count_from_downstream_ports(self):
        eesv = base.eesv(group_id='100')
        eesv.raw['downstream_ports'] = [
            {'downstream_port_id': '0', 'eeio_connection_status': 'up',
             'eeio_mac_address': '8c:df:9d:91:1c:b0'},
            {'downstream_port_id': '1', 'eeio_connection_status': 'down',
             'eeio_mac_address': '00:00:00:00:00:00'}]
        self.assertEqual(1, fabric.Server.from_device(eesv).count)
        self.assertIsNone(fabric.Server.from_device(
            base.eesv(group_id='100')).count)

    def test_from_listing(self):
        eesv = base.eesv(group_id='100', max_eeio_count=1)
        server = fabric.Server.from_listing(eesv, [
            eesv, base.eeio(group_id='100'),
            base.eeio(eeid='0x000000000001')])
        self.assertEqual(1, server.count)
        exc = self.assertRaises(exception.Conflict, fabric.plug,
                                self.client, server,
                                base.eeio(eeid='0x000000000001'))
        self.assertIn('max_eeio_count 1', str(exc))
        self.client.set_group.assert_not_called()


class DisconnectTestCase(FabricTestCase):

    def test_disconnect_recorded_group(self):
        # Two requests: the group's listing, then the move.
        self.client.list_devices.return_value = [base.eesv(group_id='100'),
                                                 base.eeio(group_id='100')]
        self.assertIsNone(fabric.disconnect(self.client, base.EESV_ID,
                                            base.EEIO_ID, group_id='100'))
        self.client.list_devices.assert_called_once_with(group_id='100')
        self.client.get_device.assert_not_called()
        self.client.delete_group.assert_called_once_with(
            base.EEIO_ID, update_time=UPDATE_TIME)

    def test_disconnect_server_moved_from_recorded_group(self):
        self.devices(base.eesv(group_id='300'))
        self.client.list_devices.side_effect = [
            [base.eeio(group_id='100')],
            [base.eesv(group_id='300'), base.eeio(group_id='300')]]
        fabric.disconnect(self.client, base.EESV_ID, base.EEIO_ID,
                          group_id='100')
        self.assertEqual([mock.call(group_id='100'),
                          mock.call(group_id='300')],
                         self.client.list_devices.call_args_list)
        self.client.delete_group.assert_called_once_with(
            base.EEIO_ID, update_time=UPDATE_TIME)

    def test_disconnect(self):
        self.devices(base.eesv(group_id='100'))
        self.client.list_devices.return_value = [base.eesv(group_id='100'),
                                                 base.eeio(group_id='100')]
        self.assertIsNone(fabric.disconnect(self.client, base.EESV_ID,
                                            base.EEIO_ID))
        self.client.delete_group.assert_called_once_with(
            base.EEIO_ID, update_time=UPDATE_TIME)

    def test_device_of_another_group(self):
        self.devices(base.eesv(group_id='100'))
        self.client.list_devices.return_value = [base.eesv(group_id='100')]
        exc = self.assertRaises(exception.Conflict, fabric.disconnect,
                                self.client, base.EESV_ID, base.EEIO_ID)
        self.assertIn(base.EEIO_ID, str(exc))
        self.assertIn('100', str(exc))
        self.client.delete_group.assert_not_called()

    def test_eesv_without_group(self):
        self.devices(base.eesv(group_id=eem.EESV_DEFAULT_GROUP),
                     base.eeio(group_id=eem.EESV_DEFAULT_GROUP))
        self.assertRaises(exception.Conflict, fabric.disconnect,
                          self.client, base.EESV_ID, base.EEIO_ID)
        self.client.delete_group.assert_not_called()
        self.client.list_devices.assert_not_called()

    def test_bad_id(self):
        exc = self.assertRaises(exception.InvalidParameterValue,
                                fabric.disconnect, self.client, base.EESV_ID,
                                'nope', field='device')
        self.assertIn('device', str(exc))


class DevicesOfTestCase(FabricTestCase):

    def test_one_list_call(self):
        self.devices(base.eesv(group_id='100'))
        gpu = base.eeio(group_id='100')
        self.client.list_devices.return_value = [base.eesv(group_id='100'),
                                                 gpu]
        eesv, devices = fabric.devices_of(self.client, base.EESV_ID)
        self.assertEqual(base.EESV_ID, eesv.id)
        self.assertEqual([gpu], devices)
        self.client.list_devices.assert_called_once_with(group_id='100')

    def test_default_group_lists_nothing(self):
        self.devices(base.eesv(group_id=eem.EESV_DEFAULT_GROUP))
        eesv, devices = fabric.devices_of(self.client, base.EESV_ID)
        self.assertEqual([], devices)
        self.client.list_devices.assert_not_called()

    def test_eeio_id(self):
        self.devices(base.eeio(eeid=base.EESV_ID))
        self.assertRaises(exception.InvalidParameterValue, fabric.devices_of,
                          self.client, base.EESV_ID)
