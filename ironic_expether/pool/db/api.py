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

"""Access to the device pool's tables.

Module-level functions, each one transaction, returning model objects of
:mod:`ironic_expether.pool.db.models` (detached, attributes loaded) or
plain values. Errors are ``ironic.common.exception`` classes only:
``NotFound`` (unknown uuid, url, EE id), ``Conflict`` (duplicates, a
device held by a node, a failed compare-and-set) and
``InvalidParameterValue`` (bad values, naming the field). No message ever
carries a password.

Pod managers
    :func:`create_pod_manager`, :func:`get_pod_manager`,
    :func:`get_pod_manager_by_url`, :func:`list_pod_managers`,
    :func:`update_pod_manager`, :func:`set_pod_manager_status`,
    :func:`delete_pod_manager`, :func:`ensure_pod_manager_for_url`.
Devices
    :func:`create_device`, :func:`create_devices`, :func:`get_device`,
    :func:`get_device_by_eeid`, :func:`find_device`, :func:`list_devices`,
    :func:`device_rows`, :func:`update_device`, :func:`update_devices`,
    :func:`compare_and_set_device`, :func:`delete_device`.
Flavors
    :func:`create_flavor`, :func:`get_flavor`, :func:`list_flavors`,
    :func:`update_flavor`, :func:`delete_flavor`.
Discovery leases
    :func:`acquire_lease`, :func:`release_lease`, :func:`get_lease`.
Servers enrolled by discovery
    :func:`record_enrollment`, :func:`list_enrolled_servers`,
    :func:`delete_enrollment`.

Concurrency: nothing here reads a row and then writes it on the strength
of what it read. Every write that depends on a row's state carries that
state in its ``WHERE`` clause (see :func:`compare_and_set_device`), so it
is safe across threads, API workers and conductors on SQLite, MariaDB/MySQL
and PostgreSQL.
"""

import datetime
from urllib import parse as urlparse

from ironic.common import exception
from ironic.common.i18n import _
from oslo_db import api as oslo_db_api
from oslo_db import exception as db_exc
from oslo_log import log
from oslo_utils import timeutils
from oslo_utils import uuidutils
import sqlalchemy as sa

from ironic_expether import eem
from ironic_expether.eem_access import utils as driver_utils
from ironic_expether.pool.db import models
from ironic_expether.pool.db import session

LOG = log.getLogger(__name__)

_POD_MANAGER_FIELDS = frozenset(['uuid', 'name', 'url', 'username',
                                 'password', 'verify', 'driver', 'status',
                                 'status_reason'])
_POD_MANAGER_UPDATABLE = _POD_MANAGER_FIELDS - {'uuid', 'driver'}
_DEVICE_FIELDS = frozenset(['uuid', 'eeid', 'kind', 'type', 'vendor_name',
                            'device_name', 'pci_vendor_id', 'pci_device_id',
                            'pci_class', 'mac_address', 'model', 'group_id',
                            'state', 'node_uuid', 'purpose', 'claimed_at'])
_DEVICE_UPDATABLE = _DEVICE_FIELDS - {'uuid', 'eeid'}
_FLAVOR_FIELDS = frozenset(['uuid', 'name', 'description', 'properties'])
#: States in which a node holds a device through an EEM move or a group.
HELD_STATES = (models.DEVICE_CLAIMED, models.DEVICE_ALLOCATED)


def _execute(s, statement):
    # NOTE(expether): bulk UPDATE/DELETE without the ORM's pre-SELECT
    # ("fetch") or in-session evaluation; the WHERE clause alone decides.
    return s.execute(statement,
                     execution_options={'synchronize_session': False})


def _is_sqlite_locked(exc):
    return 'database is locked' in str(exc)


#: Retries a whole transaction on a deadlock (MySQL, PostgreSQL) or on a
#: busy SQLite file; worst case about 5 seconds.
_retry_on_contention = oslo_db_api.wrap_db_retry(
    max_retries=10, retry_interval=0.05, inc_retry_interval=True,
    max_retry_interval=1, retry_on_deadlock=True, jitter=True,
    exception_checker=_is_sqlite_locked)


def _check_fields(values, allowed, what):
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise exception.InvalidParameterValue(
            _('Unknown %(what)s field(s): %(fields)s') %
            {'what': what, 'fields': ', '.join(unknown)})


