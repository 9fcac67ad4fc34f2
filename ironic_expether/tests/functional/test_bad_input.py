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

"""Careless input, table-driven, against one standalone stack.

Every passthru method of the ``expether`` driver (driver and node), every
path of the Valence facade and every EEM path of the emulator get bodies
and ids a careless or hostile client sends: missing fields, wrong types,
unknown keys, empty and 1 MiB strings, deeply nested JSON, bytes that are
not UTF-8, JSON that is not an object, ids that are not ids or contain
path traversal, group ids out of range, unknown device types, uuids that
name something else, wrong verbs and content types. Each answer must be a
4xx whose message names the field (or the fault of the body), never a
5xx; and the pool, EEM and Ironic must be the same after each request as
before it.
"""

import collections
import json
import os
import subprocess

import bcrypt
import requests

from ironic_expether.standalone import stack as stack_mod
from ironic_expether.tests.functional import base

DRIVER = '/v1/drivers/expether/vendor_passthru/'
MIB = 1024 * 1024
RANDOM_UUID = '3f2c9a4e-8b1d-4e6f-9a7c-5d0e1b2c3a4f'
NOT_UTF8 = b'{"name": "\xff\xfe\xfa"}'


def _deep(depth=5000):
    return ('{"a": ' * depth + '1' + '}' * depth).encode()


#: One request of the table.
#: target: 'ironic', 'valence' or 'eem'; path: with {node}, {device},
#: {eesv}, {eeio}, {podm}, {flavor} placeholders; body: a JSON-able object,
#: bytes (sent as they are) or None; expect: the 4xx status, or None for
#: any 4xx; words: what the message must contain (the field's name, or the
#: fault of the body), case-insensitive.
Case = collections.namedtuple(
    'Case', 'name target method path body expect words headers')


def case(name, target, method, path, body=None, expect=None, words=(),
         headers=None):
    if isinstance(words, str):
        words = (words,)
    return Case(name, target, method, path, body, expect, tuple(words),
                headers or {})


_POD = {'name': 'pod-x', 'url': 'http://127.0.0.1:9/eem',
        'authentication': [{'type': 'basic', 'auth_items': {
            'username': 'u', 'password': 'p'}}]}


def _pod(**changes):
    body = json.loads(json.dumps(_POD))
    body.update(changes)
    return body


#: Ironic 39 itself answers 500 to these bodies, before the plugin is
#: reached: the API parses a body that is not JSON without catching the
#: error, and the conductor stores ``http_method`` into a body that is not
#: an object (driver passthru) or passes it as ``**kwargs`` to the vendor
#: interface's ``validate`` (node passthru). The table keeps them, expects
#: Ironic's message, and still checks that nothing changed.
IRONIC_500 = 'ironic-500'
_IRONIC_NOT_JSON = 'expecting value'
_IRONIC_NOT_OBJECT = ('list indices must be integers',
                      'does not support item assignment',
                      'must be a mapping')


def _generic_body_cases(prefix, target, method, path, large=True):
    """The body faults every JSON method must refuse."""
    ironic = target == 'ironic'
    if not large:
        # NOTE(expether): Ironic's middleware refuses every large body the
        # same way; a few methods are enough.
        return [c for c in _generic_body_cases(prefix, target, method, path)
                if 'MiB' not in c.name]
    cases = [] if ironic else [
        case(prefix + ' null body', target, method, path, b'null', 400,
             'object')]
    return cases + [
        case(prefix + ' list body', target, method, path, [],
             IRONIC_500 if ironic else 400,
             _IRONIC_NOT_OBJECT if ironic else 'object'),
        case(prefix + ' string body', target, method, path, 'x',
             IRONIC_500 if ironic else 400,
             _IRONIC_NOT_OBJECT if ironic else 'object'),
        case(prefix + ' not json', target, method, path, b'{"name": ',
             IRONIC_500 if ironic else 400,
             _IRONIC_NOT_JSON if ironic else 'json'),
        # NOTE(expether): Ironic answers 400 without a message here.
        case(prefix + ' not utf-8', target, method, path, NOT_UTF8, 400,
             () if ironic else 'utf'),
        case(prefix + ' deeply nested', target, method, path, _deep(), 400,
             ('depth', 'nested')),
        # NOTE(expether): Ironic refuses a body over
        # [api]max_json_body_size before reading it.
        case(prefix + ' 1 MiB unknown key', target, method, path,
             {'x' * MIB: 1}, 413, 'too large'),
        case(prefix + ' wrong content type', target, method, path,
             b'{"bogus": 1}', headers={'Content-Type': 'text/plain'}),
    ]


