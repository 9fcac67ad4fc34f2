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

"""Pod manager <-> EEM <-> Ironic node: the one home of the mapping.

A pod manager is one EEM endpoint; each of its server engines (EESV) is at
most one Ironic node of the ``expether`` driver, whose ``driver_info``
names the EEM (``eem_address`` and credentials) and the engine
(``eesv_id``). This module turns each of them into the others:

* :func:`client_for`: the (cached) EEM client of a pod manager;
* :func:`node_uuid_for`, :func:`node_driver_info`: the uuid and
  ``driver_info`` of the node of a server engine;
* :func:`nodes_of_pod_manager`: the nodes of a pod manager, by EE id;
* :func:`get_pod_manager`, :func:`pod_manager_of_node`: the pod manager
  a request or a node names;
* :func:`server_of`: a node's pod manager, EEM client and EE id at once;
* :func:`register`: a new pod manager, after a live check of its EEM;
* :func:`new_node`: the one way compose, manage and discovery create a
  node.
"""

import collections
import uuid

from ironic.common import driver_factory
from ironic.common import exception
from ironic.common.i18n import _
from ironic.common import states
from ironic.conf import CONF
from ironic import objects
from oslo_log import log
from oslo_utils import strutils

from ironic_expether import conf
from ironic_expether import eem
from ironic_expether.eem_access import utils as driver_utils
from ironic_expether.pool.db import api as db_api
from ironic_expether.pool.db import models

LOG = log.getLogger(__name__)

#: The name of the hardware type, as Ironic nodes spell it.
DRIVER = driver_utils.DRIVER
#: Namespace of the uuids of nodes made by compose, manage and discovery.
NODE_NAMESPACE = uuid.UUID('5d0c6a9e-2f57-4b8e-9c3e-e7e4e8d2a001')

#: A node's server engine as the pool moves devices for it: the pod
#: manager record, its EEM client and the engine's EE id.
Server = collections.namedtuple('Server', ['podm', 'client', 'eesv_id'])


def node_uuid_for(podm_uuid, eesv_id):
    """The uuid of the node compose or manage creates for a server engine.

    Derived from the pod manager and the EE id, so two concurrent requests
    for the same engine collide on Ironic's unique node uuid.

    :param podm_uuid: the pod manager's uuid.
    :param eesv_id: the server engine's EE id.
    :returns: a uuid string.
    """
    return str(uuid.uuid5(NODE_NAMESPACE,
                          '%s/%s' % (podm_uuid, eesv_id.lower())))


def verify_value(verify):
    """A pod manager's stored TLS setting as the EEM client takes it.

    :param verify: ``'True'``, ``'False'`` or a CA bundle path.
    :returns: True, False or the path.
    """
    value = strutils.bool_from_string(verify, default=None)
    return verify if value is None else value


def client_info(podm):
    """The EEM connection details of a pod manager, for get_client.

    :param podm: a pool ``PodManager`` record.
    :returns: a dict with ``address``, ``username``, ``password``,
        ``verify``.
    """
    return {'address': podm.url, 'username': podm.username,
            'password': podm.password, 'verify': verify_value(podm.verify)}


def client_for(podm):
    """The (cached) EEM client of a pod manager.

    :param podm: a pool ``PodManager`` record.
    :returns: an :class:`ironic_expether.eem.EEMClient`.
    """
    return driver_utils.get_client(client_info(podm))


def node_driver_info(podm, eesv_id):
    """driver_info of a node of a pod manager's server engine.

    :param podm: a pool ``PodManager`` record.
    :param eesv_id: the server engine's EE id.
    :returns: a dict with ``eem_address``, ``eesv_id`` and, when the pod
        manager has them, ``eem_username``, ``eem_password`` and
        ``eem_verify_ca``.
    """
    info = {'eem_address': podm.url, 'eesv_id': eesv_id.lower()}
    if podm.username:
        info['eem_username'] = podm.username
    if podm.password:
        info['eem_password'] = podm.password
    if podm.verify and podm.verify != 'True':
        info['eem_verify_ca'] = podm.verify
    return info