def _check_choice(values, field, choices):
    if field in values and values[field] not in choices:
        raise exception.InvalidParameterValue(
            _('%(field)s must be one of %(choices)s, not %(value)r') %
            {'field': field, 'choices': ', '.join(choices),
             'value': values[field]})


def normalize_eeid(eeid):
    """Normalise an EE id to lower case.

    The rule is :func:`ironic_expether.eem_access.utils.normalize_eeid`'s;
    surrounding blanks are dropped first.

    :param eeid: an EE id (``0x`` and 10 to 12 hex digits).
    :returns: the EE id in lower case.
    :raises: InvalidParameterValue if it does not match the pattern.
    """
    value = driver_utils.normalize_eeid(
        eeid.strip() if isinstance(eeid, str) else None)
    if value is None:
        raise exception.InvalidParameterValue(
            _('EE id must be 0x followed by 10 to 12 hexadecimal digits, not '
              '%r') % (eeid,))
    return value


def _duplicate_to_conflict(exc, what, values):
    """A Conflict for a DBDuplicateEntry; raise it ``from None``."""
    columns = [c for c in exc.columns if c in values] or exc.columns
    # NOTE(expether): the driver's message may contain every inserted
    # value, the password included; build our own from safe fields.
    shown = ', '.join('%s=%s' % (c, values.get(c)) for c in columns
                      if c != 'password')
    return exception.Conflict(_('A %(what)s with %(shown)s already exists') %
                              {'what': what, 'shown': shown or '?'})


# Pod managers


def _pod_manager_values(values):
    values = dict(values)
    if 'url' in values:
        values['url'] = driver_utils.normalize_url(values['url'])
    if 'verify' in values:
        values['verify'] = str(driver_utils.normalize_verify(
            values['verify'], field='verify'))
    if 'name' in values and (not isinstance(values['name'], str)
                             or not values['name'].strip()):
        raise exception.InvalidParameterValue(
            _('name must be a non-empty string'))
    _check_choice(values, 'status', models.POD_MANAGER_STATUSES)
    return values


@_retry_on_contention
def create_pod_manager(values):
    """Create a pod manager.

    :param values: dict with ``name`` and ``url`` (required), ``username``,
        ``password``, ``verify``, ``status``, ``status_reason`` and
        optionally ``uuid``.
    :returns: the new :class:`~models.PodManager`.
    :raises: Conflict if the name or the (normalised) URL is taken.
    :raises: InvalidParameterValue for unknown fields or bad values.
    """
    _check_fields(values, _POD_MANAGER_FIELDS, 'pod manager')
    for field in ('name', 'url'):
        if not values.get(field):
            raise exception.InvalidParameterValue(
                _('A pod manager needs a %s') % field)
    values = _pod_manager_values(values)
    values.setdefault('uuid', uuidutils.generate_uuid())
    if values.get('driver', driver_utils.DRIVER) != driver_utils.DRIVER:
        raise exception.InvalidParameterValue(
            _('driver must be %(driver)s, not %(value)r') %
            {'driver': driver_utils.DRIVER, 'value': values['driver']})
    return _insert(models.PodManager(**values), 'pod manager', values)


def _insert(record, label, values):
    """Add one record; a duplicate is a Conflict naming ``label``."""
    try:
        with session.writer() as s:
            s.add(record)
            s.flush()
    except db_exc.DBDuplicateEntry as e:
        raise _duplicate_to_conflict(e, label, values) from None
    return record


def _get_by_uuid(model, uuid, label):
    """One record of ``model`` by uuid; NotFound names ``label``."""
    with session.reader() as s:
        record = s.scalars(sa.select(model).where(
            model.uuid == uuid)).first()
    if record is None:
        raise exception.NotFound(_('%s %s could not be found') % (label, uuid))
    return record


def get_pod_manager(podm_uuid):
    """Get a pod manager by uuid.

    :param podm_uuid: the pod manager's uuid.
    :returns: a :class:`~models.PodManager`.
    :raises: NotFound if there is none.
    """
    return _get_by_uuid(models.PodManager, podm_uuid, 'Pod manager')


