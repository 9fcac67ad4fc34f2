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

"""Composing servers: pick a server engine, attach devices, enroll it.

:func:`compose` (Valence's ``POST /v1/nodes``) and :func:`manage`
(``POST /v1/nodes/manage``) run in the conductor, from driver passthru
methods. Device moves go through :mod:`ironic_expether.pool.claims`, so
every device is claimed in the pool before EEM moves it.

Choosing a server engine (EESV) of the pod manager, from ONE
``devices/detail`` request to its EEM:

* the engine is up (its notification statuses are not all down) and can
  take the requested number of devices (``max_eeio_count``);
* its group holds no IO engine at all: devices in it belong to someone
  else (or leaked), and are never silently adopted;
* nothing holds it: either no Ironic node stands for it, or its node has
  no pool devices, no instance, is not in maintenance, is in ``enroll``,
  ``manageable`` or ``available``, and its lock can be taken;
* among those, the ones with the fewest devices in their group come
  first, in random order, so that concurrent requests spread out instead
  of all trying EEM's first engine.

Two concurrent composes never take the same server engine: a new node's
uuid is derived from the pod manager and the EE id
(:func:`ironic_expether.pool.podm.node_uuid_for`), so the second
``INSERT`` of the same engine fails on Ironic's unique uuid;
an existing node is taken with its exclusive lock and checked again under
it. A new node is created already reserved by this conductor, so no other
request can take it before its devices are attached.

A compose costs one ``devices/detail`` listing, then one group change per
device (plus one for a server engine still in its default group 4094):
the moves use the listing instead of reading the server and each device
again, and each carries the device's ``update_time`` as listed, so that
EEM refuses to move a device that changed outside Ironic meanwhile (see
:mod:`ironic_expether.eem_access.fabric`).

Any failure undoes what the request did: the devices it attached go back
to the pool (their claims too; a move whose answer was lost is undone from
EEM's view of the group, or its claim kept for discovery when EEM cannot
be read) and a node it created is deleted. Until it completes, the node is
marked :data:`COMPOSING_PROPERTY`, so that discovery undoes a composition
whose conductor died (:func:`undo_stale_compositions`).
"""

import collections
import datetime
import random

from ironic.common import exception
from ironic.common.i18n import _
from ironic.common import states
from ironic.common import utils as ironic_utils
from ironic.conductor import task_manager
from ironic.conf import CONF
from ironic.db import api as ironic_dbapi
from ironic import objects
from oslo_log import log
from oslo_utils import excutils
from oslo_utils import timeutils

from ironic_expether import eem
from ironic_expether.eem_access import fabric
from ironic_expether.eem_access import utils as driver_utils
from ironic_expether.pool import claims
from ironic_expether.pool.db import api as db_api
from ironic_expether.pool.db import models
from ironic_expether.pool import describe
from ironic_expether.pool import podm as podm_api
from ironic_expether.pool import reconcile

LOG = log.getLogger(__name__)

#: Key of node.properties describing the composition's devices.
DEVICES_PROPERTY = describe.DEVICES_PROPERTY
#: Provision states in which a node without devices may be composed.
COMPOSABLE_STATES = (states.ENROLL, states.MANAGEABLE, states.AVAILABLE)
#: Key of node.properties marking a node as being composed, until its
#: composition is complete: ``{"started_at": <ISO 8601>, "conductor":
#: <host>, "created": <bool>}`` plus, for a node that existed before, its
#: former ``name`` and ``description``. Discovery undoes the composition
#: of a node marked for longer than ``[expether] claim_timeout`` whose
#: conductor is gone (:func:`undo_stale_compositions`).
COMPOSING_PROPERTY = 'expether_composing'


def node_is_idle(node):
    """Whether an enrolled node may be taken by compose.

    :param node: an Ironic node.
    :returns: True when it has no instance, is not in maintenance, is in
        one of :data:`COMPOSABLE_STATES` and holds no pool device.
    """
    return (not node.instance_uuid and not node.maintenance
            and node.provision_state in COMPOSABLE_STATES
            and not claims.devices_of_node(node.uuid))