def driver_cases():
    cases = []
    for method, verb in (('pod_managers', 'POST'), ('compose', 'POST'),
                         ('manage', 'POST'), ('sync', 'POST'),
                         ('flavors', 'POST'), ('devices', 'GET'),
                         ('device', 'GET'), ('nodes', 'GET')):
        path = DRIVER + method
        cases += _generic_body_cases('%s %s' % (method, verb), 'ironic',
                                     verb, path,
                                     large=method == 'pod_managers')
        cases.append(case('%s %s unknown key' % (method, verb), 'ironic',
                          verb, path, {'bogus': 1}, 400, 'bogus'))
    cases += [
        # pod managers
        case('pod_managers POST missing', 'ironic', 'POST',
             DRIVER + 'pod_managers', {}, 400, 'name'),
        case('pod_managers POST name type', 'ironic', 'POST',
             DRIVER + 'pod_managers', _pod(name=5), 400, 'name'),
        case('pod_managers POST empty name', 'ironic', 'POST',
             DRIVER + 'pod_managers', _pod(name=''), 400, 'name'),
        case('pod_managers POST 1 MiB name', 'ironic', 'POST',
             DRIVER + 'pod_managers', _pod(name='n' * MIB), 413,
             'too large'),
        case('pod_managers POST empty url', 'ironic', 'POST',
             DRIVER + 'pod_managers', _pod(url=''), 400, 'url'),
        case('pod_managers POST ftp url', 'ironic', 'POST',
             DRIVER + 'pod_managers', _pod(url='ftp://h/eem'), 400, 'url'),
        case('pod_managers POST auth type', 'ironic', 'POST',
             DRIVER + 'pod_managers', _pod(authentication={}), 400,
             'authentication'),
        case('pod_managers POST auth extra', 'ironic', 'POST',
             DRIVER + 'pod_managers',
             _pod(authentication=[{'type': 'basic', 'x': 1,
                                   'auth_items': {}}]), 400,
             'authentication'),
        case('pod_managers POST driver', 'ironic', 'POST',
             DRIVER + 'pod_managers', _pod(driver='redfish'), 400,
             'driver'),
        case('pod_managers GET bad uuid', 'ironic', 'GET',
             DRIVER + 'pod_managers', {'uuid': '../../v1/nodes'}, 400,
             'uuid'),
        case('pod_managers GET uuid type', 'ironic', 'GET',
             DRIVER + 'pod_managers', {'uuid': 7}, 400, 'uuid'),
        case('pod_managers GET flavor uuid', 'ironic', 'GET',
             DRIVER + 'pod_managers', {'uuid': '{flavor}'}, 404,
             '{flavor}'),
        case('pod_managers DELETE missing', 'ironic', 'DELETE',
             DRIVER + 'pod_managers', {}, 400, 'uuid'),
        case('pod_managers DELETE unknown', 'ironic', 'DELETE',
             DRIVER + 'pod_managers', {'uuid': RANDOM_UUID}, 404,
             RANDOM_UUID),
        case('pod_managers PUT', 'ironic', 'PUT',
             DRIVER + 'pod_managers', {}, None, ('PUT',)),
        # devices
        case('devices GET state', 'ironic', 'GET', DRIVER + 'devices',
             {'state': 'broken'}, 400, 'state'),
        case('devices GET type', 'ironic', 'GET', DRIVER + 'devices',
             {'type': 'TPU'}, 400, 'type'),
        case('devices GET group 5', 'ironic', 'GET', DRIVER + 'devices',
             {'pooled_group_id': 5}, 400, 'pooled_group_id'),
        case('devices GET group 4095', 'ironic', 'GET', DRIVER + 'devices',
             {'pooled_group_id': 4095}, 400, 'pooled_group_id'),
        case('devices GET group text', 'ironic', 'GET', DRIVER + 'devices',
             {'pooled_group_id': 'abc'}, 400, 'pooled_group_id'),
        case('devices GET podm', 'ironic', 'GET', DRIVER + 'devices',
             {'podm_id': '%2e%2e%2f'}, 400, 'podm_id'),
        case('devices GET node', 'ironic', 'GET', DRIVER + 'devices',
             {'node_id': '../etc/passwd'}, 400, 'node_id'),
        case('devices POST', 'ironic', 'POST', DRIVER + 'devices', {},
             None, ('POST',)),
        case('device GET missing', 'ironic', 'GET', DRIVER + 'device',
             {}, 400, 'uuid'),
        case('device GET short eeid', 'ironic', 'GET', DRIVER + 'device',
             {'uuid': '0x12'}, 400, 'uuid'),
        case('device GET empty', 'ironic', 'GET', DRIVER + 'device',
             {'uuid': ''}, 400, 'uuid'),
        case('device GET pod manager uuid', 'ironic', 'GET',
             DRIVER + 'device', {'uuid': '{podm}'}, 404, '{podm}'),
        case('device GET server eeid', 'ironic', 'GET', DRIVER + 'device',
             {'uuid': '{eesv}'}, 404, '{eesv}'),
        case('nodes GET bad uuid', 'ironic', 'GET', DRIVER + 'nodes',
             {'uuid': 'abc'}, 400, 'uuid'),
        case('nodes GET device uuid', 'ironic', 'GET', DRIVER + 'nodes',
             {'uuid': '{device}'}, 404, '{device}'),
        # compose
        case('compose missing name', 'ironic', 'POST', DRIVER + 'compose',
             {}, 400, 'name'),
        case('compose empty name', 'ironic', 'POST', DRIVER + 'compose',
             {'name': ''}, 400, 'name'),
        case('compose name type', 'ironic', 'POST', DRIVER + 'compose',
             {'name': ['a']}, 400, 'name'),
        case('compose 1 MiB description', 'ironic', 'POST',
             DRIVER + 'compose', {'name': 'c', 'description': 'd' * MIB},
             413, 'too large'),
        case('compose unknown type', 'ironic', 'POST', DRIVER + 'compose',
             {'name': 'c', 'properties': {'pci_device': {
                 'type': ['TPU']}}}, 400, 'type'),
        case('compose type not list', 'ironic', 'POST', DRIVER + 'compose',
             {'name': 'c', 'properties': {'pci_device': {
                 'type': 'GPU'}}}, 400, 'type'),
        case('compose pci unknown key', 'ironic', 'POST',
             DRIVER + 'compose',
             {'name': 'c', 'properties': {'pci_device': {
                 'type': ['GPU'], 'count': 2}}}, 400, 'count'),
        case('compose flavor and properties', 'ironic', 'POST',
             DRIVER + 'compose',
             {'name': 'c', 'flavor_id': RANDOM_UUID,
              'properties': {}}, 400, 'flavor_id'),
        case('compose bad podm', 'ironic', 'POST', DRIVER + 'compose',
             {'name': 'c', 'podm_id': 'x'}, 400, 'podm_id'),
        case('compose other podm', 'ironic', 'POST', DRIVER + 'compose',
             {'name': 'c', 'podm_id': RANDOM_UUID}, 404, RANDOM_UUID),
        case('compose node uuid as flavor', 'ironic', 'POST',
             DRIVER + 'compose', {'name': 'c', 'flavor_id': '{node}'}, 404,
             '{node}'),
        case('compose GET', 'ironic', 'GET', DRIVER + 'compose', {}, None,
             ('GET',)),
        # manage
        case('manage missing', 'ironic', 'POST', DRIVER + 'manage', {},
             400, 'node_index'),
        case('manage short eeid', 'ironic', 'POST', DRIVER + 'manage',
             {'node_index': '0x12'}, 400, 'node_index'),
        case('manage number', 'ironic', 'POST', DRIVER + 'manage',
             {'node_index': 12}, 400, 'node_index'),
        case('manage unknown eeid', 'ironic', 'POST', DRIVER + 'manage',
             {'node_index': '0x000000000001'}, 404, '0x000000000001'),
        case('manage io engine', 'ironic', 'POST', DRIVER + 'manage',
             {'node_index': '{eeio}'}, None, '{eeio}'),
        case('manage other podm', 'ironic', 'POST', DRIVER + 'manage',
             {'node_index': '{eesv}', 'podm_id': RANDOM_UUID}, 404,
             RANDOM_UUID),
        # sync
        case('sync bad podm', 'ironic', 'POST', DRIVER + 'sync',
             {'podm_id': 'x'}, 400, 'podm_id'),
        case('sync other podm', 'ironic', 'POST', DRIVER + 'sync',
             {'podm_id': RANDOM_UUID}, 404, RANDOM_UUID),
        # flavors
        case('flavors POST missing', 'ironic', 'POST', DRIVER + 'flavors',
             {}, 400, 'name'),
        case('flavors POST no properties', 'ironic', 'POST',
             DRIVER + 'flavors', {'name': 'f'}, 400, 'properties'),
        case('flavors POST unknown type', 'ironic', 'POST',
             DRIVER + 'flavors', {'name': 'f', 'properties': {
                 'pci_device': {'type': ['GPU', 'RAM']}}}, 400, 'type'),
        case('flavors GET bad uuid', 'ironic', 'GET', DRIVER + 'flavors',
             {'uuid': '..%2F..'}, 400, 'uuid'),
        case('flavors DELETE missing', 'ironic', 'DELETE',
             DRIVER + 'flavors', {}, 400, 'uuid'),
        case('flavors DELETE pod manager uuid', 'ironic', 'DELETE',
             DRIVER + 'flavors', {'uuid': '{podm}'}, 404, '{podm}'),
        # methods that do not exist
        case('unknown method', 'ironic', 'POST', DRIVER + 'format_disks',
             {}, None, 'format_disks'),
        case('method traversal', 'ironic', 'POST',
             DRIVER + '..%2F..%2Fnodes', {}, None),
    ]
    return cases