def get_pod_manager_by_url(url):
    """Get the pod manager of an EEM URL (normalised first).

    :param url: the EEM URL.
    :returns: a :class:`~models.PodManager`.
    :raises: NotFound if there is none.
    :raises: InvalidParameterValue if the URL is malformed.
    """
    url = driver_utils.normalize_url(url)
    with session.reader() as s:
        podm = s.scalars(sa.select(models.PodManager).where(
            models.PodManager.url == url)).first()
    if podm is None:
        raise exception.NotFound(_('No pod manager has the URL %s') % url)
    return podm


def list_pod_managers(status=None):
    """List pod managers, oldest first.

    :param status: only those with this status.
    :returns: a list of :class:`~models.PodManager`.
    """
    query = sa.select(models.PodManager).order_by(models.PodManager.id)
    if status is not None:
        query = query.where(models.PodManager.status == status)
    with session.reader() as s:
        return list(s.scalars(query))


@_retry_on_contention
def update_pod_manager(podm_uuid, values):
    """Update fields of a pod manager.

    :param podm_uuid: the pod manager's uuid.
    :param values: dict of fields to change (not ``uuid`` or ``driver``).
    :returns: the updated :class:`~models.PodManager`.
    :raises: NotFound, Conflict (name or URL taken), InvalidParameterValue.
    """
    _check_fields(values, _POD_MANAGER_UPDATABLE, 'pod manager')
    values = _pod_manager_values(values)
    try:
        with session.writer() as s:
            podm = s.scalars(sa.select(models.PodManager).where(
                models.PodManager.uuid == podm_uuid)).first()
            if podm is None:
                raise exception.NotFound(
                    _('Pod manager %s could not be found') % podm_uuid)
            podm.update(values)
            s.flush()
    except db_exc.DBDuplicateEntry as e:
        raise _duplicate_to_conflict(e, 'pod manager', values) from None
    return podm


@_retry_on_contention
def set_pod_manager_status(podm_uuid, status, reason=None):
    """Record whether a pod manager answers, writing only on a change.

    :param podm_uuid: the pod manager's uuid.
    :param status: one of :data:`models.POD_MANAGER_STATUSES`.
    :param reason: why (an error message), or None.
    :returns: True if the row changed, False if it already said so.
    :raises: InvalidParameterValue for an unknown status.
    """
    _check_choice({'status': status}, 'status', models.POD_MANAGER_STATUSES)
    pm = models.PodManager
    if reason is None:
        reason_differs = pm.status_reason.is_not(None)
    else:
        reason_differs = sa.or_(pm.status_reason.is_(None),
                                pm.status_reason != reason)
    differs = sa.or_(pm.status != status, reason_differs)
    with session.writer() as s:
        result = _execute(s, sa.update(pm)
                          .where(pm.uuid == podm_uuid, differs)
                          .values(status=status, status_reason=reason))
    return result.rowcount == 1


@_retry_on_contention
def delete_pod_manager(podm_uuid):
    """Delete a pod manager, its free devices, lease and enrollments.

    :param podm_uuid: the pod manager's uuid.
    :raises: NotFound if there is none.
    :raises: Conflict if a node still holds one of its devices; nothing is
        deleted then.
    """
    dev = models.Device
    with session.writer() as s:
        if s.scalars(sa.select(models.PodManager.id).where(
                models.PodManager.uuid == podm_uuid)).first() is None:
            raise exception.NotFound(
                _('Pod manager %s could not be found') % podm_uuid)
        # NOTE(expether): delete what nobody holds first, then count what
        # is left inside the same transaction; a concurrent claim either
        # committed before (its row is kept and counted) or finds no row.
        _execute(s, sa.delete(dev).where(dev.pod_manager_uuid == podm_uuid,
                                         dev.node_uuid.is_(None),
                                         dev.state.not_in(HELD_STATES)))
        held = s.scalar(sa.select(sa.func.count(dev.id)).where(
            dev.pod_manager_uuid == podm_uuid))
        if held:
            raise exception.Conflict(
                _('Pod manager %(podm)s cannot be deleted: %(count)d of its '
                  'devices are held by nodes; release them first') %
                {'podm': podm_uuid, 'count': held})
        _execute(s, sa.delete(models.Lease).where(
            models.Lease.pod_manager_uuid == podm_uuid))
        _execute(s, sa.delete(models.EnrolledServer).where(
            models.EnrolledServer.pod_manager_uuid == podm_uuid))
        _execute(s, sa.delete(models.PodManager).where(
            models.PodManager.uuid == podm_uuid))


