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


"""Tests of the ``baremetal expether`` commands on a fake Ironic."""

import io
import json
from unittest import mock

from osc_lib import exceptions
from oslotest import base

from ironic_expether.cli import client
from ironic_expether.cli import flavor
from ironic_expether.cli import node
from ironic_expether.cli import podm
from ironic_expether.cli import pool
from ironic_expether.tests.unit.cli import fakes

PODM = '6a4f3d5e-0b1c-4d2e-8f90-a1b2c3d4e5f6'
PODM2 = '7b5f3d5e-0b1c-4d2e-8f90-a1b2c3d4e5f6'
NODE = '1be26c0b-03f2-4d2e-ae87-c02d7f33c123'
FLAVOR = '2ce26c0b-03f2-4d2e-ae87-c02d7f33c123'


def _device(uuid, pci_type, state, eeid, node_uuid=None, podm=PODM,
            ids=(None, None), names=(None, None)):
    return {'uuid': uuid, 'podm_id': podm, 'type': pci_type,
            'state': state, 'node_id': None, 'node_uuid': node_uuid,
            'resource_uri': 'devices/%s' % eeid, 'pooled_group_id': '4093',
            'purpose': None, 'pci_vendor_id': ids[0],
            'pci_device_id': ids[1], 'vendor_name': names[0],
            'device_name': names[1]}


A100 = ('0x10de', '0x20b0')
T4 = ('0x10de', '0x1eb8')
DEVICES = [
    _device('d1', 'GPU', 'free', '0x8cdf9d910001', ids=A100,
            names=('NVIDIA Corporation', 'GA100 [A100 SXM4 40GB]')),
    _device('d2', 'GPU', 'allocated', '0x8cdf9d910002', NODE, ids=T4),
    _device('d3', 'SSD', 'free', '0x8cdf9d910003'),
    _device('d4', 'SSD', 'missing', '0x8cdf9d910004', podm=PODM2),
]