def node_cases():
    node = '/v1/nodes/{node}/vendor_passthru?method='
    cases = []
    for method, verb in (('attach', 'POST'), ('detach', 'POST'),
                         ('release', 'POST'), ('register', 'POST'),
                         ('devices', 'GET')):
        cases += _generic_body_cases('node %s' % method, 'ironic', verb,
                                     node + method,
                                     large=method == 'attach')
        cases.append(case('node %s unknown key' % method, 'ironic', verb,
                          node + method, {'bogus': 1}, 400, 'bogus'))
    cases += [
        case('attach missing', 'ironic', 'POST', node + 'attach', {}, 400,
             'resource_id'),
        case('attach empty', 'ironic', 'POST', node + 'attach',
             {'resource_id': ''}, 400, 'resource_id'),
        case('attach number', 'ironic', 'POST', node + 'attach',
             {'resource_id': 5}, 400, 'resource_id'),
        case('attach traversal', 'ironic', 'POST', node + 'attach',
             {'resource_id': '../../0x8cdf9d910001'}, 400, 'resource_id'),
        case('attach url-encoded', 'ironic', 'POST', node + 'attach',
             {'resource_id': '0x8cdf9d91%2F0001'}, 400, 'resource_id'),
        case('attach 1 MiB id', 'ironic', 'POST', node + 'attach',
             {'resource_id': '0' * MIB}, 413, 'too large'),
        case('attach unknown uuid', 'ironic', 'POST', node + 'attach',
             {'resource_id': RANDOM_UUID}, 404, RANDOM_UUID),
        case('attach pod manager uuid', 'ironic', 'POST', node + 'attach',
             {'resource_id': '{podm}'}, 404, '{podm}'),
        case('attach server engine', 'ironic', 'POST', node + 'attach',
             {'resource_id': '{eesv}'}, None, '{eesv}'),
        case('detach free device', 'ironic', 'POST', node + 'detach',
             {'resource_id': '{device}'}, 409, '{device}'),
        case('detach traversal', 'ironic', 'POST', node + 'detach',
             {'resource_id': '..'}, 400, 'resource_id'),
        case('attach GET', 'ironic', 'GET', node + 'attach', {}, None,
             ('GET',)),
        case('release not a list', 'ironic', 'POST', node + 'release',
             {'resource_ids': 'x'}, 400, 'resource_ids'),
        case('release bad id', 'ironic', 'POST', node + 'release',
             {'resource_ids': ['../x']}, 400, 'resource_ids'),
        case('register missing', 'ironic', 'POST', node + 'register', {},
             400, 'driver_info'),
        case('register empty info', 'ironic', 'POST', node + 'register',
             {'driver_info': {}}, 400, 'driver_info'),
        case('register unknown info key', 'ironic', 'POST',
             node + 'register', {'driver_info': {'bmc_colour': 'red'}},
             400, 'bmc_colour'),
        case('register bad mac', 'ironic', 'POST', node + 'register',
             {'driver_info': {'address': 'h'}, 'mac': 'zz'}, 400, 'mac'),
        case('register other driver', 'ironic', 'POST', node + 'register',
             {'driver_info': {'address': 'h'}, 'driver': 'ipmi'}, 400,
             'driver'),
        case('register 1 MiB address', 'ironic', 'POST', node + 'register',
             {'driver_info': {'redfish_address': 'h' * MIB}}, 413,
             'too large'),
        case('unknown node method', 'ironic', 'POST', node + 'reflash',
             {}, None, 'reflash'),
        case('node ident traversal', 'ironic', 'POST',
             '/v1/nodes/..%2F..%2Fdrivers/vendor_passthru?method=attach',
             {'resource_id': '{device}'}, None),
        case('unknown node', 'ironic', 'POST',
             '/v1/nodes/%s/vendor_passthru?method=attach' % RANDOM_UUID,
             {'resource_id': '{device}'}, 404, RANDOM_UUID),
    ]
    return cases


