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

"""The Valence-compatible REST facade: a small WSGI application.

It serves Valence's v1 paths, checks what it can locally (JSON bodies,
paths, verbs, node actions) and forwards each call to Ironic: to the
driver passthru methods of the ``expether`` hardware type, to the node
passthru methods, or to Ironic's own node APIs. Answers keep Valence's
status codes, its bare JSON lists and its error body
``{request_id, code, status, title, detail}``.

Choices where Valence was wrong (documented in the user guide):

* ``DELETE /v1/nodes/<uuid>`` answers ``204`` with an empty body (Valence
  answered ``200`` with ``null``). It refuses (409) a node Ironic would not
  delete, before releasing any device.
* ``Reset`` and ``Boot`` node actions are carried out through Ironic's
  power and boot device APIs (Valence answered 400 to both).
* ``GET /v1/nodes?<field>=<value>`` filters on the fields of the answer and
  answers 400 for an unknown field (Valence answered 500).
"""

import json
import logging
import re
import time
import uuid

import jsonschema
import webob

from ironic_expether.valence import auth
from ironic_expether.valence import errors
from ironic_expether.valence import ironic_client

LOG = logging.getLogger(__name__)

REQUEST_ID_HEADER = 'X-OpenStack-Request-Id'
DEFAULT_MAX_BODY_SIZE = 1024 * 1024

# NOTE(expether): Valence's node_action_schema, made strict: exactly one
# action, and a non-empty resource_id (an empty one crashed Valence).
_RESOURCE_SCHEMA = {
    'type': 'object',
    'properties': {'resource_id': {'type': 'string', 'minLength': 1}},
    'required': ['resource_id'],
    'additionalProperties': False,
}
NODE_ACTION_SCHEMA = {
    'type': 'object',
    'properties': {
        'Boot': {
            'type': 'object',
            'properties': {
                'Enabled': {'enum': ['Once', 'Continuous']},
                'Target': {'enum': ['Pxe', 'Hdd', 'None']},
            },
            'required': ['Enabled', 'Target'],
            'additionalProperties': False,
        },
        'Reset': {
            'type': 'object',
            'properties': {
                'Type': {'enum': ['On', 'ForceOn', 'ForceOff',
                                  'GracefulRestart']},
            },
            'required': ['Type'],
            'additionalProperties': False,
        },
        'attach': _RESOURCE_SCHEMA,
        'detach': _RESOURCE_SCHEMA,
    },
    'minProperties': 1,
    'maxProperties': 1,
    'additionalProperties': False,
}

# Valence's Reset types and Boot targets in Ironic's words.
_POWER_TARGETS = {
    'On': 'power on',
    'ForceOn': 'power on',
    'ForceOff': 'power off',
    'GracefulRestart': 'soft rebooting',
}
_BOOT_DEVICES = {'Pxe': 'pxe', 'Hdd': 'disk'}

# Provision states in which Ironic deletes a node (with the default
# [conductor]allow_deleting_available_nodes); in maintenance, any.
_DELETABLE_STATES = frozenset(['enroll', 'manageable', 'available',
                               'adopt failed'])

_NODE_FIELDS = ('uuid', 'name', 'index', 'resource_uri', 'podm_id',
                'managed_by', 'created_at', 'updated_at')


def _schema_error_detail(error):
    """Format a jsonschema error the way Valence did.

    :param error: a jsonschema.ValidationError.
    :returns: the detail string.
    """
    if error.path:
        field = '/'.join(str(part) for part in error.path)
        return ("Invalid input for field/attribute '%s' Value: '%s'. %s"
                % (field, error.instance, error.message))
    return error.message


def _encode(payload):
    """Encode an answer as JSON bytes."""
    return json.dumps(payload).encode('utf-8')


