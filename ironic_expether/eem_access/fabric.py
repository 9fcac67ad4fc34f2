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


def _is_own_group(group_id):
    """Whether a group id is a user group (16..4092), not a default one."""
    try:
        gid = int(group_id)
    except (TypeError, ValueError):
        return False
    return eem.MIN_GROUP_ID <= gid <= eem.MAX_GROUP_ID


#: EEM failures after which a write may or may not have been carried out:
#: the answer was lost (no answer in time, connection reset, a body cut
#: short or not JSON).
MAYBE_APPLIED = (eem.EEMConnectionError, eem.EEMMalformedResponse)


class OutcomeUnknown(Exception):
    """A move whose answer was lost and that could not be settled.

    Internal to the pool (it never crosses the driver boundary): the
    caller keeps its claim on the device, which records that this plugin
    moved it, and raises :attr:`error`, the Ironic exception for the
    user.

    :ivar error: the Ironic exception of the failed move.
    :ivar eeid: the EE id of the device.
    """

    def __init__(self, error, eeid):
        super().__init__(str(error))
        self.error = error
        self.eeid = eeid


class Server(object):
    """A server engine as a series of moves into it sees it.

    Read once (from a listing, or one ``GET``), then kept up to date by
    the moves, so that moving k devices costs k requests.

    :ivar id: EE id of the server engine.
    :ivar group_id: its group id (str); 4094 until it has one of its own.
    :ivar update_time: its ``update_time`` as read, or None.
    :ivar max_eeio_count: how many devices its group may hold, or None.
    :ivar count: devices in its group, or None when unknown.
    """

    def __init__(self, eesv, count=None):
        self.id = eesv.id.lower()
        self.group_id = eesv.group_id
        self.update_time = eesv.update_time
        self.max_eeio_count = eesv.max_eeio_count
        self.count = count if self.own_group else 0

    @property
    def own_group(self):
        """Whether the server engine has a group of its own (16..4092)."""
        return _is_own_group(self.group_id)

    @classmethod
    def from_listing(cls, eesv, devices):
        """The server as a listing of every device of its EEM shows it.

        :param eesv: the EESV's :class:`ironic_expether.eem.Device`.
        :param devices: the devices of the same listing.
        """
        count = sum(1 for d in devices
                    if d.is_eeio and d.group_id == eesv.group_id)
        return cls(eesv, count)

    @classmethod
    def from_device(cls, eesv):
        """The server as its own ``GET`` shows it.

        The devices in its group are counted from its downstream ports
        when EEM reports them; otherwise the count is unknown.
        """
        ports = [p for p in eesv.downstream_ports if isinstance(p, dict)]
        count = None
        if ports:
            count = sum(
                1 for p in ports
                if str(p.get('eeio_connection_status', '')).lower() == 'up'
                and p.get('eeio_mac_address') not in (None, '',
                                                      '00:00:00:00:00:00'))
        return cls(eesv, count)


def read_server(client, eesv_id, node=None):
    """Read a server engine for moves into it (one ``GET``).

    :param client: an :class:`ironic_expether.eem.EEMClient`.
    :param eesv_id: EE id of the server engine.
    :param node: the Ironic node the server is, for messages; optional.
    :returns: a :class:`Server`.
    :raises: InvalidParameterValue on a malformed id, an EEIO id or an
        EESV EEM does not know; TemporaryFailure if EEM fails.
    """
    eesv_id = _check_eeid(eesv_id, 'eesv_id')
    return Server.from_device(_get_eesv(client, eesv_id, node))


def _reread(client, eeid, node):
    """Read a device after a lost answer; None when that fails too."""
    try:
        return client.get_device(eeid)
    except eem.EEMError as e:
        LOG.warning('Could not read device %(eeid)s of EEM %(eem)s after a '
                    'lost answer: %(err)s', {'eeid': eeid,
                                             'eem': client.address,
                                             'err': e})
        return None


def _ironic_error(node, step, client, error):
    """The Ironic exception of an EEM error, as eem_errors makes it."""
    try:
        with utils.eem_errors(node, step, client=client):
            raise error
    except exception.IronicException as e:
        return e


