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

The cycle has three parts, each in its module: reading (EEM once, the
pool through :mod:`ironic_expether.pool.db.api`, Ironic's tables through
:mod:`ironic_expether.pool.ironic_nodes`), deciding (the pure
:mod:`ironic_expether.pool.reconcile`) and writing (bulk, here), then the
per-node follow-ups (:mod:`ironic_expether.pool.node_followups`).

A pod manager whose EEM fails is marked ``offline`` with the reason, and
the others are still synced; it is marked ``online`` again when it
answers. With ``use_lease``, a pod manager is synced only by the conductor
holding its lease (see :func:`sync`).
"""

import collections
import contextlib
import datetime
import gc

from ironic.common import exception
from ironic.conf import CONF
from oslo_log import log
from oslo_utils import timeutils

from ironic_expether import eem
from ironic_expether.eem_access import fabric
from ironic_expether.eem_access import snapshot
from ironic_expether.eem_access import utils as driver_utils
from ironic_expether.pool import compose
from ironic_expether.pool.db import api as db_api
from ironic_expether.pool.db import models
from ironic_expether.pool import describe
from ironic_expether.pool import ironic_nodes
from ironic_expether.pool import node_followups
from ironic_expether.pool import podm as podm_api
from ironic_expether.pool import reconcile

LOG = log.getLogger(__name__)

SUCCESS = 'SUCCESS'
FAILED = 'FAILED'
#: Only with ``use_lease``: another conductor holds the pod manager.
SKIPPED = 'SKIPPED'

DRIVER = podm_api.DRIVER
#: ``event_type`` of the node history records discovery writes.
HISTORY_EVENT_TYPE = node_followups.HISTORY_EVENT_TYPE
#: See :data:`ironic_expether.pool.reconcile.RELEASE_DEPLOYMENT_STATES`.
RELEASE_DEPLOYMENT_STATES = reconcile.RELEASE_DEPLOYMENT_STATES

#: The expether nodes, as rows (one query per cycle, shared by
#: :func:`register_unknown_pod_managers` and each pod manager's
#: :class:`Reconciler`); see :func:`ironic_expether.pool.ironic_nodes.
#: read_nodes`.
read_nodes = ironic_nodes.read_nodes


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


class Reconciler(object):
    """One discovery cycle of one pod manager, from one EEM answer.

    :param context: a request context (admin for the periodic task).
    :param podm: the pool ``PodManager`` record.
    :param client: the EEM client of the pod manager.
    :param eem_devices: EEM's ``devices/detail`` answer (a list of
        :class:`ironic_expether.eem.Device`).
    :param node_rows: the expether nodes as :func:`read_nodes` gives
        them, read in this cycle; None to read them here.
    :param eem_read_at: when EEM was asked for ``eem_devices``: pool
        records changed since then are not overwritten with that older
        view. None when unknown.
    """

    def __init__(self, context, podm, client, eem_devices, node_rows=None,
                 eem_read_at=None):
        self.context = context
        self.eem_read_at = eem_read_at
        self.podm = podm
        self.client = client
        self.eem_devices = eem_devices
        self.node_rows = node_rows
        self.counts = collections.Counter()

    # Reading (deciding is :mod:`ironic_expether.pool.reconcile`'s)

    def _managed_nodes(self):
        """The expether nodes of this pod manager, by EESV id."""
        rows = self.node_rows
        if rows is None:
            rows = read_nodes()
        traits = ironic_nodes.traits_of_nodes(describe.OWNED_TRAITS)
        return reconcile.managed_nodes(rows, traits, self.podm.url)

    def _records(self):
        """The pool's devices of this pod manager, as plain rows."""
        return db_api.device_rows(self.podm.uuid, reconcile.DEVICE_COLUMNS)

    def _existing_nodes(self, node_uuids):
        """Which of these node uuids still exist in Ironic."""
        return ironic_nodes.existing_uuids(node_uuids)

    def _read_and_plan(self):
        """Read the nodes and the pool, and decide (nothing written).

        :returns: ``(nodes, eesvs, records, views, creates, updates,
            orphans)``; see :func:`ironic_expether.pool.reconcile.
            plan_devices`.
        """
        eeios, eesvs = reconcile.index_devices(self.eem_devices)
        nodes = self._managed_nodes()
        group_owner, node_groups = reconcile.group_owners(nodes, eesvs)
        records = self._records()
        managed = {n.uuid for n in nodes.values()}
        held = {r.node_uuid for r in records if r.node_uuid} - managed
        existing = managed | self._existing_nodes(held)

        views, creates, updates, orphans = reconcile.plan_devices(
            records, eeios, group_owner, node_groups, existing,
            timeutils.utcnow(),
            datetime.timedelta(seconds=CONF.expether.claim_timeout),
            self.counts, podm_uuid=self.podm.uuid,
            eem_read_at=self.eem_read_at)
        return nodes, eesvs, records, views, creates, updates, orphans

    # Writing

    def _create(self, creates):
        if not creates:
            return
        try:
            db_api.create_devices(self.podm.uuid, creates, returning=False)
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
                fabric.release(self.client, record.eeid)
            except (exception.IronicException, fabric.OutcomeUnknown) as e:
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
            views[record.eeid] = reconcile.view(
                record, state=models.DEVICE_FREE, node_uuid=None,
                purpose=None)
            self.counts['orphans_released'] += 1
        return updates

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

        # Per-node follow-ups (:mod:`ironic_expether.pool.node_followups`).
        by_node = reconcile.devices_by_node(records, views)
        for node in nodes.values():
            held = by_node.get(node.uuid, [])
            released = node_followups.release_deployment_devices(
                self.context, node, held)
            if released:
                self.counts['deployment_released'] += released
            if node_followups.sync_node(self.context, node, held):
                self.counts['nodes_updated'] += 1
        if CONF.expether.auto_enroll:
            enrolled = node_followups.enroll(self.context, self.podm, eesvs,
                                             nodes)
            if enrolled:
                self.counts['enrolled'] += enrolled
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
    # NOTE(expether): attaches and detaches go on while EEM answers; a
    # record they change after this instant is newer than EEM's answer.
    eem_read_at = timeutils.utcnow()
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
                            node_rows=node_rows,
                            eem_read_at=eem_read_at).run()
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
                    url = normalized[address] = (
                        driver_utils.normalize_url(address))
            else:
                url = driver_utils.normalize_url(address)
            if url in known:
                continue
            info = driver_utils.parse_driver_info(
                _NodeInfo(node_uuid, driver_info))
            podm = db_api.ensure_pod_manager_for_url(
                info['address'], username=info['username'],
                password=info['password'],
                verify=str(info['verify']))
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
