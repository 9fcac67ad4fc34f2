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

"""The real EEM client against the emulator, over HTTP(S) on 127.0.0.1.

Every fault the emulator can inject must end in the right exception of
``ironic_expether.eem`` within the client's documented worst case
(``worst_case_seconds``, plus a small margin for processing).
"""

import signal
import socket
import time

import fixtures
from oslotest import base

from ironic_expether import eem
from ironic_expether.emulator import control
from ironic_expether.tests.functional import emulator_fixture

#: Client settings that keep the suite fast: 3 GET attempts of 0.4 s at
#: most, 0.05 s then 0.1 s apart: worst case 1.35 s.
TIMEOUT = 0.4
RETRIES = 2
RETRY_INTERVAL = 0.05
#: Margin over worst_case_seconds for processing on a loaded machine.
MARGIN = 1.0


class ClientTestCase(base.BaseTestCase):

    def server_kwargs(self):
        """Extra arguments of the EmulatorServer."""
        return {}

    def setUp(self):
        super().setUp()
        self.emu = self.useFixture(emulator_fixture.EmulatorFixture(
            servers=2, devices=20, seed=11, **self.server_kwargs()))
        self.sv1, self.sv2 = self.emu.eesv_ids
        self.ios = self.emu.eeio_ids

    def client(self, url=None, **kwargs):
        kwargs.setdefault('timeout', TIMEOUT)
        kwargs.setdefault('retries', RETRIES)
        kwargs.setdefault('retry_interval', RETRY_INTERVAL)
        client = eem.EEMClient(url or self.emu.url, **kwargs)
        self.addCleanup(client.close)
        return client

    def assertFailsInTime(self, exc_class, client, call, *args):
        """Assert a call raises exc_class within the worst case."""
        started = time.monotonic()
        error = self.assertRaises(exc_class, call, *args)
        elapsed = time.monotonic() - started
        self.assertLess(elapsed, client.worst_case_seconds + MARGIN,
                        'took %.2f s' % elapsed)
        return error, elapsed


class OperationsTestCase(ClientTestCase):

    def test_reads(self):
        client = self.client()
        self.assertEqual('1.0', client.api_version())
        devices = client.list_devices()
        self.assertEqual(self.emu.eesv_ids + self.emu.eeio_ids,
                         [d.id for d in devices])
        servers = client.list_devices(status='eesv')
        self.assertEqual([('eesv', '4094', 16, 'on', '40g')] * 2,
                         [(d.kind, d.group_id, d.max_eeio_count,
                           d.power_state, d.type) for d in servers])
        free = client.list_devices(status='eeio', group_id=4093)
        self.assertEqual(self.ios, [d.id for d in free])
        self.assertTrue(all(d.is_free and d.is_up for d in free))
        # GPUs, NVMe SSDs, NICs and FPGAs (Valence's "ACS").
        types = {d.pci_type for d in free}
        self.assertTrue(types <= {'GPU', 'SSD', 'NIC', 'ACS'}, types)
        self.assertGreaterEqual(len(types), 3)
        self.assertEqual(self.ios,
                         client.list_device_ids(status='eeio'))
        device = client.get_device(self.ios[0])
        self.assertEqual((self.ios[0], 'eeio', '4093'),
                         (device.id, device.kind, device.group_id))
        self.assertIsInstance(device.update_time, int)

    def test_compose_flow(self):
        client = self.client()
        gid = client.set_group(self.sv1)
        self.assertEqual('16', gid)
        for eeid in self.ios[:16]:
            self.assertEqual(gid, client.set_group(eeid, gid))
        attached = client.list_devices(status='eeio', group_id=gid)
        self.assertEqual(self.ios[:16], [d.id for d in attached])
        error = self.assertRaises(eem.EEMConflict, client.set_group,
                                  self.ios[16], gid)
        self.assertEqual(('40901', 409), (error.code, error.status_code))
        error = self.assertRaises(eem.EEMConflict, client.set_group,
                                  self.ios[0], 17)
        self.assertEqual('40900', error.code)
        self.assertEqual([gid, '4093', '4094'], client.list_groups())
        client.delete_group(self.ios[0])
        self.assertTrue(client.get_device(self.ios[0]).is_free)
        client.set_group(self.ios[16], gid)
        client.delete_group(self.sv1)
        self.assertEqual('4094', client.get_device(self.sv1).group_id)

    def test_update_time_moves(self):
        client = self.client()
        before = client.get_device(self.ios[0]).update_time
        client.set_group(self.ios[0], 100)
        self.assertGreater(client.get_device(self.ios[0]).update_time,
                           before)

    def test_uid_led(self):
        client = self.client()
        self.assertFalse(client.get_uid_led(self.sv1))
        client.set_uid_led(self.sv1, True)
        self.assertTrue(client.get_uid_led(self.sv1))
        client.set_uid_led(self.sv1, False)
        self.assertFalse(client.get_uid_led(self.sv1))

    def test_not_found(self):
        client = self.client()
        for call in (client.get_device, client.delete_group,
                     client.get_uid_led, client.set_group):
            error, _ = self.assertFailsInTime(eem.EEMNotFound, client, call,
                                              '0x8cdf9d000000')
            self.assertEqual('40400', error.code)

    def test_address_with_trailing_slash(self):
        self.assertEqual('1.0',
                         self.client(self.emu.url + '/').api_version())

    def test_device_down_disappears_power(self):
        client = self.client()
        self.emu.state.set_down(self.ios[0])
        self.assertFalse(client.get_device(self.ios[0]).is_up)
        error = self.assertRaises(eem.EEMConflict, client.set_group,
                                  self.ios[0], 100)
        self.assertEqual('40904', error.code)
        self.emu.state.disappear(self.ios[1])
        self.assertRaises(eem.EEMNotFound, client.get_device, self.ios[1])
        self.assertNotIn(self.ios[1], client.list_device_ids())
        self.emu.state.reappear(self.ios[1])
        self.assertEqual(self.ios[1], client.get_device(self.ios[1]).id)
        self.emu.state.set_power(self.sv1, 'off')
        self.assertEqual('off', client.get_device(self.sv1).power_state)