def _write(client, node, step, eeid, write, applied):
    """Run one EEM write; settle a lost answer by reading the device.

    :param write: a function doing the write and returning its result.
    :param applied: a function of the re-read device returning the
        write's result when the write happened, None when it did not.
    :returns: the write's result.
    :raises: the Ironic exception of a failed write (it did not happen);
        OutcomeUnknown when it may have.
    """
    try:
        return write()
    except MAYBE_APPLIED as lost:
        device = _reread(client, eeid, node)
        if device is None:
            raise OutcomeUnknown(_ironic_error(node, step, client, lost),
                                 eeid) from lost
        result = applied(device)
        if result is None:
            raise _ironic_error(node, step, client, lost) from lost
        LOG.info('EEM %(eem)s carried out %(step)s although its answer was '
                 'lost (%(err)s)', {'eem': client.address, 'step': step,
                                    'err': lost})
        return result
    except eem.EEMError as e:
        raise _ironic_error(node, step, client, e) from e


def assign_group(client, server, node=None):
    """Give a server engine in its default group one of its own.

    :param client: an :class:`ironic_expether.eem.EEMClient`.
    :param server: a :class:`Server`; updated.
    :param node: the Ironic node the server is, for messages; optional.
    :returns: the new group id (str).
    :raises: Conflict if the server changed since it was read;
        TemporaryFailure if EEM fails; OutcomeUnknown.
    """
    old = server.group_id
    step = _('assigning a group to server engine %s') % server.id

    def applied(eesv):
        return eesv.group_id if eesv.has_own_group else None

    server.group_id = _write(
        client, node, step, server.id,
        lambda: client.set_group(server.id, None,
                                 update_time=server.update_time),
        applied)
    server.update_time = None
    server.count = 0
    LOG.warning('Server engine %(eesv)s had group %(old)s; EEM assigned '
                'group %(gid)s. The host may need a PCI rescan or a '
                'reboot to see its devices.',
                {'eesv': server.id, 'old': old, 'gid': server.group_id})
    return server.group_id


def plug(client, server, eeio, node=None, field='resource_id'):
    """Plug a device already read into a server already read.

    Costs one request (the device's move), plus one when the server still
    sits in its default group 4094, and one re-read if an answer is lost.
    Nothing is read again: the move carries the device's ``update_time``
    as read, so that EEM refuses it (409) if the device changed since
    (moved or taken outside Ironic).

    :param client: an :class:`ironic_expether.eem.EEMClient`.
    :param server: a :class:`Server`; updated by the moves.
    :param eeio: the device's :class:`ironic_expether.eem.Device`.
    :param node: the Ironic node the server is, for messages; optional.
    :param field: name of the request field that held the device, for
        messages.
    :returns: the group id (str) the device is now in.
    :raises: InvalidParameterValue if ``eeio`` is a server engine.
    :raises: Conflict if the device is not free or is down, if the
        server's group is full, or if EEM refuses the move.
    :raises: TemporaryFailure if EEM fails (the move did not happen).
    :raises: OutcomeUnknown if the move may have happened.
    """
    eeio_id = eeio.id.lower()
    if not eeio.is_eeio:
        raise exception.InvalidParameterValue(
            _('%(field)s: %(id)s is a server engine (EESV), not a device '
              '(IO engine, EEIO)') % {'field': field, 'id': eeio_id})
    if server.own_group and eeio.group_id == server.group_id:
        LOG.info('Device %(eeio)s is already in group %(gid)s of server '
                 'engine %(eesv)s; nothing to do.',
                 {'eeio': eeio_id, 'gid': server.group_id,
                  'eesv': server.id})
        return server.group_id
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
    if not server.own_group:
        try:
            assign_group(client, server, node)
        except OutcomeUnknown as e:
            # NOTE(expether): the device was not moved; only the server's
            # group is unknown, and the next read shows it.
            raise e.error
    elif server.max_eeio_count is not None:
        if server.count is None:
            with utils.eem_errors(node, _('listing group %s') %
                                  server.group_id, client=client):
                members = client.list_devices(group_id=server.group_id)
            server.count = sum(1 for d in members if d.is_eeio)
        if server.count >= server.max_eeio_count:
            raise exception.Conflict(
                _('Server engine %(eesv)s already has %(count)d devices in '
                  'group %(gid)s, its maximum (max_eeio_count '
                  '%(max)d).') % {'eesv': server.id, 'count': server.count,
                                  'gid': server.group_id,
                                  'max': server.max_eeio_count})
    gid = server.group_id
    step = (_('attaching device %(eeio)s to group %(gid)s') %
            {'eeio': eeio_id, 'gid': gid})

    def applied(device):
        return device.group_id if device.group_id == gid else None

    new_gid = _write(
        client, node, step, eeio_id,
        lambda: client.set_group(eeio_id, gid,
                                 update_time=eeio.update_time),
        applied)
    if server.count is not None:
        server.count += 1
    LOG.info('Attached device %(eeio)s to server engine %(eesv)s (group '
             '%(gid)s).', {'eeio': eeio_id, 'eesv': server.id,
                           'gid': new_gid})
    return new_gid


