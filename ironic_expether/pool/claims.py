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

"""Claims on pool devices, and attaching/detaching them through EEM.

A device moves ``free`` -> ``claimed`` -> ``allocated`` on attach and
``allocated`` -> ``claimed`` -> ``free`` on detach. Each arrow is one
conditional ``UPDATE`` (see
:func:`ironic_expether.pool.db.api.compare_and_set_device`), so two
threads, API workers or conductors never get the same device. The EEM
move happens between the claim and its confirmation:

* a failed EEM move undoes the claim;
* a move whose answer was lost (a timeout, a body cut short) may have
  happened: the device is read again to settle it, and when that fails
  too the claim is kept, recording that this plugin may have moved the
  device, for discovery to settle from EEM's view after ``[expether]
  claim_timeout``;
* a failed confirmation after a successful move (database gone, or the
  claim repaired meanwhile) is logged and left to discovery, which
  repairs claims older than ``[expether] claim_timeout`` from EEM's view.

Entry points for other code: :func:`attach`, :func:`attach_free`,
:func:`detach`, :func:`release`, :func:`devices_of_node`; the building
blocks :func:`claim_device`,
:func:`claim_free_device`, :func:`confirm_claim` and
:func:`release_claim`.
"""

import random

from ironic.common import exception
from ironic.common.i18n import _
from oslo_log import log
from oslo_utils import timeutils
from oslo_utils import uuidutils

from ironic_expether import eem
from ironic_expether.eem_access import fabric
from ironic_expether.eem_access import utils as driver_utils
from ironic_expether.pool.db import api as db_api
from ironic_expether.pool.db import models
from ironic_expether.pool import podm as podm_api
from ironic_expether.pool import reconcile

LOG = log.getLogger(__name__)

#: How many free devices one round of :func:`claim_free_device` reads and
#: tries, in random order, so that concurrent claimers spread out.
CANDIDATES_PER_ROUND = 16
#: Rounds of :func:`claim_free_device` before it gives up on contention.
MAX_CLAIM_ROUNDS = 10
#: Devices :func:`attach_free` tries when EEM refuses the one it claimed.
MAX_ATTACH_TRIES = 3


def _check_purpose(purpose):
    if purpose not in models.PURPOSES:
        raise exception.InvalidParameterValue(
            _('purpose must be one of %(choices)s, not %(value)r') %
            {'choices': ', '.join(models.PURPOSES), 'value': purpose})


def _describe(device):
    holder = (_(' by node %s') % device.node_uuid) if device.node_uuid else ''
    return (_('Device %(uuid)s (%(eeid)s) is %(state)s%(holder)s') %
            {'uuid': device.uuid, 'eeid': device.eeid,
             'state': device.state, 'holder': holder})


def claim_device(context, device_uuid, node_uuid,
                 purpose=models.PURPOSE_COMPOSITION):
    """Claim one free device for a node.

    One ``UPDATE ... SET state='claimed' WHERE uuid=:uuid AND
    state='free'``: exactly one concurrent caller wins.

    :param context: a request context, or None (unused; kept so callers
        with a context can pass it).
    :param device_uuid: the device's pool uuid.
    :param node_uuid: the uuid of the Ironic node claiming it.
    :param purpose: ``composition`` or ``deployment``.
    :returns: the claimed :class:`~ironic_expether.pool.db.models.Device`.
    :raises: NotFound if the device does not exist.
    :raises: Conflict naming the device if it is not free.
    :raises: InvalidParameterValue for an unknown purpose.
    """
    _check_purpose(purpose)
    if db_api.compare_and_set_device(
            device_uuid, {'state': models.DEVICE_FREE},
            {'state': models.DEVICE_CLAIMED, 'node_uuid': node_uuid,
             'purpose': purpose, 'claimed_at': timeutils.utcnow()}):
        return db_api.get_device(device_uuid)
    device = db_api.get_device(device_uuid)
    raise exception.Conflict(_('%s, not free') % _describe(device))


