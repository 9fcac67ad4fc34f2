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

"""Valence-compatible passthru methods of the ``expether`` vendor interface.

:class:`ValencePassthruMixin` is a base class of
:class:`ironic_expether.drivers.vendor.ExpEtherVendor`; Ironic finds the
decorated methods of a base class too. Every method is synchronous, takes
Valence's request body as keyword arguments, checked against the schemas
of :mod:`ironic_expether.valence.schemas` (unknown keys rejected, 400
naming the field), and returns a dict in Valence's shape (see
:mod:`ironic_expether.valence.views` and ``doc/source/valence-migration.rst``).

Ironic's conductor checks every call before running it: driver passthru
calls with :meth:`ValencePassthruMixin.driver_validate`, node passthru
calls with the vendor interface's ``validate``. The methods themselves
trust their arguments.

Driver passthru: ``pod_managers`` (GET, POST, DELETE), ``devices`` (GET),
``device`` (GET), ``nodes`` (GET), ``compose`` (POST), ``manage`` (POST),
``sync`` (POST), ``flavors`` (GET, POST, DELETE).

Node passthru: ``release`` (POST) and ``register`` (POST).

The ``register`` key mapping: Valence's generic ``address``,
``username``, ``password`` become ``redfish_*`` keys when ``address`` is
an http(s) URL, and ``ipmi_*`` keys otherwise; ``system_id`` becomes
``redfish_system_id`` and ``port`` ``ipmi_port``. A Redfish ``address``
that names a system (``https://bmc/redfish/v1/Systems/<id>``) is split
into ``redfish_address`` and ``redfish_system_id``. Keys already named
``redfish_*``/``ipmi_*`` are taken as they are.
"""

from ironic.common import context as ironic_context
from ironic.common import exception
from ironic.common.i18n import _
from ironic.common import states
from ironic.conductor import verify
from ironic.drivers import base
from ironic import objects
from oslo_log import log
from oslo_utils import excutils

from ironic_expether import eem
from ironic_expether.eem_access import utils as driver_utils
from ironic_expether.pool import claims
from ironic_expether.pool import compose
from ironic_expether.pool.db import api as db_api
from ironic_expether.pool.db import models
from ironic_expether.pool import discovery
from ironic_expether.pool import podm as podm_api
from ironic_expether.valence import schemas
from ironic_expether.valence import views

LOG = log.getLogger(__name__)

#: Schema of each driver passthru method, per HTTP verb.
DRIVER_SCHEMAS = {
    'pod_managers': {'GET': schemas.POD_MANAGER_GET,
                     'POST': schemas.POD_MANAGER_CREATE,
                     'DELETE': schemas.POD_MANAGER_DELETE},
    'devices': {'GET': schemas.DEVICES_GET},
    'device': {'GET': schemas.DEVICE_GET},
    'nodes': {'GET': schemas.NODES_GET},
    'compose': {'POST': schemas.COMPOSE},
    'manage': {'POST': schemas.MANAGE},
    'sync': {'POST': schemas.SYNC},
    'flavors': {'GET': schemas.FLAVORS_GET,
                'POST': schemas.FLAVORS_CREATE,
                'DELETE': schemas.FLAVORS_DELETE},
}

#: Schema of each node passthru method of this mixin.
NODE_SCHEMAS = {
    'release': schemas.RELEASE,
    'register': schemas.REGISTER,
}
NODE_METHODS = frozenset(NODE_SCHEMAS)


def _holders(context):
    """Map each expether node's uuid to its server engine's EE id."""
    result = {}
    for node in objects.Node.list(context,
                                  filters={'driver': podm_api.DRIVER},
                                  fields=['uuid', 'driver_info']):
        eesv_id = (node.driver_info or {}).get('eesv_id')
        if isinstance(eesv_id, str):
            result[node.uuid] = eesv_id.lower()
    return result