def select_candidates(eem_devices, nodes, count):
    """Server engines compose may take, best first.

    :param eem_devices: every device of the EEM (one ``devices/detail``).
    :param nodes: dict of EE id -> Ironic node
        (:func:`ironic_expether.pool.podm.nodes_of_pod_manager`).
    :param count: how many devices will be attached.
    :returns: list of ``(eesv, node or None)``, best first.
    """
    per_group = collections.Counter(d.group_id for d in eem_devices
                                    if d.is_eeio)
    ranked = []
    for eesv in eem_devices:
        if not eesv.is_eesv or not eem.is_valid_eeid(eesv.id):
            continue
        if not eesv.is_up:
            continue
        if eesv.max_eeio_count is not None and eesv.max_eeio_count < count:
            continue
        used = per_group[eesv.group_id] if eesv.has_own_group else 0
        if used:
            # Devices of others (or leaked ones) are in its group.
            continue
        node = nodes.get(eesv.id.lower())
        if node is not None and (node.reservation or not node_is_idle(node)):
            continue
        ranked.append((used, random.random(), eesv, node))
    ranked.sort(key=lambda item: item[:2])
    return [(eesv, node) for _used, _rand, eesv, node in ranked]


def describe_node(node):
    """Write a node's devices into its properties and owned traits.

    The one rule is :func:`ironic_expether.pool.describe.update_node`'s:
    allocated composition devices are listed, and only the traits of
    :data:`ironic_expether.pool.describe.OWNED_TRAITS` are changed.

    :param node: an Ironic node object whose exclusive lock (or
        reservation) the caller holds.
    :returns: a :class:`ironic_expether.pool.describe.Change`, or None
        when nothing changed.
    """
    return describe.update_node(node)


def requested_types(context, properties=None, flavor_id=None):
    """The device types a compose request asks for.

    :param context: a request context.
    :param properties: Valence's ``properties`` of the request.
    :param flavor_id: the uuid of a stored flavor, instead.
    :returns: the list of types, repeats kept.
    :raises: NotFound naming flavor_id if the flavor does not exist.
    """
    if flavor_id is not None:
        try:
            properties = db_api.get_flavor(flavor_id).properties
        except exception.NotFound:
            raise exception.NotFound(
                _('flavor_id: flavor %s could not be found') % flavor_id)
    pci = (properties or {}).get('pci_device') or {}
    return list(pci.get('type') or [])


def _check_name_free(context, name):
    try:
        objects.Node.get_by_name(context, name)
    except exception.NodeNotFound:
        return
    raise exception.DuplicateName(name=name)


def _check_free_counts(podm, types):
    """Fail early, before any move, when the pool lacks devices."""
    wanted = collections.Counter(types)
    for pci_type, count in sorted(wanted.items()):
        free = len(db_api.list_devices(podm_uuid=podm.uuid,
                                       state=models.DEVICE_FREE,
                                       type=pci_type, limit=count))
        if free < count:
            raise exception.Conflict(
                _('properties.pci_device.type: %(count)d device(s) of type '
                  '%(type)s requested, %(free)d free in pod manager '
                  '%(podm)s; nothing was attached') %
                {'count': count, 'type': pci_type, 'free': free,
                 'podm': podm.uuid})


def _composing(created, **former):
    return dict(former, started_at=timeutils.utcnow().isoformat(),
                conductor=CONF.host, created=created)


def _new_node(context, podm, eesv_id, name, description):
    """Create the node of a server engine, reserved by this conductor.

    It is marked :data:`COMPOSING_PROPERTY` until its composition is
    complete.

    :returns: the node, or None if another request created it first.
    """
    try:
        return podm_api.new_node(
            context, podm, eesv_id, name=name, description=description,
            reserved=True,
            properties={COMPOSING_PROPERTY: _composing(True)})
    except exception.NodeAlreadyExists:
        LOG.info('Server engine %(eesv)s of pod manager %(podm)s was taken '
                 'by a concurrent request', {'eesv': eesv_id,
                                             'podm': podm.uuid})
        return None


def _release_reservation(context, node):
    try:
        objects.Node.release(context, CONF.host, node.id)
    except exception.NodeNotFound:
        pass  # deleted by a rollback
    except (exception.NodeNotLocked, exception.NodeLocked) as e:
        LOG.warning('Could not release the reservation of node %(node)s: '
                    '%(err)s', {'node': node.uuid, 'err': e})


def _finish(node):
    """Describe a composed node's devices and drop its composing mark."""
    properties = dict(node.properties or {})
    properties.pop(COMPOSING_PROPERTY, None)
    node.properties = properties
    describe_node(node)
    if node.obj_what_changed():
        node.save()


