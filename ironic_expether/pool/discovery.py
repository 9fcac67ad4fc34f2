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

"""Discovery: bring the pool and the Ironic nodes in line with EEM.

:func:`sync` is the one code path of both the conductor's periodic task
(:mod:`ironic_expether.drivers.periodics`, with ``use_lease=True``) and
the ``sync`` driver passthru. For each pod manager it makes exactly ONE
EEM request (``devices/detail``), compares EEM's answer with the pool's
records and the managed nodes in memory, and writes only the difference,
in bulk. In steady state (nothing changed) it writes nothing.

Rules, for each IO engine (EEIO):

* unknown to the pool: it joins with its type, vendor and device names;
  ``free`` in group 4093, ``allocated`` to the node owning its group
  (``driver_info['eesv_id']`` names the server engine of the group), or
  to nobody when no managed node owns the group, ``missing`` when down;
* group moved (also outside Ironic): state and holder follow EEM;
* no longer listed by EEM, or reported down: ``missing``, keeping its
  uuid and holder; when it comes back it keeps the same uuid;
* ``claimed`` for less than ``[expether] claim_timeout``: left alone (a
  move is in flight); older: repaired from EEM's view;
* held by a node that no longer exists: its group is deleted in EEM
  (back to 4093) and it becomes ``free`` again.

Then, for each managed node of the pod manager, ``properties
['expether_devices']`` and the owned ``CUSTOM_EXPETHER_<TYPE>`` traits follow
its devices by the one rule of :mod:`ironic_expether.pool.describe`
(allocated composition devices only; other traits are never touched); a
change is logged and recorded in the node's history (event type
``expether``). With ``[expether] auto_enroll``, server engines (EESVs)
without a node are enrolled, in ``enroll``, each at most once: a record in
``expether_enrolled_servers`` (unique per pod manager and EE id) decides
between conductors and keeps a node an operator deleted from coming back.

Devices attached at deploy time (purpose ``deployment``, by the
``compose_devices`` deploy step) normally go back at teardown through the
``release_devices`` clean step. When that step does not run (automated
cleaning disabled, or its priority 0), discovery returns them: a node out of
maintenance in one of :data:`RELEASE_DEPLOYMENT_STATES` that still holds
such devices is locked, its state checked again under the lock, and the
devices detached through :mod:`ironic_expether.pool.claims`, with a node
history record naming them. Composition devices are never touched.

A pod manager whose EEM fails is marked ``offline`` with the reason, and
the others are still synced; it is marked ``online`` again when it
answers. With ``use_lease``, a pod manager is synced only by the conductor
holding its lease (see :func:`sync`).
"""

import collections
import contextlib
import datetime
import gc
import threading

from ironic.common import exception
from ironic.common import states
from ironic.conductor import task_manager
from ironic.conductor import utils as conductor_utils
from ironic.conf import CONF
from ironic.db import api as ironic_dbapi
from ironic.db.sqlalchemy import models as ironic_models
from oslo_db.sqlalchemy import enginefacade
from oslo_log import log
from oslo_utils import timeutils
from oslo_utils import uuidutils
import sqlalchemy as sa

from ironic_expether import eem
from ironic_expether.eem_access import snapshot
from ironic_expether.eem_access import utils as driver_utils
from ironic_expether.pool import claims
from ironic_expether.pool import compose
from ironic_expether.pool.db import api as db_api
from ironic_expether.pool.db import models
from ironic_expether.pool.db import session
from ironic_expether.pool import describe
from ironic_expether.pool import podm as podm_api

LOG = log.getLogger(__name__)

SUCCESS = 'SUCCESS'
FAILED = 'FAILED'
#: Only with ``use_lease``: another conductor holds the pod manager.
SKIPPED = 'SKIPPED'

DRIVER = podm_api.DRIVER
#: ``event_type`` of the node history records discovery writes.
HISTORY_EVENT_TYPE = 'expether'

_DESCRIPTIVE = ('type', 'vendor_name', 'device_name', 'pci_vendor_id',
                'pci_device_id', 'pci_class', 'mac_address', 'model',
                'group_id')
_NODE_COLUMNS = ['id', 'uuid', 'driver_info', 'properties',
                 'provision_state', 'maintenance']
