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

import json
import threading

from oslotest import base

from ironic_expether.emulator import inventory
from ironic_expether.emulator import state as eem_state


def _pod(servers=2, devices=6, seed=3):
    devices = inventory.generate_inventory(servers, devices, seed=seed)
    return devices, eem_state.EEMState(devices)


class MoveTestCase(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.devices, self.state = _pod()
        self.sv1, self.sv2 = [d['id'] for d in self.devices[:2]]
        self.ios = [d['id'] for d in self.devices[2:]]

    def test_auto_assign_picks_lowest_free_group(self):
        answer = self.state.set_group(self.sv1)
        self.assertEqual('16', answer['group_id'])
        self.assertEqual('17', self.state.set_group(self.sv2)['group_id'])
        self.assertEqual('16', self.state.get_device(self.sv1)['group_id'])

    def test_auto_assign_skips_groups_in_use(self):
        self.state.set_group(self.sv1, '16')
        self.state.set_group(self.sv2, '18')
        self.assertEqual('17', self.state.set_group(self.ios[0])['group_id'])

    def test_set_group_with_value_and_answer(self):
        before = int(self.state.get_device(self.ios[0])['update_time'])
        answer = self.state.set_group(self.ios[0], '100')
        device = self.state.get_device(self.ios[0])
        self.assertEqual('100', device['group_id'])
        self.assertEqual(device['update_time'], answer['update_time'])
        self.assertGreater(int(answer['update_time']), before)
        self.assertIsInstance(answer['group_id'], str)

    def test_set_group_accepts_json_number(self):
        self.assertEqual('100',
                         self.state.set_group(self.ios[0], 100)['group_id'])

    def test_set_same_group_is_no_change(self):
        self.state.set_group(self.ios[0], '100')
        first = self.state.get_device(self.ios[0])['update_time']
        self.state.set_group(self.ios[0], '100')
        self.assertEqual(first,
                         self.state.get_device(self.ios[0])['update_time'])

    def test_bad_group_ids(self):
        for value in ('15', '4093', '4094', '0', 'abc', True, '', [1]):
            exc = self.assertRaises(eem_state.BadRequest,
                                    self.state.set_group, self.ios[0], value)
            self.assertEqual('40001', exc.code)
            self.assertEqual(400, exc.status)
        self.assertEqual('4093',
                         self.state.get_device(self.ios[0])['group_id'])

    def test_eeio_outside_free_pool_cannot_move(self):
        self.state.set_group(self.ios[0], '100')
        exc = self.assertRaises(eem_state.Conflict, self.state.set_group,
                                self.ios[0], '200')
        self.assertEqual('40900', exc.code)
        self.assertRaises(eem_state.Conflict, self.state.set_group,
                          self.ios[0])
        self.assertEqual('100',
                         self.state.get_device(self.ios[0])['group_id'])

    def test_eesv_can_move_between_groups(self):
        self.state.set_group(self.sv1, '100')
        self.assertEqual('200',
                         self.state.set_group(self.sv1, '200')['group_id'])

    def test_delete_group_returns_to_default(self):
        self.state.set_group(self.ios[0], '100')
        self.state.set_group(self.sv1, '100')
        self.assertEqual('4093',
                         self.state.delete_group(self.ios[0])['group_id'])
        self.assertEqual('4094',
                         self.state.delete_group(self.sv1)['group_id'])
        self.assertEqual(['4093', '4094'], self.state.list_groups())

    def test_delete_group_in_default_is_no_change(self):
        first = self.state.get_device(self.ios[0])['update_time']
        self.assertEqual('4093',
                         self.state.delete_group(self.ios[0])['group_id'])
        self.assertEqual(first,
                         self.state.get_device(self.ios[0])['update_time'])

    def test_unknown_device(self):
        for call in (self.state.get_device, self.state.set_group,
                     self.state.delete_group, self.state.get_uid_led,
                     self.state.audit, self.state.perst,
                     self.state.rotary_switch_status):
            exc = self.assertRaises(eem_state.NotFound, call, '0x123')
            self.assertEqual('40400', exc.code)

    def test_update_time_precondition(self):
        current = self.state.get_device(self.ios[0])['update_time']
        exc = self.assertRaises(eem_state.Conflict, self.state.set_group,
                                self.ios[0], '100',
                                update_time=int(current) - 1)
        self.assertEqual('40902', exc.code)
        self.state.set_group(self.ios[0], '100', update_time=current)
        self.assertRaises(eem_state.Conflict, self.state.delete_group,
                          self.ios[0], update_time=current)
        self.assertRaises(eem_state.BadRequest, self.state.delete_group,
                          self.ios[0], update_time='yesterday')

    def test_update_time_strictly_increases(self):
        times = [int(self.state.audit(self.ios[0])) for _ in range(50)]
        self.assertEqual(sorted(set(times)), times)

    def test_down_device_cannot_move(self):
        self.state.set_down(self.ios[0])
        exc = self.assertRaises(eem_state.Conflict, self.state.set_group,
                                self.ios[0], '100')
        self.assertEqual('40904', exc.code)
        self.state.set_down(self.ios[0], down=False)
        self.state.set_group(self.ios[0], '100')


class CapacityAndPortsTestCase(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.devices, self.state = _pod(servers=2, devices=20)
        self.sv1, self.sv2 = [d['id'] for d in self.devices[:2]]
        self.ios = [d['id'] for d in self.devices[2:]]
        self.state.set_group(self.sv1, '100')

    def test_max_eeio_count(self):
        for eeid in self.ios[:16]:
            self.state.set_group(eeid, '100')
        exc = self.assertRaises(eem_state.Conflict, self.state.set_group,
                                self.ios[16], '100')
        self.assertEqual('40901', exc.code)
        self.assertEqual('4093',
                         self.state.get_device(self.ios[16])['group_id'])
        # A second server in the group adds its ports.
        self.state.set_group(self.sv2, '100')
        self.state.set_group(self.ios[16], '100')
        # Leaving frees a slot.
        self.state.delete_group(self.sv2)
        self.state.delete_group(self.ios[0])
        self.assertRaises(eem_state.Conflict, self.state.set_group,
                          self.ios[17], '100')

    def test_group_without_server_has_no_limit(self):
        for eeid in self.ios[:18]:
            self.state.set_group(eeid, '200')
        self.assertEqual(18, len(self.state.list_devices(group_id='200')))

    def test_downstream_ports_follow_moves(self):
        eesv = self.state.get_device(self.sv1)
        self.state.set_group(self.ios[0], '100')
        self.state.set_group(self.ios[1], '100')
        server = self.state.get_device(self.sv1)
        self.assertGreater(int(server['update_time']),
                           int(eesv['update_time']))
        ports = server['downstream_ports']
        io0 = self.state.get_device(self.ios[0])
        self.assertEqual(('up', io0['mac_address']),
                         (ports[0]['eeio_connection_status'],
                          ports[0]['eeio_mac_address']))
        self.assertEqual('up', ports[1]['eeio_connection_status'])
        self.assertEqual('down', ports[2]['eeio_connection_status'])
        self.assertEqual(('up', server['mac_address']),
                         (io0['eesv_connection_status'],
                          io0['eesv_mac_address']))
        self.state.delete_group(self.ios[0])
        ports = self.state.get_device(self.sv1)['downstream_ports']
        self.assertEqual(('down', eem_state.NO_MAC),
                         (ports[0]['eeio_connection_status'],
                          ports[0]['eeio_mac_address']))
        self.assertEqual('up', ports[1]['eeio_connection_status'])
        io0 = self.state.get_device(self.ios[0])
        self.assertEqual('down', io0['eesv_connection_status'])
        # The freed port is reused.
        self.state.set_group(self.ios[2], '100')
        ports = self.state.get_device(self.sv1)['downstream_ports']
        self.assertEqual(self.state.get_device(self.ios[2])['mac_address'],
                         ports[0]['eeio_mac_address'])

    def test_server_leaving_and_joining_rewires(self):
        self.state.set_group(self.ios[0], '100')
        self.state.delete_group(self.sv1)
        self.assertEqual(
            'down',
            self.state.get_device(self.ios[0])['eesv_connection_status'])
        self.assertEqual(
            [], [p for p in self.state.get_device(self.sv1)[
                'downstream_ports'] if p['eeio_connection_status'] == 'up'])
        self.state.set_group(self.sv2, '100')
        self.assertEqual(
            self.state.get_device(self.sv2)['mac_address'],
            self.state.get_device(self.ios[0])['eesv_mac_address'])


class QueryTestCase(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.devices, self.state = _pod(servers=3, devices=9)
        self.ids = [d['id'] for d in self.devices]

    def _ids(self, **filters):
        return [d['id'] for d in self.state.list_devices(**filters)]

    def test_filters_and_order(self):
        self.assertEqual(self.ids, self._ids())
        self.assertEqual(self.ids[:3], self._ids(status='eesv'))
        self.assertEqual(self.ids[3:], self._ids(status='eeio'))
        self.assertEqual(self.ids[3:], self._ids(group_id='4093'))
        self.assertEqual([], self._ids(status='eesv', group_id=4093))
        # Moves keep the pod's order inside a group.
        self.state.set_group(self.ids[5], '50')
        self.state.set_group(self.ids[1], '50')
        self.state.set_group(self.ids[4], '50')
        self.assertEqual([self.ids[1], self.ids[4], self.ids[5]],
                         self._ids(group_id='50'))
        self.assertEqual([self.ids[4], self.ids[5]],
                         self._ids(group_id='50', status='eeio'))
        self.assertEqual([], self._ids(group_id='51'))

    def test_bad_filters(self):
        self.assertRaises(eem_state.BadRequest, self.state.list_devices,
                          status='server')
        self.assertRaises(eem_state.BadRequest, self.state.list_devices,
                          group_id='x')

    def test_list_is_ids_only_without_detail(self):
        self.assertEqual({'id': self.ids[0]},
                         self.state.list_devices(detail=False)[0])
        self.assertEqual(self.devices[0],
                         self.state.list_devices(detail=True)[0])

    def test_bodies_are_eem_json(self):
        body = json.loads(self.state.devices_body(status='eesv',
                                                  detail=True))
        self.assertEqual(self.devices[:3], body['devices'])
        self.assertTrue(body['timestamp'].isdigit())
        body = json.loads(self.state.devices_body(group_id='4094'))
        self.assertEqual([{'id': i} for i in self.ids[:3]], body['devices'])
        body = json.loads(self.state.device_body(self.ids[4]))
        self.assertEqual(self.devices[4], body['device'])
        self.assertTrue(body['timestamp'].isdigit())

    def test_body_cache_follows_changes(self):
        self.state.devices_body(detail=True)
        self.state.set_group(self.ids[4], '99')
        body = json.loads(self.state.devices_body(detail=True))
        self.assertEqual('99', body['devices'][4]['group_id'])
        body = json.loads(self.state.device_body(self.ids[4]))
        self.assertEqual('99', body['device']['group_id'])

    def test_copies_do_not_leak(self):
        device = self.state.get_device(self.ids[0])
        device['group_id'] = '1'
        self.state.list_devices(detail=True)[0]['group_id'] = '1'
        self.assertEqual('4094', self.state.get_device(self.ids[0])[
            'group_id'])
        self.devices[0]['group_id'] = '2'
        self.assertEqual('4094', self.state.get_device(self.ids[0])[
            'group_id'])

    def test_groups(self):
        self.state.set_group(self.ids[0], '300')
        self.state.set_group(self.ids[4], '20')
        self.assertEqual(['20', '300', '4093', '4094'],
                         self.state.list_groups())

    def test_uid_led_audit_perst_rotary(self):
        eeid = self.ids[0]
        self.assertEqual('off', self.state.get_uid_led(eeid))
        before = self.state.get_device(eeid)['update_time']
        self.state.set_uid_led(eeid, 'on')
        self.assertEqual('on', self.state.get_uid_led(eeid))
        self.assertNotEqual(before, self.state.get_device(eeid)[
            'update_time'])
        self.assertRaises(eem_state.BadRequest, self.state.set_uid_led,
                          eeid, True)
        before = self.state.get_device(eeid)['update_time']
        self.assertEqual(before, self.state.perst(eeid))
        self.assertGreater(int(self.state.audit(eeid)), int(before))
        self.assertEqual('0', self.state.rotary_switch_status(eeid))
        self.state.update_device(eeid, {'rotary_switch_status': '14'})
        self.assertEqual('14', self.state.rotary_switch_status(eeid))


class DeviceFaultTestCase(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.devices, self.state = _pod(servers=1, devices=3)
        self.ids = [d['id'] for d in self.devices]

    def test_down_and_up(self):
        self.state.set_down(self.ids[1])
        device = self.state.get_device(self.ids[1])
        self.assertEqual(['down', 'down'], device['notification_status0'])
        self.assertEqual(['down', 'down'], device['notification_status1'])
        self.state.set_down(self.ids[1], down=False)
        self.assertEqual(['up', 'up'], self.state.get_device(self.ids[1])[
            'notification_status0'])

    def test_power(self):
        before = self.state.get_device(self.ids[0])['update_time']
        self.state.set_power(self.ids[0], 'off')
        device = self.state.get_device(self.ids[0])
        self.assertEqual('off', device['power_status'])
        self.assertGreater(int(device['update_time']), int(before))
        self.assertRaises(eem_state.BadRequest, self.state.set_power,
                          self.ids[0], 'standby')

    def test_disappear_and_reappear(self):
        self.state.set_group(self.ids[0], '40')
        self.state.set_group(self.ids[2], '40')
        self.state.disappear(self.ids[2])
        self.assertRaises(eem_state.NotFound, self.state.get_device,
                          self.ids[2])
        self.assertRaises(eem_state.NotFound, self.state.delete_group,
                          self.ids[2])
        self.assertNotIn(self.ids[2],
                         [d['id'] for d in self.state.list_devices()])
        self.assertEqual([self.ids[0]],
                         [d['id'] for d in self.state.list_devices(
                             group_id='40')])
        self.assertEqual(3, len(self.state))
        self.assertFalse(self.state.is_present(self.ids[2]))
        ports = self.state.get_device(self.ids[0])['downstream_ports']
        self.assertEqual('down', ports[0]['eeio_connection_status'])
        self.state.reappear(self.ids[2])
        self.assertEqual(self.ids, [d['id'] for d in
                                    self.state.list_devices()])
        self.assertEqual('40', self.state.get_device(self.ids[2])[
            'group_id'])
        ports = self.state.get_device(self.ids[0])['downstream_ports']
        self.assertEqual('up', ports[0]['eeio_connection_status'])

    def test_vanished_server_frees_nothing_but_its_ports(self):
        self.state.set_group(self.ids[0], '40')
        self.state.set_group(self.ids[1], '40')
        self.state.disappear(self.ids[0])
        self.assertEqual(['40', '4093'], self.state.list_groups())
        self.assertEqual('down', self.state.get_device(self.ids[1])[
            'eesv_connection_status'])

    def test_add_remove_reset(self):
        new = inventory.make_eeio('0x8cdf9d000001',
                                  inventory.PCI_CATALOGUE['NIC'][1][0])
        self.state.add_device(new)
        self.assertEqual(new, self.state.get_device('0x8cdf9d000001'))
        self.assertRaises(eem_state.BadRequest, self.state.add_device, new)
        self.assertRaises(eem_state.BadRequest, self.state.add_device,
                          {'id': '0x1', 'status': 'switch'})
        self.state.remove_device(self.ids[1])
        self.assertRaises(eem_state.NotFound, self.state.get_device,
                          self.ids[1])
        self.state.set_group(self.ids[2], '70')
        self.state.reset()
        self.assertEqual(self.devices, self.state.list_devices(detail=True))

    def test_update_device_refuses_identity_fields(self):
        for key in ('id', 'status', 'group_id'):
            self.assertRaises(eem_state.BadRequest, self.state.update_device,
                              self.ids[0], {key: 'x'})


class ThreadSafetyTestCase(base.BaseTestCase):

    def test_concurrent_moves_never_exceed_capacity(self):
        devices, state = _pod(servers=1, devices=64)
        state.set_group(devices[0]['id'], '100')
        results = []

        def attach(eeid):
            try:
                state.set_group(eeid, '100')
                results.append(eeid)
            except eem_state.Conflict:
                pass

        threads = [threading.Thread(target=attach, args=(d['id'],))
                   for d in devices[1:]]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(16, len(results))
        in_group = state.list_devices(status='eeio', group_id='100',
                                      detail=True)
        self.assertEqual(sorted(results), sorted(d['id'] for d in in_group))
        ports = state.get_device(devices[0]['id'])['downstream_ports']
        self.assertEqual(
            sorted(d['mac_address'] for d in in_group),
            sorted(p['eeio_mac_address'] for p in ports))
        free = [d['id'] for d in devices[1:] if d['id'] not in results]
        groups = [state.set_group(eeid)['group_id'] for eeid in free[:20]]
        self.assertEqual(20, len(set(groups)))
        self.assertNotIn('100', groups)