def valence_cases():
    cases = []
    for verb, path in (('POST', '/v1/pod_managers'), ('POST', '/v1/nodes'),
                       ('POST', '/v1/nodes/manage'),
                       ('POST', '/v1/nodes/{node}/action'),
                       ('POST', '/v1/nodes/{node}/register'),
                       ('POST', '/v1/devices/sync'),
                       ('POST', '/v1/flavors')):
        cases += _generic_body_cases('valence %s %s' % (verb, path),
                                     'valence', verb, path)
        cases.append(case('valence %s %s unknown key' % (verb, path),
                          'valence', verb, path, {'bogus': 1}, 400,
                          'bogus'))
        cases.append(case('valence %s %s body over 1 MiB' % (verb, path),
                          'valence', verb, path, b' ' * (MIB + 1), 413))
    for verb, path in (('PUT', '/v1/nodes'), ('PATCH', '/v1/pod_managers'),
                       ('DELETE', '/v1/devices'),
                       ('PUT', '/v1/nodes/{node}/action'),
                       ('POST', '/v1/devices/{device}')):
        cases.append(case('valence %s %s' % (verb, path), 'valence', verb,
                          path, {}, 405, verb))
    for path in ('/v1/pod_managers/%s', '/v1/nodes/%s', '/v1/devices/%s',
                 '/v1/flavors/%s'):
        for ident, expect in (('abc', 400), ('..%2F..%2Fv1', 400),
                              ('%00', 400), (RANDOM_UUID, 404)):
            cases.append(case('valence GET %s' % (path % ident), 'valence',
                              'GET', path % ident, None, expect))
    for ident, expect in (('..%2F..%2Fv1', 400), (RANDOM_UUID, 404)):
        cases.append(case('valence DELETE node %s' % ident, 'valence',
                          'DELETE', '/v1/nodes/' + ident, None, expect))
    action = '/v1/nodes/{node}/action'
    cases += [
        case('valence action empty', 'valence', 'POST', action, {}, 400),
        case('valence action two', 'valence', 'POST', action,
             {'Reset': {'Type': 'On'}, 'attach': {'resource_id': 'x'}},
             400),
        case('valence action reset type', 'valence', 'POST', action,
             {'Reset': {'Type': 'Explode'}}, 400, 'Type'),
        case('valence action attach empty', 'valence', 'POST', action,
             {'attach': {'resource_id': ''}}, 400, 'resource_id'),
        case('valence action attach traversal', 'valence', 'POST', action,
             {'attach': {'resource_id': '../../x'}}, 400, 'resource_id'),
        case('valence action detach free', 'valence', 'POST', action,
             {'detach': {'resource_id': '{device}'}}, 409, '{device}'),
        case('valence action boot none', 'valence', 'POST', action,
             {'Boot': {'Enabled': 'Once', 'Target': 'None'}}, 400,
             'Target'),
        case('valence compose unknown type', 'valence', 'POST', '/v1/nodes',
             {'name': 'c', 'properties': {'pci_device': {
                 'type': ['TPU']}}}, 400, 'type'),
        case('valence compose other podm', 'valence', 'POST', '/v1/nodes',
             {'name': 'c', 'podm_id': RANDOM_UUID}, 404, RANDOM_UUID),
        case('valence manage bad eeid', 'valence', 'POST',
             '/v1/nodes/manage', {'node_index': '0xzz'}, 400,
             'node_index'),
        case('valence devices filter', 'valence', 'GET',
             '/v1/devices?pooled_group_id=4093&colour=red', None, 400,
             'colour'),
        case('valence devices group', 'valence', 'GET',
             '/v1/devices?pooled_group_id=9', None, 400,
             'pooled_group_id'),
        case('valence devices repeated', 'valence', 'GET',
             '/v1/devices?type=GPU&type=SSD', None, 400, 'type'),
        case('valence nodes filter', 'valence', 'GET',
             '/v1/nodes?colour=red', None, 400, 'colour'),
        case('valence register unknown key', 'valence', 'POST',
             '/v1/nodes/{node}/register', {'driver_info': {'x': 1}}, 400,
             'x'),
        case('valence pod manager bad url', 'valence', 'POST',
             '/v1/pod_managers', _pod(url='file:///etc/passwd'), 400,
             'url'),
        case('valence unknown path', 'valence', 'GET', '/v1/servers', None,
             404),
        case('valence path not utf-8', 'valence', 'GET', '/v1/nodes/%ff',
             None, 400),
    ]
    return cases