#: Provision states of a node with no deployment in place or under way and
#: nothing running for Ironic on its hardware: devices a deployment left
#: there are returned to the pool. Every other state is left alone:
#: deploying, active, rescue, servicing and cleaning states (the clean step
#: runs there), transient ones (verifying, inspecting, adopting, deleting),
#: and failures an operator may retry or inspect (deploy, clean, adopt,
#: inspect failed, error); the node reaches one of these states later.
RELEASE_DEPLOYMENT_STATES = frozenset((states.ENROLL, states.MANAGEABLE,
                                       states.AVAILABLE))
#: Pool state of the deployment devices discovery returns. A ``claimed``
#: one is being moved (or is repaired first); a ``missing`` one keeps its
#: holder until EEM shows it again: dropped now, it would come back in the
#: server's group and be taken for one of the composition's.
_RELEASABLE = (models.DEVICE_ALLOCATED,)
#: Columns of the pool's devices discovery compares (read as plain rows,
#: not ORM objects: 10,000 of those cost a third of a second).
_DEVICE_COLUMNS = ('uuid', 'eeid', 'state', 'node_uuid', 'purpose',
                   'claimed_at') + _DESCRIPTIVE
#: Where the descriptive columns start in a row of ``_DEVICE_COLUMNS``.
_FIRST_DESCRIPTIVE = _DEVICE_COLUMNS.index(_DESCRIPTIVE[0])
_IRONIC_DB = threading.local()

#: A device as discovery sees it after its decisions (for node views).
_View = collections.namedtuple('_View', ['uuid', 'eeid', 'type',
                                         'vendor_name', 'device_name',
                                         'state', 'node_uuid', 'purpose'])


def read_nodes():
    """The expether nodes, as rows of ``_NODE_COLUMNS``.

    One query per cycle: :func:`register_unknown_pod_managers` and each
    pod manager's :class:`Reconciler` share it.
    """
    return ironic_dbapi.get_instance().get_nodeinfo_list(
        columns=list(_NODE_COLUMNS), filters={'driver': DRIVER})


@contextlib.contextmanager
def _gc_paused():
    """No garbage collection in the block, unless it was off already.

    NOTE(expether): a cycle holds EEM's whole answer (some 60,000 JSON
    objects for 11,000 engines) and the pool's rows while it reads and
    decides; the collector would scan them again and again, and they are
    freed by reference counting anyway. This was a third of a steady
    cycle's CPU at 11,000 engines.
    """
    enabled = gc.isenabled()
    if enabled:
        gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _own_group(eesv):
    try:
        return eem.MIN_GROUP_ID <= int(eesv.group_id) <= eem.MAX_GROUP_ID
    except (TypeError, ValueError):
        return False


class _Descriptive(object):
    """The ``_DESCRIPTIVE`` columns of EEM devices, as a tuple.

    The same values as :func:`db_api.device_values_from_eem`, without a
    dict per device; the names (pci.ids lookups) are looked up once per
    (class, vendor, device) in a cycle. In steady state a record's columns
    are compared to this tuple at once.
    """

    def __init__(self):
        self._names = {}

    def __call__(self, eeio):
        """:returns: the tuple, in the order of ``_DESCRIPTIVE``."""
        ids = (eeio.pci_class, eeio.pci_vendor_id, eeio.pci_device_id)
        names = self._names.get(ids)
        if names is None:
            names = self._names[ids] = (eeio.pci_type, eeio.pci_vendor_name,
                                        eeio.pci_device_name)
        return names + (eeio.pci_vendor_id, eeio.pci_device_id,
                        eeio.pci_class, eeio.mac_address, eeio.type,
                        eeio.group_id)


class _NodeView(object):
    """What discovery needs of a managed node (no full object load)."""

    __slots__ = ('id', 'uuid', 'eesv_id', 'properties', 'traits',
                 'provision_state', 'maintenance')

    def __init__(self, node_id, uuid, eesv_id, properties, traits,
                 provision_state=None, maintenance=False):
        self.id = node_id
        self.uuid = uuid
        self.eesv_id = eesv_id
        self.properties = properties or {}
        self.traits = traits
        self.provision_state = provision_state
        self.maintenance = maintenance

    @property
    def may_release_deployment(self):
        """Whether deployment devices this node holds are left-overs."""
        return (not self.maintenance
                and self.provision_state in RELEASE_DEPLOYMENT_STATES)