def connect(client, eesv_id, eeio_id, node=None, field='resource_id',
            server=None, eeio=None):
    """Plug a device (EEIO) into a server (EESV).

    Steps: check both ids; read what the caller did not pass (the server
    engine, the device); refuse a device that is not free (group 4093) or
    is down; if the server still has the default group 4094, ask EEM to
    assign it a group (the host may need a PCI rescan or a reboot to see
    devices); refuse when the server's group already holds
    ``max_eeio_count`` devices; then set the device's group (see
    :func:`plug`). A device already in the server's group is left as is
    (idempotent). Three requests when nothing is passed.

    :param client: an :class:`ironic_expether.eem.EEMClient`.
    :param eesv_id: EE id of the server engine.
    :param eeio_id: EE id of the device's IO engine.
    :param node: the Ironic node the server is, for messages; optional.
    :param field: name of the request field that held ``eeio_id``, for
        messages.
    :param server: the :class:`Server`, if already read (updated).
    :param eeio: the device's :class:`ironic_expether.eem.Device`, if
        already read.
    :returns: the group id (str) the device is now in.
    :raises: InvalidParameterValue on a malformed id or an id of the wrong
        kind of engine, or an EESV EEM does not know.
    :raises: NotFound if EEM does not know the device.
    :raises: Conflict if the device is not free or is down, or the server's
        group is full.
    :raises: TemporaryFailure if EEM cannot be reached or fails.
    :raises: OutcomeUnknown if the move's answer was lost and a re-read
        could not tell whether it happened.
    """
    eesv_id = _check_eeid(eesv_id, 'eesv_id')
    eeio_id = _check_eeid(eeio_id, field)
    if server is None:
        server = Server.from_device(_get_eesv(client, eesv_id, node))
    if eeio is None:
        eeio = _get_eeio(client, eeio_id, node, field)
    return plug(client, server, eeio, node=node, field=field)


def read_group(client, eesv_id, group_id=None, node=None):
    """Read a server engine's group: the server and its devices.

    One request (``devices/detail`` of ``group_id``) when the server
    engine is still in that group, as the pool recorded it; otherwise
    the server engine is read first (two requests).

    :param client: an :class:`ironic_expether.eem.EEMClient`.
    :param eesv_id: EE id of the server engine.
    :param group_id: the group the pool believes the server has, or None.
    :param node: the Ironic node the server is, for messages; optional.
    :returns: ``(eesv, devices)``: the EESV's Device and a dict of
        lower-case EE id -> Device of the EEIOs in its group (empty while
        it has no group of its own).
    :raises: InvalidParameterValue on a malformed id, an EEIO id or an
        EESV EEM does not know; TemporaryFailure if EEM fails.
    """
    eesv_id = _check_eeid(eesv_id, 'eesv_id')
    if group_id is not None:
        if _is_own_group(group_id):
            with utils.eem_errors(node, _('listing group %s') % group_id,
                                  client=client):
                members = client.list_devices(group_id=group_id)
            for device in members:
                if device.is_eesv and device.id.lower() == eesv_id:
                    return device, {d.id.lower(): d for d in members
                                    if d.is_eeio}
    eesv, devices = devices_of(client, eesv_id, node=node)
    return eesv, {d.id.lower(): d for d in devices}