def _name_for_url(url):
    parts = urlparse.urlsplit(url)
    host = parts.hostname
    return 'eem-%s' % (host if not parts.port else
                       '%s-%d' % (host, parts.port))


def ensure_pod_manager_for_url(url, username=None, password=None,
                               verify='True'):
    """Get the pod manager of an EEM URL, creating it when unknown.

    For nodes enrolled by hand with the ``eem_address`` of an EEM nobody
    registered: one EEM is one pod manager. An existing record is returned
    unchanged (its credentials are not overwritten). Safe when called
    concurrently: the unique URL decides who creates it.

    :param url: the EEM URL (normalised).
    :param username: EEM user name for a new record.
    :param password: EEM password for a new record.
    :param verify: TLS verification for a new record.
    :returns: a :class:`~models.PodManager`.
    :raises: InvalidParameterValue for a malformed URL.
    """
    url = driver_utils.normalize_url(url)
    try:
        return get_pod_manager_by_url(url)
    except exception.NotFound:
        pass
    values = {'url': url, 'username': username, 'password': password,
              'verify': verify, 'name': _name_for_url(url)}
    for attempt in range(2):
        try:
            podm = create_pod_manager(values)
        except exception.Conflict:
            try:
                return get_pod_manager_by_url(url)
            except exception.NotFound:
                # The name was taken by another EEM's record.
                values['name'] = '%s-%s' % (_name_for_url(url),
                                            uuidutils.generate_uuid()[:8])
        else:
            LOG.info('Registered pod manager %(uuid)s for EEM %(url)s',
                     {'uuid': podm.uuid, 'url': url})
            return podm
    return get_pod_manager_by_url(url)


# Devices


def _device_values(values, allowed):
    _check_fields(values, allowed, 'device')
    values = dict(values)
    if 'eeid' in values:
        values['eeid'] = normalize_eeid(values['eeid'])
    _check_choice(values, 'state', models.DEVICE_STATES)
    if values.get('purpose') is not None:
        _check_choice(values, 'purpose', models.PURPOSES)
    return values


@_retry_on_contention
def create_devices(podm_uuid, values_list, returning=True):
    """Add devices to a pod manager's pool in one transaction.

    :param podm_uuid: the pod manager's uuid.
    :param values_list: dicts with at least ``eeid``; ``uuid`` is
        generated when absent, ``state`` defaults to ``free``.
    :param returning: False to insert them all in one statement
        (``executemany``: a discovery cycle that adds 10,000 devices makes
        one write, not 10,000) and return how many were added.
    :returns: the list of new :class:`~models.Device` (or their number,
        with ``returning`` False).
    :raises: Conflict if an EE id is already in this pod manager's pool.
    :raises: NotFound if the pod manager does not exist.
    :raises: InvalidParameterValue for unknown fields or bad values.
    """
    rows = []
    for values in values_list:
        values = _device_values(values, _DEVICE_FIELDS)
        if 'eeid' not in values:
            raise exception.InvalidParameterValue(_('A device needs an eeid'))
        values.setdefault('uuid', uuidutils.generate_uuid())
        values.setdefault('kind', models.KIND_EEIO)
        values.setdefault('state', models.DEVICE_FREE)
        values['pod_manager_uuid'] = podm_uuid
        rows.append(values)
    if not rows:
        return [] if returning else 0
    try:
        with session.writer() as s:
            if s.scalars(sa.select(models.PodManager.id).where(
                    models.PodManager.uuid == podm_uuid)).first() is None:
                raise exception.NotFound(
                    _('Pod manager %s could not be found') % podm_uuid)
            if not returning:
                # NOTE(expether): an ORM bulk INSERT: the columns'
                # defaults (created_at) apply, no object is built.
                s.execute(sa.insert(models.Device), rows)
                return len(rows)
            rows = [models.Device(**values) for values in rows]
            s.add_all(rows)
            s.flush()
    except db_exc.DBDuplicateEntry as e:
        raise exception.Conflict(
            _('A device with the same %(cols)s already exists in pod manager '
              '%(podm)s') % {'cols': ', '.join(e.columns) or 'EE id',
                             'podm': podm_uuid}) from None
    return rows