def _rollback(node, client, created):
    """Undo a composition; returns True when nothing is left.

    The node's devices go back to the pool, moves whose answer was lost
    included (EEM's view of the group decides: one listing, then one move
    per device). A node the composition created is deleted even when some
    device could not be returned: its claims record that this plugin moved
    them, and discovery returns them once EEM answers. A node that existed
    keeps what could not be returned, in maintenance.

    Never raises.
    """
    leftover = False
    try:
        claims.release(node, client=client, settle=True)
    except Exception as e:
        leftover = True
        LOG.error('Rollback of the composition of node %(node)s could not '
                  'release every device: %(err)s; discovery returns them '
                  'once EEM answers', {'node': node.uuid, 'err': e})
    try:
        if created:
            node.destroy()
            return not leftover
        properties = dict(node.properties or {})
        mark = properties.pop(COMPOSING_PROPERTY, None) or {}
        node.properties = properties
        if 'name' in mark:
            node.name = mark['name']
        if 'description' in mark:
            node.description = mark['description']
        if leftover:
            node.maintenance = True
            node.maintenance_reason = _(
                'Composition failed and some devices could not be '
                'released; release them with the release passthru.')
        node.save()
    except Exception as e:
        LOG.error('Rollback could not delete or restore node %(node)s: '
                  '%(err)s', {'node': node.uuid, 'err': e})
        return False
    return not leftover


def _attach_all(node, types, server, engine, listing):
    for pci_type in types:
        claims.attach_free(node, pci_type,
                           purpose=models.PURPOSE_COMPOSITION, server=server,
                           engine=engine, listing=listing)


def _compose_on_new(context, server, engine, listing, name, description,
                    types):
    node = _new_node(context, server.podm, server.eesv_id, name,
                     description)
    if node is None:
        return None
    try:
        _attach_all(node, types, server, engine, listing)
        _finish(node)
    except Exception:
        with excutils.save_and_reraise_exception():
            _rollback(node, server.client, created=True)
    finally:
        _release_reservation(context, node)
    return objects.Node.get_by_uuid(context, node.uuid)


def _compose_on_existing(context, server, engine, listing, node, name,
                         description, types):
    try:
        task = task_manager.acquire(context, node.uuid, shared=False,
                                    purpose='compose', retry=False)
    except (exception.NodeLocked, exception.NodeNotFound):
        return None
    with task:
        node = task.node
        if not node_is_idle(node):
            return None
        properties = dict(node.properties or {})
        properties[COMPOSING_PROPERTY] = _composing(
            False, name=node.name, description=node.description)
        node.properties = properties
        node.name = name
        if description is not None:
            node.description = description
        node.save()
        try:
            _attach_all(node, types, server, engine, listing)
            _finish(node)
        except Exception:
            with excutils.save_and_reraise_exception():
                _rollback(node, server.client, created=False)
    return objects.Node.get_by_uuid(context, node.uuid)


def _is_stale(mark, timeout, now):
    try:
        started = timeutils.parse_isotime(mark['started_at'])
    except (KeyError, TypeError, ValueError):
        return True
    return timeutils.normalize_time(started) + timeout <= now


def _same_conductor(reservation, hostname):
    """Whether a reservation was made by the conductor ``hostname``.

    NOTE(expether): over json-rpc on a port other than 8089 Ironic
    registers its conductor as ``<host>:<port>`` but reserves nodes with
    the bare ``[DEFAULT] host``.
    """
    if hostname == reservation:
        return True
    host, _sep, port = hostname.rpartition(':')
    return host == reservation and port.isdigit()


def _reserved_by_dead_conductor(reservation, offline, online):
    return (any(_same_conductor(reservation, h) for h in offline)
            and not any(_same_conductor(reservation, h) for h in online))