def claim_free_device(podm_uuid, pci_type, node_uuid,
                      purpose=models.PURPOSE_COMPOSITION, exclude=()):
    """Claim any free device of a type in a pod manager.

    Reads up to :data:`CANDIDATES_PER_ROUND` free devices of the type and
    tries them in random order with the conditional update of
    :func:`claim_device`; a lost race moves on to the next candidate, and
    a round where every candidate was taken reads again.

    :param podm_uuid: the pod manager's uuid.
    :param pci_type: the device type (``GPU``, ``SSD``, ``NIC``, ...).
    :param node_uuid: the uuid of the Ironic node claiming it.
    :param purpose: ``composition`` or ``deployment``.
    :param exclude: uuids of devices not to take (e.g. ones EEM refused).
    :returns: the claimed :class:`~ironic_expether.pool.db.models.Device`.
    :raises: Conflict naming the type and the pod manager when no free
        device of that type is left, or when contention outlasts
        :data:`MAX_CLAIM_ROUNDS` rounds.
    :raises: InvalidParameterValue for an unknown purpose.
    """
    _check_purpose(purpose)
    exclude = set(exclude)
    for _round in range(MAX_CLAIM_ROUNDS):
        candidates = [
            d.uuid for d in db_api.list_devices(
                podm_uuid=podm_uuid, state=models.DEVICE_FREE,
                type=pci_type,
                limit=CANDIDATES_PER_ROUND + len(exclude))
            if d.uuid not in exclude][:CANDIDATES_PER_ROUND]
        if not candidates:
            raise exception.Conflict(
                _('No free device of type %(type)s is left in pod manager '
                  '%(podm)s') % {'type': pci_type, 'podm': podm_uuid})
        random.shuffle(candidates)
        for device_uuid in candidates:
            if db_api.compare_and_set_device(
                    device_uuid, {'state': models.DEVICE_FREE},
                    {'state': models.DEVICE_CLAIMED, 'node_uuid': node_uuid,
                     'purpose': purpose, 'claimed_at': timeutils.utcnow()}):
                LOG.debug('Node %(node)s claimed device %(dev)s (%(type)s)',
                          {'node': node_uuid, 'dev': device_uuid,
                           'type': pci_type})
                return db_api.get_device(device_uuid)
    raise exception.Conflict(
        _('Could not claim a free device of type %(type)s in pod manager '
          '%(podm)s: every candidate was taken by concurrent requests; try '
          'again') % {'type': pci_type, 'podm': podm_uuid})


def confirm_claim(device_uuid, node_uuid, group_id):
    """Record that EEM moved a claimed device into the node's group.

    :param device_uuid: the device's pool uuid.
    :param node_uuid: the node holding the claim.
    :param group_id: the group id EEM answered.
    :returns: the allocated :class:`~ironic_expether.pool.db.models.Device`.
    :raises: Conflict if the node no longer holds the claim.
    :raises: NotFound if the device no longer exists.
    """
    values = {'state': models.DEVICE_ALLOCATED, 'claimed_at': None}
    if group_id is not None:
        values['group_id'] = str(group_id)
    if db_api.compare_and_set_device(
            device_uuid,
            {'node_uuid': node_uuid,
             'state': (models.DEVICE_CLAIMED, models.DEVICE_ALLOCATED)},
            values):
        return db_api.get_device(device_uuid)
    device = db_api.get_device(device_uuid)
    raise exception.Conflict(_('%(desc)s; node %(node)s no longer holds '
                               'its claim') % {'desc': _describe(device),
                                               'node': node_uuid})


def release_claim(device_uuid, node_uuid):
    """Undo a claim whose EEM move did not happen: back to ``free``.

    Only a device still ``claimed`` by ``node_uuid`` is released.

    :param device_uuid: the device's pool uuid.
    :param node_uuid: the node holding the claim.
    :returns: True if released, False if the node did not hold the claim.
    """
    released = db_api.compare_and_set_device(
        device_uuid,
        {'node_uuid': node_uuid, 'state': models.DEVICE_CLAIMED},
        {'state': models.DEVICE_FREE, 'node_uuid': None, 'purpose': None,
         'claimed_at': None})
    if not released:
        LOG.warning('Device %(dev)s was not released for node %(node)s: '
                    'the node no longer holds a claim on it',
                    {'dev': device_uuid, 'node': node_uuid})
    return released


def devices_of_node(node_uuid, purpose=None):
    """The devices a node holds (allocated, claimed or missing).

    :param node_uuid: the node's uuid.
    :param purpose: only ``composition`` or only ``deployment`` devices.
    :returns: a list of :class:`~ironic_expether.pool.db.models.Device`.
    """
    return db_api.list_devices(node_uuid=node_uuid, purpose=purpose)