class CommandTestCase(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.session = fakes.FakeSession()
        self.session.add('GET', fakes.driver_path('pod_managers'),
                         fakes.response(200, {'pod_managers': [
                             {'uuid': PODM, 'name': 'pod1',
                              'url': 'http://eem/eem', 'status': 'Online',
                              'authentication': [{'type': 'basic',
                                                  'auth_items': {
                                                      'username': 'admin',
                                                      'password': '******'}}
                                                 ]}]}))
        self.stderr = io.StringIO()
        self.app = mock.Mock(spec=['client_manager', 'options', 'stderr'])
        self.app.stderr = self.stderr

    def run_command(self, cls, *argv):
        command = cls(self.app, None)
        command._api = client.IronicAPI(self.session, fakes.ENDPOINT,
                                        sleep=mock.Mock(spec=[]))
        parser = command.get_parser('baremetal expether')
        parsed = parser.parse_args(list(argv))
        return command.take_action(parsed)

    def show(self, cls, *argv):
        columns, values = self.run_command(cls, *argv)
        return dict(zip(columns, values))

    def table(self, cls, *argv):
        headers, rows = self.run_command(cls, *argv)
        return headers, [list(r) for r in rows]


class PoolTest(CommandTestCase):

    def test_list(self):
        self.session.add('GET', fakes.driver_path('devices'),
                         fakes.response(200, {'devices': list(DEVICES)}))
        headers, rows = self.table(pool.ListPool)
        self.assertEqual(pool.LIST_HEADERS, headers)
        self.assertEqual(['d1', 'GPU', 'free', None, '0x8cdf9d910001',
                          '4093'], rows[0])
        self.assertEqual(4, len(rows))
        headers, rows = self.table(pool.ListPool, '--long')
        self.assertEqual(pool.LONG_HEADERS, headers)
        self.assertEqual(['d1', 'GPU', 'free', None, '0x8cdf9d910001',
                          '4093', '0x10de:0x20b0 (NVIDIA Corporation GA100 '
                          '[A100 SXM4 40GB])', None, PODM], rows[0])
        self.assertEqual(['d2', 'GPU', 'allocated', NODE, '0x8cdf9d910002',
                          '4093', '0x10de:0x1eb8', None, PODM], rows[1])
        self.assertIsNone(rows[2][6])
        self.assertEqual([{}, {}], self.session.bodies(
            'GET', fakes.driver_path('devices')))

    def test_list_by_model(self):
        self.session.add('GET', fakes.driver_path('devices'),
                         fakes.response(200, {'devices': list(DEVICES)}))
        headers, rows = self.table(pool.ListPool, '--model', '10DE:1eb8')
        self.assertEqual(['d2'], [r[0] for r in rows])
        headers, rows = self.table(pool.ListPool, '--model',
                                   '0x10de:0x20b0')
        self.assertEqual(['d1'], [r[0] for r in rows])

    def test_list_bad_model(self):
        for value in ('nvidia', '10de:', '10de:1:2', '10000:1'):
            error = self.assertRaises(exceptions.CommandError, self.table,
                                      pool.ListPool, '--model', value)
            self.assertIn('--model', str(error))
        self.assertEqual([], self.session.calls)

    def test_list_filters(self):
        self.session.add('GET', fakes.driver_path('devices'),
                         fakes.response(200, {'devices': []}))
        self.session.add('GET', '/v1/nodes/web1',
                         fakes.response(200, {'uuid': NODE}))
        self.table(pool.ListPool, '--type', 'gpu', '--state', 'free',
                   '--pod-manager', 'pod1', '--node', 'web1')
        self.assertEqual([{'type': 'GPU', 'state': 'free', 'podm_id': PODM,
                           'node_id': NODE}],
                         self.session.bodies('GET',
                                             fakes.driver_path('devices')))

    def test_list_unknown_type(self):
        error = self.assertRaises(exceptions.CommandError, self.table,
                                  pool.ListPool, '--type', 'TPU')
        self.assertIn("unknown device type 'TPU'", str(error))
        self.assertEqual([], self.session.calls)

    def test_unknown_pod_manager(self):
        error = self.assertRaises(exceptions.CommandError, self.table,
                                  pool.ListPool, '--pod-manager', 'nope')
        self.assertIn('No pod manager has the name or uuid nope',
                      str(error))

    def test_summary(self):
        self.session.add('GET', fakes.driver_path('devices'),
                         fakes.response(200, {'devices': list(DEVICES)}))
        headers, rows = self.table(pool.SummaryPool)
        self.assertEqual(('Pod Manager', 'Type', 'Free', 'Allocated',
                          'Claimed', 'Missing', 'Total'), headers)
        self.assertEqual([[PODM, 'GPU', 1, 1, 0, 0, 2],
                          [PODM, 'SSD', 1, 0, 0, 0, 1],
                          [PODM2, 'SSD', 0, 0, 0, 1, 1]], rows)

    def test_summary_by_model(self):
        self.session.add('GET', fakes.driver_path('devices'),
                         fakes.response(200, {'devices': list(DEVICES)}))
        headers, rows = self.table(pool.SummaryPool, '--by-model')
        self.assertEqual('Model', headers[2])
        self.assertEqual(
            [[PODM, 'GPU', '0x10de:0x1eb8', 0, 1, 0, 0, 1],
             [PODM, 'GPU', '0x10de:0x20b0 (NVIDIA Corporation GA100 [A100 '
              'SXM4 40GB])', 1, 0, 0, 0, 1],
             [PODM, 'SSD', None, 1, 0, 0, 0, 1],
             [PODM2, 'SSD', None, 0, 0, 0, 1, 1]], rows)

    def test_show(self):
        detail = dict(DEVICES[1], properties={
            'device_id': '0x8cdf9d910002', 'mac_address': '8c:df:9d:91:00:02',
            'model': '40g'}, extra={'vendor_name': 'NVIDIA',
                                    'device_name': 'A100'})
        self.session.add('GET', fakes.driver_path('device'),
                         fakes.response(200, detail))
        data = self.show(pool.ShowPoolDevice, '0x8CDF9D910002')
        self.assertEqual([{'uuid': '0x8cdf9d910002'}], self.session.bodies(
            'GET', fakes.driver_path('device')))
        self.assertEqual('0x8cdf9d910002', data['eeid'])
        self.assertEqual('NVIDIA', data['vendor_name'])
        self.assertEqual('40g', data['engine_type'])
        self.assertNotIn('model', data)
        self.assertEqual(NODE, data['node_uuid'])

    def test_show_not_found(self):
        self.session.add('GET', fakes.driver_path('device'),
                         fakes.ironic_error(404, 'Device x not found'))
        error = self.assertRaises(client.APIError, self.show,
                                  pool.ShowPoolDevice, 'x')
        self.assertEqual('Device x not found (HTTP 404)', str(error))

    def test_sync(self):
        self.session.add('POST', fakes.driver_path('sync'), fakes.response(
            200, {'results': [{'podm_id': PODM, 'status': 'SUCCESS',
                               'changes': {'added': 2, 'updated': 0}},
                              {'podm_id': PODM2, 'status': 'FAILED',
                               'detail': 'EEM down'}]}))
        headers, rows = self.table(pool.Sync)
        self.assertEqual([[PODM, 'SUCCESS', 'added: 2'],
                          [PODM2, 'FAILED', 'EEM down']], rows)


class ComposeTest(CommandTestCase):

    def setUp(self):
        super().setUp()
        self.session.add('POST', fakes.driver_path('compose'),
                         fakes.response(200, {
                             'uuid': NODE, 'name': 'web1',
                             'index': '0x8cdf9d91ffff',
                             'resource_uri': 'devices/0x8cdf9d91ffff'}))
        self.session.add('GET', fakes.driver_path('devices'),
                         fakes.response(200, {'devices': [
                             _device('d1', 'GPU', 'allocated',
                                     '0x8cdf9d910001', NODE),
                             _device('d3', 'SSD', 'allocated',
                                     '0x8cdf9d910003', NODE)]}))

    def test_compose_devices(self):
        data = self.show(node.Compose, '--device', 'GPU', '--device', 'ssd',
                         '--name', 'web1', '--pod-manager', 'pod1')
        self.assertEqual([{'name': 'web1', 'podm_id': PODM,
                           'properties': {'pci_device': {
                               'type': ['GPU', 'SSD']}}}],
                         self.session.bodies('POST',
                                             fakes.driver_path('compose')))
        self.assertEqual(NODE, data['uuid'])
        self.assertEqual('0x8cdf9d91ffff', data['server_engine'])
        self.assertEqual(['GPU 0x8cdf9d910001 d1', 'SSD 0x8cdf9d910003 d3'],
                         data['devices'].machine_readable())
        self.assertEqual('', self.stderr.getvalue())

    def test_compose_flavor_and_default_name(self):
        self.session.add('GET', fakes.driver_path('flavors'),
                         fakes.response(200, {'flavors': [
                             {'uuid': FLAVOR, 'name': 'gpu-box'}]}))
        self.show(node.Compose, '--flavor', 'gpu-box')
        body = self.session.bodies('POST', fakes.driver_path('compose'))[0]
        self.assertEqual(FLAVOR, body['flavor_id'])
        self.assertRegex(body['name'], '^expether-[0-9a-f]{8}$')
        self.assertNotIn('properties', body)

    def test_flavor_and_devices(self):
        self.assertRaises(exceptions.CommandError, self.show, node.Compose,
                          '--flavor', 'f', '--device', 'GPU')
        self.assertEqual([], self.session.calls)

    def test_conflict_at_once(self):
        self.session.add('POST', fakes.driver_path('compose'),
                         fakes.ironic_error(409, '2 GPU requested, 1 free'))
        error = self.assertRaises(client.APIError, self.show, node.Compose,
                                  '--device', 'GPU', '--device', 'GPU')
        self.assertEqual(409, error.status)
        self.assertEqual(1, len(self.session.bodies(
            'POST', fakes.driver_path('compose'))))

    @mock.patch('time.sleep', autospec=True)
    def test_wait(self, mock_sleep):
        def eem_view(up):
            return fakes.response(200, {
                'eesv_id': '0x8cdf9d91ffff', 'group_id': '20',
                'devices': [{'id': '0x8cdf9d910001', 'state': up},
                            {'id': '0x8cdf9d910003', 'state': 'up'}]})
        self.session.add('GET', fakes.node_path(NODE),
                         [eem_view('down'), eem_view('up')],
                         method='devices')
        self.show(node.Compose, '--device', 'GPU', '--device', 'SSD',
                  '--wait')
        progress = self.stderr.getvalue().splitlines()
        self.assertTrue(progress[0].startswith('Composing expether-'),
                        progress)
        self.assertIn('with 1 GPU, 1 SSD', progress[0])
        self.assertIn('1 of 2 device(s) up in group 20', progress[2])
        self.assertIn('2 of 2 device(s) up in group 20', progress[3])
        self.assertTrue(progress[4].startswith('Ready in'))
        mock_sleep.assert_called_once_with(node.POLL_INTERVAL)

    @mock.patch('time.monotonic', autospec=True)
    @mock.patch('time.sleep', autospec=True)
    def test_wait_timeout(self, mock_sleep, mock_monotonic):
        mock_monotonic.side_effect = [0, 5, 11]
        self.session.add('GET', fakes.node_path(NODE), fakes.response(
            200, {'devices': []}), method='devices')
        error = self.assertRaises(exceptions.CommandError, self.show,
                                  node.Compose, '--device', 'GPU',
                                  '--wait', '10')
        self.assertIn('0 of 2 device(s) up after 10 seconds', str(error))


class NodeCommandsTest(CommandTestCase):

    def test_attach(self):
        self.session.add('POST', fakes.node_path('web1'), fakes.response(
            200, dict(DEVICES[0], state='allocated', node_uuid=NODE)),
            method='attach')
        data = self.show(node.Attach, 'web1', '0x8CDF9D910001')
        self.assertEqual([{'resource_id': '0x8cdf9d910001'}],
                         self.session.bodies('POST',
                                             fakes.node_path('web1')))
        self.assertEqual('allocated', data['state'])

    def test_detach_conflict(self):
        self.session.add('POST', fakes.node_path('web1'), fakes.ironic_error(
            409, 'node web1 does not hold d1'), method='detach')
        error = self.assertRaises(client.APIError, self.show, node.Detach,
                                  'web1', 'd1')
        self.assertEqual('node web1 does not hold d1 (HTTP 409)', str(error))

    def test_devices(self):
        self.session.add('GET', fakes.node_path('web1'), fakes.response(
            200, {'eesv_id': '0x1', 'group_id': '20', 'devices': [
                {'id': '0x8cdf9d910001', 'type': 'GPU', 'engine_type': '40g',
                 'vendor_name': 'NVIDIA', 'device_name': 'A100',
                 'pci_vendor_id': '0x10de', 'pci_device_id': '0x20b0',
                 'state': 'up', 'group_id': '20'}]}), method='devices')
        headers, rows = self.table(node.ListNodeDevices, 'web1')
        self.assertEqual(['0x8cdf9d910001', 'GPU', 'NVIDIA', 'A100',
                          '0x10de', '0x20b0', 'up', '20'], rows[0])

    def test_release(self):
        self.session.add('POST', fakes.node_path('web1'), fakes.response(
            200, {'released': ['d1']}), method='release')
        headers, rows = self.table(node.Release, 'web1', '--device', 'D1')
        self.assertEqual([['d1']], rows)
        self.assertEqual([{'resource_ids': ['d1']}], self.session.bodies(
            'POST', fakes.node_path('web1')))

    def test_release_all(self):
        self.session.add('POST', fakes.node_path('web1'), fakes.response(
            200, {'released': []}), method='release')
        self.table(node.Release, 'web1')
        self.assertEqual([{}], self.session.bodies(
            'POST', fakes.node_path('web1')))

    def test_manage(self):
        self.session.add('POST', fakes.driver_path('manage'), fakes.response(
            200, {'uuid': NODE, 'name': 'x', 'index': '0x8cdf9d91ffff'}))
        self.session.add('GET', fakes.driver_path('devices'),
                         fakes.response(200, {'devices': []}))
        data = self.show(node.Manage, '0x8CDF9D91FFFF')
        self.assertEqual([{'node_index': '0x8cdf9d91ffff'}],
                         self.session.bodies('POST',
                                             fakes.driver_path('manage')))
        self.assertEqual(NODE, data['uuid'])

    @mock.patch.dict('os.environ', {node.BMC_PASSWORD_ENV: 's3cret'})
    def test_register(self):
        self.session.add('POST', fakes.node_path('web1'), fakes.response(
            200, {'uuid': NODE, 'managed_by': 'ironic'}), method='register')
        data = self.show(node.Register, 'web1', '--bmc-address',
                         'https://bmc/redfish/v1/Systems/1',
                         '--bmc-username', 'root', '--driver-info',
                         'redfish_verify_ca=False', '--mac',
                         '52:54:00:00:00:01')
        self.assertEqual([{'driver_info': {
            'address': 'https://bmc/redfish/v1/Systems/1',
            'username': 'root', 'password': 's3cret',
            'redfish_verify_ca': 'False'}, 'mac': '52:54:00:00:00:01'}],
            self.session.bodies('POST', fakes.node_path('web1')))
        self.assertEqual('ironic', data['managed_by'])

    @mock.patch('sys.stdin', autospec=True)
    def test_register_no_password(self, mock_stdin):
        mock_stdin.isatty.return_value = False
        self.useFixture(_NoEnv(node.BMC_PASSWORD_ENV))
        error = self.assertRaises(
            exceptions.CommandError, self.show, node.Register, 'web1',
            '--bmc-address', '10.0.0.1', '--bmc-username', 'root')
        self.assertIn(node.BMC_PASSWORD_ENV, str(error))
        self.assertEqual([], self.session.calls)

    def test_register_password_on_argv(self):
        error = self.assertRaises(
            exceptions.CommandError, self.show, node.Register, 'web1',
            '--bmc-address', '10.0.0.1', '--driver-info',
            'ipmi_password=x')
        self.assertIn('never from the command line', str(error))
        self.assertEqual([], self.session.calls)


class PodManagerTest(CommandTestCase):

    def _create(self, *argv):
        self.session.add('POST', fakes.driver_path('pod_managers'),
                         lambda body: fakes.response(200, {
                             'uuid': PODM, 'name': body['name'],
                             'url': body['url'], 'status': 'Online',
                             'authentication': [{'type': 'basic',
                                                 'auth_items': {
                                                     'username': 'admin',
                                                     'password': '******'}}]
                         }))
        return self.show(podm.CreatePodManager, 'pod1', '--url',
                         'http://eem:8080/eem', *argv)

    @mock.patch.dict('os.environ', {podm.PASSWORD_ENV: 'pw'})
    def test_create_password_from_env(self):
        data = self._create('--username', 'admin', '--insecure')
        body = self.session.bodies('POST',
                                   fakes.driver_path('pod_managers'))[0]
        self.assertEqual({'username': 'admin', 'password': 'pw'},
                         body['authentication'][0]['auth_items'])
        self.assertIs(False, body['verify'])
        self.assertEqual('admin', data['username'])
        self.assertNotIn('pw', json.dumps(data))

    @mock.patch('getpass.getpass', autospec=True, return_value='typed')
    @mock.patch('sys.stdin', autospec=True)
    def test_create_password_prompt(self, mock_stdin, mock_getpass):
        mock_stdin.isatty.return_value = True
        self.useFixture(_NoEnv(podm.PASSWORD_ENV))
        self._create('--username', 'admin')
        body = self.session.bodies('POST',
                                   fakes.driver_path('pod_managers'))[0]
        self.assertEqual('typed',
                         body['authentication'][0]['auth_items']['password'])
        self.assertNotIn('verify', body)

    @mock.patch('sys.stdin', autospec=True)
    def test_create_no_password(self, mock_stdin):
        mock_stdin.isatty.return_value = False
        self.useFixture(_NoEnv(podm.PASSWORD_ENV))
        error = self.assertRaises(exceptions.CommandError, self._create,
                                  '--username', 'admin')
        self.assertIn(podm.PASSWORD_ENV, str(error))

    def test_list_show_delete(self):
        headers, rows = self.table(podm.ListPodManager)
        self.assertEqual([[PODM, 'pod1', 'http://eem/eem', 'Online']], rows)
        self.session.add('DELETE', fakes.driver_path('pod_managers'),
                         fakes.response(200, {'code': '',
                                              'detail': 'DELETED'}))
        self.run_command(podm.DeletePodManager, 'pod1')
        self.assertEqual([{'uuid': PODM}], self.session.bodies(
            'DELETE', fakes.driver_path('pod_managers')))


class FlavorTest(CommandTestCase):

    def test_create(self):
        self.session.add('POST', fakes.driver_path('flavors'),
                         lambda body: fakes.response(200, dict(
                             body, uuid=FLAVOR)))
        data = self.show(flavor.CreateFlavor, 'gpu-box', '--device', 'GPU',
                         '--device', 'gpu', '--description', 'two GPUs')
        self.assertEqual(['GPU', 'GPU'], data['devices'].machine_readable())
        self.assertEqual([{'name': 'gpu-box', 'description': 'two GPUs',
                           'properties': {'pci_device': {
                               'type': ['GPU', 'GPU']}}}],
                         self.session.bodies('POST',
                                             fakes.driver_path('flavors')))

    def test_list_delete(self):
        self.session.add('GET', fakes.driver_path('flavors'),
                         fakes.response(200, {'flavors': [
                             {'uuid': FLAVOR, 'name': 'gpu-box',
                              'properties': {'pci_device': {
                                  'type': ['GPU']}}}]}))
        headers, rows = self.table(flavor.ListFlavor)
        self.assertEqual(FLAVOR, rows[0][0])
        self.session.add('DELETE', fakes.driver_path('flavors'),
                         fakes.response(200, {'code': 'DELETED'}))
        self.run_command(flavor.DeleteFlavor, 'gpu-box')
        self.assertEqual([{'uuid': FLAVOR}], self.session.bodies(
            'DELETE', fakes.driver_path('flavors')))


class _NoEnv(object):
    """A fixture removing an environment variable."""

    def __init__(self, name):
        self.name = name

    def setUp(self):
        import os
        self._old = os.environ.pop(self.name, None)

    def cleanUp(self):
        import os
        if self._old is not None:
            os.environ[self.name] = self._old

    def getDetails(self):
        return {}