def same_url(a, b):
    """Whether two EEM URLs name the same EEM (False if one is invalid)."""
    try:
        return db_api.normalize_url(a) == db_api.normalize_url(b)
    except exception.InvalidParameterValue:
        return False


_CANDIDATE_FIELDS = ['id', 'uuid', 'driver_info', 'reservation',
                     'instance_uuid', 'maintenance', 'provision_state']


def nodes_of_pod_manager(context, podm):
    """The expether nodes of a pod manager, by server engine EE id.

    :param context: a request context.
    :param podm: a pool ``PodManager`` record.
    :returns: dict of lower-case EE id -> Ironic node.
    """
    result = {}
    # NOTE(expether): only what the choice of a server engine reads; full
    # node objects cost ~0.5 s at a thousand nodes. Compose works on a
    # node it took through task_manager, which loads it whole.
    for node in objects.Node.list(context, filters={'driver': DRIVER},
                                  fields=_CANDIDATE_FIELDS):
        info = node.driver_info or {}
        eesv_id = info.get('eesv_id')
        if (isinstance(eesv_id, str)
                and same_url(info.get('eem_address'), podm.url)):
            result[eesv_id.lower()] = node
    return result


def get_pod_manager(podm_uuid):
    """The pod manager a request names, or the only one.

    :param podm_uuid: the ``podm_id`` of the request, or None.
    :returns: a pool ``PodManager`` record.
    :raises: NotFound naming podm_id if it does not exist.
    :raises: MissingParameterValue naming podm_id if it is None and there
        is not exactly one pod manager.
    """
    if podm_uuid is None:
        podms = db_api.list_pod_managers()
        if len(podms) != 1:
            raise exception.MissingParameterValue(
                _('podm_id is required: there are %d pod managers') %
                len(podms))
        return podms[0]
    try:
        return db_api.get_pod_manager(podm_uuid)
    except exception.NotFound:
        raise exception.NotFound(
            _('podm_id: pod manager %s could not be found') % podm_uuid)


def pod_manager_of_node(node, info=None):
    """The pod manager of a node's EEM, registered on first sight.

    :param node: an Ironic node with ``eem_address`` in ``driver_info``.
    :param info: the node's parsed driver_info, when the caller has it.
    :returns: a :class:`~ironic_expether.pool.db.models.PodManager`.
    :raises: MissingParameterValue, InvalidParameterValue for a bad
        ``driver_info``.
    """
    if info is None:
        info = driver_utils.parse_driver_info(node)
    return db_api.ensure_pod_manager_for_url(
        info['address'], username=info['username'],
        password=info['password'], verify=info['verify'])


def server_of(node):
    """A node's pod manager, EEM client and server engine, from one parse.

    :param node: an Ironic node of the expether driver.
    :returns: a :class:`Server`.
    :raises: MissingParameterValue, InvalidParameterValue for a bad
        ``driver_info``.
    """
    info = driver_utils.parse_driver_info(node)
    return Server(pod_manager_of_node(node, info=info),
                  driver_utils.get_client(info), info['eesv_id'])


def _register_error(url, error):
    """Turn an EEM error of the registration check into an Ironic one."""
    where = driver_utils.safe_address(url)
    if isinstance(error, eem.EEMAuthError):
        # NOTE(expether): not NotAuthorized (401): that would tell the
        # caller that its own token to Ironic was refused.
        return exception.InvalidParameterValue(
            _('authentication: EEM %s refused the credentials') % where)
    if isinstance(error, eem.EEMTLSError):
        return exception.InvalidParameterValue(
            _('verify: EEM %(eem)s cannot be trusted: %(err)s; give the CA '
              'bundle that signed its certificate') %
            {'eem': where, 'err': error.reason})
    if isinstance(error, eem.EEMNotFound):
        return exception.InvalidParameterValue(
            _('url: %s does not answer api_version; is it the EEM REST '
              'API URL ending in /eem?') % where)
    if isinstance(error, (eem.EEMConnectionError, eem.EEMTimeout)):
        return exception.TemporaryFailure(
            _('url: EEM %(eem)s cannot be reached: %(err)s') %
            {'eem': where, 'err': error})
    return exception.TemporaryFailure(
        _('url: EEM %(eem)s failed to answer api_version: %(err)s') %
        {'eem': where, 'err': error})