def _import_device(podm, client, eeid, node):
    """Add a device EEM knows but the pool does not have yet."""
    with driver_utils.eem_errors(node, _('reading device %s') % eeid,
                                 client=client):
        eem_device = client.get_device(eeid)
    if not eem_device.is_eeio:
        raise exception.InvalidParameterValue(
            _('resource_id: %s is a server engine (EESV), not a device') %
            eeid)
    values = reconcile.device_values_from_eem(eem_device)
    if not eem_device.is_up:
        values['state'] = models.DEVICE_MISSING
    elif eem_device.group_id == eem.EEIO_FREE_GROUP:
        values['state'] = models.DEVICE_FREE
    else:
        # In some server's group; discovery will tell whose.
        values['state'] = models.DEVICE_ALLOCATED
    try:
        device = db_api.create_device(podm.uuid, values)
    except exception.Conflict:
        return db_api.get_device_by_eeid(podm.uuid, eeid)
    LOG.info('Device %(eeid)s of pod manager %(podm)s joined the pool as '
             '%(uuid)s (%(state)s)', {'eeid': device.eeid,
                                      'podm': podm.uuid,
                                      'uuid': device.uuid,
                                      'state': device.state})
    return device


def _resolve(node, podm, device_ref, client=None):
    """A device of the node's pod manager by pool uuid or EE id."""
    if not uuidutils.is_uuid_like(device_ref) and client is not None:
        eeid = db_api.normalize_eeid(device_ref)
        try:
            return db_api.get_device_by_eeid(podm.uuid, eeid)
        except exception.NotFound:
            return _import_device(podm, client, eeid, node)
    return db_api.find_device(device_ref, podm_uuid=podm.uuid)


def _connect(node, device, client, eesv_id, server=None, eeio=None):
    """EEM move of a claimed device, undoing the claim if it fails.

    A move whose answer was lost and could not be settled keeps the
    claim: it records that this plugin may have moved the device, so that
    the claim repair of discovery settles it from EEM's view once EEM
    answers (after ``[expether] claim_timeout``).
    """
    try:
        group_id = fabric.connect(client, eesv_id, device.eeid, node=node,
                                  server=server, eeio=eeio)
    except fabric.OutcomeUnknown as e:
        LOG.error('EEM may or may not have attached device %(dev)s '
                  '(%(eeid)s) to node %(node)s: %(err)s. The device stays '
                  'claimed; discovery settles it from EEM\'s view.',
                  {'dev': device.uuid, 'eeid': device.eeid,
                   'node': node.uuid, 'err': e.error})
        raise e.error
    except Exception:
        release_claim(device.uuid, node.uuid)
        raise
    try:
        return confirm_claim(device.uuid, node.uuid, group_id)
    except Exception as e:
        LOG.error('Device %(dev)s (%(eeid)s) was attached to node %(node)s '
                  'in EEM (group %(gid)s) but the pool could not record it: '
                  '%(err)s. Discovery will repair the record.',
                  {'dev': device.uuid, 'eeid': device.eeid,
                   'node': node.uuid, 'gid': group_id, 'err': e})
        return device


def attach(node, device_ref, purpose=models.PURPOSE_COMPOSITION):
    """Attach a device to a node: claim, EEM move, confirm.

    Attaching a device the node already holds (allocated) is a no-op.

    :param node: the Ironic node (``task.node``).
    :param device_ref: a device's pool uuid or EE id (resolved within the
        node's pod manager; an EE id the pool has not seen yet is read
        from EEM and added).
    :param purpose: ``composition`` or ``deployment``.
    :returns: the device (:class:`~ironic_expether.pool.db.models.Device`),
        ``allocated`` unless its confirmation failed (then ``claimed``,
        for discovery to repair).
    :raises: NotFound if the device is unknown to the pool and to EEM.
    :raises: Conflict if the device is not free (naming it and its holder)
        or EEM refuses the move (group full, device down).
    :raises: InvalidParameterValue for a malformed reference or purpose.
    :raises: DriverOperationError if EEM fails; the claim is undone.
    """
    _check_purpose(purpose)
    podm, client, eesv_id = podm_api.server_of(node)
    device = _resolve(node, podm, device_ref, client=client)
    if (device.node_uuid == node.uuid
            and device.state == models.DEVICE_ALLOCATED):
        LOG.info('Device %(dev)s (%(eeid)s) is already attached to node '
                 '%(node)s', {'dev': device.uuid, 'eeid': device.eeid,
                              'node': node.uuid})
        return device
    device = claim_device(None, device.uuid, node.uuid, purpose)
    return _connect(node, device, client, eesv_id)