def _view(record, **changes):
    values = {name: getattr(record, name) for name in _View._fields}
    values.update(changes)
    return _View(**values)


class Reconciler(object):
    """One discovery cycle of one pod manager, from one EEM answer.

    :param context: a request context (admin for the periodic task).
    :param podm: the pool ``PodManager`` record.
    :param client: the EEM client of the pod manager.
    :param eem_devices: EEM's ``devices/detail`` answer (a list of
        :class:`ironic_expether.eem.Device`).
    :param node_rows: the expether nodes as :func:`read_nodes` gives
        them, read in this cycle; None to read them here.
    """

    def __init__(self, context, podm, client, eem_devices, node_rows=None):
        self.context = context
        self.podm = podm
        self.client = client
        self.eem_devices = eem_devices
        self.node_rows = node_rows
        self.counts = collections.Counter()

    # Reading

    def _managed_nodes(self):
        """The expether nodes of this pod manager, by EESV id."""
        rows = self.node_rows
        if rows is None:
            rows = read_nodes()
        traits = collections.defaultdict(set)
        trait, node = ironic_models.NodeTrait, ironic_models.Node
        with enginefacade.reader.using(_IRONIC_DB) as s:
            for node_id, name in s.execute(
                    sa.select(trait.node_id, trait.trait)
                    .join(node, node.id == trait.node_id)
                    .where(node.driver == DRIVER,
                           trait.trait.in_(sorted(describe.OWNED_TRAITS)))):
                traits[node_id].add(name)
        nodes = {}
        normalized = {}
        for (node_id, node_uuid, info, properties, provision_state,
             maintenance) in rows:
            info = info or {}
            address, eesv_id = info.get('eem_address'), info.get('eesv_id')
            if not isinstance(eesv_id, str) or not isinstance(address, str):
                continue
            url = normalized.get(address)
            if url is None:
                try:
                    url = db_api.normalize_url(address)
                except exception.InvalidParameterValue:
                    url = ''
                normalized[address] = url
            if url == self.podm.url:
                nodes[eesv_id.lower()] = _NodeView(
                    node_id, node_uuid, eesv_id.lower(), properties,
                    traits.get(node_id, set()),
                    provision_state=provision_state,
                    maintenance=maintenance)
        return nodes

    def _records(self):
        """The pool's devices of this pod manager, as plain rows."""
        dev = models.Device
        with session.reader() as s:
            return list(s.execute(
                sa.select(*[getattr(dev, c) for c in _DEVICE_COLUMNS])
                .where(dev.pod_manager_uuid == self.podm.uuid)))

    def _existing_nodes(self, node_uuids):
        """Which of these node uuids still exist in Ironic."""
        if not node_uuids:
            return set()
        dbapi = ironic_dbapi.get_instance()
        rows = dbapi.get_node_list(filters={'uuid_in': sorted(node_uuids)},
                                   fields=['uuid'])
        return {row.uuid for row in rows}

    # Deciding

    def _desired(self, row, eeio, group_owner, node_groups, existing):
        """The (state, node_uuid, purpose) EEM says a device should have.

        :returns: the triple, or None when the device is an orphan whose
            group must be deleted in EEM first.
        """
        if eeio is None or not eeio.is_up:
            holder = row.node_uuid if row.node_uuid in existing else None
            return (models.DEVICE_MISSING, holder,
                    row.purpose if holder else None)
        gid = eeio.group_id
        if gid == eem.EEIO_FREE_GROUP:
            return models.DEVICE_FREE, None, None
        owner = group_owner.get(gid)
        if owner is not None:
            purpose = (row.purpose if row.node_uuid == owner and row.purpose
                       else models.PURPOSE_COMPOSITION)
            return models.DEVICE_ALLOCATED, owner, purpose
        holder = row.node_uuid
        if holder is not None and holder not in existing:
            return None
        if holder is not None and node_groups.get(holder) is None:
            # NOTE(expether): a node whose server engine EEM does not show
            # in a group of its own; keep what the pool says.
            return models.DEVICE_ALLOCATED, holder, row.purpose
        # In the group of a server Ironic does not manage.
        return models.DEVICE_ALLOCATED, None, None

    def _plan_devices(self, records, eeios, group_owner, node_groups,
                      existing):
        """Decide what to write; nothing is written here.

        :returns: ``(views, creates, updates, orphans)``: the devices as
            they will be (a dict of EE id to :class:`_View`, only for those
            that change or are new), values for ``create_devices``,
            ``(uuid, values, expected)`` for ``update_devices``, and
            ``(record, changes)`` of devices of deleted nodes.
        """
        now = timeutils.utcnow()
        timeout = datetime.timedelta(seconds=CONF.expether.claim_timeout)
        descriptive = _Descriptive()
        creates, updates, orphans = [], [], []
        views = {}
        known = set()
        for record in records:
            eeid = record.eeid
            known.add(eeid)
            eeio = eeios.get(eeid)
            if (record.state == models.DEVICE_CLAIMED
                    and record.claimed_at is not None
                    and now - record.claimed_at < timeout):
                continue  # a move is in flight
            changes = {}
            if eeio is not None:
                values = descriptive(eeio)
                if values != record[_FIRST_DESCRIPTIVE:]:
                    for key, old, value in zip(
                            _DESCRIPTIVE, record[_FIRST_DESCRIPTIVE:],
                            values):
                        if old != value:
                            changes[key] = value
            desired = self._desired(record, eeio, group_owner, node_groups,
                                    existing)
            if desired is None:
                orphans.append((record, changes))
                continue
            if desired != (record.state, record.node_uuid, record.purpose):
                changes.update(zip(('state', 'node_uuid', 'purpose'),
                                   desired))
                self._count_transition(record, desired[0])
            if record.claimed_at is not None:
                changes['claimed_at'] = None
            if changes:
                updates.append((record.uuid, changes,
                                {'state': record.state,
                                 'node_uuid': record.node_uuid}))
                views[eeid] = _view(record, **{
                    k: v for k, v in changes.items() if k in _View._fields})
        for eeid, eeio in eeios.items():
            if eeid in known:
                continue
            values = db_api.device_values_from_eem(eeio)
            new = _View(uuidutils.generate_uuid(), eeid, values['type'],
                        values['vendor_name'], values['device_name'],
                        None, None, None)
            state, holder, purpose = self._desired(
                new, eeio, group_owner, node_groups, existing) or (
                models.DEVICE_ALLOCATED, None, None)
            values.update(uuid=new.uuid, state=state, node_uuid=holder,
                          purpose=purpose)
            creates.append(values)
            views[eeid] = new._replace(state=state, node_uuid=holder,
                                       purpose=purpose)
            self.counts['added'] += 1
        return views, creates, updates, orphans

    def _count_transition(self, record, state):
        if record.state == models.DEVICE_CLAIMED:
            self.counts['repaired'] += 1
        elif state == models.DEVICE_MISSING:
            self.counts['missing'] += 1
        elif record.state == models.DEVICE_MISSING:
            self.counts['returned'] += 1
        else:
            self.counts['moved'] += 1
        LOG.debug('Pool device %(dev)s (%(eeid)s) of pod manager %(podm)s: '
                  '%(old)s -> %(new)s', {'dev': record.uuid,
                                         'eeid': record.eeid,
                                         'podm': self.podm.uuid,
                                         'old': record.state, 'new': state})

    # Writing

    def _create(self, creates):
        if not creates:
            return
        try:
            db_api.create_devices(self.podm.uuid, creates)
        except exception.Conflict:
            # A concurrent sync (the passthru) added some of them.
            for values in creates:
                try:
                    db_api.create_device(self.podm.uuid, values)
                except exception.Conflict:
                    self.counts['added'] -= 1

    def _release_orphans(self, orphans, views):
        """Give the devices of deleted nodes back to the pool."""
        updates = []
        for record, changes in orphans:
            try:
                self.client.delete_group(record.eeid)
            except eem.EEMError as e:
                LOG.warning('Could not return device %(dev)s (%(eeid)s) of '
                            'deleted node %(node)s to the pool of pod '
                            'manager %(podm)s: %(err)s; trying again next '
                            'cycle', {'dev': record.uuid,
                                      'eeid': record.eeid,
                                      'node': record.node_uuid,
                                      'podm': self.podm.uuid, 'err': e})
                continue
            LOG.info('Device %(dev)s (%(eeid)s) of deleted node %(node)s is '
                     'back in the pool of pod manager %(podm)s',
                     {'dev': record.uuid, 'eeid': record.eeid,
                      'node': record.node_uuid, 'podm': self.podm.uuid})
            values = dict(changes, state=models.DEVICE_FREE, node_uuid=None,
                          purpose=None, claimed_at=None,
                          group_id=eem.EEIO_FREE_GROUP)
            updates.append((record.uuid, values,
                            {'state': record.state,
                             'node_uuid': record.node_uuid}))
            views[record.eeid] = _view(record, state=models.DEVICE_FREE,
                                       node_uuid=None, purpose=None)
            self.counts['orphans_released'] += 1
        return updates

    def _sync_node(self, node, devices):
        """Make a node's properties and owned traits follow its devices.

        :param node: a :class:`_NodeView`.
        :param devices: the devices the node holds, as this cycle decided
            them (any state, any purpose).
        :returns: True if the node was changed.
        """
        if describe.shows(node.properties, node.traits,
                          describe.describe_devices(devices)):
            return False
        try:
            with task_manager.acquire(
                    self.context, node.uuid, shared=False, retry=False,
                    purpose='expether discovery') as task:
                # Under the lock, from the pool's records: a compose or
                # detach may have finished since this cycle read them.
                change = describe.update_node(task.node)
                if change is not None:
                    self._record(task.node, change)
        except (exception.NodeLocked, exception.NodeNotFound) as e:
            LOG.info('Devices of node %(node)s changed but it could not be '
                     'updated now (%(err)s); trying again next cycle',
                     {'node': node.uuid, 'err': e})
            return False
        return change is not None

    def _release_deployment_devices(self, node, devices):
        """Return the devices a finished deployment left on a node.

        Nothing is done (no lock, no write, no EEM request) unless the node
        is in one of :data:`RELEASE_DEPLOYMENT_STATES`, out of maintenance,
        and holds ``allocated`` deployment devices in this cycle's view.
        Then the node is locked and its state checked again, so a
        deployment that started meanwhile (and its own ``compose_devices``
        step) is never touched.

        :param node: a :class:`_NodeView`.
        :param devices: the devices the node holds, as this cycle decided
            them.
        :returns: how many devices were returned.
        """
        if not node.may_release_deployment or not any(
                d.purpose == models.PURPOSE_DEPLOYMENT
                and d.state in _RELEASABLE for d in devices):
            return 0
        try:
            with task_manager.acquire(
                    self.context, node.uuid, shared=False, retry=False,
                    purpose='expether discovery') as task:
                state = task.node.provision_state
                if (task.node.maintenance
                        or state not in RELEASE_DEPLOYMENT_STATES):
                    return 0
                released = self._detach_deployment_devices(task.node)
                if released:
                    self._record_release(task.node, released)
                return len(released)
        except (exception.NodeLocked, exception.NodeNotFound) as e:
            LOG.info('Node %(node)s holds devices of a past deployment but '
                     'could not be locked now (%(err)s); trying again next '
                     'cycle', {'node': node.uuid, 'err': e})
        except exception.IronicException as e:
            # NOTE(expether): e.g. an interface this conductor does not
            # enable; one node never fails the cycle of its pod manager.
            LOG.warning('Node %(node)s holds devices of a past deployment '
                        'but could not be locked: %(err)s; trying again '
                        'next cycle', {'node': node.uuid, 'err': e})
        return 0

    def _detach_deployment_devices(self, node):
        """Detach, under the node's lock, its deployment devices.

        Read again from the pool: the cycle's view may be stale.

        :returns: the released devices (pool records, as before release).
        """
        released = []
        for device in claims.devices_of_node(
                node.uuid, purpose=models.PURPOSE_DEPLOYMENT):
            if device.state not in _RELEASABLE:
                continue
            try:
                claims.detach(node, device.uuid)
            except exception.IronicException as e:
                LOG.warning('Could not return device %(dev)s (%(eeid)s) '
                            'of a past deployment of node %(node)s '
                            '(%(state)s) to the pool: %(err)s; trying '
                            'again next cycle',
                            {'dev': device.uuid, 'eeid': device.eeid,
                             'node': node.uuid,
                             'state': node.provision_state, 'err': e})
                continue
            released.append(device)
        return released

    def _record_release(self, node, released):
        event = ('ExpEther discovery: returned devices attached at deploy '
                 'time [%(devs)s] to the pool; the node is %(state)s and '
                 'the release_devices clean step did not return them '
                 '(automated cleaning off, or the step\'s priority 0)' %
                 {'devs': ', '.join('%s (%s)' % (d.eeid, d.type)
                                    for d in released),
                  'state': node.provision_state})
        LOG.info('Node %(node)s: %(event)s', {'node': node.uuid,
                                              'event': event})
        conductor_utils.node_history_record(
            node, event=event, event_type=HISTORY_EVENT_TYPE)

    def _record(self, node, change):
        event = ('ExpEther discovery: devices in the server\'s group '
                 'changed from [%(old)s] to [%(new)s]; traits now '
                 '[%(traits)s]' %
                 {'old': ', '.join(change.old_ids),
                  'new': ', '.join(change.new_ids),
                  'traits': ', '.join(change.traits)})
        LOG.info('Node %(node)s: %(event)s', {'node': node.uuid,
                                              'event': event})
        conductor_utils.node_history_record(
            node, event=event, event_type=HISTORY_EVENT_TYPE)

    def _enroll(self, eesvs, nodes):
        """Enroll server engines without a node, each at most once.

        An engine is recorded in ``expether_enrolled_servers`` BEFORE its
        node is created: the record's unique (pod manager, EE id) lets
        exactly one of several conductors enroll it, and the record stays
        when an operator deletes the node, so it is not enrolled again.
        A node that cannot be created gives its record back, so that a
        later cycle tries again.
        """
        candidates = sorted(e for e in eesvs if e not in nodes)
        if not candidates:
            return
        done = {r.eeid for r in db_api.list_enrolled_servers(
            self.podm.uuid)}
        for eesv_id in candidates:
            if eesv_id in done:
                continue
            node_uuid = podm_api.node_uuid_for(self.podm.uuid, eesv_id)
            if not db_api.record_enrollment(self.podm.uuid, eesv_id,
                                            node_uuid):
                continue  # another conductor enrolls it
            try:
                podm_api.new_node(
                    self.context, self.podm, eesv_id,
                    description='Enrolled by ExpEther discovery from pod '
                                'manager %s' % self.podm.name)
            except exception.IronicException as e:
                # NodeAlreadyExists too: compose or manage made it, not us.
                db_api.delete_enrollment(self.podm.uuid, eesv_id)
                if not isinstance(e, exception.NodeAlreadyExists):
                    LOG.warning('Could not enroll server engine %(eesv)s '
                                'of pod manager %(podm)s: %(err)s; trying '
                                'again next cycle',
                                {'eesv': eesv_id, 'podm': self.podm.uuid,
                                 'err': e})
                continue
            LOG.info('Enrolled server engine %(eesv)s of pod manager '
                     '%(podm)s as node %(node)s', {'eesv': eesv_id,
                                                   'podm': self.podm.uuid,
                                                   'node': node_uuid})
            self.counts['enrolled'] += 1

    def _read_and_plan(self):
        """Read the nodes and the pool, and decide (nothing written).

        :returns: ``(nodes, eesvs, records, views, creates, updates,
            orphans)``; see :meth:`_plan_devices`.
        """
        eeios, eesvs = {}, {}
        for device in self.eem_devices:
            if not device.id or not eem.is_valid_eeid(device.id):
                continue
            if device.is_eeio:
                eeios[device.id.lower()] = device
            elif device.is_eesv:
                eesvs[device.id.lower()] = device
        nodes = self._managed_nodes()
        group_owner, node_groups = {}, {}
        for eesv_id, node in nodes.items():
            eesv = eesvs.get(eesv_id)
            if eesv is not None and _own_group(eesv):
                group_owner.setdefault(eesv.group_id, node.uuid)
                node_groups[node.uuid] = eesv.group_id
        records = self._records()
        managed = {n.uuid for n in nodes.values()}
        held = {r.node_uuid for r in records if r.node_uuid} - managed
        existing = managed | self._existing_nodes(held)

        views, creates, updates, orphans = self._plan_devices(
            records, eeios, group_owner, node_groups, existing)
        return nodes, eesvs, records, views, creates, updates, orphans

    def run(self):
        """Reconcile; write only the difference.

        :returns: a Counter of what changed (``added``, ``moved``,
            ``missing``, ``returned``, ``repaired``, ``orphans_released``,
            ``deployment_released``, ``nodes_updated``, ``enrolled``).
        """
        with _gc_paused():
            (nodes, eesvs, records, views, creates, updates,
             orphans) = self._read_and_plan()
        updates += self._release_orphans(orphans, views)
        self._create(creates)
        if updates:
            db_api.update_devices(updates)

        by_node = collections.defaultdict(list)
        for record in records:
            if record.node_uuid and record.eeid not in views:
                by_node[record.node_uuid].append(record)
        for view in views.values():
            if view.node_uuid:
                by_node[view.node_uuid].append(view)
        for node in nodes.values():
            held = by_node.get(node.uuid, [])
            released = self._release_deployment_devices(node, held)
            if released:
                self.counts['deployment_released'] += released
            if self._sync_node(node, held):
                self.counts['nodes_updated'] += 1
        if CONF.expether.auto_enroll:
            self._enroll(eesvs, nodes)
        composing = [n.uuid for n in nodes.values()
                     if compose.COMPOSING_PROPERTY in (n.properties or {})]
        if composing:
            undone = compose.undo_stale_compositions(
                self.context, self.podm, self.client, composing)
            if undone:
                self.counts['compositions_undone'] += undone
        return self.counts