def eem_cases():
    dev = '/devices/{eeio}'
    cases = []
    for path in (dev + '/group_id', dev + '/uid_led_status'):
        cases += [
            case('eem PUT %s list' % path, 'eem', 'PUT', path, [],
                 words='object'),
            case('eem PUT %s not json' % path, 'eem', 'PUT', path, b'{',
                 words='json'),
            case('eem PUT %s not utf-8' % path, 'eem', 'PUT', path,
                 NOT_UTF8),
            case('eem PUT %s deeply nested' % path, 'eem', 'PUT', path,
                 _deep(), 400, 'nested'),
            case('eem PUT %s 1 MiB' % path, 'eem', 'PUT', path,
                 {'x' * MIB: 'y'}, 400, 'unknown field'),
        ]
    cases += [
        case('eem group 15', 'eem', 'PUT', dev + '/group_id',
             {'group_id': 15}, 400, 'group_id'),
        case('eem group 4095', 'eem', 'PUT', dev + '/group_id',
             {'group_id': 4095}, 400, 'group_id'),
        case('eem group text', 'eem', 'PUT', dev + '/group_id',
             {'group_id': 'abc'}, 400, 'group_id'),
        case('eem group list', 'eem', 'PUT', dev + '/group_id',
             {'group_id': [16]}, 400, 'group_id'),
        case('eem group huge', 'eem', 'PUT', dev + '/group_id',
             {'group_id': 10 ** 400}, 400, 'group_id'),
        case('eem group float', 'eem', 'PUT', dev + '/group_id',
             {'group_id': 1e400}, 400, 'group_id'),
        case('eem group 5000 digits', 'eem', 'PUT', dev + '/group_id',
             {'group_id': '1' * 5000}, 400, 'group_id'),
        case('eem group unknown key', 'eem', 'PUT', dev + '/group_id',
             {'group_id': 100, 'colour': 'red'}, 400, 'colour'),
        case('eem update_time text', 'eem', 'PUT', dev + '/group_id',
             {'group_id': 100, 'update_time': 'x'}, 400, 'update_time'),
        case('eem led colour', 'eem', 'PUT', dev + '/uid_led_status',
             {'uid_led_status': 'blue'}, 400, 'uid_led_status'),
        case('eem led missing', 'eem', 'PUT', dev + '/uid_led_status', {},
             400, 'uid_led_status'),
        case('eem unknown device', 'eem', 'GET', '/devices/0x000000000001',
             None, 404),
        case('eem traversal', 'eem', 'GET', '/devices/..%2F..%2Fapi_version',
             None, 404),
        case('eem url-encoded id', 'eem', 'PUT',
             '/devices/%30x8cdf9d%2F/group_id', {'group_id': 100}, 404),
        case('eem bad id', 'eem', 'PUT', '/devices/not-an-id/group_id',
             {'group_id': 100}, 404),
        case('eem not utf-8 id', 'eem', 'GET', '/devices/%ff%fe', None,
             404),
        case('eem status filter', 'eem', 'GET', '/devices?status=toaster',
             None, 400, 'status'),
        case('eem group filter', 'eem', 'GET', '/devices?group_id=abc',
             None, 400, 'group_id'),
        case('eem POST devices', 'eem', 'POST', '/devices', {}, 405),
        case('eem DELETE api_version', 'eem', 'DELETE', '/api_version',
             None, 405),
        case('eem PUT server group 4093', 'eem', 'PUT',
             '/devices/{eesv}/group_id', {'group_id': 4093}, 400,
             'group_id'),
        case('eem delete group bad time', 'eem', 'DELETE',
             dev + '/group_id?update_time=x', None, 400, 'update_time'),
    ]
    return cases