class AuthTestCase(ClientTestCase):

    def server_kwargs(self):
        return {'username': 'eem', 'password': 'eem-secret'}

    def test_good_credentials(self):
        client = self.client(username='eem', password='eem-secret')
        self.assertEqual('1.0', client.api_version())
        self.assertEqual('16', client.set_group(self.sv1))

    def test_bad_password(self):
        client = self.client(username='eem', password='wrong-password')
        error, _ = self.assertFailsInTime(eem.EEMAuthError, client,
                                          client.api_version)
        self.assertEqual(401, error.status_code)
        self.assertNotIn('wrong-password', str(error))
        self.assertRaises(eem.EEMAuthError, client.set_group, self.sv1)
        self.assertEqual('4094', self.emu.state.get_device(self.sv1)[
            'group_id'])

    def test_no_credentials(self):
        client = self.client()
        self.assertFailsInTime(eem.EEMAuthError, client, client.list_devices)
        # Auth failures are not retried.
        self.assertEqual({'GET /eem/devices/detail': 1},
                         self.emu.faults.counters())


class TLSTestCase(ClientTestCase):

    def server_kwargs(self):
        tmp = self.useFixture(fixtures.TempDir())
        self.cert, key = emulator_fixture.write_self_signed_cert(tmp.path)
        return {'tls_cert': self.cert, 'tls_key': key}

    def test_url_is_https(self):
        self.assertTrue(self.emu.url.startswith('https://127.0.0.1:'))

    def test_verify_false(self):
        client = self.client(verify=False)
        self.assertEqual('1.0', client.api_version())
        self.assertEqual(22, len(client.list_devices()))

    def test_verify_with_ca_bundle(self):
        client = self.client(verify=self.cert)
        self.assertEqual('1.0', client.api_version())
        self.assertEqual('16', client.set_group(self.sv1))

    def test_verify_true_fails(self):
        client = self.client(verify=True)
        error, _ = self.assertFailsInTime(eem.EEMTLSError, client,
                                          client.api_version)
        self.assertIn('TLS certificate does not verify', str(error))
        self.assertNotIn('HTTPSConnectionPool', str(error))
        # A certificate that does not verify is not retried.
        self.assertEqual({}, self.emu.faults.counters())

    def test_stalled_handshake_blocks_nobody(self):
        host, port = '127.0.0.1', self.emu.server.port
        stalled = socket.create_connection((host, port), timeout=5)
        self.addCleanup(stalled.close)
        client = self.client(verify=self.cert)
        self.assertEqual('1.0', client.api_version())

    def test_plain_http_to_tls_port_fails(self):
        client = self.client(self.emu.url.replace('https:', 'http:'))
        self.assertFailsInTime(eem.EEMError, client, client.api_version)


