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

"""Moves of devices in the ExpEther fabric: the one place that does them.

An IO engine (EEIO) is plugged into a server when its group id equals the
group id of the server engine (EESV). These functions check what EEM
reports, then change group ids. They know nothing of the device pool's
database: callers that claim devices wrap them.

Every error is an :mod:`ironic.common.exception` class:

* ``InvalidParameterValue`` (400): a malformed EE id, an id of the wrong
  kind of engine;
* ``NotFound`` (404): an EEIO id EEM does not know;
* ``Conflict`` (409): a device that is not free, is down, is not in the
  server's group, or a server whose group is full (``max_eeio_count``);
* ``TemporaryFailure`` (503): EEM unreachable, slow, failing or
  answering garbage; ``InvalidParameterValue`` (400) when EEM refuses the
  credentials of driver_info (see :func:`utils.eem_errors`).
"""

from ironic.common import exception
from ironic.common.i18n import _
from oslo_log import log

from ironic_expether import eem
from ironic_expether.eem_access import utils

LOG = log.getLogger(__name__)


def _check_eeid(value, field):
    eeid = utils.normalize_eeid(value)
    if eeid is None:
        raise exception.InvalidParameterValue(
            _('%(field)s: "%(value)s" is not an EE id ("0x" followed by 10 '
              'to 12 hexadecimal digits)') % {'field': field, 'value': value})
    return eeid


def _get_eesv(client, eesv_id, node):
    with utils.eem_errors(node, _('reading server engine %s') % eesv_id,
                          client=client,
                          not_found=exception.InvalidParameterValue):
        eesv = client.get_device(eesv_id)
    if not eesv.is_eesv:
        raise exception.InvalidParameterValue(
            _('eesv_id: %s is an IO engine (EEIO), not a server engine '
              '(EESV)') % eesv_id)
    return eesv


def _get_eeio(client, eeio_id, node, field):
    with utils.eem_errors(node, _('reading device %s') % eeio_id,
                          client=client):
        eeio = client.get_device(eeio_id)
    if not eeio.is_eeio:
        raise exception.InvalidParameterValue(
            _('%(field)s: %(id)s is a server engine (EESV), not a device '
              '(IO engine, EEIO)') % {'field': field, 'id': eeio_id})
    return eeio


def _has_own_group(eesv):
    """Tell whether an EESV was given a group of its own (16..4092)."""
    try:
        gid = int(eesv.group_id)
    except (TypeError, ValueError):
        return False
    return eem.MIN_GROUP_ID <= gid <= eem.MAX_GROUP_ID


def connect(client, eesv_id, eeio_id, node=None, field='resource_id'):
    """Plug a device (EEIO) into a server (EESV).

    Steps: check both ids; read both engines; refuse a device that is not
    free (group 4093) or is down; if the server still has the default
    group 4094, ask EEM to assign it a group (the host may need a PCI
    rescan or a reboot to see devices); refuse when the server's group
    already holds ``max_eeio_count`` devices; then set the device's group.
    A device already in the server's group is left as is (idempotent).

    :param client: an :class:`ironic_expether.eem.EEMClient`.
    :param eesv_id: EE id of the server engine.
    :param eeio_id: EE id of the device's IO engine.
    :param node: the Ironic node the server is, for messages; optional.
    :param field: name of the request field that held ``eeio_id``, for
        messages.
    :returns: the group id (str) the device is now in.
    :raises: InvalidParameterValue on a malformed id or an id of the wrong
        kind of engine, or an EESV EEM does not know.
    :raises: NotFound if EEM does not know the device.
    :raises: Conflict if the device is not free or is down, or the server's
        group is full.
    :raises: TemporaryFailure if EEM cannot be reached or fails.
    """
    eesv_id = _check_eeid(eesv_id, 'eesv_id')
    eeio_id = _check_eeid(eeio_id, field)
    eesv = _get_eesv(client, eesv_id, node)
    eeio = _get_eeio(client, eeio_id, node, field)

    gid = eesv.group_id
    own_group = _has_own_group(eesv)
    if own_group and eeio.group_id == gid:
        LOG.info('Device %(eeio)s is already in group %(gid)s of server '
                 'engine %(eesv)s; nothing to do.',
                 {'eeio': eeio_id, 'gid': gid, 'eesv': eesv_id})
        return gid
    if not eeio.is_free:
        raise exception.Conflict(
            _('Device %(eeio)s is not free: it is in group %(gid)s, not in '
              'the free pool (%(free)s). Detach it from its server '
              'first.') % {'eeio': eeio_id, 'gid': eeio.group_id,
                           'free': eem.EEIO_FREE_GROUP})
    if not eeio.is_up:
        raise exception.Conflict(
            _('Device %s is down according to EEM and cannot be '
              'attached.') % eeio_id)

    if not own_group:
        with utils.eem_errors(node, _('assigning a group to server engine '
                                      '%s') % eesv_id, client=client):
            gid = client.set_group(eesv_id, None)
        LOG.warning('Server engine %(eesv)s had group %(old)s; EEM assigned '
                    'group %(gid)s. The host may need a PCI rescan or a '
                    'reboot to see its devices.',
                    {'eesv': eesv_id, 'old': eesv.group_id, 'gid': gid})
    elif eesv.max_eeio_count is not None:
        with utils.eem_errors(node, _('listing group %s') % gid,
                              client=client):
            members = client.list_devices(group_id=gid)
        count = sum(1 for d in members if d.is_eeio)
        if count >= eesv.max_eeio_count:
            raise exception.Conflict(
                _('Server engine %(eesv)s already has %(count)d devices in '
                  'group %(gid)s, its maximum (max_eeio_count '
                  '%(max)d).') % {'eesv': eesv_id, 'count': count,
                                  'gid': gid, 'max': eesv.max_eeio_count})

    with utils.eem_errors(node, _('attaching device %(eeio)s to group '
                                  '%(gid)s') % {'eeio': eeio_id, 'gid': gid},
                          client=client):
        new_gid = client.set_group(eeio_id, gid)
    LOG.info('Attached device %(eeio)s to server engine %(eesv)s (group '
             '%(gid)s).', {'eeio': eeio_id, 'eesv': eesv_id, 'gid': new_gid})
    return new_gid


