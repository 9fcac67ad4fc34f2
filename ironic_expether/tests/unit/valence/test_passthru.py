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

"""The Valence passthru methods, called through a real conductor manager."""

import json
from unittest import mock

from ironic.common import exception
from ironic.common import states
from ironic import objects
from ironic.tests.unit.conductor import mgr_utils
import oslo_messaging as messaging

from ironic_expether.drivers import management
from ironic_expether.drivers import power
from ironic_expether import eem
from ironic_expether.pool import compose
from ironic_expether.pool.db import api
from ironic_expether.pool import podm as podm_api
from ironic_expether.tests.unit.pool import fakes
from ironic_expether.valence import passthru

UNKNOWN_UUID = '11111111-1111-1111-1111-111111111111'


class PassthruBase(mgr_utils.ServiceSetUpMixin, fakes.ComposeTestCase):
    """A real conductor manager and calls through it."""

    def setUp(self):
        super().setUp()
        # NOTE(expether): the conductor runs the passthru through the
        # node's driver, whose BMC interfaces are cached per node.
        for reset in (power.DELEGATES.reset, management.DELEGATES.reset):
            reset()
            self.addCleanup(reset)
        self._start_service()

    def driver_call(self, method, verb='GET', **body):
        result = self.service.driver_vendor_passthru(
            self.context, 'expether', method, verb, body)
        self.assertFalse(result['async'])
        # What Ironic's API would send: it must be JSON.
        return json.loads(json.dumps(result['return']))

    def node_call(self, node, method, verb='POST', **body):
        result = self.service.vendor_passthru(
            self.context, node, method, verb, body)
        self.assertFalse(result['async'])
        return json.loads(json.dumps(result['return']))

    def assertFails(self, error, func, *args, **kwargs):
        """Expect an Ironic error, raw or wrapped as the RPC layer does."""
        try:
            func(*args, **kwargs)
        except messaging.rpc.ExpectedException as e:
            exc = e.exc_info[1]
        except exception.IronicException as e:
            exc = e
        else:
            self.fail('%s did not raise' % func)
        self.assertIsInstance(exc, error)
        return exc