def undo_stale_compositions(context, podm, client, candidates):
    """Undo the compositions whose conductor died before they completed.

    A node marked :data:`COMPOSING_PROPERTY` for longer than
    ``[expether] claim_timeout`` is one whose compose never finished:
    either it is reserved by a conductor Ironic counts as offline (that
    reservation is released, as Ironic does for its own conductors), or it
    is not reserved at all (its conductor restarted). Its devices go back
    to the pool and a node the composition created is deleted, so that a
    retried compose of the same name succeeds. A node reserved by a live
    conductor is left alone.

    :param context: a request context.
    :param podm: the pool ``PodManager`` record.
    :param client: its EEM client.
    :param candidates: uuids of the pod manager's nodes whose properties
        carry the mark.
    :returns: how many compositions were undone.
    """
    timeout = datetime.timedelta(seconds=CONF.expether.claim_timeout)
    now = timeutils.utcnow()
    offline = online = None
    undone = 0
    for node_uuid in candidates:
        try:
            node = objects.Node.get_by_uuid(context, node_uuid)
        except exception.NodeNotFound:
            continue
        mark = (node.properties or {}).get(COMPOSING_PROPERTY)
        if not isinstance(mark, dict) or not _is_stale(mark, timeout, now):
            continue
        if node.reservation:
            if offline is None:
                dbapi = ironic_dbapi.get_instance()
                offline = set(dbapi.get_offline_conductors())
                online = set(dbapi.get_online_conductors())
            if not _reserved_by_dead_conductor(node.reservation, offline,
                                               online):
                continue
            try:
                objects.Node.release(context, node.reservation, node.id)
            except (exception.NodeLocked, exception.NodeNotLocked,
                    exception.NodeNotFound):
                continue
        try:
            task = task_manager.acquire(context, node_uuid, shared=False,
                                        purpose='undo composition',
                                        retry=False)
        except (exception.NodeLocked, exception.NodeNotFound):
            continue
        except exception.IronicException as e:
            LOG.warning('Could not take node %(node)s to undo its '
                        'composition: %(err)s; trying again next cycle',
                        {'node': node_uuid, 'err': e})
            continue
        with task:
            node = task.node
            mark = (node.properties or {}).get(COMPOSING_PROPERTY)
            if not isinstance(mark, dict):
                continue
            LOG.warning('Node %(node)s (%(name)s) of pod manager %(podm)s '
                        'has been composed by conductor %(host)s since '
                        '%(since)s and never completed; undoing it',
                        {'node': node.uuid, 'name': node.name,
                         'podm': podm.uuid, 'host': mark.get('conductor'),
                         'since': mark.get('started_at')})
            if _rollback(node, client, created=bool(mark.get('created'))):
                undone += 1
    return undone


def check_compose(context, name, podm_uuid=None, types=()):
    """Refuse a compose request the pool database already refuses.

    Reads the pool and Ironic databases only, never EEM: the vendor
    interface runs it before the call too (see
    :meth:`ironic_expether.valence.passthru.ValencePassthruMixin.
    driver_validate`), and :func:`compose` again.

    :param context: a request context.
    :param name: the node's name.
    :param podm_uuid: the pod manager; None when there is exactly one.
    :param types: device types, one device each (repeats allowed).
    :returns: the pool ``PodManager`` record.
    :raises: InvalidParameterValue, NotFound, MissingParameterValue,
        DuplicateName, Conflict as :func:`compose`.
    """
    if not ironic_utils.is_valid_logical_name(name):
        raise exception.InvalidParameterValue(
            _('name: "%s" is not a valid node name (letters, digits, "-", '
              '".", "_" and "~" only)') % name)
    podm = podm_api.get_pod_manager(podm_uuid)
    _check_name_free(context, name)
    _check_free_counts(podm, types)
    return podm


def compose(context, name, podm_uuid=None, types=(), description=None):
    """Compose a server: a free server engine with one device per type.

    :param context: a request context.
    :param name: the node's name (must be free in Ironic).
    :param podm_uuid: the pod manager; None when there is exactly one.
    :param types: device types, one device each (repeats allowed).
    :param description: the node's description.
    :returns: the Ironic node.
    :raises: NotFound naming podm_id if the pod manager does not exist.
    :raises: InvalidParameterValue naming name if it is not a valid node
        name.
    :raises: DuplicateName (409) if a node has that name.
    :raises: Conflict (409) when no free server engine or not enough free
        devices are left; nothing is attached then.
    :raises: DriverOperationError if EEM fails; everything is rolled back.
    """
    types = list(types)
    podm = check_compose(context, name, podm_uuid=podm_uuid, types=types)
    client = podm_api.client_for(podm)
    with driver_utils.eem_errors(None, _('listing the devices of pod '
                                         'manager %s') % podm.uuid,
                                 client=client):
        eem_devices = client.list_devices()
    nodes = podm_api.nodes_of_pod_manager(context, podm)
    # NOTE(expether): the moves use this listing instead of reading the
    # server and each device again; each move carries the device's
    # update_time as listed, so EEM refuses it if the device changed since.
    listing = {d.id.lower(): d for d in eem_devices
               if d.is_eeio and d.id}
    started = timeutils.utcnow()
    for eesv, node in select_candidates(eem_devices, nodes, len(types)):
        # NOTE(expether): the claims get the pod manager and client this
        # request holds, instead of deriving them from the node per device.
        server = podm_api.Server(podm, client, eesv.id.lower())
        engine = fabric.Server.from_listing(eesv, eem_devices)
        if node is None:
            result = _compose_on_new(context, server, engine, listing, name,
                                     description, types)
        else:
            result = _compose_on_existing(context, server, engine, listing,
                                          node, name, description, types)
        if result is not None:
            LOG.info('Composed node %(node)s (%(name)s) on server engine '
                     '%(eesv)s of pod manager %(podm)s with %(types)s in '
                     '%(secs).1f s', {
                         'node': result.uuid, 'name': name, 'eesv': eesv.id,
                         'podm': podm.uuid, 'types': types or 'no devices',
                         'secs': timeutils.delta_seconds(
                             started, timeutils.utcnow())})
            return result
    raise exception.Conflict(
        _('podm_id: no free server engine is left in pod manager %s (up, '
          'with an empty group, not used by an Ironic node)') % podm.uuid)