def _lease_holder():
    return CONF.host


def _set_status(podm, status, reason=None):
    if podm.status == status and podm.status_reason == reason:
        return
    if db_api.set_pod_manager_status(podm.uuid, status, reason=reason):
        LOG.log(log.WARNING if status == models.POD_MANAGER_OFFLINE
                else log.INFO,
                'Pod manager %(podm)s (%(url)s) is now %(status)s%(why)s',
                {'podm': podm.uuid, 'url': podm.url, 'status': status,
                 'why': (': %s' % reason) if reason else ''})


def sync_pod_manager(context, podm, use_lease=False, node_rows=None):
    """Run one discovery cycle of one pod manager.

    :param context: a request context.
    :param podm: a pool ``PodManager`` record.
    :param use_lease: sync only if this conductor holds (or takes) the
        pod manager's lease; see :func:`sync`.
    :param node_rows: the expether nodes (:func:`read_nodes`) read in this
        cycle, or None to read them after EEM's answer.
    :returns: ``{"podm_id": ..., "status": ..., ...}``: ``SUCCESS`` with
        ``changes`` (a dict of counts), ``FAILED`` with ``detail`` (the
        reason), or ``SKIPPED`` (lease held by another conductor).
    """
    result = {'podm_id': podm.uuid}
    if use_lease and not db_api.acquire_lease(
            podm.uuid, _lease_holder(), CONF.expether.sync_lease_timeout):
        LOG.debug('Pod manager %s is synced by another conductor',
                  podm.uuid)
        return dict(result, status=SKIPPED)
    client = podm_api.client_for(podm)
    try:
        with _gc_paused():
            eem_devices = client.list_devices()
    except eem.EEMError as e:
        reason = 'EEM %s failed: %s' % (driver_utils.safe_address(podm.url),
                                        e)
        _set_status(podm, models.POD_MANAGER_OFFLINE, reason[:1000])
        return dict(result, status=FAILED, detail=reason)
    snapshot.store(client, eem_devices)
    _set_status(podm, models.POD_MANAGER_ONLINE)
    try:
        counts = Reconciler(context, podm, client, eem_devices,
                            node_rows=node_rows).run()
    except exception.IronicException as e:
        LOG.error('Discovery of pod manager %(podm)s failed: %(err)s',
                  {'podm': podm.uuid, 'err': e})
        return dict(result, status=FAILED, detail=str(e))
    if counts:
        LOG.info('Discovery of pod manager %(podm)s: %(counts)s',
                 {'podm': podm.uuid, 'counts': ', '.join(
                     '%s %d' % item for item in sorted(counts.items()))})
    return dict(result, status=SUCCESS, changes=dict(counts))


