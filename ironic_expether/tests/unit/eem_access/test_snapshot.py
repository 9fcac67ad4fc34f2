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

"""The shared EEM snapshot behind power reads of nodes without a BMC."""

import threading
import time
from unittest import mock

from ironic.common import exception
from ironic.common import states
from ironic.tests.unit.db import base as db_base
from ironic.tests.unit.objects import utils as obj_utils

from ironic_expether import eem
from ironic_expether.eem_access import snapshot
from ironic_expether.eem_access import utils as driver_utils
from ironic_expether.emulator import inventory

EEM_URL = 'http://eem.test:8080/eem'
EESVS = ['0x8cdf9d0000%02x' % i for i in range(1, 9)]


def eem_calls(client):
    return [c for c in client.mock_calls if not c[0].startswith('__')]


class SnapshotTestCase(db_base.DbTestCase):

    def setUp(self):
        super().setUp()
        self.config(power_state_cache_ttl=10, group='expether')
        snapshot.clear()
        self.addCleanup(snapshot.clear)
        self.pod = []
        for n, eeid in enumerate(EESVS):
            raw = inventory.make_eesv(eeid)
            raw['power_status'] = 'on' if n % 2 else 'off'
            self.pod.append(raw)
        self.pod.append(inventory.make_eeio(
            '0x8cdf9d100001', inventory.PCI_CATALOGUE['GPU'][1][0]))
        self.client = self.make_client()
        patcher = mock.patch.object(driver_utils, 'get_client',
                                    autospec=True, return_value=self.client)
        self.mock_get_client = patcher.start()
        self.addCleanup(patcher.stop)
        self.clock = [1000.0]
        patcher = mock.patch.object(time, 'monotonic', autospec=True,
                                    side_effect=lambda: self.clock[0])
        patcher.start()
        self.addCleanup(patcher.stop)
        self.nodes = [
            obj_utils.get_test_node(
                self.context, uuid='1be26c0b-03f2-4d2e-ae87-c02d7f33c1%02d' %
                n, driver='expether',
                driver_info={'eem_address': EEM_URL, 'eesv_id': eeid})
            for n, eeid in enumerate(EESVS)]

    def make_client(self):
        client = mock.create_autospec(eem.EEMClient, instance=True)
        client.list_devices.side_effect = (
            lambda status=None, group_id=None: [eem.Device(dict(d))
                                                for d in self.pod])
        return client

    def read_all(self):
        return [driver_utils.eem_power_state(node) for node in self.nodes]

    def test_n_nodes_one_request(self):
        expected = [states.POWER_OFF, states.POWER_ON] * 4
        self.assertEqual(expected, self.read_all())
        self.assertEqual(expected, self.read_all())
        self.assertEqual([mock.call.list_devices()], eem_calls(self.client))

    def test_refreshed_after_ttl(self):
        self.read_all()
        self.pod[0]['power_status'] = 'on'
        self.clock[0] += 9.9
        self.assertEqual(states.POWER_OFF,
                         driver_utils.eem_power_state(self.nodes[0]))
        self.clock[0] += 0.2
        self.assertEqual(states.POWER_ON,
                         driver_utils.eem_power_state(self.nodes[0]))
        self.read_all()
        self.assertEqual([mock.call.list_devices()] * 2,
                         eem_calls(self.client))

    def test_ttl_zero_asks_per_node(self):
        self.config(power_state_cache_ttl=0, group='expether')
        self.client.get_device.side_effect = lambda eeid: eem.Device(
            dict(next(d for d in self.pod if d['id'] == eeid)))
        self.read_all()
        self.assertEqual(len(EESVS), self.client.get_device.call_count)
        self.client.list_devices.assert_not_called()

    def test_failure_remembered_for_ttl(self):
        self.client.list_devices.side_effect = eem.EEMConnectionError(
            'GET', 'devices/detail', 'refused')
        for node in self.nodes:
            exc = self.assertRaises(exception.TemporaryFailure,
                                    driver_utils.eem_power_state, node)
            self.assertIn('refused', str(exc))
        self.assertEqual(1, self.client.list_devices.call_count)
        self.client.list_devices.side_effect = (
            lambda status=None, group_id=None: [eem.Device(dict(d))
                                                for d in self.pod])
        self.clock[0] += 11
        self.assertEqual(states.POWER_OFF,
                         driver_utils.eem_power_state(self.nodes[0]))

    def test_unknown_engine_is_bad_driver_info(self):
        node = obj_utils.get_test_node(
            self.context, driver='expether',
            driver_info={'eem_address': EEM_URL,
                         'eesv_id': '0x8cdf9d0000ff'})
        exc = self.assertRaises(exception.InvalidParameterValue,
                                driver_utils.eem_power_state, node)
        self.assertIn('0x8cdf9d0000ff', str(exc))

    def test_io_engine_rejected(self):
        node = obj_utils.get_test_node(
            self.context, driver='expether',
            driver_info={'eem_address': EEM_URL,
                         'eesv_id': '0x8cdf9d100001'})
        exc = self.assertRaises(exception.InvalidParameterValue,
                                driver_utils.eem_power_state, node)
        self.assertIn('eesv_id', str(exc))

    def test_clients_do_not_share(self):
        other = self.make_client()
        snapshot.devices(self.client)
        snapshot.devices(other)
        snapshot.devices(self.client)
        self.assertEqual(1, self.client.list_devices.call_count)
        self.assertEqual(1, other.list_devices.call_count)

    def test_store_feeds_readers(self):
        snapshot.store(self.client, [eem.Device(dict(d)) for d in self.pod])
        self.read_all()
        self.assertEqual([], eem_calls(self.client))

    def test_concurrent_readers_one_refresh(self):
        started = threading.Event()
        release = threading.Event()
        devices = [eem.Device(dict(d)) for d in self.pod]

        def slow_list(status=None, group_id=None):
            started.set()
            release.wait(10)
            return devices

        self.client.list_devices.side_effect = slow_list
        results = []
        threads = [threading.Thread(
            target=lambda n=n: results.append(
                driver_utils.eem_power_state(n))) for n in self.nodes]
        for thread in threads:
            thread.start()
        self.assertTrue(started.wait(10))
        release.set()
        for thread in threads:
            thread.join(10)
        self.assertEqual(len(self.nodes), len(results))
        self.assertEqual(1, self.client.list_devices.call_count)