CASES = driver_cases() + node_cases() + valence_cases() + eem_cases()


class Target(object):
    """Sends the cases to a running stack and takes its snapshots."""

    def __init__(self, stack):
        self.stack = stack
        self.endpoint = stack.endpoint
        self.valence_url = stack.valence_url
        self.eem_address = stack.eem_address.rstrip('/')
        self.eem_auth = (stack.eem_username, stack.eem_password)
        self.values = {}

    def ironic(self, method, path, body=None):
        response = requests.request(
            method, self.endpoint + path, json=body, timeout=60,
            headers={'X-OpenStack-Ironic-API-Version': 'latest'})
        if response.status_code >= 400:
            raise AssertionError('%s %s: %s %s' % (
                method, path, response.status_code, response.text[:500]))
        return response.json() if response.content else None

    def prepare(self):
        """Find the ids the cases name, and make a flavor."""
        nodes = self.ironic('GET', '/v1/nodes?driver=expether')['nodes']
        podms = self.ironic('GET', DRIVER + 'pod_managers')['pod_managers']
        devices = self.ironic('GET', DRIVER + 'devices',
                              {'state': 'free'})['devices']
        eem = requests.get(self.eem_address + '/devices/detail',
                           auth=self.eem_auth, timeout=30).json()['devices']
        flavors = [f for f in self.ironic('GET', DRIVER + 'flavors')[
            'flavors'] if f['name'] == 'bad-input-flavor']
        flavor = flavors[0] if flavors else self.ironic(
            'POST', DRIVER + 'flavors', {
                'name': 'bad-input-flavor',
                'properties': {'pci_device': {'type': ['SSD']}}})
        self.values = {
            'node': nodes[0]['uuid'],
            'podm': podms[0]['uuid'],
            'device': devices[0]['uuid'],
            'eeio': next(d['id'] for d in eem if d['status'] == 'eeio'),
            'eesv': next(d['id'] for d in eem if d['status'] == 'eesv'),
            'flavor': flavor['uuid'],
        }

    def fill(self, text):
        for key, value in self.values.items():
            text = text.replace('{%s}' % key, value)
        return text

    def snapshot(self):
        """What a request must not change: pool, EEM and Ironic."""
        nodes = self.ironic(
            'GET', '/v1/nodes?fields=uuid,name,driver,'
            'provision_state,driver_info,properties,extra,maintenance,'
            'traits')['nodes']
        pool = {
            'pod_managers': self.ironic('GET', DRIVER + 'pod_managers'),
            'devices': self.ironic('GET', DRIVER + 'devices'),
            'flavors': self.ironic('GET', DRIVER + 'flavors'),
        }
        eem = requests.get(self.eem_address + '/devices/detail',
                           auth=self.eem_auth, timeout=30).json()
        engines = sorted(
            (d['id'], d.get('group_id'), d.get('status'),
             d.get('power_status'))
            for d in eem['devices'])
        leds = [requests.get(
            '%s/devices/%s/uid_led_status' % (self.eem_address,
                                              self.values[kind]),
            auth=self.eem_auth, timeout=30).json()
            for kind in ('eeio', 'eesv')]
        return {'nodes': sorted(nodes, key=lambda n: n['uuid']),
                'pool': pool, 'eem': engines, 'leds': leds}

    def send(self, c):
        """Send one case; returns (status, message text)."""
        path = self.fill(c.path)
        headers = dict(c.headers)
        if isinstance(c.body, bytes):
            data = c.body
            headers.setdefault('Content-Type', 'application/json')
        elif c.body is None:
            data = None
        else:
            data = self.fill(json.dumps(c.body)).encode()
            headers.setdefault('Content-Type', 'application/json')
        auth = None
        if c.target == 'ironic':
            url = self.endpoint + path
            headers['X-OpenStack-Ironic-API-Version'] = 'latest'
        elif c.target == 'valence':
            url = self.valence_url + path
        else:
            url = self.eem_address + path
            auth = self.eem_auth
        response = requests.request(c.method, url, data=data,
                                    headers=headers, auth=auth, timeout=120)
        return response.status_code, response.text


