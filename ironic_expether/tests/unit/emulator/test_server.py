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

"""The emulator over real HTTP on 127.0.0.1, driven by plain requests."""

import time

from oslotest import base
import requests

from ironic_expether import emulator
from ironic_expether.emulator import control
from ironic_expether.emulator import main as eem_main


class ServerTestCase(base.BaseTestCase):

    username = None
    password = None

    def setUp(self):
        super().setUp()
        self.devices = emulator.generate_inventory(2, 6, seed=9)
        self.sv = self.devices[0]['id']
        self.io = self.devices[2]['id']
        self.server = emulator.EmulatorServer(
            emulator.EEMState(self.devices), username=self.username,
            password=self.password)
        self.server.start()
        self.addCleanup(self.server.stop)
        self.session = requests.Session()
        self.addCleanup(self.session.close)
        if self.username:
            self.session.auth = (self.username, self.password)
        self.root = self.server.url[:-len('/eem')]

    def call(self, method, path, **kwargs):
        kwargs.setdefault('timeout', 10)
        return self.session.request(method, self.server.url + path,
                                    **kwargs)


class WireFormatTestCase(ServerTestCase):

    def test_url(self):
        self.assertRegex(self.server.url, r'^http://127\.0\.0\.1:\d+/eem$')
        self.assertNotEqual(0, self.server.port)

    def test_api_version(self):
        answer = self.call('GET', '/api_version')
        self.assertEqual(200, answer.status_code)
        self.assertEqual('application/json', answer.headers['Content-Type'])
        self.assertEqual({'version_number': '1.0'}, answer.json())

    def test_lists(self):
        answer = self.call('GET', '/devices', params={'status': 'eesv'})
        body = answer.json()
        self.assertEqual([{'id': d['id']} for d in self.devices[:2]],
                         body['devices'])
        self.assertTrue(body['timestamp'].isdigit())
        body = self.call('GET', '/devices/detail',
                         params={'status': 'eeio',
                                 'group_id': '4093'}).json()
        self.assertEqual(self.devices[2:], body['devices'])

    def test_bad_bodies_refused_nothing_changed(self):
        deep = ('{"a": ' * 5000 + '1' + '}' * 5000).encode()
        for path, body, words in (
                ('/group_id', deep, 'nested too deeply'),
                ('/uid_led_status', deep, 'nested too deeply'),
                ('/group_id', b'{"group_id": 100, "colour": "red"}',
                 'unknown field(s) colour'),
                ('/group_id', b'{"x": 1}', 'unknown field(s) x'),
                ('/group_id', ('{"group_id": "%s"}' % ('1' * 5000)).encode(),
                 'group_id must be a number'),
                ('/uid_led_status', b'{"uid_led_status": "on", "x": 1}',
                 'unknown field(s) x')):
            answer = self.call('PUT', '/devices/%s%s' % (self.io, path),
                               data=body)
            self.assertEqual(400, answer.status_code, (path, body[:40]))
            self.assertIn(words, answer.json()['message'])
        device = self.call('GET', '/devices/' + self.io).json()['device']
        self.assertEqual(self.devices[2], device)
        self.assertEqual({'uid_led_status': 'off'}, self.call(
            'GET', '/devices/%s/uid_led_status' % self.io).json())

    def test_show(self):
        body = self.call('GET', '/devices/' + self.io).json()
        self.assertEqual(self.devices[2], body['device'])
        self.assertTrue(body['timestamp'].isdigit())

    def test_group_moves(self):
        answer = self.call('PUT', '/devices/%s/group_id' % self.sv,
                           json={'group_id': None})
        self.assertEqual(200, answer.status_code)
        gid = answer.json()['group_id']
        self.assertEqual('16', gid)
        self.assertTrue(answer.json()['update_time'].isdigit())
        # A missing key and an empty body also ask for a free group.
        answer = self.call('PUT', '/devices/%s/group_id' % self.devices[1][
            'id'], data=b'')
        self.assertEqual('17', answer.json()['group_id'])
        answer = self.call('PUT', '/devices/%s/group_id' % self.io,
                           json={'group_id': gid})
        self.assertEqual(gid, answer.json()['group_id'])
        body = self.call('GET', '/devices', params={'group_id': gid}).json()
        self.assertEqual([{'id': self.sv}, {'id': self.io}],
                         body['devices'])
        answer = self.call('PUT', '/devices/%s/group_id' % self.io,
                           json={'group_id': '18'})
        self.assertEqual(409, answer.status_code)
        self.assertEqual('40900', answer.json()['code'])
        answer = self.call('DELETE', '/devices/%s/group_id' % self.io)
        self.assertEqual({'group_id': '4093'},
                         {'group_id': answer.json()['group_id']})
        self.assertEqual({'groups': [{'id': '16'}, {'id': '17'},
                                     {'id': '4093'}]},
                         self.call('GET', '/groups').json())

    def test_update_time_precondition(self):
        # NOTE(expether): EEM's optional update_time on a group change is
        # optimistic concurrency: a stale one is 409 with EEM's error shape
        # (code 40902), and nothing moves.
        path = '/devices/%s/group_id' % self.io
        current = self.call('GET', '/devices/' + self.io).json()[
            'device']['update_time']
        stale = str(int(current) - 1)
        answer = self.call('PUT', '/devices/%s/group_id' % self.sv,
                           json={'group_id': '30'})
        self.assertEqual(200, answer.status_code)
        answer = self.call('PUT', path, json={'group_id': '30',
                                              'update_time': stale})
        self.assertEqual(409, answer.status_code)
        self.assertEqual('40902', answer.json()['code'])
        self.assertIn(self.io, answer.json()['message'])
        device = self.call('GET', '/devices/' + self.io).json()['device']
        self.assertEqual(('4093', current),
                         (device['group_id'], device['update_time']))
        answer = self.call('PUT', path, json={'group_id': '30',
                                              'update_time': current})
        self.assertEqual(200, answer.status_code)
        moved = answer.json()['update_time']
        self.assertGreater(int(moved), int(current))
        # DELETE takes it in the query.
        answer = self.call('DELETE', path, params={'update_time': current})
        self.assertEqual(409, answer.status_code)
        self.assertEqual('40902', answer.json()['code'])
        self.assertEqual('30', self.call('GET', '/devices/' + self.io).json()[
            'device']['group_id'])
        answer = self.call('DELETE', path, params={'update_time': 'soon'})
        self.assertEqual(400, answer.status_code)
        answer = self.call('DELETE', path, params={'update_time': moved})
        self.assertEqual(200, answer.status_code)
        self.assertEqual('4093', answer.json()['group_id'])

    def test_errors(self):
        cases = [
            ('GET', '/devices/0x8cdf9d999999', {}, 404, '40400'),
            ('GET', '/nothing', {}, 404, '40400'),
            ('POST', '/devices', {}, 405, '40500'),
            ('DELETE', '/devices/' + self.io, {}, 405, '40500'),
            ('PUT', '/devices/%s/group_id' % self.io, {'data': b'{'}, 400,
             '40000'),
            ('PUT', '/devices/%s/group_id' % self.io, {'json': []}, 400,
             '40000'),
            ('PUT', '/devices/%s/group_id' % self.io,
             {'json': {'group_id': '5000'}}, 400, '40001'),
            ('GET', '/devices', {'params': {'status': 'x'}}, 400, '40002'),
            ('PUT', '/devices/%s/uid_led_status' % self.io,
             {'json': {'uid_led_status': 'blink'}}, 400, '40000'),
        ]
        for method, path, kwargs, status, code in cases:
            answer = self.call(method, path, **kwargs)
            self.assertEqual(status, answer.status_code, path)
            body = answer.json()
            self.assertEqual(code, body['code'], path)
            self.assertIsInstance(body['message'], str)
        answer = self.call('POST', '/devices')
        self.assertEqual('GET', answer.headers['Allow'])
        answer = self.session.get(self.root + '/other', timeout=10)
        self.assertEqual(404, answer.status_code)

    def test_other_endpoints(self):
        path = '/devices/%s/uid_led_status' % self.io
        self.assertEqual({'uid_led_status': 'off'},
                         self.call('GET', path).json())
        self.assertEqual('on', self.call('PUT', path, json={
            'uid_led_status': 'on'}).json()['uid_led_status'])
        self.assertEqual({'uid_led_status': 'on'},
                         self.call('GET', path).json())
        audit = self.call('PUT', '/devices/%s/audit' % self.io).json()
        self.assertEqual(audit['update_time'], self.call(
            'GET', '/devices/' + self.io).json()['device']['update_time'])
        self.assertEqual(audit, self.call('PUT', '/devices/%s/perst'
                                          % self.io).json())
        self.assertEqual({'rotary_switch_status': '0'}, self.call(
            'GET', '/devices/%s/rotary_switch_status' % self.io).json())

    def test_keep_alive_and_counters(self):
        for _ in range(3):
            self.call('GET', '/devices/detail')
        self.call('PUT', '/devices/%s/group_id' % self.io,
                  json={'group_id': '20'})
        self.call('GET', '/nothing')
        with control.EmulatorControl(self.server.url) as ctl:
            counters = ctl.counters()
            self.assertEqual({'GET /eem/devices/detail': 3,
                              'PUT /eem/devices/<id>/group_id': 1,
                              'GET <unknown>': 1}, counters)
            ctl.reset_counters()
            self.assertEqual({}, ctl.counters())
        self.assertEqual({}, self.server.faults.counters())