def attach_free(node, pci_type, purpose=models.PURPOSE_COMPOSITION,
                exclude=(), server=None, engine=None, listing=None):
    """Attach any free device of a type to a node.

    When EEM refuses the claimed device with a 404/409 (not really free,
    down, unknown, changed since the listing: the pool is behind EEM; or
    the server's group is full), the claim is undone and another device is
    tried, up to :data:`MAX_ATTACH_TRIES` devices; then the last refusal
    is raised.

    :param node: the Ironic node (``task.node``).
    :param pci_type: the device type (``GPU``, ``SSD``, ``NIC``, ...).
    :param purpose: ``composition`` or ``deployment``.
    :param exclude: uuids of devices not to take.
    :param server: the node's :class:`ironic_expether.pool.podm.Server`
        when the caller has it (compose); None to derive it from the node.
    :param engine: the node's server engine as the caller read it, a
        :class:`ironic_expether.eem_access.fabric.Server` (updated by the
        move), or None to read it.
    :param listing: dict of lower-case EE id -> EEM Device the caller read
        (compose's listing); the device moved is not read again, its move
        carries the ``update_time`` of the listing.
    :returns: the attached device.
    :raises: Conflict when no free device of the type is left, or the
        server's group is full.
    :raises: DriverOperationError if EEM fails; the claim is undone, or
        kept when the move may have happened.
    """
    podm, client, eesv_id = server or podm_api.server_of(node)
    exclude = set(exclude)
    last_error = None
    for _try in range(MAX_ATTACH_TRIES):
        device = claim_free_device(podm.uuid, pci_type, node.uuid, purpose,
                                   exclude=exclude)
        eeio = (listing or {}).get(device.eeid.lower())
        try:
            return _connect(node, device, client, eesv_id,
                            server=engine, eeio=eeio)
        except (exception.NotFound, exception.Conflict) as e:
            LOG.warning('EEM refused device %(dev)s (%(eeid)s) for node '
                        '%(node)s: %(err)s; trying another one',
                        {'dev': device.uuid, 'eeid': device.eeid,
                         'node': node.uuid, 'err': e})
            exclude.add(device.uuid)
            last_error = e
    raise last_error


def detach(node, device_ref):
    """Detach a device from a node: claim, EEM move, release to the pool.

    A device the node holds but EEM no longer reports (``missing``) is
    dropped from the node without asking EEM.

    :param node: the Ironic node (``task.node``).
    :param device_ref: a device's pool uuid or EE id.
    :returns: the device, now ``free`` (or ``missing`` without holder).
    :raises: NotFound if the pool has no such device in the node's pod
        manager.
    :raises: Conflict if the node does not hold the device, or a move of
        it is in progress.
    :raises: DriverOperationError if EEM fails; the device stays
        allocated.
    """
    info = driver_utils.parse_driver_info(node)
    podm = podm_api.pod_manager_of_node(node, info=info)
    device = _resolve(node, podm, device_ref)
    return _detach(node, device, info['eesv_id'])


def _detach(node, device, eesv_id, client=None, group=None):
    """Claim, EEM move, free; ``group`` is fabric.read_group's answer."""
    if device.node_uuid != node.uuid:
        raise exception.Conflict(
            _('%(desc)s, not attached to node %(node)s') %
            {'desc': _describe(device), 'node': node.uuid})
    if device.state == models.DEVICE_MISSING:
        db_api.update_device(
            device.uuid, {'node_uuid': None, 'purpose': None,
                          'claimed_at': None},
            expected={'node_uuid': node.uuid,
                      'state': models.DEVICE_MISSING})
        LOG.warning('Device %(dev)s (%(eeid)s) is missing from EEM; it no '
                    'longer belongs to node %(node)s',
                    {'dev': device.uuid, 'eeid': device.eeid,
                     'node': node.uuid})
        return db_api.get_device(device.uuid)
    if not db_api.compare_and_set_device(
            device.uuid,
            {'node_uuid': node.uuid, 'state': models.DEVICE_ALLOCATED},
            {'state': models.DEVICE_CLAIMED,
             'claimed_at': timeutils.utcnow()}):
        device = db_api.get_device(device.uuid)
        raise exception.Conflict(_('%s; it cannot be detached now') %
                                 _describe(device))
    if client is None:
        client = driver_utils.get_client(node)
    try:
        if group is None:
            fabric.disconnect(client, eesv_id, device.eeid, node=node,
                              group_id=device.group_id)
        else:
            eesv, members = group
            fabric.unplug(client, eesv, members.get(device.eeid.lower()),
                          node=node, field=device.eeid)
    except fabric.OutcomeUnknown as e:
        LOG.error('EEM may or may not have detached device %(dev)s '
                  '(%(eeid)s) from node %(node)s: %(err)s. The device stays '
                  'claimed; discovery settles it from EEM\'s view.',
                  {'dev': device.uuid, 'eeid': device.eeid,
                   'node': node.uuid, 'err': e.error})
        raise e.error
    except Exception:
        db_api.compare_and_set_device(
            device.uuid,
            {'node_uuid': node.uuid, 'state': models.DEVICE_CLAIMED},
            {'state': models.DEVICE_ALLOCATED, 'claimed_at': None})
        raise
    if not db_api.compare_and_set_device(
            device.uuid,
            {'node_uuid': node.uuid, 'state': models.DEVICE_CLAIMED},
            {'state': models.DEVICE_FREE, 'node_uuid': None,
             'purpose': None, 'claimed_at': None,
             'group_id': eem.EEIO_FREE_GROUP}):
        LOG.error('Device %(dev)s (%(eeid)s) was detached from node '
                  '%(node)s in EEM but the pool could not record it. '
                  'Discovery will repair the record.',
                  {'dev': device.uuid, 'eeid': device.eeid,
                   'node': node.uuid})
    return db_api.get_device(device.uuid)