def _with_request_id(answer, request_id):
    """Put the request id in a deletion answer, as Valence did.

    :param answer: the passthru's answer (a dict).
    :param request_id: the request id.
    :returns: a new dict starting with ``request_id``.
    :raises: ValenceError (502) when the answer breaks the contract.
    """
    if not isinstance(answer, dict):
        raise errors.ValenceError(
            502, 'Ironic answered a deletion without the expected object.')
    result = {'request_id': request_id}
    result.update(answer)
    result['request_id'] = request_id
    return result


def _unwrap(answer, key):
    """Return the list a passthru method wrapped in a dict.

    :param answer: the passthru's answer.
    :param key: the key holding the list.
    :returns: the list.
    :raises: ValenceError (502) when the answer breaks the contract.
    """
    if isinstance(answer, dict) and isinstance(answer.get(key), list):
        return answer[key]
    raise errors.ValenceError(
        502, 'Ironic answered without the "%s" list the facade expects.'
        % key)


class _Route(object):
    """One path pattern and the handler of each verb it serves."""

    def __init__(self, pattern, **handlers):
        self.regex = re.compile('^%s$' % pattern)
        self.handlers = handlers


class ValenceAPI(object):
    """The WSGI application serving Valence's v1 API.

    :param ironic: an :class:`ironic_expether.valence.ironic_client.
        IronicClient` (or an object with the same methods).
    :param max_body_size: the largest request body accepted, in bytes.
    """

    def __init__(self, ironic, max_body_size=DEFAULT_MAX_BODY_SIZE):
        self.ironic = ironic
        self.max_body_size = max_body_size
        # NOTE(expether): like Flask, the first route that matches the path
        # and serves the verb wins, so the static /v1/nodes/manage and
        # /v1/devices/sync come before the /<uuid> routes.
        self.routes = [
            _Route('', GET=self.root),
            _Route('/v1', GET=self.v1_root),
            _Route('/v1/pod_managers', GET=self.list_pod_managers,
                   POST=self.create_pod_manager),
            _Route('/v1/pod_managers/(?P<uuid>[^/]+)',
                   GET=self.get_pod_manager, DELETE=self.delete_pod_manager),
            _Route('/v1/nodes', GET=self.list_nodes, POST=self.compose_node),
            _Route('/v1/nodes/manage', POST=self.manage_node),
            _Route('/v1/nodes/(?P<uuid>[^/]+)', GET=self.get_node,
                   DELETE=self.delete_node),
            _Route('/v1/nodes/(?P<uuid>[^/]+)/action',
                   POST=self.node_action),
            _Route('/v1/nodes/(?P<uuid>[^/]+)/register',
                   POST=self.register_node),
            _Route('/v1/devices', GET=self.list_devices),
            _Route('/v1/devices/sync', POST=self.sync_devices),
            _Route('/v1/devices/(?P<uuid>[^/]+)', GET=self.get_device),
            _Route('/v1/flavors', GET=self.list_flavors,
                   POST=self.create_flavor),
            _Route('/v1/flavors/(?P<uuid>[^/]+)', GET=self.get_flavor,
                   DELETE=self.delete_flavor),
        ]

    # WSGI plumbing

    def __call__(self, environ, start_response):
        request = webob.Request(environ)
        request_id = 'req-%s' % uuid.uuid4()
        started = time.monotonic()
        headers = {}
        try:
            path = request.path_info
        except UnicodeDecodeError:
            path = None
        try:
            if path is None:
                raise errors.BadRequest('The path is not UTF-8 text.')
            handler, params = self._route(request.method, path)
            with ironic_client.acting_for(
                    environ.get(auth.CALLER_HEADERS_KEY)):
                status, payload = handler(request, request_id, **params)
            body = None if status == 204 else _encode(payload)
        except errors.ValenceError as exc:
            status, body = exc.status, _encode(exc.to_body(request_id))
            if isinstance(exc, errors.MethodNotAllowed):
                headers['Allow'] = ', '.join(exc.allowed)
        except Exception:
            LOG.exception('Unexpected error serving %(method)s %(path)s '
                          '(%(request_id)s)',
                          {'method': request.method, 'path': path,
                           'request_id': request_id})
            exc = errors.ValenceError(
                500, 'Unexpected error in the Valence API; see its log for '
                'request %s.' % request_id)
            status, body = exc.status, _encode(exc.to_body(request_id))
        response = webob.Response(status=status, charset=None)
        response.headers[REQUEST_ID_HEADER] = request_id
        response.headers.update(headers)
        if body is None:
            response.content_type = None
        else:
            response.content_type = 'application/json'
            response.body = body
        LOG.info('%(method)s %(path)s -> %(status)d in %(ms).0f ms '
                 '(%(request_id)s)',
                 {'method': request.method, 'path': path, 'status': status,
                  'ms': (time.monotonic() - started) * 1000,
                  'request_id': request_id})
        return response(environ, start_response)

    def _route(self, method, path):
        """Find the handler of a request.

        :param method: the HTTP verb.
        :param path: the decoded path.
        :returns: (handler, path parameters).
        :raises: NotFound for an unknown path, MethodNotAllowed for a known
            path with an unserved verb.
        """
        # NOTE(expether): Valence (Flask, strict_slashes=False) accepts a
        # trailing slash.
        stripped = path[:-1] if path.endswith('/') else path
        allowed = set()
        for route in self.routes:
            match = route.regex.match(stripped)
            if match is None:
                continue
            handler = route.handlers.get(method)
            if handler is not None:
                return handler, match.groupdict()
            allowed.update(route.handlers)
        if allowed:
            raise errors.MethodNotAllowed(method, allowed)
        raise errors.NotFound('The resource %s could not be found.' % path)

    def _json_body(self, request, required=True):
        """Decode the JSON object of a request body.

        :param request: a webob.Request.
        :param required: whether an empty body is an error; when not, an
            empty body is an empty dict.
        :returns: the decoded dict.
        :raises: BadRequest for an empty body (when required), a body that
            is not JSON or not a JSON object; ValenceError 413 for a body
            larger than the limit.
        """
        length = request.content_length
        if length is not None and length > self.max_body_size:
            raise errors.ValenceError(
                413, 'The request body is larger than %d bytes.'
                % self.max_body_size)
        raw = request.body
        if len(raw) > self.max_body_size:
            raise errors.ValenceError(
                413, 'The request body is larger than %d bytes.'
                % self.max_body_size)
        if not raw.strip():
            if required:
                raise errors.BadRequest(
                    'The request body is empty; a JSON object is '
                    'expected.')
            return {}
        try:
            body = json.loads(raw.decode('utf-8'))
        except UnicodeDecodeError:
            raise errors.BadRequest('The request body is not UTF-8 text.')
        except ValueError as exc:
            raise errors.BadRequest('The request body is not valid JSON: '
                                    '%s.' % exc)
        except RecursionError:
            raise errors.BadRequest('The request body is nested too '
                                    'deeply.')
        if not isinstance(body, dict):
            raise errors.BadRequest('The request body must be a JSON '
                                    'object, not a JSON %s.'
                                    % type(body).__name__)
        return body

    @staticmethod
    def _query(request):
        """Return the query string as a dict of single values.

        :param request: a webob.Request.
        :returns: a dict.
        :raises: BadRequest when a parameter is repeated.
        """
        query = {}
        try:
            items = list(request.GET.items())
        except UnicodeDecodeError:
            raise errors.BadRequest('The query string is not UTF-8 text.')
        for key, value in items:
            if key in query:
                raise errors.BadRequest('The query parameter %s is given '
                                        'more than once.' % key)
            query[key] = value
        return query

    # Index

    def root(self, request, request_id):
        """``GET /``: the API versions."""
        return 200, {'name': 'Valence-compatible API of ironic-expether',
                     'versions': [{'id': 'v1', 'status': 'CURRENT',
                                   'links': [{'rel': 'self',
                                              'href': request.host_url
                                              + '/v1'}]}]}

    def v1_root(self, request, request_id):
        """``GET /v1``: the resources of version 1."""
        base = request.host_url + '/v1/'
        return 200, {'id': 'v1',
                     'links': [{'rel': name, 'href': base + name}
                               for name in ('pod_managers', 'nodes',
                                            'devices', 'flavors')]}

    # Pod managers

    def list_pod_managers(self, request, request_id):
        """``GET /v1/pod_managers``: a bare list of pod managers."""
        answer = self.ironic.driver_passthru(
            'pod_managers', 'GET', {}, request_id=request_id)
        return 200, _unwrap(answer, 'pod_managers')

    def create_pod_manager(self, request, request_id):
        """``POST /v1/pod_managers``: the new pod manager."""
        body = self._json_body(request)
        return 200, self.ironic.driver_passthru(
            'pod_managers', 'POST', body, request_id=request_id)

    def get_pod_manager(self, request, request_id, uuid):
        """``GET /v1/pod_managers/<uuid>``: one pod manager."""
        return 200, self.ironic.driver_passthru(
            'pod_managers', 'GET', {'uuid': uuid}, request_id=request_id)

    def delete_pod_manager(self, request, request_id, uuid):
        """``DELETE /v1/pod_managers/<uuid>``: Valence's DELETED body."""
        answer = self.ironic.driver_passthru(
            'pod_managers', 'DELETE', {'uuid': uuid}, request_id=request_id)
        return 200, _with_request_id(answer, request_id)

    # Nodes

    def list_nodes(self, request, request_id):
        """``GET /v1/nodes[?field=value...]``: a bare list of nodes.

        The filters are exact matches on the fields of the answer.
        """
        filters = self._query(request)
        nodes = _unwrap(self.ironic.driver_passthru(
            'nodes', 'GET', {}, request_id=request_id), 'nodes')
        if filters:
            known = set(_NODE_FIELDS)
            for node in nodes:
                known.update(node)
            unknown = sorted(set(filters) - known)
            if unknown:
                raise errors.BadRequest(
                    'Unknown node filter(s): %s; known: %s.'
                    % (', '.join(unknown), ', '.join(sorted(known))))
            nodes = [node for node in nodes
                     if all(key in node and node[key] is not None
                            and str(node[key]) == value
                            for key, value in filters.items())]
        return 200, nodes

    def compose_node(self, request, request_id):
        """``POST /v1/nodes``: compose a node."""
        body = self._json_body(request)
        return 200, self.ironic.driver_passthru(
            'compose', 'POST', body, request_id=request_id)

    def manage_node(self, request, request_id):
        """``POST /v1/nodes/manage``: enroll an existing server engine."""
        body = self._json_body(request)
        return 200, self.ironic.driver_passthru(
            'manage', 'POST', body, request_id=request_id)

    def get_node(self, request, request_id, uuid):
        """``GET /v1/nodes/<uuid>``: one node's details."""
        return 200, self.ironic.driver_passthru(
            'nodes', 'GET', {'uuid': uuid}, request_id=request_id)

    def delete_node(self, request, request_id, uuid):
        """``DELETE /v1/nodes/<uuid>``: release the devices, delete the node.

        Answers 204 (Valence answered 200 ``null``). A node Ironic would
        refuse to delete gets 409 before any device is released.
        """
        node = self.ironic.get_node(
            uuid, fields=['uuid', 'provision_state', 'maintenance',
                          'instance_uuid', 'protected'],
            request_id=request_id)
        node_uuid = node.get('uuid') or uuid
        if not node.get('maintenance'):
            reason = None
            if node.get('instance_uuid'):
                reason = ('it is used by instance %s'
                          % node['instance_uuid'])
            elif node.get('protected'):
                reason = 'it is protected'
            elif node.get('provision_state') not in _DELETABLE_STATES:
                reason = ('it is in provision state "%s" (deletable: %s)'
                          % (node.get('provision_state'),
                             ', '.join(sorted(_DELETABLE_STATES))))
            if reason:
                raise errors.ValenceError(
                    409, 'Node %s cannot be deleted because %s; no device '
                    'was released.' % (node_uuid, reason), title='Conflict')
        self.ironic.node_passthru(node_uuid, 'release', 'POST', {},
                                  request_id=request_id)
        self.ironic.delete_node(node_uuid, request_id=request_id)
        return 204, None

    def node_action(self, request, request_id, uuid):
        """``POST /v1/nodes/<uuid>/action``: attach, detach, Reset, Boot.

        Answers 204 with an empty body, as Valence did.
        """
        body = self._json_body(request)
        try:
            jsonschema.validate(body, NODE_ACTION_SCHEMA)
        except jsonschema.ValidationError as exc:
            raise errors.ValidationError(_schema_error_detail(exc))
        action, args = next(iter(body.items()))
        if action in ('attach', 'detach'):
            self.ironic.node_passthru(
                uuid, action, 'POST', {'resource_id': args['resource_id']},
                request_id=request_id)
        elif action == 'Reset':
            self.ironic.set_power_state(
                uuid, _POWER_TARGETS[args['Type']], request_id=request_id)
        else:
            device = _BOOT_DEVICES.get(args['Target'])
            if device is None:
                raise errors.BadRequest(
                    'Boot Target "None" (no boot override) cannot be set '
                    'through Ironic; use "Pxe" or "Hdd".')
            self.ironic.set_boot_device(
                uuid, device, args['Enabled'] == 'Continuous',
                request_id=request_id)
        return 204, None

    def register_node(self, request, request_id, uuid):
        """``POST /v1/nodes/<uuid>/register``: add BMC details in Ironic."""
        body = self._json_body(request)
        return 200, self.ironic.node_passthru(
            uuid, 'register', 'POST', body, request_id=request_id)

    # Devices

    def list_devices(self, request, request_id):
        """``GET /v1/devices[?filter=value...]``: a bare list of devices."""
        answer = self.ironic.driver_passthru(
            'devices', 'GET', self._query(request), request_id=request_id)
        return 200, _unwrap(answer, 'devices')

    def get_device(self, request, request_id, uuid):
        """``GET /v1/devices/<uuid>``: one device's details."""
        return 200, self.ironic.driver_passthru(
            'device', 'GET', {'uuid': uuid}, request_id=request_id)

    def sync_devices(self, request, request_id):
        """``POST /v1/devices/sync``: a bare list of sync results."""
        body = self._json_body(request, required=False)
        answer = self.ironic.driver_passthru(
            'sync', 'POST', body, request_id=request_id)
        return 200, _unwrap(answer, 'results')

    # Flavors

    def list_flavors(self, request, request_id):
        """``GET /v1/flavors``: a bare list of flavors."""
        answer = self.ironic.driver_passthru(
            'flavors', 'GET', {}, request_id=request_id)
        return 200, _unwrap(answer, 'flavors')

    def create_flavor(self, request, request_id):
        """``POST /v1/flavors``: the new flavor."""
        body = self._json_body(request)
        return 200, self.ironic.driver_passthru(
            'flavors', 'POST', body, request_id=request_id)

    def get_flavor(self, request, request_id, uuid):
        """``GET /v1/flavors/<uuid>``: one flavor."""
        return 200, self.ironic.driver_passthru(
            'flavors', 'GET', {'uuid': uuid}, request_id=request_id)

    def delete_flavor(self, request, request_id, uuid):
        """``DELETE /v1/flavors/<uuid>``: Valence's DELETED body."""
        answer = self.ironic.driver_passthru(
            'flavors', 'DELETE', {'uuid': uuid}, request_id=request_id)
        return 200, _with_request_id(answer, request_id)