def create_device(podm_uuid, values):
    """Add one device to a pod manager's pool.

    :param podm_uuid: the pod manager's uuid.
    :param values: see :func:`create_devices`.
    :returns: the new :class:`~models.Device`.
    :raises: see :func:`create_devices`.
    """
    return create_devices(podm_uuid, [values])[0]


def get_device(device_uuid):
    """Get a device by its pool uuid.

    :param device_uuid: the device's uuid.
    :returns: a :class:`~models.Device`.
    :raises: NotFound if there is none.
    """
    return _get_by_uuid(models.Device, device_uuid, 'Device')


def get_device_by_eeid(podm_uuid, eeid):
    """Get a device by its EE id within a pod manager.

    :param podm_uuid: the pod manager's uuid.
    :param eeid: the IO engine's EE id.
    :returns: a :class:`~models.Device`.
    :raises: NotFound if there is none; InvalidParameterValue for a
        malformed EE id.
    """
    eeid = normalize_eeid(eeid)
    with session.reader() as s:
        device = s.scalars(sa.select(models.Device).where(
            models.Device.pod_manager_uuid == podm_uuid,
            models.Device.eeid == eeid)).first()
    if device is None:
        raise exception.NotFound(
            _('Device %(eeid)s could not be found in pod manager %(podm)s') %
            {'eeid': eeid, 'podm': podm_uuid})
    return device


def find_device(ref, podm_uuid=None):
    """Find a device by pool uuid or EE id.

    :param ref: a device uuid or an EE id.
    :param podm_uuid: the pod manager the device must belong to. An EE id
        without it must be unique across pod managers.
    :returns: a :class:`~models.Device`.
    :raises: NotFound if there is none (or it belongs to another pod
        manager); InvalidParameterValue if ``ref`` is neither a uuid nor an
        EE id, or an EE id known in several pod managers.
    """
    if uuidutils.is_uuid_like(ref):
        device = get_device(ref)
        if podm_uuid is not None and device.pod_manager_uuid != podm_uuid:
            raise exception.NotFound(
                _('Device %(dev)s could not be found in pod manager '
                  '%(podm)s') % {'dev': ref, 'podm': podm_uuid})
        return device
    if not eem.is_valid_eeid(ref):
        raise exception.InvalidParameterValue(
            _('A device reference must be a uuid or an EE id (0x and 10 to '
              '12 hexadecimal digits), not %r') % (ref,))
    if podm_uuid is not None:
        return get_device_by_eeid(podm_uuid, ref)
    devices = list_devices(eeid=ref)
    if not devices:
        raise exception.NotFound(_('Device %s could not be found') % ref)
    if len(devices) > 1:
        raise exception.InvalidParameterValue(
            _('EE id %s is known in several pod managers; use the device '
              'uuid') % ref)
    return devices[0]


def _where(column, value):
    if value is None:
        return column.is_(None)
    if isinstance(value, (list, tuple, set, frozenset)):
        return column.in_(list(value))
    return column == value


def list_devices(podm_uuid=None, node_uuid=None, state=None, type=None,
                 group_id=None, purpose=None, eeid=None, limit=None):
    """List devices, oldest first, filtered on the given fields.

    A filter left at None is not applied. A list or tuple matches any of
    its values.

    :param podm_uuid: pod manager uuid.
    :param node_uuid: uuid of the Ironic node holding them.
    :param state: device state(s).
    :param type: device type(s) (``GPU``, ``SSD``, ...).
    :param group_id: EEM group id.
    :param purpose: ``composition`` or ``deployment``.
    :param eeid: EE id.
    :param limit: at most this many.
    :returns: a list of :class:`~models.Device`.
    """
    dev = models.Device
    query = sa.select(dev).order_by(dev.id)
    filters = [(dev.pod_manager_uuid, podm_uuid), (dev.node_uuid, node_uuid),
               (dev.state, state), (dev.type, type),
               (dev.group_id, group_id), (dev.purpose, purpose),
               (dev.eeid, eeid.lower() if isinstance(eeid, str) else eeid)]
    for column, value in filters:
        if value is not None:
            query = query.where(_where(column, value))
    if limit is not None:
        query = query.limit(limit)
    with session.reader() as s:
        return list(s.scalars(query))