class _NodeInfo(object):
    """What :func:`driver_utils.parse_driver_info` reads of a node."""

    def __init__(self, uuid, driver_info):
        self.uuid = uuid
        self.driver_info = driver_info


def register_unknown_pod_managers(podms, node_rows=None):
    """Register the EEMs of hand-enrolled nodes that no pod manager names.

    One EEM is one pod manager: a node enrolled by hand with the
    ``eem_address`` of an EEM nobody registered gets its pod manager here,
    with the node's EEM credentials, so that discovery covers it from this
    cycle on. Costs one query of the expether nodes (none when
    ``node_rows`` is given), and no write when every EEM is known.

    :param podms: the pod managers already known.
    :param node_rows: the expether nodes as :func:`read_nodes` gives them,
        or None to read them here.
    :returns: the pod managers registered now.
    """
    known = {podm.url for podm in podms}
    if node_rows is None:
        node_rows = read_nodes()
    registered = []
    normalized = {}
    for row in node_rows:
        node_uuid, driver_info = row[1], row[2]
        address = (driver_info or {}).get('eem_address')
        try:
            if isinstance(address, str):
                url = normalized.get(address)
                if url is None:
                    url = normalized[address] = db_api.normalize_url(address)
            else:
                url = db_api.normalize_url(address)
            if url in known:
                continue
            info = driver_utils.parse_driver_info(
                _NodeInfo(node_uuid, driver_info))
            podm = db_api.ensure_pod_manager_for_url(
                info['address'], username=info['username'],
                password=info['password'],
                verify=db_api.normalize_verify(info['verify']))
        except (exception.InvalidParameterValue,
                exception.MissingParameterValue, TypeError,
                ValueError) as e:
            LOG.debug('Node %(node)s names no usable EEM: %(err)s',
                      {'node': node_uuid, 'err': e})
            continue
        known.add(podm.url)
        registered.append(podm)
    return registered


