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

"""Discovery's decisions: what the pool should say, from what EEM says.

Pure functions over data already read (EEM's ``devices/detail`` answer,
the pool's device rows, the managed nodes' rows): no database, no EEM, no
Ironic call here, so that every rule of :mod:`ironic_expether.pool.
discovery` can be tested with plain values. :func:`plan_devices` returns
what to write; the cycle writes it.
"""

import collections

from ironic.common import exception
from ironic.common import states
from oslo_log import log
from oslo_utils import uuidutils

from ironic_expether import eem
from ironic_expether.eem_access import utils as driver_utils
from ironic_expether.pool.db import models

LOG = log.getLogger(__name__)

#: Columns of a device that only describe it (EEM is their truth).
DESCRIPTIVE = ('type', 'vendor_name', 'device_name', 'pci_vendor_id',
               'pci_device_id', 'pci_class', 'mac_address', 'model',
               'group_id')
#: Columns of the pool's devices discovery compares (read as plain rows,
#: not ORM objects: 10,000 of those cost a third of a second).
DEVICE_COLUMNS = ('uuid', 'eeid', 'state', 'node_uuid', 'purpose',
                  'claimed_at', 'updated_at') + DESCRIPTIVE
#: Where the descriptive columns start in a row of ``DEVICE_COLUMNS``.
FIRST_DESCRIPTIVE = DEVICE_COLUMNS.index(DESCRIPTIVE[0])
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
RELEASABLE = (models.DEVICE_ALLOCATED,)

#: A device as discovery sees it after its decisions (for node views).
View = collections.namedtuple('View', ['uuid', 'eeid', 'type',
                                       'vendor_name', 'device_name',
                                       'state', 'node_uuid', 'purpose'])


def device_values_from_eem(eem_device):
    """The descriptive columns of a device, from EEM's view of it.

    State, holder and purpose are left to the caller (discovery or a
    claim), which knows which node a group belongs to.

    :param eem_device: an :class:`ironic_expether.eem.Device` (an EEIO).
    :returns: a dict for :func:`db_api.create_devices` or
        :func:`db_api.update_devices`.
    """
    return {
        'eeid': eem_device.id.lower(),
        'kind': models.KIND_EEIO,
        'type': eem_device.pci_type,
        'vendor_name': eem_device.pci_vendor_name,
        'device_name': eem_device.pci_device_name,
        'pci_vendor_id': eem_device.pci_vendor_id,
        'pci_device_id': eem_device.pci_device_id,
        'pci_class': eem_device.pci_class,
        'mac_address': eem_device.mac_address,
        'model': eem_device.type,
        'group_id': eem_device.group_id,
    }


class Descriptive(object):
    """The ``DESCRIPTIVE`` columns of EEM devices, as a tuple.

    The same values as :func:`device_values_from_eem`, without a
    dict per device; the names (pci.ids lookups) are looked up once per
    (class, vendor, device) in a cycle. In steady state a record's columns
    are compared to this tuple at once.
    """

    def __init__(self):
        self._names = {}

    def __call__(self, eeio):
        """:returns: the tuple, in the order of ``DESCRIPTIVE``."""
        ids = (eeio.pci_class, eeio.pci_vendor_id, eeio.pci_device_id)
        names = self._names.get(ids)
        if names is None:
            names = self._names[ids] = (eeio.pci_type, eeio.pci_vendor_name,
                                        eeio.pci_device_name)
        return names + (eeio.pci_vendor_id, eeio.pci_device_id,
                        eeio.pci_class, eeio.mac_address, eeio.type,
                        eeio.group_id)


class NodeView(object):
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


def view(record, **changes):
    """A :class:`View` of a device row, with some fields changed."""
    values = {name: getattr(record, name) for name in View._fields}
    values.update(changes)
    return View(**values)


def index_devices(eem_devices):
    """EEM's devices by lower-case EE id: ``(eeios, eesvs)``."""
    eeios, eesvs = {}, {}
    for device in eem_devices:
        if not device.id or not eem.is_valid_eeid(device.id):
            continue
        if device.is_eeio:
            eeios[device.id.lower()] = device
        elif device.is_eesv:
            eesvs[device.id.lower()] = device
    return eeios, eesvs


def managed_nodes(rows, traits, podm_url):
    """The nodes of one pod manager among the expether nodes, by EESV id.

    :param rows: the expether nodes as rows of
        :data:`ironic_expether.pool.ironic_nodes.NODE_COLUMNS`.
    :param traits: a dict of node id -> the owned traits it has.
    :param podm_url: the pod manager's (normalised) URL.
    :returns: a dict of lower-case EE id -> :class:`NodeView`.
    """
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
                url = driver_utils.normalize_url(address)
            except exception.InvalidParameterValue:
                url = ''
            normalized[address] = url
        if url == podm_url:
            nodes[eesv_id.lower()] = NodeView(
                node_id, node_uuid, eesv_id.lower(), properties,
                traits.get(node_id, set()),
                provision_state=provision_state,
                maintenance=maintenance)
    return nodes


def group_owners(nodes, eesvs):
    """Which node owns which group, from EEM's server engines.

    :returns: ``(group_owner, node_groups)``: group id -> node uuid, and
        node uuid -> group id, for nodes whose engine has its own group.
    """
    group_owner, node_groups = {}, {}
    for eesv_id, node in nodes.items():
        eesv = eesvs.get(eesv_id)
        if eesv is not None and eesv.has_own_group:
            group_owner.setdefault(eesv.group_id, node.uuid)
            node_groups[node.uuid] = eesv.group_id
    return group_owner, node_groups


def desired(row, eeio, group_owner, node_groups, existing):
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