def _podm_of(node, cache):
    """The pod manager uuid of a node, registering unknown EEMs."""
    address = (node.driver_info or {}).get('eem_address')
    if address in cache:
        return cache[address]
    try:
        podm_uuid = podm_api.pod_manager_of_node(node).uuid
    except exception.IronicException as e:
        LOG.warning('Node %(node)s has no usable EEM driver_info: %(err)s',
                    {'node': node.uuid, 'err': e})
        podm_uuid = None
    cache[address] = podm_uuid
    return podm_uuid


def _check_pod_manager(context, body):
    if body.get('uuid'):
        db_api.get_pod_manager(body['uuid'])


def _check_pod_manager_delete(context, body):
    podm = db_api.get_pod_manager(body['uuid'])
    held = db_api.list_devices(podm_uuid=podm.uuid,
                               state=db_api.HELD_STATES, limit=1)
    held = held or [d for d in db_api.list_devices(
        podm_uuid=podm.uuid, state=models.DEVICE_MISSING) if d.node_uuid]
    if held:
        raise exception.Conflict(
            _('uuid: pod manager %(podm)s cannot be deleted: node %(node)s '
              'holds its device %(dev)s; release its devices first') %
            {'podm': podm.uuid, 'node': held[0].node_uuid,
             'dev': held[0].uuid})


def _check_device(context, body):
    db_api.find_device(body['uuid'])


def _check_node(context, body):
    if not body.get('uuid'):
        return
    try:
        node = objects.Node.get_by_uuid(context, body['uuid'])
    except exception.NodeNotFound:
        node = None
    if node is None or node.driver != podm_api.DRIVER:
        raise exception.NotFound(
            _('uuid: node %s could not be found') % body['uuid'])


def _check_compose(context, body):
    types = compose.requested_types(context, body.get('properties'),
                                    body.get('flavor_id'))
    compose.check_compose(context, body['name'],
                          podm_uuid=body.get('podm_id'), types=types)


def _check_manage(context, body):
    compose.check_manage(context, body['node_index'],
                         podm_uuid=body.get('podm_id'))


def _check_sync(context, body):
    if body.get('podm_id') is not None:
        podm_api.get_pod_manager(body['podm_id'])


def _check_flavor(context, body):
    if body.get('uuid'):
        db_api.get_flavor(body['uuid'])


#: Read-only checks of a driver passthru call, by (method, HTTP verb), run
#: in :meth:`ValencePassthruMixin.driver_validate` after the schema. Ironic
#: logs every error of a passthru method itself as an ERROR with a
#: traceback; a request these checks refuse is answered before that, with
#: no ERROR in the conductor log. They read the pool and Ironic databases,
#: never EEM; the method checks again when it acts, so a race is still
#: answered right.
_PRECHECKS = {
    ('pod_managers', 'GET'): _check_pod_manager,
    ('pod_managers', 'DELETE'): _check_pod_manager_delete,
    ('device', 'GET'): _check_device,
    ('nodes', 'GET'): _check_node,
    ('compose', 'POST'): _check_compose,
    ('manage', 'POST'): _check_manage,
    ('sync', 'POST'): _check_sync,
    ('flavors', 'GET'): _check_flavor,
    ('flavors', 'DELETE'): _check_flavor,
}


_REDFISH_SYSTEMS = '/redfish/v1/Systems/'


