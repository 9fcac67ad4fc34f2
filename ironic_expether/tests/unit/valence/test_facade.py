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

"""Tests of the Valence-compatible WSGI application (Ironic mocked)."""

import json
import logging
from unittest import mock

import ddt
import fixtures
from oslotest import base
import webob

from ironic_expether.valence import errors
from ironic_expether.valence import facade
from ironic_expether.valence import ironic_client

PODM_ID = 'da5b1fba-e8bb-42be-baff-66ccb74087aa'
NODE_ID = '1ed6bba0-6354-4f57-aa61-09c15d5955bb'
DEVICE_ID = 'f3f57251-4213-487d-a471-8a2e5b1e18e4'
FLAVOR_ID = '11111111-1111-1111-1111-111111111111'
SECRET = 'Sup3r-s3cret-EEM-pass'


def _ironic_fault(status, message):
    """Ironic's error for ``message`` as the client raises it."""
    body = json.dumps({'error_message': json.dumps(
        {'faultcode': 'Client', 'faultstring': message, 'debuginfo': None})})
    return errors.from_ironic(status, body)


class FacadeTestCase(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.ironic = mock.create_autospec(ironic_client.IronicClient,
                                           instance=True)
        self.app = facade.ValenceAPI(self.ironic, max_body_size=4096)

    def call(self, method, path, body=None, raw=None, query=None):
        """Send one request through the WSGI app; return the response."""
        url = path + ('?' + query if query else '')
        request = webob.Request.blank(url, method=method)
        if raw is not None:
            request.body = raw
        elif body is not None:
            request.body = json.dumps(body).encode('utf-8')
        if raw is not None or body is not None:
            request.content_type = 'application/json'
        return request.get_response(self.app)

    def assertValenceError(self, response, status, detail_part=None,
                           title=None):
        self.assertEqual(status, response.status_int)
        body = response.json
        self.assertEqual(['code', 'detail', 'request_id', 'status', 'title'],
                         sorted(body))
        self.assertEqual(status, body['status'])
        self.assertEqual(response.headers['X-OpenStack-Request-Id'],
                         body['request_id'])
        self.assertEqual(errors.reason_phrase(status), body['code'])
        if detail_part is not None:
            self.assertIn(detail_part, body['detail'])
        if title is not None:
            self.assertEqual(title, body['title'])
        return body


class PodManagerTestCase(FacadeTestCase):

    def test_list_is_bare(self):
        podms = [{'uuid': PODM_ID, 'name': 'podm1'}]
        self.ironic.driver_passthru.return_value = {'pod_managers': podms}
        response = self.call('GET', '/v1/pod_managers')
        self.assertEqual(200, response.status_int)
        self.assertEqual('application/json', response.content_type)
        self.assertEqual(podms, response.json)
        self.ironic.driver_passthru.assert_called_once_with(
            'pod_managers', 'GET', {}, request_id=mock.ANY)

    def test_create(self):
        body = {'url': 'http://127.0.0.1:8080/eem', 'name': 'podm1',
                'driver': 'expether',
                'authentication': [{'type': 'basic', 'auth_items': {
                    'username': 'admin', 'password': SECRET}}]}
        answer = dict(body, uuid=PODM_ID, status='Online')
        self.ironic.driver_passthru.return_value = answer
        response = self.call('POST', '/v1/pod_managers', body)
        self.assertEqual(200, response.status_int)
        self.assertEqual(answer, response.json)
        self.ironic.driver_passthru.assert_called_once_with(
            'pod_managers', 'POST', body,
            request_id=response.headers['X-OpenStack-Request-Id'])

    def test_show(self):
        self.ironic.driver_passthru.return_value = {'uuid': PODM_ID}
        response = self.call('GET', '/v1/pod_managers/%s/' % PODM_ID)
        self.assertEqual(200, response.status_int)
        self.assertEqual({'uuid': PODM_ID}, response.json)
        self.ironic.driver_passthru.assert_called_once_with(
            'pod_managers', 'GET', {'uuid': PODM_ID}, request_id=mock.ANY)

    def test_delete_adds_request_id(self):
        self.ironic.driver_passthru.return_value = {'code': '',
                                                    'detail': 'DELETED'}
        response = self.call('DELETE', '/v1/pod_managers/%s' % PODM_ID)
        self.assertEqual(200, response.status_int)
        self.assertEqual(
            {'request_id': response.headers['X-OpenStack-Request-Id'],
             'code': '', 'detail': 'DELETED'}, response.json)
        self.ironic.driver_passthru.assert_called_once_with(
            'pod_managers', 'DELETE', {'uuid': PODM_ID}, request_id=mock.ANY)

    def test_create_password_never_logged(self):
        logger = self.useFixture(fixtures.FakeLogger(level=logging.DEBUG))
        body = {'name': 'podm1', 'url': 'http://127.0.0.1:1/eem',
                'authentication': [{'type': 'basic', 'auth_items': {
                    'username': 'admin', 'password': SECRET}}]}
        self.ironic.driver_passthru.side_effect = _ironic_fault(
            401, 'EEM refused the credentials of user admin')
        response = self.call('POST', '/v1/pod_managers', body)
        self.assertValenceError(response, 401, 'refused',
                                title='Authorization Error')
        self.ironic.driver_passthru.side_effect = None
        self.ironic.driver_passthru.return_value = dict(body, uuid=PODM_ID)
        self.call('POST', '/v1/pod_managers', body)
        self.call('POST', '/v1/pod_managers',
                  raw=json.dumps(body).encode()[:-1])
        self.assertIn('POST /v1/pod_managers', logger.output)
        self.assertNotIn(SECRET, logger.output)


class NodeTestCase(FacadeTestCase):

    def test_list_is_bare(self):
        nodes = [{'uuid': NODE_ID, 'name': 'node1', 'podm_id': PODM_ID}]
        self.ironic.driver_passthru.return_value = {'nodes': nodes}
        response = self.call('GET', '/v1/nodes/')
        self.assertEqual(200, response.status_int)
        self.assertEqual(nodes, response.json)
        self.ironic.driver_passthru.assert_called_once_with(
            'nodes', 'GET', {}, request_id=mock.ANY)

    def test_list_filters(self):
        nodes = [{'uuid': NODE_ID, 'name': 'node1', 'podm_id': PODM_ID},
                 {'uuid': 'other', 'name': 'node2', 'podm_id': 'x'}]
        self.ironic.driver_passthru.return_value = {'nodes': nodes}
        response = self.call('GET', '/v1/nodes',
                             query='podm_id=%s&name=node1' % PODM_ID)
        self.assertEqual(200, response.status_int)
        self.assertEqual(nodes[:1], response.json)

    def test_list_unknown_filter(self):
        self.ironic.driver_passthru.return_value = {'nodes': []}
        response = self.call('GET', '/v1/nodes', query='colour=red')
        self.assertValenceError(response, 400, 'colour')

    def test_list_repeated_filter(self):
        response = self.call('GET', '/v1/nodes', query='name=a&name=b')
        self.assertValenceError(response, 400, 'name')
        self.ironic.driver_passthru.assert_not_called()

    def test_compose_with_properties(self):
        body = {'podm_id': PODM_ID, 'name': 'node1',
                'properties': {'pci_device': {'type': ['NIC']}}}
        answer = {'index': '0x000000000000', 'name': 'node1',
                  'resource_uri': 'devices/0x000000000000', 'uuid': NODE_ID}
        self.ironic.driver_passthru.return_value = answer
        response = self.call('POST', '/v1/nodes', body)
        self.assertEqual(200, response.status_int)
        self.assertEqual(answer, response.json)
        self.ironic.driver_passthru.assert_called_once_with(
            'compose', 'POST', body, request_id=mock.ANY)

    def test_compose_with_flavor(self):
        body = {'podm_id': PODM_ID, 'name': 'node1', 'flavor_id': FLAVOR_ID}
        self.ironic.driver_passthru.return_value = {'uuid': NODE_ID}
        response = self.call('POST', '/v1/nodes', body)
        self.assertEqual(200, response.status_int)
        self.ironic.driver_passthru.assert_called_once_with(
            'compose', 'POST', body, request_id=mock.ANY)

    def test_compose_error_translated(self):
        self.ironic.driver_passthru.side_effect = _ironic_fault(
            400, 'Unknown device type "TPU" in properties.pci_device.type')
        response = self.call('POST', '/v1/nodes', {'name': 'n'})
        self.assertValenceError(response, 400, 'properties.pci_device.type',
                                title='Bad Request')

    def test_manage(self):
        body = {'podm_id': PODM_ID, 'node_index': '0x8cdf9d535b14'}
        self.ironic.driver_passthru.return_value = {'uuid': NODE_ID}
        response = self.call('POST', '/v1/nodes/manage', body)
        self.assertEqual(200, response.status_int)
        self.assertEqual({'uuid': NODE_ID}, response.json)
        self.ironic.driver_passthru.assert_called_once_with(
            'manage', 'POST', body, request_id=mock.ANY)

    def test_manage_conflict(self):
        self.ironic.driver_passthru.side_effect = _ironic_fault(
            409, "Node '0x8cdf9d535b14' is already managed")
        response = self.call('POST', '/v1/nodes/manage',
                             {'podm_id': PODM_ID, 'node_index': 'x'})
        self.assertValenceError(response, 409, 'already managed',
                                title='Resource Already Exists')

    def test_show(self):
        self.ironic.driver_passthru.return_value = {'uuid': NODE_ID}
        response = self.call('GET', '/v1/nodes/%s' % NODE_ID)
        self.assertEqual(200, response.status_int)
        self.ironic.driver_passthru.assert_called_once_with(
            'nodes', 'GET', {'uuid': NODE_ID}, request_id=mock.ANY)

    def test_show_not_found(self):
        self.ironic.driver_passthru.side_effect = _ironic_fault(
            404, 'Node %s could not be found.' % NODE_ID)
        response = self.call('GET', '/v1/nodes/%s' % NODE_ID)
        self.assertValenceError(response, 404, NODE_ID,
                                title='Resource could not be found')

    def test_delete_releases_then_deletes(self):
        self.ironic.get_node.return_value = {
            'uuid': NODE_ID, 'provision_state': 'manageable',
            'maintenance': False, 'instance_uuid': None, 'protected': False}
        response = self.call('DELETE', '/v1/nodes/node1')
        self.assertEqual(204, response.status_int)
        self.assertEqual(b'', response.body)
        self.ironic.node_passthru.assert_called_once_with(
            NODE_ID, 'release', 'POST', {}, request_id=mock.ANY)
        self.ironic.delete_node.assert_called_once_with(
            NODE_ID, request_id=mock.ANY)

    def test_delete_refused_before_release(self):
        self.ironic.get_node.return_value = {
            'uuid': NODE_ID, 'provision_state': 'active',
            'maintenance': False, 'instance_uuid': None, 'protected': False}
        response = self.call('DELETE', '/v1/nodes/%s' % NODE_ID)
        self.assertValenceError(response, 409, 'active', title='Conflict')
        self.ironic.node_passthru.assert_not_called()
        self.ironic.delete_node.assert_not_called()

    def test_delete_with_instance_refused(self):
        self.ironic.get_node.return_value = {
            'uuid': NODE_ID, 'provision_state': 'available',
            'maintenance': False, 'instance_uuid': 'i-1',
            'protected': False}
        response = self.call('DELETE', '/v1/nodes/%s' % NODE_ID)
        self.assertValenceError(response, 409, 'i-1')
        self.ironic.node_passthru.assert_not_called()

    def test_delete_in_maintenance_allowed(self):
        self.ironic.get_node.return_value = {
            'uuid': NODE_ID, 'provision_state': 'active',
            'maintenance': True, 'instance_uuid': 'i-1', 'protected': False}
        response = self.call('DELETE', '/v1/nodes/%s' % NODE_ID)
        self.assertEqual(204, response.status_int)
        self.ironic.delete_node.assert_called_once_with(
            NODE_ID, request_id=mock.ANY)

    def test_delete_unknown_node(self):
        self.ironic.get_node.side_effect = _ironic_fault(
            404, 'Node foo could not be found.')
        response = self.call('DELETE', '/v1/nodes/foo')
        self.assertValenceError(response, 404, 'foo')

    def test_register(self):
        body = {'driver_info': {'username': 'admin', 'password': SECRET,
                                'address': 'address'}}
        answer = {'uuid': NODE_ID, 'managed_by': 'ironic'}
        self.ironic.node_passthru.return_value = answer
        logger = self.useFixture(fixtures.FakeLogger(level=logging.DEBUG))
        response = self.call('POST', '/v1/nodes/%s/register' % NODE_ID, body)
        self.assertEqual(200, response.status_int)
        self.assertEqual(answer, response.json)
        self.ironic.node_passthru.assert_called_once_with(
            NODE_ID, 'register', 'POST', body, request_id=mock.ANY)
        self.assertNotIn(SECRET, logger.output)

    def test_register_empty_body(self):
        response = self.call('POST', '/v1/nodes/%s/register' % NODE_ID)
        self.assertValenceError(response, 400, 'empty')
        self.ironic.node_passthru.assert_not_called()


@ddt.ddt
class NodeActionTestCase(FacadeTestCase):

    @ddt.data('attach', 'detach')
    def test_attach_detach(self, action):
        self.ironic.node_passthru.return_value = {'uuid': DEVICE_ID}
        response = self.call('POST', '/v1/nodes/%s/action' % NODE_ID,
                             {action: {'resource_id': DEVICE_ID}})
        self.assertEqual(204, response.status_int)
        self.assertEqual(b'', response.body)
        self.assertIn('X-OpenStack-Request-Id', response.headers)
        self.ironic.node_passthru.assert_called_once_with(
            NODE_ID, action, 'POST', {'resource_id': DEVICE_ID},
            request_id=mock.ANY)

    def test_attach_conflict(self):
        self.ironic.node_passthru.side_effect = _ironic_fault(
            409, 'Device %s is attached to another node' % DEVICE_ID)
        response = self.call('POST', '/v1/nodes/%s/action' % NODE_ID,
                             {'attach': {'resource_id': DEVICE_ID}})
        self.assertValenceError(response, 409, DEVICE_ID)

    @ddt.data(({'attach': {'resource_id': ''}}, 'attach/resource_id'),
              ({'attach': {}}, 'resource_id'),
              ({'attach': {'resource_id': 'a'}, 'detach': {
                  'resource_id': 'a'}}, 'too many'),
              ({}, 'non-empty'),
              ({'Reboot': {}}, 'Reboot'),
              ({'Reset': {'Type': 'Explode'}}, 'Explode'),
              ({'Boot': {'Enabled': 'Once'}}, 'Target'))
    @ddt.unpack
    def test_invalid_action(self, body, detail):
        response = self.call('POST', '/v1/nodes/%s/action' % NODE_ID, body)
        self.assertValenceError(response, 400, detail,
                                title='Validation Error')
        self.ironic.node_passthru.assert_not_called()
        self.ironic.set_power_state.assert_not_called()

    @ddt.data(('On', 'power on'), ('ForceOn', 'power on'),
              ('ForceOff', 'power off'),
              ('GracefulRestart', 'soft rebooting'))
    @ddt.unpack
    def test_reset(self, reset_type, target):
        response = self.call('POST', '/v1/nodes/%s/action' % NODE_ID,
                             {'Reset': {'Type': reset_type}})
        self.assertEqual(204, response.status_int)
        self.ironic.set_power_state.assert_called_once_with(
            NODE_ID, target, request_id=mock.ANY)

    @ddt.data(('Pxe', 'Once', 'pxe', False),
              ('Hdd', 'Continuous', 'disk', True))
    @ddt.unpack
    def test_boot(self, target, enabled, device, persistent):
        response = self.call('POST', '/v1/nodes/%s/action' % NODE_ID,
                             {'Boot': {'Target': target, 'Enabled': enabled}})
        self.assertEqual(204, response.status_int)
        self.ironic.set_boot_device.assert_called_once_with(
            NODE_ID, device, persistent, request_id=mock.ANY)

    def test_boot_target_none(self):
        response = self.call('POST', '/v1/nodes/%s/action' % NODE_ID,
                             {'Boot': {'Target': 'None', 'Enabled': 'Once'}})
        self.assertValenceError(response, 400, 'None')
        self.ironic.set_boot_device.assert_not_called()

    def test_reset_without_bmc(self):
        self.ironic.set_power_state.side_effect = _ironic_fault(
            400, 'Node has no BMC: set redfish_address or ipmi_address')
        response = self.call('POST', '/v1/nodes/%s/action' % NODE_ID,
                             {'Reset': {'Type': 'On'}})
        self.assertValenceError(response, 400, 'no BMC')


class DeviceTestCase(FacadeTestCase):

    def test_list_is_bare_and_filters_forwarded(self):
        devices = [{'uuid': DEVICE_ID, 'state': 'free', 'type': 'NIC'}]
        self.ironic.driver_passthru.return_value = {'devices': devices}
        response = self.call('GET', '/v1/devices',
                             query='state=free&podm_id=%s' % PODM_ID)
        self.assertEqual(200, response.status_int)
        self.assertEqual(devices, response.json)
        self.ironic.driver_passthru.assert_called_once_with(
            'devices', 'GET', {'state': 'free', 'podm_id': PODM_ID},
            request_id=mock.ANY)

    def test_list_unknown_filter_from_ironic(self):
        self.ironic.driver_passthru.side_effect = _ironic_fault(
            400, 'Unknown argument "colour"')
        response = self.call('GET', '/v1/devices', query='colour=red')
        self.assertValenceError(response, 400, 'colour')

    def test_show(self):
        self.ironic.driver_passthru.return_value = {'uuid': DEVICE_ID}
        response = self.call('GET', '/v1/devices/%s' % DEVICE_ID)
        self.assertEqual(200, response.status_int)
        self.ironic.driver_passthru.assert_called_once_with(
            'device', 'GET', {'uuid': DEVICE_ID}, request_id=mock.ANY)

    def test_sync_without_body(self):
        results = [{'podm_id': PODM_ID, 'status': 'SUCCESS'}]
        self.ironic.driver_passthru.return_value = {'results': results}
        response = self.call('POST', '/v1/devices/sync')
        self.assertEqual(200, response.status_int)
        self.assertEqual(results, response.json)
        self.ironic.driver_passthru.assert_called_once_with(
            'sync', 'POST', {}, request_id=mock.ANY)

    def test_sync_one_podm(self):
        self.ironic.driver_passthru.return_value = {'results': []}
        response = self.call('POST', '/v1/devices/sync/',
                             {'podm_id': PODM_ID})
        self.assertEqual(200, response.status_int)
        self.ironic.driver_passthru.assert_called_once_with(
            'sync', 'POST', {'podm_id': PODM_ID}, request_id=mock.ANY)

    def test_sync_bad_json(self):
        response = self.call('POST', '/v1/devices/sync', raw=b'podm_id=1')
        self.assertValenceError(response, 400, 'not valid JSON')
        self.ironic.driver_passthru.assert_not_called()

    def test_deeply_nested_json(self):
        response = self.call('POST', '/v1/nodes',
                             raw=b'[' * 2000 + b']' * 2000)
        self.assertValenceError(response, 400, 'nested too deeply')
        self.ironic.driver_passthru.assert_not_called()

    def test_get_manage_is_a_node(self):
        # Like Flask: the static route serves POST only.
        self.ironic.driver_passthru.return_value = {'uuid': NODE_ID}
        response = self.call('GET', '/v1/nodes/manage')
        self.assertEqual(200, response.status_int)
        self.ironic.driver_passthru.assert_called_once_with(
            'nodes', 'GET', {'uuid': 'manage'}, request_id=mock.ANY)

    def test_get_sync_is_a_device(self):
        # Like Flask: the static route serves POST only.
        self.ironic.driver_passthru.side_effect = _ironic_fault(
            404, 'Device sync not found')
        response = self.call('GET', '/v1/devices/sync')
        self.assertValenceError(response, 404)
        self.ironic.driver_passthru.assert_called_once_with(
            'device', 'GET', {'uuid': 'sync'}, request_id=mock.ANY)


class FlavorTestCase(FacadeTestCase):

    def test_list_is_bare(self):
        self.ironic.driver_passthru.return_value = {'flavors': [
            {'uuid': FLAVOR_ID}]}
        response = self.call('GET', '/v1/flavors')
        self.assertEqual([{'uuid': FLAVOR_ID}], response.json)

    def test_create(self):
        body = {'name': 'nic', 'properties': {'pci_device': {
            'type': ['NIC']}}}
        self.ironic.driver_passthru.return_value = dict(body, uuid=FLAVOR_ID)
        response = self.call('POST', '/v1/flavors', body)
        self.assertEqual(200, response.status_int)
        self.assertEqual(FLAVOR_ID, response.json['uuid'])
        self.ironic.driver_passthru.assert_called_once_with(
            'flavors', 'POST', body, request_id=mock.ANY)

    def test_show(self):
        self.ironic.driver_passthru.return_value = {'uuid': FLAVOR_ID}
        response = self.call('GET', '/v1/flavors/%s' % FLAVOR_ID)
        self.assertEqual(200, response.status_int)
        self.ironic.driver_passthru.assert_called_once_with(
            'flavors', 'GET', {'uuid': FLAVOR_ID}, request_id=mock.ANY)

    def test_delete(self):
        detail = 'This flavor %s has been deleted successfully' % FLAVOR_ID
        self.ironic.driver_passthru.return_value = {'code': 'DELETED',
                                                    'detail': detail}
        response = self.call('DELETE', '/v1/flavors/%s' % FLAVOR_ID)
        self.assertEqual(200, response.status_int)
        self.assertEqual({'request_id': response.json['request_id'],
                          'code': 'DELETED', 'detail': detail},
                         response.json)
        self.assertTrue(response.json['request_id'].startswith('req-'))


@ddt.ddt
class RequestHandlingTestCase(FacadeTestCase):

    @ddt.data('/v2', '/v1/systems', '/v1/nodes/a/b/c', '/v1/pod_managers/a/b')
    def test_unknown_path(self, path):
        response = self.call('GET', path)
        self.assertValenceError(response, 404, path,
                                title='Resource could not be found')

    @ddt.data(('PUT', '/v1/nodes', 'GET, POST'),
              ('PATCH', '/v1/pod_managers/x', 'DELETE, GET'),
              ('DELETE', '/v1/devices', 'GET'),
              ('GET', '/v1/nodes/x/action', 'POST'))
    @ddt.unpack
    def test_wrong_verb(self, method, path, allowed):
        response = self.call(method, path)
        self.assertValenceError(response, 405, method)
        self.assertEqual(allowed, response.headers['Allow'])
        self.ironic.driver_passthru.assert_not_called()

    @ddt.data((b'{"name": ', 'not valid JSON'),
              (b'[1, 2]', 'JSON object, not a JSON list'),
              (b'"text"', 'JSON object'),
              (b'\xff\xfe', 'UTF-8'),
              (b'', 'empty'))
    @ddt.unpack
    def test_bad_body(self, raw, detail):
        response = self.call('POST', '/v1/nodes', raw=raw)
        self.assertValenceError(response, 400, detail, title='Bad Request')
        self.ironic.driver_passthru.assert_not_called()

    def test_body_too_large(self):
        response = self.call('POST', '/v1/nodes',
                             {'name': 'x' * 5000})
        self.assertValenceError(response, 413, '4096')
        self.ironic.driver_passthru.assert_not_called()

    def test_request_ids_are_unique(self):
        self.ironic.driver_passthru.return_value = {'flavors': []}
        first = self.call('GET', '/v1/flavors')
        second = self.call('GET', '/v1/flavors')
        self.assertNotEqual(first.headers['X-OpenStack-Request-Id'],
                            second.headers['X-OpenStack-Request-Id'])
        ids = [c.kwargs['request_id']
               for c in self.ironic.driver_passthru.call_args_list]
        self.assertEqual([first.headers['X-OpenStack-Request-Id'],
                          second.headers['X-OpenStack-Request-Id']], ids)

    @ddt.data(400, 401, 403, 404, 409, 503)
    def test_ironic_error_translated(self, status):
        self.ironic.driver_passthru.side_effect = _ironic_fault(
            status, 'message for %d' % status)
        response = self.call('GET', '/v1/flavors')
        body = self.assertValenceError(response, status)
        self.assertEqual('message for %d' % status, body['detail'])

    def test_ironic_unreachable(self):
        self.ironic.driver_passthru.side_effect = errors.IronicUnavailable(
            'The Ironic API at http://127.0.0.1:1 is unavailable: '
            'connection refused or failed.')
        response = self.call('GET', '/v1/devices')
        self.assertValenceError(response, 503, 'unavailable',
                                title='Connection Error')

    def test_contract_violation_is_502(self):
        self.ironic.driver_passthru.return_value = [{'uuid': DEVICE_ID}]
        response = self.call('GET', '/v1/devices')
        self.assertValenceError(response, 502, '"devices"')

    def test_unexpected_error_is_logged_500(self):
        logger = self.useFixture(fixtures.FakeLogger(level=logging.DEBUG))
        self.ironic.driver_passthru.side_effect = RuntimeError('boom')
        response = self.call('GET', '/v1/flavors')
        body = self.assertValenceError(response, 500)
        self.assertIn(body['request_id'], body['detail'])
        self.assertNotIn('boom', body['detail'])
        self.assertIn('boom', logger.output)

    def test_root(self):
        for path in ('/', '/v1', '/v1/'):
            response = self.call('GET', path)
            self.assertEqual(200, response.status_int, path)
        self.ironic.driver_passthru.assert_not_called()