@mgr_utils.mock_record_keepalive
class PassthruTestCase(PassthruBase):
    # Pod managers

    def test_pod_managers_list_and_show_mask_passwords(self):
        listed = self.driver_call('pod_managers')['pod_managers']
        self.assertEqual([self.podm.uuid], [p['uuid'] for p in listed])
        shown = self.driver_call('pod_managers', uuid=self.podm.uuid)
        for body in (listed[0], shown):
            self.assertNotIn(fakes.PASSWORD, json.dumps(body))
            self.assertEqual('******', body['authentication'][0][
                'auth_items']['password'])
            self.assertRegex(body['created_at'],
                             r'^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$')

    @mock.patch.object(passthru.eem, 'EEMClient', autospec=True)
    def test_pod_manager_create_checks_api_version(self, mock_client):
        mock_client.return_value.api_version.return_value = '1.2'
        eeid = self.fabric.add_eeio(1, 'NIC')
        self.client.list_devices.reset_mock()
        body = self.driver_call(
            'pod_managers', 'POST', name='podm2', driver='expether',
            url='http://eem-2.test:30500/eem/',
            authentication=[{'type': 'basic', 'auth_items': {
                'username': 'admin', 'password': 'pw-xyz'}}])
        self.assertEqual('Online', body['status'])
        self.assertEqual('http://eem-2.test:30500/eem', body['url'])
        self.assertNotIn('pw-xyz', json.dumps(body))
        mock_client.return_value.api_version.assert_called_once_with()
        self.assertEqual('pw-xyz', api.get_pod_manager(body['uuid'])
                         .password)
        # The new EEM's devices are discovered at once, with one request.
        self.client.list_devices.assert_called_once_with()
        devices = api.list_devices(podm_uuid=body['uuid'], eeid=eeid)
        self.assertEqual([('NIC', 'free')],
                         [(d.type, d.state) for d in devices])

    @mock.patch.object(passthru.eem, 'EEMClient', autospec=True)
    def test_pod_manager_create_eem_refuses(self, mock_client):
        body = {'name': 'p', 'url': 'http://eem-3.test/eem',
                'authentication': [{'type': 'basic', 'auth_items': {
                    'username': 'a', 'password': 'pw-secret'}}]}
        cases = [
            (eem.EEMAuthError('GET', 'api_version', 401),
             exception.InvalidParameterValue),
            (eem.EEMTLSError('GET', 'api_version', 'TLS certificate does '
                             'not verify: self-signed certificate'),
             exception.InvalidParameterValue),
            (eem.EEMConnectionError('GET', 'api_version', 'refused'),
             exception.TemporaryFailure),
            (eem.EEMNotFound('GET', 'api_version', 404),
             exception.InvalidParameterValue),
        ]
        for error, expected in cases:
            mock_client.return_value.api_version.side_effect = error
            exc = self.assertFails(expected, self.driver_call,
                                   'pod_managers', 'POST', **body)
            self.assertNotIn('pw-secret', str(exc))
        self.assertEqual(1, len(api.list_pod_managers()))

    def test_pod_manager_bad_bodies_are_400(self):
        good = {'name': 'p', 'url': 'http://eem-3.test/eem',
                'authentication': [{'type': 'basic', 'auth_items': {
                    'username': 'a', 'password': 'b'}}]}
        for change, field in [({'bogus': 1}, 'bogus'),
                              ({'driver': 'redfishv1'}, 'driver'),
                              ({'url': 'ftp://x/eem'}, 'url'),
                              ({'url': 'http://x/other'}, 'url'),
                              ({'url': 'http://x:99999/eem'}, 'url'),
                              ({'url': 'http://x:port/eem'}, 'url'),
                              ({'url': 'http://[::1/eem'}, 'url'),
                              ({'authentication': []}, 'authentication')]:
            exc = self.assertFails(exception.Invalid, self.driver_call,
                                   'pod_managers', 'POST',
                                   **dict(good, **change))
            self.assertIn(field, str(exc))

    def test_pod_manager_delete(self):
        podm = self.create_podm()
        self.assertEqual({'code': '', 'detail': 'DELETED'},
                         self.driver_call('pod_managers', 'DELETE',
                                          uuid=podm.uuid))
        self.assertFails(exception.NotFound, self.driver_call,
                         'pod_managers', uuid=podm.uuid)

    # Devices

    def test_devices_filters(self):
        self.fabric.add_eesv(1)
        gpu, nic = self.add_pool_devices(self.podm, [(1, 'GPU'), (2, 'NIC')])
        node = compose.compose(self.context, 'n1', podm_uuid=self.podm.uuid,
                               types=['GPU'])
        everything = self.driver_call('devices')['devices']
        self.assertEqual(2, len(everything))
        self.assertEqual({'uuid', 'podm_id', 'type', 'state', 'node_id',
                          'resource_uri', 'pooled_group_id', 'node_uuid',
                          'purpose', 'pci_vendor_id', 'pci_device_id',
                          'vendor_name', 'device_name'}, set(everything[0]))
        by_node = self.driver_call('devices', node_id=node.uuid)['devices']
        by_index = self.driver_call(
            'devices', node_id=node.driver_info['eesv_id'])['devices']
        self.assertEqual([gpu.uuid], [d['uuid'] for d in by_node])
        self.assertEqual(by_node, by_index)
        self.assertEqual(node.driver_info['eesv_id'], by_node[0]['node_id'])
        free = self.driver_call('devices', state='free', type='NIC',
                                pooled_group_id='4093',
                                podm_id=self.podm.uuid)['devices']
        self.assertEqual([nic.uuid], [d['uuid'] for d in free])
        uri = self.driver_call('devices',
                               resource_uri='devices/%s' % nic.eeid)
        self.assertEqual([nic.uuid], [d['uuid'] for d in uri['devices']])

    def test_devices_bad_filters_are_400(self):
        for body, field in [({'state': 'broken'}, 'state'),
                            ({'type': 'FPGA'}, 'type'),
                            ({'pooled_group_id': '5'}, 'pooled_group_id'),
                            ({'pooled_group_id': 'abc'}, 'pooled_group_id'),
                            ({'node_id': 'node1'}, 'node_id'),
                            ({'colour': 'red'}, 'colour')]:
            exc = self.assertFails(exception.Invalid, self.driver_call,
                                   'devices', **body)
            self.assertIn(field, str(exc))

    def test_device_detail(self):
        gpu, = self.add_pool_devices(self.podm, [(1, 'GPU')])
        for ref in (gpu.uuid, gpu.eeid):
            body = self.driver_call('device', uuid=ref)
            self.assertEqual(gpu.uuid, body['uuid'])
            self.assertEqual({'device_id': gpu.eeid, 'mac_address': None,
                              'model': '40g'}, body['properties'])
            self.assertEqual({'vendor_name', 'device_name'},
                             set(body['extra']))
        self.assertFails(exception.NotFound, self.driver_call, 'device',
                         uuid=UNKNOWN_UUID)
        self.assertFails(exception.MissingParameterValue, self.driver_call,
                         'device')

    # Nodes, compose, manage

    def test_compose_answer_and_nodes(self):
        self.fabric.add_eesv(1)
        self.add_pool_devices(self.podm, [(1, 'NIC')])
        body = self.driver_call('compose', 'POST', name='node1',
                                podm_id=self.podm.uuid,
                                properties={'pci_device': {'type': ['NIC']}})
        sv = fakes.eesv_id(1)
        self.assertEqual({'uuid': podm_api.node_uuid_for(self.podm.uuid, sv),
                          'name': 'node1', 'index': sv,
                          'resource_uri': 'devices/%s' % sv}, body)
        nodes = self.driver_call('nodes')['nodes']
        self.assertEqual([body['uuid']], [n['uuid'] for n in nodes])
        self.assertEqual(self.podm.uuid, nodes[0]['podm_id'])
        self.assertNotIn('managed_by', nodes[0])
        detail = self.driver_call('nodes', uuid=body['uuid'])
        self.assertEqual('on', detail['power_state'])
        self.assertEqual('SV01', detail['serial_number'])
        self.assertEqual('host1', detail['host_model'])
        self.assertNotEqual('4094', detail['pooled_group_id'])

    def test_compose_with_flavor(self):
        self.fabric.add_eesv(1)
        self.add_pool_devices(self.podm, [(1, 'SSD')])
        flavor = self.driver_call('flavors', 'POST', name='ssd',
                                  properties={'pci_device': {
                                      'type': ['SSD']}})
        body = self.driver_call('compose', 'POST', name='n1',
                                podm_id=self.podm.uuid,
                                flavor_id=flavor['uuid'])
        self.assertEqual(1, len(api.list_devices(node_uuid=body['uuid'])))

    def test_compose_bad_requests_are_4xx(self):
        cases = [
            ({}, exception.MissingParameterValue, 'name'),
            ({'name': 'n', 'extra': 1}, exception.InvalidParameterValue,
             'extra'),
            ({'name': 'n', 'properties': {'pci_device': {'type': ['XPU']}}},
             exception.InvalidParameterValue, 'type'),
            ({'name': 'n', 'properties': {'pci_device': {'type': 'GPU'}}},
             exception.InvalidParameterValue, 'type'),
            ({'name': 'n', 'flavor_id': UNKNOWN_UUID, 'properties': {}},
             exception.InvalidParameterValue, 'flavor_id'),
            ({'name': 'n', 'podm_id': 'x'}, exception.InvalidParameterValue,
             'podm_id'),
            ({'name': 'n', 'podm_id': UNKNOWN_UUID}, exception.NotFound,
             'podm_id'),
            ({'name': 'n', 'flavor_id': UNKNOWN_UUID}, exception.NotFound,
             'flavor_id'),
            ({'name': 'bad name'}, exception.InvalidParameterValue, 'name'),
            ({'name': 'n', 'properties': {'pci_device': {'type': ['GPU']}}},
             exception.Conflict, 'GPU'),
            ({'name': 'n'}, exception.Conflict, 'server engine'),
        ]
        for body, error, field in cases:
            exc = self.assertFails(error, self.driver_call, 'compose',
                                   'POST', **body)
            self.assertIn(field, str(exc))
            self.assertLess(exc.code, 500)

    def test_manage(self):
        sv = self.fabric.add_eesv(1)
        body = self.driver_call('manage', 'POST', podm_id=self.podm.uuid,
                                node_index=sv)
        self.assertEqual(sv, body['name'])
        self.assertEqual(sv, body['index'])
        exc = self.assertFails(exception.Conflict, self.driver_call,
                               'manage', 'POST', podm_id=self.podm.uuid,
                               node_index=sv)
        self.assertEqual(409, exc.code)
        io = self.fabric.add_eeio(1)
        exc = self.assertFails(exception.InvalidParameterValue,
                               self.driver_call, 'manage', 'POST',
                               podm_id=self.podm.uuid, node_index=io)
        self.assertIn('node_index', str(exc))
        self.assertFails(exception.InvalidParameterValue, self.driver_call,
                         'manage', 'POST', podm_id=self.podm.uuid,
                         node_index='0x12')

    def test_hand_enrolled_node_gets_pod_manager(self):
        node = self.enroll(1, driver_info={
            'eem_address': 'http://other-eem.test:30500/eem',
            'eesv_id': fakes.eesv_id(1)})
        nodes = self.driver_call('nodes')['nodes']
        podm = api.get_pod_manager_by_url('http://other-eem.test:30500/eem')
        self.assertEqual([(node.uuid, podm.uuid)],
                         [(n['uuid'], n['podm_id']) for n in nodes])

    # Sync

    def test_sync_adds_updates_and_marks_missing(self):
        stale, = self.add_pool_devices(self.podm, [(1, 'GPU')])
        del self.fabric.raw[stale.eeid]
        self.fabric.add_eeio(2, 'SSD')   # NVMe class code 0x010802
        self.fabric.add_eeio(3, 'GPU', group_id='200')
        result = self.driver_call('sync', 'POST')['results']
        self.assertEqual([(self.podm.uuid, 'SUCCESS')],
                         [(r['podm_id'], r['status']) for r in result])
        records = {d.eeid: d for d in api.list_devices()}
        self.assertEqual('missing', records[stale.eeid].state)
        self.assertEqual(stale.uuid, records[stale.eeid].uuid)
        self.assertEqual(('SSD', 'free'), (records[fakes.eeio_id(2)].type,
                                           records[fakes.eeio_id(2)].state))
        self.assertEqual('allocated', records[fakes.eeio_id(3)].state)
        self.assertEqual('200', records[fakes.eeio_id(3)].group_id)
        # One devices/detail request for the whole pod manager.
        self.assertEqual(1, self.client.list_devices.call_count)

    def test_sync_failure_is_reported(self):
        self.client.list_devices.side_effect = eem.EEMConnectionError(
            'GET', 'devices/detail', 'refused')
        result = self.driver_call('sync', 'POST', podm_id=self.podm.uuid)
        self.assertEqual('FAILED', result['results'][0]['status'])
        self.assertFails(exception.NotFound, self.driver_call, 'sync',
                         'POST', podm_id=UNKNOWN_UUID)

    # Flavors

    def test_flavors(self):
        created = self.driver_call('flavors', 'POST', name='gpu',
                                   description='one GPU', properties={
                                       'pci_device': {'type': ['GPU']}})
        self.assertEqual('one GPU', created['description'])
        self.assertEqual([created], self.driver_call('flavors')['flavors'])
        self.assertEqual(created,
                         self.driver_call('flavors', uuid=created['uuid']))
        deleted = self.driver_call('flavors', 'DELETE',
                                   uuid=created['uuid'])
        self.assertEqual('DELETED', deleted['code'])
        self.assertFails(exception.NotFound, self.driver_call, 'flavors',
                         uuid=created['uuid'])
        self.assertFails(exception.InvalidParameterValue, self.driver_call,
                         'flavors', 'POST', name='x', properties={
                             'pci_device': {'type': ['FPGA']}})

    # Node passthru

    def _composed(self, types):
        self.fabric.add_eesv(1)
        self.add_pool_devices(self.podm, [(i + 1, t)
                                          for i, t in enumerate(types)])
        return compose.compose(self.context, 'n1', podm_uuid=self.podm.uuid,
                               types=types)

    def test_release_all_and_some(self):
        node = self._composed(['GPU', 'NIC', 'SSD'])
        gpu = api.list_devices(node_uuid=node.uuid, type='GPU')[0]
        body = self.node_call(node.uuid, 'release',
                              resource_ids=[gpu.eeid])
        self.assertEqual([gpu.uuid], body['released'])
        self.assertEqual('4093', self.fabric.group(gpu.eeid))
        node.refresh()
        self.assertEqual({'CUSTOM_EXPETHER_NIC', 'CUSTOM_EXPETHER_SSD'},
                         set(objects.TraitList.get_by_node_id(
                             self.context, node.id).get_trait_names()))
        body = self.node_call(node.uuid, 'release')
        self.assertEqual(2, len(body['released']))
        self.assertEqual([], api.list_devices(node_uuid=node.uuid))
        node.refresh()
        self.assertNotIn(compose.DEVICES_PROPERTY, node.properties)

    def test_detach_of_another_nodes_device_is_refused(self):
        node = self._composed(['GPU'])
        other = self.enroll(2)
        self.fabric.add_eesv(2)
        gpu = api.list_devices(node_uuid=node.uuid)[0]
        exc = self.assertFails(exception.Conflict, self.node_call,
                               other.uuid, 'detach', resource_id=gpu.uuid)
        self.assertIn(node.uuid, str(exc))
        self.assertEqual('allocated', api.get_device(gpu.uuid).state)
        self.assertEqual(self.fabric.group(node.driver_info['eesv_id']),
                         self.fabric.group(gpu.eeid))

    def test_attach_device_of_another_pod_manager_is_refused(self):
        other = self.create_podm()
        io, = self.add_pool_devices(other, [(5, 'GPU')])
        node = self._composed([])
        self.assertFails(exception.NotFound, self.node_call, node.uuid,
                         'attach', resource_id=io.uuid)
        self.assertEqual('free', api.get_device(io.uuid).state)

    def test_register_without_mac(self):
        node = self._composed([])
        body = self.node_call(node.uuid, 'register',
                              driver_info={'redfish_username': 'admin',
                                           'redfish_password': 'bmc-pw'})
        self.assertEqual('ironic', body['managed_by'])
        self.assertEqual('manageable', body['provision_state'])
        for key in ('uuid', 'name', 'index', 'resource_uri', 'podm_id',
                    'created_at', 'updated_at'):
            self.assertIn(key, body)
        self.assertNotIn('bmc-pw', json.dumps(body))
        node.refresh()
        self.assertEqual(states.MANAGEABLE, node.provision_state)
        self.assertEqual('admin', node.driver_info['redfish_username'])
        self.assertEqual(fakes.eesv_id(1), node.driver_info['eesv_id'])
        self.assertEqual([], objects.Port.list_by_node_id(self.context,
                                                          node.id))

    def test_register_with_mac_creates_port(self):
        node = self._composed([])
        self.node_call(node.uuid, 'register',
                       driver_info={'redfish_username': 'admin'},
                       mac='52:54:00:AA:BB:CC')
        ports = objects.Port.list_by_node_id(self.context, node.id)
        self.assertEqual(['52:54:00:aa:bb:cc'], [p.address for p in ports])

    def test_register_refused_changes_nothing(self):
        node = self._composed([])
        node.last_error = 'earlier'
        node.save()
        before = dict(node.driver_info)
        with mock.patch.object(power.ExpEtherPower, 'get_power_state',
                               autospec=True,
                               side_effect=exception.InvalidParameterValue(
                                   'BMC address cannot be resolved')):
            exc = self.assertFails(
                exception.InvalidParameterValue, self.node_call, node.uuid,
                'register', driver_info={'address': 'address',
                                         'username': 'admin',
                                         'password': 'bmc-pw-77'},
                mac='52:54:00:AA:BB:CD')
        self.assertIn('driver_info', str(exc))
        self.assertIn('BMC address cannot be resolved', str(exc))
        self.assertNotIn('bmc-pw-77', str(exc))
        node.refresh()
        self.assertEqual(states.ENROLL, node.provision_state)
        self.assertEqual(before, node.driver_info)
        self.assertEqual('earlier', node.last_error)
        self.assertEqual([], objects.Port.list_by_node_id(self.context,
                                                          node.id))

    def test_register_refused_on_manageable_node(self):
        node = self._composed([])
        self.node_call(node.uuid, 'register',
                       driver_info={'redfish_username': 'admin'})
        node.refresh()
        before = dict(node.driver_info)
        with mock.patch.object(power.ExpEtherPower, 'get_power_state',
                               autospec=True,
                               side_effect=exception.InvalidParameterValue(
                                   'no such host')):
            exc = self.assertFails(
                exception.InvalidParameterValue, self.node_call, node.uuid,
                'register', driver_info={'address': 'address'})
        self.assertIn('no such host', str(exc))
        node.refresh()
        self.assertEqual(states.MANAGEABLE, node.provision_state)
        self.assertEqual(before, node.driver_info)

    def test_register_bad_bodies_are_4xx(self):
        node = self._composed([])
        for body, field in [({}, 'driver_info'),
                            ({'driver_info': {'nope': 1}}, 'nope'),
                            ({'driver_info': {'username': 'a'},
                              'driver': 'pxe_ipmitool'}, 'driver'),
                            ({'driver_info': {'username': 'a'},
                              'mac': 'zz'}, 'mac'),
                            ({'driver_info': {'address': 'h',
                                              'ipmi_address': 'h2'}},
                             'address')]:
            exc = self.assertFails(exception.Invalid, self.node_call,
                                   node.uuid, 'register', **body)
            self.assertIn(field, str(exc))
        node.refresh()
        self.assertEqual(states.ENROLL, node.provision_state)

    def test_bmc_driver_info_mapping(self):
        self.assertEqual(
            {'redfish_address': 'https://bmc', 'redfish_username': 'u',
             'redfish_password': 'p', 'redfish_system_id': '/S/1'},
            passthru.bmc_driver_info({'address': 'https://bmc',
                                      'username': 'u', 'password': 'p',
                                      'system_id': '/S/1'}))
        self.assertEqual(
            {'ipmi_address': '192.0.2.1', 'ipmi_username': 'u',
             'ipmi_password': 'p', 'ipmi_port': '623'},
            passthru.bmc_driver_info({'address': '192.0.2.1',
                                      'username': 'u', 'password': 'p',
                                      'port': 623}))

    def test_bmc_driver_info_splits_a_system_url(self):
        self.assertEqual(
            {'redfish_address': 'http://127.0.0.1:8000',
             'redfish_system_id': '/redfish/v1/Systems/abc',
             'redfish_username': 'u'},
            passthru.bmc_driver_info({
                'address': 'http://127.0.0.1:8000/redfish/v1/Systems/abc/',
                'username': 'u'}))
        # An explicit system_id wins; a bare service root stays as it is.
        self.assertEqual(
            {'redfish_address': 'https://bmc/redfish/v1/Systems/x',
             'redfish_system_id': '/S/1'},
            passthru.bmc_driver_info({
                'address': 'https://bmc/redfish/v1/Systems/x',
                'system_id': '/S/1'}))
        self.assertEqual(
            {'redfish_address': 'https://bmc/redfish/v1/Systems/'},
            passthru.bmc_driver_info({
                'address': 'https://bmc/redfish/v1/Systems/'}))

    def test_unknown_key_collisions_never_500(self):
        for method, verb in [('compose', 'POST'), ('nodes', 'GET'),
                             ('sync', 'POST'), ('flavors', 'DELETE'),
                             ('pod_managers', 'GET')]:
            exc = self.assertFails(exception.IronicException,
                                   self.driver_call, method, verb,
                                   context='x', uuid=42)
            self.assertLess(exc.code, 500, method)

    def test_misspelt_field_named_before_missing_one(self):
        exc = self.assertFails(exception.InvalidParameterValue,
                               self.driver_call, 'compose', 'POST',
                               nmae='n1')
        self.assertIn('unknown field(s) nmae', str(exc))
        exc = self.assertFails(exception.MissingParameterValue,
                               self.driver_call, 'compose', 'POST')
        self.assertIn('missing required field(s) name', str(exc))