def bmc_driver_info(driver_info):
    """Map Valence's register driver_info to Ironic's BMC keys.

    :param driver_info: the validated ``driver_info`` of a register call.
    :returns: a dict of ``redfish_*``/``ipmi_*`` keys.
    :raises: InvalidParameterValue naming the key when a generic key and
        its specific one are both given.
    """
    info = dict(driver_info)
    address = info.get('address')
    kind = 'ipmi'
    if isinstance(address, str) and address.lower().startswith(
            ('http://', 'https://')):
        kind = 'redfish'
    generic = {'address': '%s_address' % kind,
               'username': '%s_username' % kind,
               'password': '%s_password' % kind,
               'port': 'ipmi_port',
               'system_id': 'redfish_system_id'}
    result = {k: v for k, v in info.items() if k not in generic}
    for key, target in generic.items():
        if key not in info:
            continue
        if target in result:
            raise exception.InvalidParameterValue(
                _('driver_info.%(key)s: give either %(key)s or %(target)s, '
                  'not both') % {'key': key, 'target': target})
        result[target] = info[key]
    for key, value in list(result.items()):
        if not isinstance(value, str):
            result[key] = str(value) if not isinstance(value, bool) else value
    if kind == 'redfish' and 'redfish_system_id' not in result:
        base_url, marker, system = result['redfish_address'].partition(
            _REDFISH_SYSTEMS)
        if marker and system.strip('/'):
            result['redfish_address'] = base_url
            result['redfish_system_id'] = marker + system.strip('/')
    return result