def _adopt(context, podm, node, eeio):
    """Make a device already in a node's group one of its devices."""
    values = reconcile.device_values_from_eem(eeio)
    try:
        device = db_api.get_device_by_eeid(podm.uuid, eeio.id)
    except exception.NotFound:
        values.update(state=models.DEVICE_ALLOCATED, node_uuid=node.uuid,
                      purpose=models.PURPOSE_COMPOSITION)
        try:
            return db_api.create_device(podm.uuid, values)
        except exception.Conflict:
            device = db_api.get_device_by_eeid(podm.uuid, eeio.id)
    if device.node_uuid == node.uuid:
        return device
    values.pop('eeid')
    values.update(state=models.DEVICE_ALLOCATED, node_uuid=node.uuid,
                  purpose=models.PURPOSE_COMPOSITION, claimed_at=None)
    return db_api.update_device(
        device.uuid, values,
        expected={'node_uuid': None,
                  'state': (models.DEVICE_FREE, models.DEVICE_ALLOCATED,
                            models.DEVICE_MISSING)})


def check_manage(context, node_index, podm_uuid=None):
    """Refuse a manage request the databases already refuse (no EEM I/O).

    :param context: a request context.
    :param node_index: the server engine's EE id.
    :param podm_uuid: the pod manager; None when there is exactly one.
    :returns: the pool ``PodManager`` record.
    :raises: NotFound, MissingParameterValue naming podm_id.
    :raises: Conflict if an Ironic node already stands for the server
        engine.
    """
    eesv_id = node_index.lower()
    podm = podm_api.get_pod_manager(podm_uuid)
    existing = podm_api.nodes_of_pod_manager(context, podm).get(eesv_id)
    if existing is not None:
        raise exception.Conflict(
            _('node_index: server engine %(eesv)s is already managed as '
              'node %(node)s') % {'eesv': eesv_id, 'node': existing.uuid})
    return podm


def manage(context, node_index, podm_uuid=None):
    """Enroll an existing server engine, adopting the devices in its group.

    :param context: a request context.
    :param node_index: the server engine's EE id.
    :param podm_uuid: the pod manager; None when there is exactly one.
    :returns: the new Ironic node (in ``enroll``, named after the EE id).
    :raises: NotFound naming podm_id or node_index.
    :raises: InvalidParameterValue naming node_index if it is an IO
        engine.
    :raises: Conflict (409) if an Ironic node already stands for it, or a
        device in its group is held by another node.
    :raises: DriverOperationError if EEM fails.
    """
    eesv_id = node_index.lower()
    podm = check_manage(context, node_index, podm_uuid=podm_uuid)
    client = podm_api.client_for(podm)
    with driver_utils.eem_errors(
            None, _('reading server engine %s') % eesv_id, client=client,
            not_found=exception.NotFound):
        eesv = client.get_device(eesv_id)
    if not eesv.is_eesv:
        raise exception.InvalidParameterValue(
            _('node_index: %s is an IO engine (EEIO), not a server engine '
              '(EESV)') % eesv_id)
    _eesv, devices = fabric.devices_of(client, eesv_id)
    node = _new_node(context, podm, eesv_id, eesv_id, None)
    if node is None:
        raise exception.Conflict(
            _('node_index: server engine %s is already managed') % eesv_id)
    try:
        for eeio in devices:
            _adopt(context, podm, node, eeio)
        describe_node(node)
    except Exception:
        with excutils.save_and_reraise_exception():
            for device in claims.devices_of_node(node.uuid):
                # Adopted, not moved: give the records back as they were.
                db_api.compare_and_set_device(
                    device.uuid, {'node_uuid': node.uuid},
                    {'node_uuid': None, 'purpose': None})
            node.destroy()
    _release_reservation(context, node)
    LOG.info('Managing server engine %(eesv)s of pod manager %(podm)s as '
             'node %(node)s with %(n)d device(s) adopted',
             {'eesv': eesv_id, 'podm': podm.uuid, 'node': node.uuid,
              'n': len(devices)})
    return objects.Node.get_by_uuid(context, node.uuid)