def disconnect(client, eesv_id, eeio_id, node=None, field='resource_id'):
    """Unplug a device (EEIO) from a server (EESV): back to the free pool.

    :param client: an :class:`ironic_expether.eem.EEMClient`.
    :param eesv_id: EE id of the server engine.
    :param eeio_id: EE id of the device's IO engine.
    :param node: the Ironic node the server is, for messages; optional.
    :param field: name of the request field that held ``eeio_id``, for
        messages.
    :raises: InvalidParameterValue on a malformed id or an id of the wrong
        kind of engine, or an EESV EEM does not know.
    :raises: NotFound if EEM does not know the device.
    :raises: Conflict if the device is not in the server's group.
    :raises: TemporaryFailure if EEM cannot be reached or fails.
    """
    eesv_id = _check_eeid(eesv_id, 'eesv_id')
    eeio_id = _check_eeid(eeio_id, field)
    eesv = _get_eesv(client, eesv_id, node)
    eeio = _get_eeio(client, eeio_id, node, field)
    if not _has_own_group(eesv) or eeio.group_id != eesv.group_id:
        raise exception.Conflict(
            _('Device %(eeio)s is not attached to server engine %(eesv)s: '
              'it is in group %(gid)s, the server in group '
              '%(sgid)s.') % {'eeio': eeio_id, 'eesv': eesv_id,
                              'gid': eeio.group_id, 'sgid': eesv.group_id})
    with utils.eem_errors(node, _('detaching device %s') % eeio_id,
                          client=client):
        client.delete_group(eeio_id)
    LOG.info('Detached device %(eeio)s from server engine %(eesv)s (group '
             '%(gid)s).', {'eeio': eeio_id, 'eesv': eesv_id,
                           'gid': eesv.group_id})


def devices_of(client, eesv_id, node=None):
    """Read a server engine and the devices in its group.

    Costs two EEM requests: the EESV, then one list of its group.

    :param client: an :class:`ironic_expether.eem.EEMClient`.
    :param eesv_id: EE id of the server engine.
    :param node: the Ironic node the server is, for messages; optional.
    :returns: a tuple ``(eesv, devices)``: the EESV's
        :class:`ironic_expether.eem.Device` and the list of EEIO devices in
        its group (empty while the EESV has no group of its own).
    :raises: InvalidParameterValue on a malformed id, an EEIO id or an
        EESV EEM does not know.
    :raises: TemporaryFailure if EEM cannot be reached or fails.
    """
    eesv_id = _check_eeid(eesv_id, 'eesv_id')
    eesv = _get_eesv(client, eesv_id, node)
    if not _has_own_group(eesv):
        return eesv, []
    with utils.eem_errors(node, _('listing group %s') % eesv.group_id,
                          client=client):
        members = client.list_devices(group_id=eesv.group_id)
    return eesv, [d for d in members if d.is_eeio]