class AuthTestCase(ServerTestCase):

    username = 'admin'
    password = 's3cret-pass'

    def test_good_credentials(self):
        self.assertEqual(200, self.call('GET', '/api_version').status_code)

    def test_bad_or_missing_credentials(self):
        for auth in (None, ('admin', 'wrong'), ('root', 's3cret-pass')):
            answer = requests.get(self.server.url + '/api_version',
                                  auth=auth, timeout=10)
            self.assertEqual(401, answer.status_code)
            self.assertEqual('Basic realm="EEM"',
                             answer.headers['WWW-Authenticate'])
            self.assertEqual('40100', answer.json()['code'])
            self.assertNotIn('s3cret', answer.text)
        answer = requests.get(self.server.url + '/api_version', timeout=10,
                              headers={'Authorization': 'Basic !!!'})
        self.assertEqual(401, answer.status_code)

    def test_control_api_needs_auth(self):
        self.assertRaises(control.EmulatorControlError,
                          control.EmulatorControl(self.server.url).counters)
        ctl = control.EmulatorControl(self.server.url, 'admin',
                                      's3cret-pass')
        self.assertEqual({}, ctl.counters())
        ctl.close()


class FaultOverHTTPTestCase(ServerTestCase):

    def setUp(self):
        super().setUp()
        self.ctl = control.EmulatorControl(self.server.url)
        self.addCleanup(self.ctl.close)

    def test_error_next_n(self):
        self.ctl.add_fault('error', status=503, path='/eem/devices/detail',
                           count=2)
        statuses = [self.call('GET', '/devices/detail').status_code
                    for _ in range(3)]
        self.assertEqual([503, 503, 200], statuses)
        self.assertEqual(200, self.call('GET', '/api_version').status_code)
        self.assertEqual({'GET /eem/devices/detail': 3,
                          'GET /eem/api_version': 1}, self.ctl.counters())

    def test_error_body(self):
        self.server.faults.add_error(status=500, code='50003',
                                     message='EEM is busy')
        answer = self.call('GET', '/groups')
        self.assertEqual((500, {'code': '50003', 'message': 'EEM is busy'}),
                         (answer.status_code, answer.json()))

    def test_drop(self):
        self.ctl.add_fault('error', drop=True, count=1)
        self.assertRaises(requests.ConnectionError, self.call, 'GET',
                          '/api_version')
        self.assertEqual(200, self.call('GET', '/api_version').status_code)

    def test_latency(self):
        self.ctl.add_fault('latency', seconds=0.3, path='/eem/groups')
        started = time.monotonic()
        self.call('GET', '/api_version')
        self.assertLess(time.monotonic() - started, 0.25)
        started = time.monotonic()
        self.call('GET', '/groups')
        self.assertGreaterEqual(time.monotonic() - started, 0.3)
        self.assertRaises(requests.Timeout, self.call, 'GET', '/groups',
                          timeout=0.1)

    def test_malformed_bodies(self):
        path = '/devices/' + self.io
        self.ctl.add_fault('malformed', body='not-json', path='/eem' + path,
                           count=1)
        answer = self.call('GET', path)
        self.assertEqual((200, 'text/html'),
                         (answer.status_code,
                          answer.headers['Content-Type']))
        self.assertRaises(ValueError, answer.json)
        self.ctl.add_fault('malformed', body='wrong-shape', count=1)
        self.assertIsInstance(self.call('GET', path).json(), list)
        self.ctl.add_fault('malformed', body='empty', count=1)
        self.assertEqual(b'', self.call('GET', path).content)
        self.ctl.add_fault('malformed', body='truncated', count=1)
        self.assertRaises(ValueError, self.call('GET', path).json)
        # Errors are not garbled.
        self.ctl.add_fault('malformed', count=1)
        self.assertEqual('40400',
                         self.call('GET', '/devices/0x1').json()['code'])

    def test_every_second_request_over_http(self):
        self.ctl.add_fault('error', status=502, every=2,
                           path='/eem/devices/detail')
        statuses = [self.call('GET', '/devices/detail').status_code
                    for _ in range(4)]
        self.assertEqual([200, 502, 200, 502], statuses)

    def test_wrong_shapes(self):
        self.ctl.add_fault('malformed', body='no-devices', count=1)
        self.assertNotIn('devices', self.call('GET', '/devices').json())
        self.ctl.add_fault('malformed', body='devices-not-list', count=1)
        self.assertIsInstance(
            self.call('GET', '/devices/detail').json()['devices'], dict)
        self.ctl.add_fault('malformed', body='device-without-id', count=2)
        devices = self.call('GET', '/devices/detail').json()['devices']
        self.assertNotIn('id', devices[0])
        self.assertIn('id', devices[1])
        one = self.call('GET', '/devices/' + self.io).json()['device']
        self.assertNotIn('id', one)
        self.assertEqual(self.io, self.call(
            'GET', '/devices/' + self.io).json()['device']['id'])

    def test_credentials_change(self):
        self.ctl.set_credentials('admin', 'new-password')
        answer = self.call('GET', '/api_version')
        self.assertEqual(401, answer.status_code)
        self.assertEqual(200, self.call(
            'GET', '/api_version',
            auth=('admin', 'new-password')).status_code)
        self.assertRaises(control.EmulatorControlError, self.ctl.faults)
        ctl = control.EmulatorControl(self.server.url, username='admin',
                                      password='new-password')
        self.addCleanup(ctl.close)
        ctl.set_credentials(None, None)
        self.assertEqual(200, self.call('GET', '/api_version').status_code)

    def test_set_list_clear_faults(self):
        rules = self.ctl.set_faults([{'kind': 'latency', 'seconds': 0.1},
                                     {'kind': 'error', 'rate': 0.5,
                                      'seed': 3}])
        self.assertEqual(['latency', 'error'], [r['kind'] for r in rules])
        self.assertEqual(1, len(self.ctl.set_faults(
            [{'kind': 'malformed', 'body': 'empty'}])))
        self.ctl.clear_faults()
        self.assertEqual([], self.ctl.faults())

    def test_bad_fault_requests_change_nothing(self):
        self.ctl.add_fault('latency', seconds=0.01)
        for rules in ([{'kind': 'error', 'status': 99}],
                      [{'kind': 'latency'}, {'seconds': 1}],
                      [{'kind': 'error', 'colour': 'red'}],
                      'x'):
            error = self.assertRaises(control.EmulatorControlError,
                                      self.ctl.set_faults, rules)
            self.assertEqual(400, error.status)
        answer = self.session.post(self.root + '/_emulator/faults',
                                   json={'refuse_seconds': -1}, timeout=10)
        self.assertEqual(400, answer.status_code)
        self.assertEqual(1, len(self.ctl.faults()))

    def test_refuse_connections(self):
        self.call('GET', '/api_version')
        self.ctl.refuse_connections(0.5)
        self.assertTrue(self.server.refusing)
        # The kept-alive connection was closed and no new one is accepted.
        self.assertRaises(requests.ConnectionError, self.call, 'GET',
                          '/api_version')
        self.assertRaises(requests.ConnectionError,
                          requests.get, self.server.url + '/api_version',
                          timeout=2)
        deadline = time.monotonic() + 5
        while self.server.refusing and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertFalse(self.server.refusing)
        self.assertEqual(200, self.call('GET', '/api_version').status_code)

    def test_refuse_in_process(self):
        self.server.refuse_connections(0.3)
        self.assertRaises(requests.ConnectionError, requests.get,
                          self.server.url + '/api_version', timeout=2)
        time.sleep(0.6)
        self.assertEqual(200, self.call('GET', '/api_version').status_code)

    def test_device_faults(self):
        answer = self.ctl.set_device(self.io, down=True)
        self.assertEqual(['down', 'down'],
                         answer['device']['notification_status0'])
        body = self.call('GET', '/devices/' + self.io).json()['device']
        self.assertEqual(['down', 'down'], body['notification_status1'])
        self.ctl.set_device(self.sv, power_status='off', host_model='X')
        body = self.call('GET', '/devices/' + self.sv).json()['device']
        self.assertEqual(('off', 'X'),
                         (body['power_status'], body['host_model']))
        self.assertFalse(self.ctl.set_device(self.io,
                                             present=False)['present'])
        self.assertEqual(404, self.call('GET', '/devices/' +
                                        self.io).status_code)
        self.assertTrue(self.ctl.get_device(self.io)['device'])
        self.ctl.set_device(self.io, present=True)
        self.assertEqual(200, self.call('GET', '/devices/' +
                                        self.io).status_code)
        error = self.assertRaises(control.EmulatorControlError,
                                  self.ctl.set_device, self.io,
                                  group_id='16')
        self.assertEqual(400, error.status)
        error = self.assertRaises(control.EmulatorControlError,
                                  self.ctl.set_device, '0x1', down=True)
        self.assertEqual(404, error.status)
        error = self.assertRaises(control.EmulatorControlError,
                                  self.ctl.set_device, self.io, down='yes')
        self.assertEqual(400, error.status)

    def test_add_remove_reset_devices(self):
        new = dict(self.devices[2], id='0x8cdf9d000001',
                   mac_address='8c:df:9d:00:00:01')
        self.assertEqual([new], self.ctl.add_devices([new]))
        self.assertEqual(200, self.call('GET', '/devices/0x8cdf9d000001')
                         .status_code)
        self.ctl.remove_device(self.io)
        self.assertEqual(404, self.call('GET', '/devices/' +
                                        self.io).status_code)
        self.ctl.reset_devices()
        self.assertEqual(self.devices, self.call(
            'GET', '/devices/detail').json()['devices'])


class MainTestCase(base.BaseTestCase):

    def test_parse_args_defaults(self):
        args = eem_main.parse_args([])
        self.assertEqual(('127.0.0.1', 30500, None, None, 0),
                         (args.host, args.port, args.username,
                          args.inventory, args.seed))

    def test_parse_args_errors(self):
        for argv in (['--password', 'x'], ['--tls-cert', 'c'],
                     ['--inventory', 'f', '--servers', '2'],
                     ['--servers', '-1'], ['--port', '70000']):
            self.assertRaises(SystemExit, eem_main.parse_args, argv)

    def test_build_state(self):
        state = eem_main.build_state(eem_main.parse_args(
            ['--servers', '2', '--devices', '5', '--seed', '4']))
        self.assertEqual(emulator.generate_inventory(2, 5, seed=4),
                         state.list_devices(detail=True))
        self.assertEqual(0, len(eem_main.build_state(
            eem_main.parse_args([]))))