def sync(context, podm_uuid=None, use_lease=False):
    """Sync one or every pod manager with its EEM.

    The ``sync`` passthru calls it without a lease: a user asked, so the
    cycle runs now. The periodic task calls it with ``use_lease=True``:
    each pod manager is then synced only by the conductor that holds its
    lease (``expether_leases``). A conductor renews its lease (for
    ``[expether] sync_lease_timeout`` seconds) at the start of each of its
    cycles, so the same conductor keeps syncing a pod manager and the
    others skip it; when that conductor dies, mid-cycle or not, another
    one takes over once the lease expires. Keep ``sync_lease_timeout``
    above ``discovery_interval``.

    A pod manager that fails is reported ``FAILED`` (and marked offline);
    the others are still synced.

    :param context: a request context.
    :param podm_uuid: only this pod manager.
    :param use_lease: see above.
    :returns: a list of ``{"podm_id": ..., "status": "SUCCESS"|"FAILED"|
        "SKIPPED", ...}``, one per pod manager.
    :raises: NotFound if ``podm_uuid`` names no pod manager.
    """
    node_rows = None
    if podm_uuid is not None:
        podms = [db_api.get_pod_manager(podm_uuid)]
    else:
        podms = db_api.list_pod_managers()
        # NOTE(expether): one read of the nodes for the whole cycle; a node
        # created or deleted meanwhile is seen next cycle (claims keep a
        # compose in flight safe, and a node's pool records are kept when
        # EEM shows its group under no known node).
        node_rows = read_nodes()
        podms += register_unknown_pod_managers(podms, node_rows=node_rows)
    results = []
    for podm in podms:
        try:
            results.append(sync_pod_manager(context, podm,
                                            use_lease=use_lease,
                                            node_rows=node_rows))
        except Exception as e:
            # NOTE(expether): one pod manager never stops the others.
            LOG.exception('Discovery of pod manager %s failed', podm.uuid)
            results.append({'podm_id': podm.uuid, 'status': FAILED,
                            'detail': str(e)})
    return results