def device_rows(podm_uuid, columns):
    """The devices of a pod manager as plain rows of some columns.

    For discovery, which compares thousands of records per cycle: rows,
    not model objects (10,000 of those cost a third of a second).

    :param podm_uuid: pod manager uuid.
    :param columns: names of :class:`~models.Device` columns.
    :returns: a list of rows (named tuples in the order of ``columns``).
    :raises: InvalidParameterValue for an unknown column.
    """
    _check_fields(dict.fromkeys(columns),
                  _DEVICE_FIELDS | {'created_at', 'updated_at'}, 'device')
    dev = models.Device
    with session.reader() as s:
        return list(s.execute(
            sa.select(*[getattr(dev, c) for c in columns])
            .where(dev.pod_manager_uuid == podm_uuid)))


def _device_update(values):
    values = dict(values)
    values['updated_at'] = timeutils.utcnow()
    return values


@_retry_on_contention
def compare_and_set_device(device_uuid, expected, values):
    """Change a device only if it still looks as expected.

    One ``UPDATE ... WHERE uuid = :uuid AND <expected>``: the building
    block of every claim.

    :param device_uuid: the device's uuid.
    :param expected: dict of column to expected value; None means NULL, a
        tuple or list means any of its values.
    :param values: dict of fields to set.
    :returns: True if the device was changed, False if it did not match.
    :raises: InvalidParameterValue for unknown fields or bad values.
    """
    _check_fields(expected, _DEVICE_FIELDS, 'device')
    values = _device_values(values, _DEVICE_UPDATABLE)
    dev = models.Device
    query = sa.update(dev).where(dev.uuid == device_uuid)
    for field, value in expected.items():
        query = query.where(_where(getattr(dev, field), value))
    with session.writer() as s:
        result = _execute(s, query.values(**_device_update(values)))
    return result.rowcount == 1


def update_device(device_uuid, values, expected=None):
    """Update fields of a device.

    :param device_uuid: the device's uuid.
    :param values: dict of fields to change.
    :param expected: optional conditions, as in
        :func:`compare_and_set_device`.
    :returns: the updated :class:`~models.Device`.
    :raises: NotFound if there is no such device; Conflict if it does not
        match ``expected``; InvalidParameterValue for bad values.
    """
    if not compare_and_set_device(device_uuid, expected or {}, values):
        device = get_device(device_uuid)
        raise exception.Conflict(
            _('Device %(dev)s (%(eeid)s) changed meanwhile: it is %(state)s'
              '%(holder)s') % {'dev': device.uuid, 'eeid': device.eeid,
                               'state': device.state,
                               'holder': _holder(device)})
    return get_device(device_uuid)


@_retry_on_contention
def update_devices(updates):
    """Apply many device changes in one transaction (for discovery).

    Pass only what changed; each item is applied with its own conditions,
    and an item whose device no longer matches is skipped.

    :param updates: iterable of ``(device_uuid, values)`` or
        ``(device_uuid, values, expected)``; ``expected`` may name
        ``updated_at`` too (the record as it was read).
    :returns: the list of uuids of the devices changed.
    :raises: InvalidParameterValue for unknown fields or bad values.
    """
    statements = []
    dev = models.Device
    for item in updates:
        device_uuid, values = item[0], item[1]
        expected = item[2] if len(item) > 2 else {}
        _check_fields(expected, _DEVICE_FIELDS | {'updated_at'}, 'device')
        values = _device_values(values, _DEVICE_UPDATABLE)
        query = sa.update(dev).where(dev.uuid == device_uuid)
        for field, value in expected.items():
            query = query.where(_where(getattr(dev, field), value))
        statements.append((device_uuid, query.values(**_device_update(
            values))))
    changed = []
    with session.writer() as s:
        for device_uuid, query in statements:
            if _execute(s, query).rowcount == 1:
                changed.append(device_uuid)
    return changed


