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

from oslotest import base

from ironic_expether.emulator import faults as eem_faults

DETAIL = ('GET', '/eem/devices/detail', '/eem/devices/detail')
GROUP = ('PUT', '/eem/devices/0x8cdf9d000001/group_id',
         '/eem/devices/<id>/group_id')


class FaultsTestCase(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.faults = eem_faults.Faults()

    def test_count_limited_error_expires(self):
        self.faults.add_error(status=503, path='/eem/devices/detail',
                              count=2)
        picked = [self.faults.pick('error', *DETAIL) for _ in range(3)]
        self.assertEqual([503, 503], [r.status for r in picked[:2]])
        self.assertEqual('50300', picked[0].code)
        self.assertIsNone(picked[2])
        self.assertEqual([], self.faults.rules())

    def test_path_glob_matches_path_or_template(self):
        self.faults.add_error(path='/eem/devices/<id>/group_id')
        self.faults.add_error(status=502, path='/eem/devices/*/audit')
        self.assertIsNone(self.faults.pick('error', *DETAIL))
        self.assertEqual(500, self.faults.pick('error', *GROUP).status)
        self.assertEqual(502, self.faults.pick(
            'error', 'PUT', '/eem/devices/0x1/audit',
            '/eem/devices/<id>/audit').status)

    def test_method_filter(self):
        self.faults.add_error(path='*', method='put')
        self.assertIsNone(self.faults.pick('error', *DETAIL))
        self.assertIsNotNone(self.faults.pick('error', *GROUP))

    def test_rate_is_repeatable_with_seed(self):
        def run():
            faults = eem_faults.Faults()
            faults.add_error(rate=0.3, seed=42)
            return [faults.pick('error', *DETAIL) is not None
                    for _ in range(200)]

        first = run()
        self.assertEqual(first, run())
        self.assertTrue(30 < sum(first) < 90, sum(first))

    def test_every_second_request(self):
        self.faults.add_error(status=503, every=2, count=2)
        fired = [self.faults.pick('error', *DETAIL) is not None
                 for _ in range(6)]
        self.assertEqual([False, True, False, True, False, False], fired)
        self.assertEqual([], self.faults.rules())

    def test_every_and_rate_exclusive(self):
        self.assertRaises(eem_faults.FaultError, self.faults.add_error,
                          every=2, rate=0.5)
        self.assertRaises(eem_faults.FaultError, self.faults.add_error,
                          every=0)

    def test_latency_adds_up_and_expires(self):
        self.faults.add_latency(0.5, count=1)
        self.faults.add_latency(0.25, path='/eem/devices/detail')
        self.assertEqual(0.75, self.faults.pick('latency', *DETAIL))
        self.assertEqual(0.25, self.faults.pick('latency', *DETAIL))
        self.assertEqual(0.0, self.faults.pick('latency', *GROUP))

    def test_malformed(self):
        self.faults.add_malformed('wrong-shape', path='/eem/devices/*')
        self.assertEqual('wrong-shape',
                         self.faults.pick('malformed', *GROUP).body)

    def test_rules_listing_and_clear(self):
        self.faults.add_error(status=500, count=3, seed=1)
        self.faults.add_latency(2, method='GET')
        self.assertEqual(
            [{'kind': 'error', 'path': '*', 'count': 3, 'status': 500,
              'rate': 1.0, 'seed': 1, 'drop': False},
             {'kind': 'latency', 'path': '*', 'method': 'GET',
              'seconds': 2}],
            self.faults.rules())
        self.faults.clear()
        self.assertEqual([], self.faults.rules())

    def test_bad_rules(self):
        for kind, fields in (
                ('flood', {}),
                ('error', {'status': 200}),
                ('error', {'status': 600}),
                ('error', {'rate': 2}),
                ('error', {'rate': '0.5'}),
                ('error', {'seconds': 1}),
                ('latency', {'seconds': -1}),
                ('latency', {'seconds': True}),
                ('latency', {'count': -1}),
                ('latency', {'path': 3}),
                ('malformed', {'body': 'garbage'})):
            self.assertRaises(eem_faults.FaultError, self.faults.add, kind,
                              **fields)
        self.assertRaises(eem_faults.FaultError, self.faults.add_from_dict,
                          {'kind': 'error', 'colour': 'red'})
        self.assertEqual([], self.faults.rules())

    def test_counters(self):
        self.faults.count('GET', '/eem/devices/detail')
        self.faults.count('GET', '/eem/devices/detail')
        self.faults.count('PUT', '/eem/devices/<id>/group_id')
        self.assertEqual({'GET /eem/devices/detail': 2,
                          'PUT /eem/devices/<id>/group_id': 1},
                         self.faults.counters())
        self.faults.reset_counters()
        self.assertEqual({}, self.faults.counters())