def _settle(node, device, client, group):
    """Undo a claimed move that may have happened: EEM's view decides.

    :param group: fabric.read_group's answer for the node's server.
    :returns: the device, ``free``.
    :raises: as :func:`fabric.unplug`; the claim is kept when the undo's
        answer is lost too.
    """
    eesv, members = group
    eeio = members.get(device.eeid.lower())
    if eeio is not None:
        try:
            fabric.unplug(client, eesv, eeio, node=node, field=device.eeid)
        except fabric.OutcomeUnknown as e:
            raise e.error
        LOG.info('Device %(dev)s (%(eeid)s) had reached the group of node '
                 '%(node)s although its move\'s answer was lost; it is back '
                 'in the pool', {'dev': device.uuid, 'eeid': device.eeid,
                                 'node': node.uuid})
    db_api.compare_and_set_device(
        device.uuid,
        {'node_uuid': node.uuid, 'state': models.DEVICE_CLAIMED},
        {'state': models.DEVICE_FREE, 'node_uuid': None, 'purpose': None,
         'claimed_at': None, 'group_id': eem.EEIO_FREE_GROUP})
    return db_api.get_device(device.uuid)


def _recorded_group(devices):
    """The server group the pool recorded for some of the devices."""
    for device in devices:
        try:
            if eem.MIN_GROUP_ID <= int(device.group_id) <= eem.MAX_GROUP_ID:
                return device.group_id
        except (TypeError, ValueError):
            continue
    return None


def release(node, device_refs=None, purpose=None, client=None, settle=False):
    """Return some or all of a node's devices to the pool.

    One read of the server's group (see
    :func:`ironic_expether.drivers.fabric.read_group`), then one move per
    device. Every device is tried even when one fails; the first error is
    raised at the end.

    :param node: the Ironic node (``task.node``).
    :param device_refs: pool uuids or EE ids; None means every device the
        node holds (of ``purpose``, if given).
    :param purpose: with ``device_refs`` None, only ``composition`` or only
        ``deployment`` devices.
    :param client: the node's EEM client, if the caller has it.
    :param settle: also undo the node's ``claimed`` devices (moves whose
        answer was lost) from EEM's view: moved back when the group holds
        them, the claim dropped when it does not.
    :returns: the list of released devices.
    :raises: NotFound, Conflict as :func:`detach`, for the first device
        that could not be released.
    """
    info = driver_utils.parse_driver_info(node)
    if device_refs is None:
        devices = devices_of_node(node.uuid, purpose=purpose)
    else:
        podm = podm_api.pod_manager_of_node(node, info=info)
        devices = [_resolve(node, podm, ref) for ref in device_refs]
    if client is None:
        client = driver_utils.get_client(node)
    released = []
    first_error = None
    group = None
    moving = [d for d in devices if d.node_uuid == node.uuid and d.state in (
        (models.DEVICE_ALLOCATED, models.DEVICE_CLAIMED) if settle
        else (models.DEVICE_ALLOCATED,))]
    if moving:
        try:
            group = fabric.read_group(client, info['eesv_id'],
                                      _recorded_group(moving), node=node)
        except exception.IronicException as e:
            first_error = e
    for device in devices:
        try:
            if device in moving and group is None:
                raise first_error
            if settle and device.state == models.DEVICE_CLAIMED:
                released.append(_settle(node, device, client, group))
            else:
                released.append(_detach(node, device, info['eesv_id'],
                                        client=client, group=group))
        except exception.IronicException as e:
            LOG.error('Could not release device %(dev)s (%(eeid)s) of node '
                      '%(node)s: %(err)s', {'dev': device.uuid,
                                            'eeid': device.eeid,
                                            'node': node.uuid, 'err': e})
            first_error = first_error or e
    if first_error is not None:
        raise first_error
    return released