class ValencePassthruMixin(object):
    """Valence's API as passthru methods (base of the vendor interface)."""

    def driver_validate(self, method, **kwargs):
        """Validate a driver passthru call's body with its schema.

        :param method: the driver passthru method.
        :param kwargs: ``http_method`` and the JSON body.
        :raises: InvalidParameterValue, MissingParameterValue naming the
            field.
        :raises: NotFound, Conflict, DuplicateName for a call the pool or
            Ironic database already refuses (see :data:`_PRECHECKS`).
        """
        http_method = (kwargs.pop('http_method', None) or 'GET').upper()
        schema = DRIVER_SCHEMAS.get(method, {}).get(http_method)
        if schema is not None:
            schemas.validate(schema, kwargs, method)
        check = _PRECHECKS.get((method, http_method))
        if check is not None:
            check(ironic_context.get_admin_context(), kwargs)

    def validate_node_method(self, task, method, **kwargs):
        """Validate a node passthru call of this mixin.

        :param task: a TaskManager instance.
        :param method: ``release`` or ``register``.
        :param kwargs: ``http_method`` and the JSON body.
        :raises: InvalidParameterValue, MissingParameterValue naming the
            field.
        """
        kwargs.pop('http_method', None)
        schemas.validate(NODE_SCHEMAS[method], kwargs, method)

    # Pod managers

    @base.driver_passthru(['GET', 'POST', 'DELETE'], async_call=False,
                          description=_('Valence pod managers: list or show '
                                        '(GET, uuid), create (POST), '
                                        'delete (DELETE, uuid).'))
    def pod_managers(self, context, http_method=None, **kwargs):
        """List, show, create or delete pod managers (one EEM each).

        :param context: a request context.
        :param http_method: GET, POST or DELETE.
        :param kwargs: the body (see the schemas).
        :returns: ``{"pod_managers": [...]}``, one pod manager, or
            ``{"code": "", "detail": "DELETED"}``.
        :raises: NotFound, Conflict, InvalidParameterValue (also when EEM
            refused the credentials or its TLS certificate does not
            verify), TemporaryFailure (EEM unreachable).
        """
        http_method = (http_method or 'GET').upper()
        if http_method == 'GET':
            if kwargs.get('uuid'):
                return views.pod_manager(
                    db_api.get_pod_manager(kwargs['uuid']))
            return {'pod_managers': [views.pod_manager(p) for p in
                                     db_api.list_pod_managers()]}
        if http_method == 'DELETE':
            db_api.delete_pod_manager(kwargs['uuid'])
            return {'code': '', 'detail': 'DELETED'}
        return self._create_pod_manager(context, kwargs)

    def _create_pod_manager(self, context, body):
        auth = body['authentication'][0]['auth_items']
        podm = podm_api.register(body['name'], body['url'],
                                 username=auth['username'],
                                 password=auth['password'],
                                 verify=body.get('verify', True))
        # NOTE(expether): like Valence, discover the new EEM's devices at
        # once (one devices/detail request), so that it can compose before
        # the next periodic cycle. A failure only marks it offline.
        discovery.sync(context, podm_uuid=podm.uuid)
        return views.pod_manager(db_api.get_pod_manager(podm.uuid))

    # Devices

    # NOTE(expether): the Python name differs from the passthru name
    # because the node passthru ``devices`` of the vendor interface has
    # the same name.
    @base.driver_passthru(['GET'], method='devices', async_call=False,
                          description=_('Valence devices: list, filtered by '
                                        'podm_id, node_id, state, type, '
                                        'pooled_group_id, resource_uri.'))
    def list_devices(self, context, http_method=None, **kwargs):
        """List pool devices.

        :param context: a request context.
        :param http_method: GET.
        :param kwargs: filters: ``podm_id``, ``node_id`` (Ironic node uuid
            or server engine EE id), ``state``, ``type``,
            ``pooled_group_id``, ``resource_uri``.
        :returns: ``{"devices": [...]}``.
        :raises: InvalidParameterValue naming a bad filter.
        """
        holders = _holders(context)
        filters = {'podm_uuid': kwargs.get('podm_id'),
                   'state': kwargs.get('state'),
                   'type': kwargs.get('type')}
        if 'pooled_group_id' in kwargs:
            gid = int(kwargs['pooled_group_id'])
            if not eem.MIN_GROUP_ID <= gid <= 4094:
                raise exception.InvalidParameterValue(
                    _('pooled_group_id: %s is not a group id (16 to '
                      '4094)') % kwargs['pooled_group_id'])
            filters['group_id'] = str(gid)
        if 'resource_uri' in kwargs:
            filters['eeid'] = kwargs['resource_uri'].split('/', 1)[1].lower()
        node_id = kwargs.get('node_id')
        if node_id is not None:
            if eem.is_valid_eeid(node_id):
                uuids = [u for u, e in holders.items()
                         if e == node_id.lower()]
                if not uuids:
                    return {'devices': []}
                filters['node_uuid'] = uuids
            else:
                filters['node_uuid'] = node_id
        records = db_api.list_devices(**filters)
        return {'devices': [views.device(r, holders) for r in records]}

    @base.driver_passthru(['GET'], async_call=False,
                          description=_('Valence device detail (uuid: pool '
                                        'uuid or EE id).'))
    def device(self, context, http_method=None, **kwargs):
        """Show one pool device.

        :param context: a request context.
        :param http_method: GET.
        :param kwargs: ``uuid``: the pool uuid or the EE id.
        :returns: the device detail.
        :raises: NotFound if the pool has no such device.
        """
        record = db_api.find_device(kwargs['uuid'])
        return views.device_detail(record, _holders(context))

    # Nodes

    @base.driver_passthru(['GET'], async_call=False,
                          description=_('Valence nodes: the expether nodes, '
                                        'or one (uuid) with EEM details.'))
    def nodes(self, context, http_method=None, **kwargs):
        """List the expether nodes, or show one with EEM's details.

        :param context: a request context.
        :param http_method: GET.
        :param kwargs: optional ``uuid``.
        :returns: ``{"nodes": [...]}`` or one node detail.
        :raises: NotFound if the uuid is not an expether node.
        """
        cache = {}
        if not kwargs.get('uuid'):
            nodes = objects.Node.list(context,
                                      filters={'driver': podm_api.DRIVER})
            return {'nodes': [views.node(n, _podm_of(n, cache))
                              for n in nodes]}
        try:
            node = objects.Node.get_by_uuid(context, kwargs['uuid'])
        except exception.NodeNotFound:
            node = None
        if node is None or node.driver != podm_api.DRIVER:
            raise exception.NotFound(
                _('uuid: node %s could not be found') % kwargs['uuid'])
        body = views.node(node, _podm_of(node, cache))
        eesv = None
        try:
            info = driver_utils.parse_driver_info(node)
            client = driver_utils.get_client(info)
            with driver_utils.eem_errors(node, _('reading its server '
                                                 'engine')):
                eesv = client.get_device(info['eesv_id'])
        except exception.IronicException as e:
            LOG.warning('Node %(node)s: EEM details unavailable: %(err)s',
                        {'node': node.uuid, 'err': e})
        return views.node_detail(body, eesv)

    @base.driver_passthru(['POST'], async_call=False,
                          description=_('Valence compose: name, podm_id, '
                                        'description, properties.pci_device'
                                        '.type or flavor_id.'))
    def compose(self, context, http_method=None, **kwargs):
        """Compose a node from a free server engine and free devices.

        :param context: a request context.
        :param http_method: POST.
        :param kwargs: ``name``, optional ``description``, ``podm_id``,
            and ``properties`` or ``flavor_id``.
        :returns: ``{uuid, name, index, resource_uri}``.
        :raises: see :func:`ironic_expether.pool.compose.compose`.
        """
        types = compose.requested_types(context, kwargs.get('properties'),
                                        kwargs.get('flavor_id'))
        node = compose.compose(context, kwargs['name'],
                               podm_uuid=kwargs.get('podm_id'), types=types,
                               description=kwargs.get('description'))
        return views.composed(node)

    @base.driver_passthru(['POST'], async_call=False,
                          description=_('Valence manage: enroll the server '
                                        'engine node_index of podm_id.'))
    def manage(self, context, http_method=None, **kwargs):
        """Enroll an existing server engine with the devices in its group.

        :param context: a request context.
        :param http_method: POST.
        :param kwargs: ``node_index`` and ``podm_id``.
        :returns: ``{uuid, name, index, resource_uri}``.
        :raises: see :func:`ironic_expether.pool.compose.manage`.
        """
        node = compose.manage(context, kwargs['node_index'],
                              podm_uuid=kwargs.get('podm_id'))
        return views.composed(node)

    @base.driver_passthru(['POST'], async_call=False,
                          description=_('Valence sync: refresh the pool '
                                        'from EEM (optional podm_id).'))
    def sync(self, context, http_method=None, **kwargs):
        """Sync the pool with EEM, for one or every pod manager.

        :param context: a request context.
        :param http_method: POST.
        :param kwargs: optional ``podm_id``.
        :returns: ``{"results": [{"podm_id", "status"}]}``.
        :raises: NotFound naming podm_id.
        """
        podm_uuid = kwargs.get('podm_id')
        if podm_uuid is not None:
            podm_api.get_pod_manager(podm_uuid)
        return {'results': discovery.sync(context, podm_uuid=podm_uuid)}

    @base.driver_passthru(['GET', 'POST', 'DELETE'], async_call=False,
                          description=_('Valence flavors: list or show '
                                        '(GET, uuid), create (POST), delete '
                                        '(DELETE, uuid).'))
    def flavors(self, context, http_method=None, **kwargs):
        """List, show, create or delete stored flavors.

        :param context: a request context.
        :param http_method: GET, POST or DELETE.
        :param kwargs: the body (see the schemas).
        :returns: ``{"flavors": [...]}``, one flavor, or Valence's DELETED
            body.
        :raises: NotFound naming the uuid.
        """
        http_method = (http_method or 'GET').upper()
        if http_method == 'GET':
            if kwargs.get('uuid'):
                return views.flavor(db_api.get_flavor(kwargs['uuid']))
            return {'flavors': [views.flavor(f)
                                for f in db_api.list_flavors()]}
        if http_method == 'DELETE':
            db_api.delete_flavor(kwargs['uuid'])
            return {'code': 'DELETED',
                    'detail': 'This flavor %s has been deleted '
                              'successfully' % kwargs['uuid']}
        flavor = db_api.create_flavor({
            'name': kwargs['name'],
            'description': kwargs.get('description'),
            'properties': kwargs['properties']})
        return views.flavor(flavor)

    # Node passthru

    @base.passthru(['POST'], async_call=False,
                   description=_('Return devices of the node to the pool: '
                                 'resource_ids (pool uuids or EE ids), or '
                                 'every device of its composition.'))
    def release(self, task, http_method=None, **kwargs):
        """Return some or all composition devices of a node to the pool.

        :param task: a TaskManager instance.
        :param http_method: POST.
        :param kwargs: optional ``resource_ids``.
        :returns: ``{"released": [device uuids]}``.
        :raises: NotFound, Conflict (a device the node does not hold),
            DriverOperationError (EEM failed; the other devices are still
            released).
        """
        refs = kwargs.get('resource_ids')
        try:
            if refs is None:
                released = claims.release(
                    task.node, purpose=models.PURPOSE_COMPOSITION)
            else:
                released = claims.release(task.node, refs)
        finally:
            compose.describe_node(task.node)
        return {'released': [d.uuid for d in released]}

    @base.passthru(['POST'], async_call=False,
                   description=_('Valence register: add BMC details '
                                 '(driver_info, optional mac) and move the '
                                 'node from enroll to manageable.'))
    def register(self, task, http_method=None, **kwargs):
        """Add BMC details to a node and verify it (enroll -> manageable).

        :param task: a TaskManager instance (exclusive lock).
        :param http_method: POST.
        :param kwargs: ``driver_info`` (BMC details), optional ``mac``
            (a port is created for it), optional ``driver`` (only
            ``expether``).
        :returns: Valence's node body, with ``managed_by: "ironic"``.
        :raises: InvalidParameterValue naming driver_info if the node
            cannot be verified with these details (a node in enroll) or
            its power state cannot be read with them (a node in another
            state); the node is left as it was: driver_info, port and
            last_error are restored.
        :raises: MACAlreadyExists (409) if another node has that MAC.
        """
        node = task.node
        old_info = dict(node.driver_info or {})
        old_error = node.last_error
        driver_info = dict(old_info)
        driver_info.update(bmc_driver_info(kwargs['driver_info']))
        node.driver_info = driver_info
        node.save()
        port = None
        try:
            mac = kwargs.get('mac')
            if mac:
                port = self._ensure_port(task, mac.lower().replace('-', ':'))
            if node.provision_state == states.ENROLL:
                task.process_event('manage')
                verify.do_node_verify(task)
                if node.provision_state != states.MANAGEABLE:
                    raise exception.InvalidParameterValue(
                        _('driver_info: node %(node)s could not be verified '
                          'with these BMC details; it stays in enroll and '
                          'keeps its former driver_info: %(err)s') %
                        {'node': node.uuid, 'err': node.last_error})
            else:
                self._check_power(task)
        except Exception:
            with excutils.save_and_reraise_exception():
                node.driver_info = old_info
                node.last_error = old_error
                node.save()
                if port is not None:
                    port.destroy()
        return views.node(node, _podm_of(node, {}))

    @staticmethod
    def _check_power(task):
        """Read the power state with new BMC details, or refuse them."""
        try:
            task.driver.power.validate(task)
            task.driver.power.get_power_state(task)
        except exception.IronicException as e:
            raise exception.InvalidParameterValue(
                _('driver_info: the power state of node %(node)s cannot be '
                  'read with these BMC details; its driver_info is left as '
                  'it was: %(err)s') % {'node': task.node.uuid, 'err': e})

    @staticmethod
    def _ensure_port(task, mac):
        """Give the node a port with this MAC.

        :returns: the port created, or None when the node had one.
        """
        for port in objects.Port.list_by_node_id(task.context, task.node.id):
            if port.address and port.address.lower() == mac.lower():
                return None
        port = objects.Port(task.context, node_id=task.node.id,
                            address=mac.lower())
        port.create()
        return port