@_retry_on_contention
def delete_device(device_uuid):
    """Delete a device nobody holds.

    :param device_uuid: the device's uuid.
    :raises: NotFound if there is none; Conflict if a node holds it.
    """
    dev = models.Device
    with session.writer() as s:
        result = _execute(s, sa.delete(dev).where(
            dev.uuid == device_uuid, dev.node_uuid.is_(None),
            dev.state.not_in(HELD_STATES)))
    if result.rowcount != 1:
        device = get_device(device_uuid)
        raise exception.Conflict(
            _('Device %(dev)s (%(eeid)s) cannot be deleted: it is '
              '%(state)s%(holder)s') %
            {'dev': device.uuid, 'eeid': device.eeid, 'state': device.state,
             'holder': _holder(device)})


def _holder(device):
    return (' by node %s' % device.node_uuid) if device.node_uuid else ''


# Flavors


def _flavor_values(values):
    _check_fields(values, _FLAVOR_FIELDS, 'flavor')
    if 'name' in values and (not isinstance(values['name'], str)
                             or not values['name'].strip()):
        raise exception.InvalidParameterValue(
            _('name must be a non-empty string'))
    if values.get('properties') is not None and not isinstance(
            values['properties'], dict):
        raise exception.InvalidParameterValue(
            _('properties must be an object'))
    return dict(values)


@_retry_on_contention
def create_flavor(values):
    """Store a flavor.

    :param values: dict with ``name`` (required), ``description``,
        ``properties`` (a dict) and optionally ``uuid``.
    :returns: the new :class:`~models.Flavor`.
    :raises: InvalidParameterValue for unknown fields or bad values;
        Conflict if the uuid is taken.
    """
    values = _flavor_values(values)
    if not values.get('name'):
        raise exception.InvalidParameterValue(_('A flavor needs a name'))
    values.setdefault('uuid', uuidutils.generate_uuid())
    values.setdefault('properties', {})
    return _insert(models.Flavor(**values), 'flavor', values)


def get_flavor(flavor_uuid):
    """Get a flavor by uuid.

    :param flavor_uuid: the flavor's uuid.
    :returns: a :class:`~models.Flavor`.
    :raises: NotFound if there is none.
    """
    return _get_by_uuid(models.Flavor, flavor_uuid, 'Flavor')


def list_flavors():
    """List flavors, oldest first.

    :returns: a list of :class:`~models.Flavor`.
    """
    with session.reader() as s:
        return list(s.scalars(sa.select(models.Flavor).order_by(
            models.Flavor.id)))


@_retry_on_contention
def update_flavor(flavor_uuid, values):
    """Update a flavor's name, description or properties.

    :param flavor_uuid: the flavor's uuid.
    :param values: dict of fields to change.
    :returns: the updated :class:`~models.Flavor`.
    :raises: NotFound; InvalidParameterValue for bad values.
    """
    values = _flavor_values(values)
    if 'uuid' in values:
        raise exception.InvalidParameterValue(_('uuid cannot be changed'))
    with session.writer() as s:
        flavor = s.scalars(sa.select(models.Flavor).where(
            models.Flavor.uuid == flavor_uuid)).first()
        if flavor is None:
            raise exception.NotFound(_('Flavor %s could not be found') %
                                     flavor_uuid)
        flavor.update(values)
        s.flush()
    return flavor


@_retry_on_contention
def delete_flavor(flavor_uuid):
    """Delete a flavor.

    :param flavor_uuid: the flavor's uuid.
    :raises: NotFound if there is none.
    """
    with session.writer() as s:
        result = _execute(s, sa.delete(models.Flavor).where(
            models.Flavor.uuid == flavor_uuid))
    if result.rowcount != 1:
        raise exception.NotFound(_('Flavor %s could not be found') %
                                 flavor_uuid)


# Discovery leases


@_retry_on_contention
def _take_lease(podm_uuid, holder, now, expires_at):
    lease = models.Lease
    with session.writer() as s:
        result = _execute(
            s, sa.update(lease)
            .where(lease.pod_manager_uuid == podm_uuid,
                   sa.or_(lease.expires_at <= now, lease.holder == holder))
            .values(holder=holder, expires_at=expires_at, updated_at=now))
    return result.rowcount == 1


@_retry_on_contention
def _insert_lease(podm_uuid, holder, now, expires_at):
    try:
        with session.writer() as s:
            s.add(models.Lease(pod_manager_uuid=podm_uuid, holder=holder,
                               expires_at=expires_at, created_at=now))
            s.flush()
    except db_exc.DBDuplicateEntry:
        return False
    except db_exc.DBReferenceError:
        raise exception.NotFound(_('Pod manager %s could not be found') %
                                 podm_uuid) from None
    return True