def check(target, c, status, text):
    """The problems of one answer (an empty list when it is right)."""
    problems = []
    words = [target.fill(w).lower() for w in c.words]
    named = not words or any(w in text.lower() for w in words)
    if c.expect == IRONIC_500:
        if not (400 <= status < 500 or (status == 500 and named)):
            problems.append('status %d, not 4xx or Ironic\'s known 500'
                            % status)
        return problems
    if not 400 <= status < 500:
        problems.append('status %d' % status)
    elif c.expect is not None and status != c.expect:
        problems.append('status %d, not %d' % (status, c.expect))
    if not named:
        problems.append('message names none of %s' % words)
    return problems


def groups(cases, min_size=12):
    """The cases in runs of whole methods or paths, one snapshot each.

    A run holds every case of the methods or paths it starts, and at
    least ``min_size`` cases (snapshots cost more than most cases).
    """
    run, key = [], None
    for c in cases:
        this = (c.target, c.path.split('?')[0])
        if len(run) >= min_size and this != key:
            yield run
            run = []
        run.append(c)
        key = this
    if run:
        yield run


HTPASSWD_USER = 'valence-user'
HTPASSWD_PASSWORD = 'Valence-user-pw'


class BadInputTestCase(base.StackTestCase):
    """The whole table on one stack; then http_basic on the facade."""

    stack_options = {'valence': True, 'servers': 3, 'devices': 6}

    def test_table(self):
        target = Target(self.stack)
        target.prepare()
        before = target.snapshot()
        failures = []
        for run in groups(CASES):
            for c in run:
                status, text = target.send(c)
                problems = check(target, c, status, text)
                if problems:
                    failures.append('%s (%s %s): %s; answer: %s' % (
                        c.name, c.method, c.path, ', '.join(problems),
                        text[:300].replace('\n', ' ')))
            after = target.snapshot()
            if after != before:
                failures.append('state changed by one of: %s'
                                % ', '.join(c.name for c in run))
                before = after
        self.assertEqual([], failures, '\n'.join(failures))

    def test_user_mistakes_leave_no_error_in_the_log(self):
        target = Target(self.stack)
        target.prepare()
        node = target.ironic('GET', '/v1/nodes/%s' % target.values['node'])
        log_path = os.path.join(self.stack.log_dir, 'ironic.log')
        offset = os.path.getsize(log_path)
        mistakes = [
            ('POST', '/v1/nodes/{node}/vendor_passthru/release',
             {'resource_ids': ['{device}']}, 409),
            ('POST', '/v1/nodes/{node}/vendor_passthru/detach',
             {'resource_id': '{device}'}, 409),
            ('GET', DRIVER + 'device', {'uuid': RANDOM_UUID}, 404),
            ('GET', DRIVER + 'nodes', {'uuid': RANDOM_UUID}, 404),
            ('POST', DRIVER + 'compose',
             {'name': 'quiet', 'flavor_id': RANDOM_UUID}, 404),
            ('POST', DRIVER + 'compose',
             {'name': 'quiet', 'podm_id': RANDOM_UUID}, 404),
            ('POST', DRIVER + 'manage',
             {'node_index': node['driver_info']['eesv_id']}, 409),
            ('POST', DRIVER + 'sync', {'podm_id': RANDOM_UUID}, 404),
            ('DELETE', DRIVER + 'flavors', {'uuid': RANDOM_UUID}, 404),
            # Only EEM can tell these: one WARNING line each.
            ('POST', DRIVER + 'manage', {'node_index': '0x000000000001'},
             404),
            ('POST', DRIVER + 'manage', {'node_index': '{eeio}'}, 400),
        ]
        for method, path, body, status in mistakes:
            response = requests.request(
                method, self.endpoint + target.fill(path),
                json=json.loads(target.fill(json.dumps(body))), timeout=60,
                headers={'X-OpenStack-Ironic-API-Version': 'latest'})
            self.assertEqual(status, response.status_code,
                             (method, path, response.text))
        with open(log_path, 'rb') as f:
            f.seek(offset)
            lines = f.read().decode('utf-8', 'replace').splitlines()
        errors = [line for line in lines
                  if ' ERROR ' in line or 'Traceback' in line]
        self.assertEqual([], errors, '\n'.join(errors[:40]))
        warnings = [line for line in lines
                    if 'Passthru method manage refused a request' in line]
        self.assertEqual(2, len(warnings), '\n'.join(lines[-40:]))

    def _start_basic_auth_facade(self):
        path = os.path.join(self.workdir, 'htpasswd')
        digest = bcrypt.hashpw(HTPASSWD_PASSWORD.encode(),
                               bcrypt.gensalt(4)).decode()
        with open(path, 'w') as f:
            f.write('%s:%s\n' % (HTPASSWD_USER, digest))
        conf = os.path.join(self.workdir, 'valence-basic.conf')
        with open(conf, 'w') as f:
            f.write('[valence_api]\nauth_strategy = http_basic\n'
                    'http_basic_auth_user_file = %s\n' % path)
        argv = stack_mod.console_command(
            'ironic-expether-valence-api',
            'ironic_expether.cmd.valence_api:main') + [
                '--config-file', conf, '--host', '127.0.0.1', '--port', '0',
                '--ironic-url', self.endpoint]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        self.addCleanup(proc.wait, 30)
        self.addCleanup(proc.terminate)
        for line in proc.stdout:
            if line.startswith('Valence API listening on '):
                return line.split()[-1]
        self.fail('the facade did not start: %s' % proc.wait(30))

    def test_http_basic_facade(self):
        url = self._start_basic_auth_facade()
        target = Target(self.stack)
        target.prepare()
        before = target.snapshot()
        good = (HTPASSWD_USER, HTPASSWD_PASSWORD)
        requests_ = [
            ('POST', '/v1/nodes', {'name': 'basic-auth-node'}),
            ('POST', '/v1/flavors', {'name': 'basic-auth-flavor',
                                     'properties': {'pci_device': {
                                         'type': ['GPU']}}}),
            ('POST', '/v1/nodes/%s/action' % target.values['node'],
             {'attach': {'resource_id': target.values['device']}}),
            ('DELETE', '/v1/pod_managers/%s' % target.values['podm'], None),
            ('POST', '/v1/devices/sync', None),
        ]
        for auth in (None, (HTPASSWD_USER, 'wrong'), ('nobody',
                                                      HTPASSWD_PASSWORD)):
            for method, path, body in requests_:
                response = requests.request(method, url + path, json=body,
                                            auth=auth, timeout=60)
                self.assertEqual(401, response.status_code,
                                 (auth, method, path, response.text))
                self.assertIn('Basic', response.headers['WWW-Authenticate'])
        self.assertEqual(before, target.snapshot())
        response = requests.get(url + '/v1/flavors', auth=good, timeout=60)
        self.assertEqual(200, response.status_code, response.text)
        self.assertIn('bad-input-flavor',
                      [f['name'] for f in response.json()])