def unplug(client, eesv, eeio, node=None, field='resource_id'):
    """Send a device already read back to the free pool (one request).

    :param client: an :class:`ironic_expether.eem.EEMClient`.
    :param eesv: the server engine's Device, as read.
    :param eeio: the device's Device as read, or None if it is not in the
        server's group.
    :param node: the Ironic node the server is, for messages; optional.
    :param field: name of the request field that held the device.
    :raises: Conflict if the device is not in the server's group, or it
        changed since it was read.
    :raises: TemporaryFailure if EEM fails (nothing happened).
    :raises: OutcomeUnknown if the move may have happened.
    """
    eesv_id = eesv.id.lower()
    if eeio is None:
        raise exception.Conflict(
            _('Device %(eeio)s is not attached to server engine %(eesv)s: '
              'EEM does not show it in the server\'s group %(sgid)s.') %
            {'eeio': field, 'eesv': eesv_id, 'sgid': eesv.group_id})
    if not eesv.has_own_group or eeio.group_id != eesv.group_id:
        raise exception.Conflict(
            _('Device %(eeio)s is not attached to server engine %(eesv)s: '
              'it is in group %(gid)s, the server in group '
              '%(sgid)s.') % {'eeio': eeio.id, 'eesv': eesv_id,
                              'gid': eeio.group_id, 'sgid': eesv.group_id})
    eeio_id = eeio.id.lower()

    def applied(device):
        return True if device.group_id == eem.EEIO_FREE_GROUP else None

    _write(client, node, _('detaching device %s') % eeio_id, eeio_id,
           lambda: client.delete_group(eeio_id,
                                       update_time=eeio.update_time),
           applied)
    LOG.info('Detached device %(eeio)s from server engine %(eesv)s (group '
             '%(gid)s).', {'eeio': eeio_id, 'eesv': eesv_id,
                           'gid': eesv.group_id})


def release(client, eeio_id, node=None):
    """Send a device back to the free pool, whatever group holds it.

    For a device whose server is gone (its node was deleted): one
    request, the device's move, plus one re-read if the answer is lost.

    :param client: an :class:`ironic_expether.eem.EEMClient`.
    :param eeio_id: the device's EE id (lower case).
    :param node: the Ironic node the device belonged to, for messages;
        optional.
    :raises: TemporaryFailure if EEM fails (nothing happened); another
        Ironic exception for an error EEM answers.
    :raises: OutcomeUnknown if the move may have happened.
    """
    def applied(device):
        return True if device.group_id == eem.EEIO_FREE_GROUP else None

    _write(client, node, _('returning device %s to the pool') % eeio_id,
           eeio_id, lambda: client.delete_group(eeio_id), applied)


def disconnect(client, eesv_id, eeio_id, node=None, field='resource_id',
               group_id=None):
    """Unplug a device (EEIO) from a server (EESV): back to the free pool.

    Two requests when ``group_id`` is the server's group: the group's
    listing, then the move (see :func:`read_group`, :func:`unplug`).

    :param client: an :class:`ironic_expether.eem.EEMClient`.
    :param eesv_id: EE id of the server engine.
    :param eeio_id: EE id of the device's IO engine.
    :param node: the Ironic node the server is, for messages; optional.
    :param field: name of the request field that held ``eeio_id``, for
        messages.
    :param group_id: the group the pool recorded for the device, or None.
    :raises: InvalidParameterValue on a malformed id or an id of the wrong
        kind of engine, or an EESV EEM does not know.
    :raises: Conflict if the device is not in the server's group.
    :raises: TemporaryFailure if EEM cannot be reached or fails.
    :raises: OutcomeUnknown if the move may have happened.
    """
    eeio_id = _check_eeid(eeio_id, field)
    eesv, members = read_group(client, eesv_id, group_id, node=node)
    unplug(client, eesv, members.get(eeio_id), node=node, field=eeio_id)


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
    if not eesv.has_own_group:
        return eesv, []
    with utils.eem_errors(node, _('listing group %s') % eesv.group_id,
                          client=client):
        members = client.list_devices(group_id=eesv.group_id)
    return eesv, [d for d in members if d.is_eeio]