def acquire_lease(podm_uuid, holder, ttl):
    """Take or renew the discovery lease of a pod manager, atomically.

    Succeeds when nobody holds the lease, when it expired, or when
    ``holder`` already holds it (renewal). Either one conditional
    ``UPDATE`` or one ``INSERT`` decides; never a read first.

    :param podm_uuid: the pod manager's uuid.
    :param holder: who takes it (e.g. the conductor's host name).
    :param ttl: seconds the lease lasts.
    :returns: True if ``holder`` now holds the lease, False if someone else
        does.
    :raises: NotFound if the pod manager does not exist.
    """
    now = timeutils.utcnow()
    expires_at = now + datetime.timedelta(seconds=ttl)
    if _take_lease(podm_uuid, holder, now, expires_at):
        return True
    if _insert_lease(podm_uuid, holder, now, expires_at):
        return True
    # Someone inserted or holds it; it may have expired in between.
    return _take_lease(podm_uuid, holder, now, expires_at)


@_retry_on_contention
def release_lease(podm_uuid, holder):
    """Give up a lease, if ``holder`` still holds it.

    :param podm_uuid: the pod manager's uuid.
    :param holder: who held it.
    :returns: True if it was released, False if ``holder`` did not hold it.
    """
    with session.writer() as s:
        result = _execute(s, sa.delete(models.Lease).where(
            models.Lease.pod_manager_uuid == podm_uuid,
            models.Lease.holder == holder))
    return result.rowcount == 1


def get_lease(podm_uuid):
    """The current lease of a pod manager, expired or not.

    :param podm_uuid: the pod manager's uuid.
    :returns: a :class:`~models.Lease` or None.
    """
    with session.reader() as s:
        return s.scalars(sa.select(models.Lease).where(
            models.Lease.pod_manager_uuid == podm_uuid)).first()


# Servers enrolled by discovery


@_retry_on_contention
def record_enrollment(podm_uuid, eeid, node_uuid):
    """Record that discovery enrolls a server engine, unless it already did.

    One ``INSERT``; the unique (pod manager, EE id) decides between
    concurrent callers, so exactly one of them gets True.

    :param podm_uuid: the pod manager's uuid.
    :param eeid: the server engine's EE id.
    :param node_uuid: the uuid of the node being enrolled for it.
    :returns: True if this call recorded it, False if it was recorded
        before (by this or another conductor).
    :raises: NotFound if the pod manager does not exist.
    :raises: InvalidParameterValue for a malformed EE id.
    """
    eeid = normalize_eeid(eeid)
    try:
        with session.writer() as s:
            s.add(models.EnrolledServer(
                pod_manager_uuid=podm_uuid, eeid=eeid, node_uuid=node_uuid,
                created_at=timeutils.utcnow()))
            s.flush()
    except db_exc.DBDuplicateEntry:
        return False
    except db_exc.DBReferenceError:
        raise exception.NotFound(_('Pod manager %s could not be found') %
                                 podm_uuid) from None
    return True


def list_enrolled_servers(podm_uuid):
    """The server engines discovery enrolled in a pod manager.

    :param podm_uuid: the pod manager's uuid.
    :returns: a list of :class:`~models.EnrolledServer`, oldest first.
    """
    enrolled = models.EnrolledServer
    with session.reader() as s:
        return list(s.scalars(sa.select(enrolled).where(
            enrolled.pod_manager_uuid == podm_uuid).order_by(enrolled.id)))


@_retry_on_contention
def delete_enrollment(podm_uuid, eeid):
    """Forget that discovery enrolled a server engine.

    Discovery calls it when the node could not be created after all, so
    that a later cycle tries again.

    :param podm_uuid: the pod manager's uuid.
    :param eeid: the server engine's EE id.
    :returns: True if a record was deleted, False if there was none.
    :raises: InvalidParameterValue for a malformed EE id.
    """
    eeid = normalize_eeid(eeid)
    enrolled = models.EnrolledServer
    with session.writer() as s:
        result = _execute(s, sa.delete(enrolled).where(
            enrolled.pod_manager_uuid == podm_uuid, enrolled.eeid == eeid))
    return result.rowcount == 1