class FaultTestCase(ClientTestCase):

    def counters(self):
        return self.emu.faults.counters()

    def test_latency_beyond_timeout_on_get(self):
        self.emu.faults.add_latency(TIMEOUT + 0.5, path='/eem/devices/detail')
        client = self.client()
        error, elapsed = self.assertFailsInTime(eem.EEMTimeout, client,
                                                client.list_devices)
        self.assertGreaterEqual(elapsed, (RETRIES + 1) * TIMEOUT)
        self.assertEqual({'GET /eem/devices/detail': RETRIES + 1},
                         self.counters())

    def test_latency_beyond_timeout_on_put_is_not_retried(self):
        self.emu.faults.add_latency(TIMEOUT + 0.5, method='PUT')
        client = self.client()
        _, elapsed = self.assertFailsInTime(eem.EEMTimeout, client,
                                            client.set_group, self.sv1)
        self.assertLess(elapsed, TIMEOUT + MARGIN)
        self.assertEqual({'PUT /eem/devices/<id>/group_id': 1},
                         self.counters())

    def test_latency_within_timeout_succeeds(self):
        self.emu.faults.add_latency(TIMEOUT / 4)
        client = self.client()
        self.assertEqual('1.0', client.api_version())

    def test_server_errors_exhaust_retries(self):
        self.emu.faults.add_error(status=500, path='/eem/devices/*')
        client = self.client()
        error, _ = self.assertFailsInTime(eem.EEMServerError, client,
                                          client.get_device, self.ios[0])
        self.assertEqual((500, '50000'), (error.status_code, error.code))
        self.assertEqual({'GET /eem/devices/<id>': RETRIES + 1},
                         self.counters())

    def test_transient_server_errors_are_retried(self):
        self.emu.faults.add_error(status=503, path='/eem/devices/detail',
                                  count=RETRIES)
        client = self.client()
        self.assertEqual(22, len(client.list_devices()))
        self.assertEqual({'GET /eem/devices/detail': RETRIES + 1},
                         self.counters())

    def test_server_error_on_put_is_not_retried(self):
        self.emu.faults.add_error(status=500, method='PUT')
        client = self.client()
        self.assertFailsInTime(eem.EEMServerError, client, client.set_group,
                               self.ios[0], 100)
        self.assertEqual({'PUT /eem/devices/<id>/group_id': 1},
                         self.counters())

    def test_injected_client_errors(self):
        client = self.client()
        for status, exc_class in ((400, eem.EEMBadRequest),
                                  (401, eem.EEMAuthError),
                                  (403, eem.EEMAuthError),
                                  (404, eem.EEMNotFound),
                                  (409, eem.EEMConflict),
                                  (418, eem.EEMHTTPError)):
            self.emu.faults.add_error(status=status, count=1,
                                      code='%d11' % status,
                                      message='injected %d' % status)
            error, _ = self.assertFailsInTime(exc_class, client,
                                              client.api_version)
            self.assertEqual((status, '%d11' % status),
                             (error.status_code, error.code))
            self.assertIn('injected %d' % status, str(error))
        # None of them was retried.
        self.assertEqual({'GET /eem/api_version': 6}, self.counters())

    def test_error_rate_with_seed(self):
        self.emu.faults.add_error(status=502, rate=0.5, seed=4)
        client = self.client(retries=0)
        outcomes = []
        for _ in range(20):
            started = time.monotonic()
            try:
                client.api_version()
                outcomes.append('ok')
            except eem.EEMServerError:
                outcomes.append('error')
            self.assertLess(time.monotonic() - started,
                            client.worst_case_seconds + MARGIN)
        self.assertEqual({'ok', 'error'}, set(outcomes))

    def test_dropped_connection(self):
        self.emu.faults.add_error(drop=True, path='/eem/groups')
        client = self.client()
        self.assertFailsInTime(eem.EEMConnectionError, client,
                               client.list_groups)
        self.assertEqual({'GET /eem/groups': RETRIES + 1}, self.counters())

    def test_dropped_connection_on_put(self):
        self.emu.faults.add_error(drop=True, method='DELETE')
        client = self.client()
        self.assertFailsInTime(eem.EEMConnectionError, client,
                               client.delete_group, self.ios[0])
        self.assertEqual({'DELETE /eem/devices/<id>/group_id': 1},
                         self.counters())

    def test_refused_connections(self):
        client = self.client()
        self.assertEqual('1.0', client.api_version())
        # Longer than the worst case: every attempt is refused.
        self.emu.server.refuse_connections(client.worst_case_seconds + 2)
        error, _ = self.assertFailsInTime(eem.EEMConnectionError, client,
                                          client.api_version)
        self.assertNotIsInstance(error, eem.EEMTimeout)
        self.assertFailsInTime(eem.EEMConnectionError, client,
                               client.set_group, self.sv1)
        self.assertEqual({'GET /eem/api_version': 1}, self.counters())

    def test_refused_then_back_within_retries(self):
        client = self.client(retries=3, retry_interval=0.2)
        self.emu.server.refuse_connections(0.3)
        started = time.monotonic()
        self.assertEqual('1.0', client.api_version())
        self.assertLess(time.monotonic() - started,
                        client.worst_case_seconds + MARGIN)

    def test_malformed_bodies(self):
        client = self.client()
        calls = ((client.api_version,), (client.list_devices,),
                 (client.list_device_ids,), (client.list_groups,),
                 (client.get_device, self.ios[0]),
                 (client.get_uid_led, self.ios[0]))
        for body in ('not-json', 'wrong-shape', 'empty', 'truncated'):
            for call in calls:
                self.emu.faults.add_malformed(body, count=1)
                self.assertFailsInTime(eem.EEMMalformedResponse, client,
                                       *call)
        self.emu.faults.add_malformed('not-json', method='PUT', count=1)
        self.assertFailsInTime(eem.EEMMalformedResponse, client,
                               client.set_group, self.sv1)
        # The change itself was made: only the answer was garbled.
        self.assertEqual('16', client.get_device(self.sv1).group_id)