def count_transition(counts, record, state, podm_uuid):
    """Count one device's change of state in ``counts``."""
    if record.state == models.DEVICE_CLAIMED:
        counts['repaired'] += 1
    elif state == models.DEVICE_MISSING:
        counts['missing'] += 1
    elif record.state == models.DEVICE_MISSING:
        counts['returned'] += 1
    else:
        counts['moved'] += 1
    LOG.debug('Pool device %(dev)s (%(eeid)s) of pod manager %(podm)s: '
              '%(old)s -> %(new)s', {'dev': record.uuid,
                                     'eeid': record.eeid,
                                     'podm': podm_uuid,
                                     'old': record.state, 'new': state})


def changed_since(record, eem_read_at):
    """Whether a record changed after EEM's answer was asked for.

    EEM's answer is then older than the record (an attach or a detach
    finished in between), so the cycle must not write it over the record;
    the next cycle looks at it again. NOTE(expether): MariaDB/MySQL keep
    whole seconds, so there a record changed in the same second as the EEM
    request is taken as changed since (the next cycle looks at it);
    otherwise an attach or detach finished between EEM's answer and the
    pool's read, in that second, would be written over.

    :param record: a pool row with ``updated_at``.
    :param eem_read_at: when the cycle asked EEM, or None (unknown: no
        record is skipped).
    """
    if eem_read_at is None or record.updated_at is None:
        return False
    if record.updated_at.microsecond == 0:
        # Whole seconds stored (MariaDB/MySQL): compare whole seconds.
        eem_read_at = eem_read_at.replace(microsecond=0)
    return record.updated_at >= eem_read_at


def plan_devices(records, eeios, group_owner, node_groups, existing, now,
                 claim_timeout, counts, podm_uuid=None, eem_read_at=None):
    """Decide what to write; nothing is written here.

    :param records: the pool's devices as rows of :data:`DEVICE_COLUMNS`.
    :param eeios: EEM's IO engines by lower-case EE id.
    :param group_owner: group id -> node uuid (:func:`group_owners`).
    :param node_groups: node uuid -> group id (:func:`group_owners`).
    :param existing: uuids of the nodes that exist in Ironic.
    :param now: the time to judge claims by.
    :param claim_timeout: how old a claim must be to be repaired (a
        ``timedelta``).
    :param counts: a Counter to count the changes in.
    :param podm_uuid: the pod manager's uuid, for the log.
    :param eem_read_at: when EEM's answer was asked for; records changed
        since then are left alone (:func:`changed_since`), and every
        update is conditional on the record's ``updated_at`` as read.
    :returns: ``(views, creates, updates, orphans)``: the devices as
        they will be (a dict of EE id to :class:`View`, only for those
        that change or are new), values for ``create_devices``,
        ``(uuid, values, expected)`` for ``update_devices``, and
        ``(record, changes)`` of devices of deleted nodes.
    """
    descriptive = Descriptive()
    creates, updates, orphans = [], [], []
    views = {}
    known = set()
    for record in records:
        eeid = record.eeid
        known.add(eeid)
        eeio = eeios.get(eeid)
        if (record.state == models.DEVICE_CLAIMED
                and record.claimed_at is not None
                and now - record.claimed_at < claim_timeout):
            continue  # a move is in flight
        if changed_since(record, eem_read_at):
            LOG.debug('Pool device %(dev)s (%(eeid)s) changed after EEM was '
                      'read; left for the next cycle',
                      {'dev': record.uuid, 'eeid': eeid})
            continue
        changes = {}
        if eeio is not None:
            values = descriptive(eeio)
            if values != record[FIRST_DESCRIPTIVE:]:
                for key, old, value in zip(
                        DESCRIPTIVE, record[FIRST_DESCRIPTIVE:], values):
                    if old != value:
                        changes[key] = value
        wanted = desired(record, eeio, group_owner, node_groups, existing)
        if wanted is None:
            orphans.append((record, changes))
            continue
        if wanted != (record.state, record.node_uuid, record.purpose):
            changes.update(zip(('state', 'node_uuid', 'purpose'), wanted))
            count_transition(counts, record, wanted[0], podm_uuid)
        if record.claimed_at is not None:
            changes['claimed_at'] = None
        if changes:
            updates.append((record.uuid, changes,
                            {'state': record.state,
                             'node_uuid': record.node_uuid,
                             'updated_at': record.updated_at}))
            views[eeid] = view(record, **{
                k: v for k, v in changes.items() if k in View._fields})
    for eeid, eeio in eeios.items():
        if eeid in known:
            continue
        values = device_values_from_eem(eeio)
        new = View(uuidutils.generate_uuid(), eeid, values['type'],
                   values['vendor_name'], values['device_name'],
                   None, None, None)
        state, holder, purpose = desired(
            new, eeio, group_owner, node_groups, existing) or (
            models.DEVICE_ALLOCATED, None, None)
        values.update(uuid=new.uuid, state=state, node_uuid=holder,
                      purpose=purpose)
        creates.append(values)
        views[eeid] = new._replace(state=state, node_uuid=holder,
                                   purpose=purpose)
        counts['added'] += 1
    return views, creates, updates, orphans


def devices_by_node(records, views):
    """The devices each node holds as the cycle decided them.

    :param records: the pool's rows as read.
    :param views: the changed and new devices (:func:`plan_devices`).
    :returns: a dict of node uuid -> list of rows or :class:`View`.
    """
    by_node = collections.defaultdict(list)
    for record in records:
        if record.node_uuid and record.eeid not in views:
            by_node[record.node_uuid].append(record)
    for item in views.values():
        if item.node_uuid:
            by_node[item.node_uuid].append(item)
    return by_node