def register(name, url, username=None, password=None, verify=True):
    """Register an EEM as a pod manager, after asking it its API version.

    :param name: the pod manager's name.
    :param url: the EEM REST API URL, ending in ``/eem``.
    :param username: EEM user name, or None.
    :param password: EEM password, or None.
    :param verify: TLS verification: a bool, a bool-like string or a CA
        bundle path.
    :returns: the new pod manager record (``online``).
    :raises: InvalidParameterValue naming url for a URL that is not EEM's.
    :raises: InvalidParameterValue when EEM refused the credentials or
        its TLS certificate does not verify; TemporaryFailure (EEM
        unreachable or failing).
    :raises: Conflict if the name or the URL is taken.
    """
    try:
        url = db_api.normalize_url(url)
    except ValueError as e:
        # NOTE(expether): urllib's own errors: a port that is not a
        # number or out of range, a broken IPv6 literal.
        raise exception.InvalidParameterValue(
            _('url: not a valid URL: %s') % e)
    if not url.rstrip('/').endswith('/eem') or '?' in url:
        raise exception.InvalidParameterValue(
            _('url: %s is not an EEM REST API URL (it must end in '
              '/eem)') % driver_utils.safe_address(url))
    values = {'name': name, 'url': url,
              'username': username or None,
              'password': password or None,
              'verify': db_api.normalize_verify(verify),
              'driver': DRIVER}
    try:
        client = eem.EEMClient(
            url, username=values['username'], password=values['password'],
            verify=verify_value(values['verify']),
            retries=0, timeout=conf.CONF.expether.request_timeout)
    except ValueError as e:
        raise exception.InvalidParameterValue(
            _('url: %(url)s is not usable: %(err)s') %
            {'url': driver_utils.safe_address(url), 'err': e})
    try:
        version = client.api_version()
    except eem.EEMError as e:
        raise _register_error(url, e)
    finally:
        client.close()
    values['status'] = models.POD_MANAGER_ONLINE
    podm = db_api.create_pod_manager(values)
    LOG.info('Created pod manager %(uuid)s for EEM %(url)s (API '
             'version %(version)s)', {'uuid': podm.uuid, 'url': url,
                                      'version': version})
    return podm


def new_node(context, podm, eesv_id, name=None, description=None,
             reserved=False, properties=None):
    """Create the Ironic node of a server engine, in ``enroll``.

    Its uuid is :func:`node_uuid_for` the engine, so a second creation of
    the same engine fails on Ironic's unique uuid.

    :param context: a request context.
    :param podm: the pool ``PodManager`` record.
    :param eesv_id: the server engine's EE id.
    :param name: the node's name, or None.
    :param description: the node's description, or None.
    :param reserved: create it already reserved by this conductor, so
        that no other request takes it before the caller is done.
    :param properties: the node's properties, or None for none.
    :returns: the new node.
    :raises: NodeAlreadyExists if the engine has a node already.
    :raises: IronicException if the node's interfaces cannot be set.
    """
    values = dict(
        uuid=node_uuid_for(podm.uuid, eesv_id), driver=DRIVER,
        driver_info=node_driver_info(podm, eesv_id),
        provision_state=states.ENROLL, power_state=states.NOSTATE,
        resource_class=CONF.default_resource_class, conductor_group='',
        properties=dict(properties or {}), description=description)
    if name is not None:
        values['name'] = name
    if reserved:
        values['reservation'] = CONF.host
    node = objects.Node(context, **values)
    driver_factory.check_and_update_node_interfaces(node)
    node.create()
    return node