class ProcessTestCase(base.BaseTestCase):
    """The emulator as a separate process, scripted over HTTP."""

    def test_process_with_auth_and_control_api(self):
        proc = self.useFixture(emulator_fixture.EmulatorProcess(
            ['--servers', '2', '--devices', '4', '--seed', '3',
             '--username', 'eem', '--password', 'pw-1234']))
        self.assertRegex(proc.url, r'^http://127\.0\.0\.1:\d+/eem$')
        client = eem.EEMClient(proc.url, username='eem', password='pw-1234',
                               timeout=TIMEOUT, retries=RETRIES,
                               retry_interval=RETRY_INTERVAL)
        self.addCleanup(client.close)
        ctl = control.EmulatorControl(proc.url, 'eem', 'pw-1234')
        self.addCleanup(ctl.close)
        self.assertEqual(6, len(client.list_devices()))
        eesv = client.list_device_ids(status='eesv')[0]
        ctl.add_fault('error', status=503, path='/eem/devices/<id>',
                      count=RETRIES + 1)
        self.assertRaises(eem.EEMServerError, client.get_device, eesv)
        self.assertEqual(RETRIES + 1,
                         ctl.counters()['GET /eem/devices/<id>'])
        ctl.set_device(eesv, power_status='off')
        self.assertEqual('off', client.get_device(eesv).power_state)
        ctl.refuse_connections(30)
        self.assertRaises(eem.EEMConnectionError, client.api_version)
        proc.process.send_signal(signal.SIGTERM)
        self.assertEqual(0, proc.process.wait(timeout=10))
