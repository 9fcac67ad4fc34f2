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

from ironic_expether import eem
from ironic_expether.tests.unit.eem import base as eem_base

BASE = 'https://eem.example.com:30500/eem/'
EEID = '0x8cdf9d911c60'
PASSWORD = 'An0ther-Secret'


@ddt.ddt
class EEMClientTestCase(eem_base.SessionTestCase):

    def setUp(self):
        super().setUp()
        self.client = eem.EEMClient('https://eem.example.com:30500/eem/',
                                    username='admin', password=PASSWORD,
                                    verify='/etc/eem-ca.pem', timeout=5,
                                    retries=1, retry_interval=0.5)

    def _ok(self, body):
        self.answer(eem_base.make_response(200, body))

    def assert_request(self, method, path, params=None, json=None):
        self.session.request.assert_called_once()
        call = self.session.request.call_args
        self.assertEqual((method, BASE + path), call.args)
        self.assertEqual(params, call.kwargs['params'])
        self.assertEqual('/etc/eem-ca.pem', call.kwargs['verify'])
        self.assertEqual(5.0, call.kwargs['timeout'].total)
        if json is None:
            self.assertNotIn('json', call.kwargs)
        else:
            self.assertEqual(json, call.kwargs['json'])

    def test_constructor(self):
        self.assertEqual('https://eem.example.com:30500/eem',
                         self.client.address)
        self.assertEqual(2 * 5.0 + 0.5, self.client.worst_case_seconds)
        self.assertFalse(self.session.request.called)
        self.assertNotIn(PASSWORD, repr(self.client))
        self.assertRaises(ValueError, eem.EEMClient, 'ftp://eem/eem')

    def test_api_version(self):
        self._ok({'version_number': '2.1'})
        self.assertEqual('2.1', self.client.api_version())
        self.assert_request('GET', 'api_version')

    def test_api_version_number(self):
        self._ok({'version_number': 2})
        self.assertEqual('2', self.client.api_version())

    def test_api_version_missing(self):
        self._ok({'version': '2'})
        exc = self.assertRaises(eem.EEMMalformedResponse,
                                self.client.api_version)
        self.assertIn('version_number', str(exc))

    @ddt.data('devices-detail-eesv.json', 'devices-detail-mixed.json')
    def test_list_devices_samples(self, name):
        doc = eem_base.load_sample(name)
        self._ok(doc)
        devices = self.client.list_devices()
        self.assert_request('GET', 'devices/detail')
        self.assertEqual([d['id'] for d in doc['devices']],
                         [d.id for d in devices])
        for dev in devices:
            self.assertIsInstance(dev, eem.Device)

    @ddt.data(('eeio', 4093, {'status': 'eeio', 'group_id': '4093'}),
              ('EESV', '17', {'status': 'eesv', 'group_id': '17'}),
              (None, '4094', {'group_id': '4094'}),
              ('eesv', None, {'status': 'eesv'}))
    @ddt.unpack
    def test_list_devices_filters(self, status, group_id, params):
        self._ok({'devices': []})
        self.assertEqual([], self.client.list_devices(status=status,
                                                      group_id=group_id))
        self.assert_request('GET', 'devices/detail', params=params)

    @ddt.data({'status': 'server'}, {'status': 1}, {'group_id': 'x&y=1'},
              {'group_id': 0}, {'group_id': 4096}, {'group_id': True},
              {'group_id': '17; DROP'})
    def test_list_filters_invalid(self, kwargs):
        self.assertRaises(ValueError, self.client.list_devices, **kwargs)
        self.assertRaises(ValueError, self.client.list_device_ids, **kwargs)
        self.assertFalse(self.session.request.called)

    @ddt.data({'timestamp': '1'}, {'devices': {'id': EEID}},
              {'devices': ['0x1']}, {'devices': None})
    def test_list_devices_malformed(self, body):
        self._ok(body)
        self.assertRaises(eem.EEMMalformedResponse, self.client.list_devices)

    def test_list_device_ids_sample(self):
        self._ok(eem_base.load_sample('devices-ids.json'))
        self.assertEqual(['0x001122334455', '0x021122334400',
                          '0x0011dd33cc00'],
                         self.client.list_device_ids(status='eeio',
                                                     group_id=17))
        self.assert_request('GET', 'devices',
                            params={'status': 'eeio', 'group_id': '17'})

    def test_list_device_ids_item_without_id(self):
        self._ok({'devices': [{'id': EEID}, {'name': 'x'}]})
        self.assertRaises(eem.EEMMalformedResponse,
                          self.client.list_device_ids)

    def test_get_device(self):
        doc = eem_base.load_sample('devices-detail-mixed.json')['devices'][3]
        self._ok({'device': doc, 'timestamp': '1429979349749'})
        dev = self.client.get_device('0x001122338654')
        self.assert_request('GET', 'devices/0x001122338654')
        self.assertEqual('0x001122338654', dev.id)
        self.assertEqual(16, dev.max_eeio_count)

    def test_get_device_ten_digit_id(self):
        doc = eem_base.load_sample('devices-detail-eesv.json')['devices'][0]
        self._ok({'device': doc})
        self.assertEqual('1234',
                         self.client.get_device('0x1111111111').group_id)
        self.assert_request('GET', 'devices/0x1111111111')

    def test_get_device_missing_envelope(self):
        self._ok({'id': EEID})
        self.assertRaises(eem.EEMMalformedResponse, self.client.get_device,
                          EEID)

    def test_get_device_not_found(self):
        self.answer(eem_base.make_response(
            404, {'code': '40400', 'message': 'Not Found'}))
        exc = self.assertRaises(eem.EEMNotFound, self.client.get_device,
                                EEID)
        self.assertEqual('devices/%s' % EEID, exc.path)
        self.assertEqual('40400', exc.code)
        self.assertEqual(1, self.session.request.call_count)

    @ddt.data('0x123', '8cdf9d911c60', '0x8cdf9d911c60/../groups',
              '0x8cdf9d911c6%', '0xzzzzzzzzzzzz', '0x8cdf9d911c60?x=1',
              None, 0x8cdf9d911c60, '')
    def test_bad_eeid_rejected_before_io(self, eeid):
        for call in (lambda: self.client.get_device(eeid),
                     lambda: self.client.set_group(eeid, 17),
                     lambda: self.client.delete_group(eeid),
                     lambda: self.client.get_uid_led(eeid),
                     lambda: self.client.set_uid_led(eeid, True),
                     lambda: self.client.audit(eeid),
                     lambda: self.client.perst(eeid)):
            self.assertRaises(ValueError, call)
        self.assertFalse(self.session.request.called)

    def test_set_group(self):
        self._ok({'group_id': '17', 'update_time': '1521117379726'})
        self.assertEqual('17', self.client.set_group(EEID, 17))
        self.assert_request('PUT', 'devices/%s/group_id' % EEID,
                            json={'group_id': '17'})

    def test_set_group_string(self):
        self._ok({'group_id': 4092})
        self.assertEqual('4092', self.client.set_group(EEID, '4092'))
        self.assert_request('PUT', 'devices/%s/group_id' % EEID,
                            json={'group_id': '4092'})

    def test_set_group_auto(self):
        self._ok({'group_id': '123', 'update_time': '1'})
        self.assertEqual('123', self.client.set_group(EEID))
        self.assert_request('PUT', 'devices/%s/group_id' % EEID, json={})

    @ddt.data(15, 4093, 4094, '4093', 0, -1, 'abc', '', True, 17.0, '1e3')
    def test_set_group_invalid(self, group_id):
        self.assertRaises(ValueError, self.client.set_group, EEID, group_id)
        self.assertFalse(self.session.request.called)

    @ddt.data({}, {'group_id': None}, {'group_id': ['17']})
    def test_set_group_malformed_answer(self, body):
        self._ok(body)
        exc = self.assertRaises(eem.EEMMalformedResponse,
                                self.client.set_group, EEID, 17)
        self.assertEqual('PUT', exc.method)

    def test_set_group_not_retried(self):
        self.answer(eem_base.make_response(500, {'code': '50003'}))
        self.assertRaises(eem.EEMServerError, self.client.set_group, EEID,
                          17)
        self.assertEqual(1, self.session.request.call_count)

    def test_set_group_conflict(self):
        self.answer(eem_base.make_response(
            409, {'code': '40900', 'message': 'group busy'}))
        exc = self.assertRaises(eem.EEMConflict, self.client.set_group,
                                EEID, 17)
        self.assertEqual('group busy', exc.eem_message)

    def test_delete_group(self):
        self._ok({'update_time': '1521117379726'})
        self.assertIsNone(self.client.delete_group(EEID))
        self.assert_request('DELETE', 'devices/%s/group_id' % EEID)

    def test_set_group_update_time(self):
        self._ok({'group_id': '17', 'update_time': '1521117379727'})
        self.assertEqual('17', self.client.set_group(
            EEID, 17, update_time=1521117379726))
        self.assert_request('PUT', 'devices/%s/group_id' % EEID,
                            json={'group_id': '17',
                                  'update_time': '1521117379726'})

    def test_set_group_stale_update_time(self):
        self.answer(eem_base.make_response(
            409, {'code': '40902', 'message': 'device changed'}))
        exc = self.assertRaises(eem.EEMConflict, self.client.set_group,
                                EEID, 17, update_time='5')
        self.assertEqual('40902', exc.code)

    def test_delete_group_update_time(self):
        self._ok({'update_time': '1521117379727'})
        self.client.delete_group(EEID, update_time='1521117379726')
        self.assert_request('DELETE', 'devices/%s/group_id' % EEID,
                            params={'update_time': '1521117379726'})

    @ddt.data(-1, 'later', '', True, 1.5, [])
    def test_update_time_invalid(self, update_time):
        self.assertRaises(ValueError, self.client.set_group, EEID, 17,
                          update_time=update_time)
        self.assertRaises(ValueError, self.client.delete_group, EEID,
                          update_time=update_time)
        self.assertFalse(self.session.request.called)

    def test_get_uid_led_sample(self):
        self._ok(eem_base.load_sample('uid-led-status.json'))
        self.assertIs(False, self.client.get_uid_led(EEID))
        self.assert_request('GET', 'devices/%s/uid_led_status' % EEID)

    def test_get_uid_led_on(self):
        self._ok({'uid_led_status': 'ON'})
        self.assertIs(True, self.client.get_uid_led(EEID))

    @ddt.data({}, {'uid_led_status': 'blinking'}, {'uid_led_status': True})
    def test_get_uid_led_malformed(self, body):
        self._ok(body)
        self.assertRaises(eem.EEMMalformedResponse, self.client.get_uid_led,
                          EEID)

    @ddt.data((True, 'on'), (False, 'off'))
    @ddt.unpack
    def test_set_uid_led(self, on, wire):
        self._ok({})
        self.assertIsNone(self.client.set_uid_led(EEID, on))
        self.assert_request('PUT', 'devices/%s/uid_led_status' % EEID,
                            json={'uid_led_status': wire})

    def test_list_groups_sample(self):
        self._ok(eem_base.load_sample('groups.json'))
        self.assertEqual(['17', '4000'], self.client.list_groups())
        self.assert_request('GET', 'groups')

    def test_list_groups_numbers(self):
        self._ok({'groups': [{'id': 17}]})
        self.assertEqual(['17'], self.client.list_groups())

    def test_rotary_switch_sample_is_a_json_object(self):
        # No client method reads the rotary switch; the connector decodes
        # the sample like any EEM answer.
        self._ok(eem_base.load_sample('rotary-switch-status.json'))
        self.assertEqual({'rotary_switch_status': '14'},
                         self.client._conn.get(
                             'devices/%s/rotary_switch_status' % EEID))

    @ddt.data('audit', 'perst')
    def test_put_actions(self, action):
        self._ok({'update_time': '1'})
        self.assertIsNone(getattr(self.client, action)(EEID))
        self.assert_request('PUT', 'devices/%s/%s' % (EEID, action))

    def test_get_retried_once(self):
        self.answer(eem_base.make_response(503),
                    eem_base.make_response(200, {'groups': []}))
        self.assertEqual([], self.client.list_groups())
        self.assertEqual(2, self.session.request.call_count)
        self.sleep.assert_called_once_with(0.5)

    def test_context_manager_closes(self):
        with self.client as client:
            self.assertIs(self.client, client)
            self.assertFalse(self.session.close.called)
        self.session.close.assert_called_once_with()

    def test_context_manager_closes_on_error(self):
        def use():
            with self.client:
                raise RuntimeError('boom')
        self.assertRaises(RuntimeError, use)
        self.session.close.assert_called_once_with()
