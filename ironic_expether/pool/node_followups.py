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

"""Discovery's follow-ups, node by node, after the pool is written.

Each works on one managed node of a pod manager and takes its lock only
when the cycle's view says there is something to do:

* :func:`sync_node`: the node's ``properties['expether_devices']`` and
  owned traits follow its devices (:mod:`ironic_expether.pool.describe`);
* :func:`release_deployment_devices`: devices a finished deployment left
  on a node go back to the pool;
* :func:`enroll`: server engines without a node are enrolled, each at
  most once.

Changes are logged and recorded in the node's history (event type
:data:`HISTORY_EVENT_TYPE`). One node never fails its pod manager's cycle.
"""

from ironic.common import exception
from ironic.conductor import task_manager
from ironic.conductor import utils as conductor_utils
from oslo_log import log

from ironic_expether.pool import claims
from ironic_expether.pool.db import api as db_api
from ironic_expether.pool.db import models
from ironic_expether.pool import describe
from ironic_expether.pool import podm as podm_api
from ironic_expether.pool import reconcile

LOG = log.getLogger(__name__)

#: ``event_type`` of the node history records discovery writes.
HISTORY_EVENT_TYPE = 'expether'


def sync_node(context, node, devices):
    """Make a node's properties and owned traits follow its devices.

    :param context: a request context.
    :param node: a :class:`~ironic_expether.pool.reconcile.NodeView`.
    :param devices: the devices the node holds, as this cycle decided
        them (any state, any purpose).
    :returns: True if the node was changed.
    """
    if describe.shows(node.properties, node.traits,
                      describe.describe_devices(devices)):
        return False
    try:
        # NOTE(expether): the node's properties, traits and history are
        # written under its lock; no interface of its driver is called,
        # so none is built.
        with task_manager.acquire(
                context, node.uuid, shared=False, retry=False,
                purpose='expether discovery', load_driver=False) as task:
            # Under the lock, from the pool's records: a compose or
            # detach may have finished since this cycle read them.
            change = describe.update_node(task.node)
            if change is not None:
                _record(task.node, change)
    except (exception.NodeLocked, exception.NodeNotFound) as e:
        LOG.info('Devices of node %(node)s changed but it could not be '
                 'updated now (%(err)s); trying again next cycle',
                 {'node': node.uuid, 'err': e})
        return False
    return change is not None


def release_deployment_devices(context, node, devices):
    """Return the devices a finished deployment left on a node.

    Nothing is done (no lock, no write, no EEM request) unless the node
    is in one of :data:`~ironic_expether.pool.reconcile.
    RELEASE_DEPLOYMENT_STATES`, out of maintenance, and holds
    ``allocated`` deployment devices in this cycle's view.
    Then the node is locked and its state checked again, so a
    deployment that started meanwhile (and its own ``compose_devices``
    step) is never touched.

    :param context: a request context.
    :param node: a :class:`~ironic_expether.pool.reconcile.NodeView`.
    :param devices: the devices the node holds, as this cycle decided
        them.
    :returns: how many devices were returned.
    """
    if not node.may_release_deployment or not any(
            d.purpose == models.PURPOSE_DEPLOYMENT
            and d.state in reconcile.RELEASABLE for d in devices):
        return 0
    try:
        with task_manager.acquire(
                context, node.uuid, shared=False, retry=False,
                purpose='expether discovery') as task:
            state = task.node.provision_state
            if (task.node.maintenance
                    or state not in reconcile.RELEASE_DEPLOYMENT_STATES):
                return 0
            released = _detach_deployment_devices(task.node)
            if released:
                _record_release(task.node, released)
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


def _detach_deployment_devices(node):
    """Detach, under the node's lock, its deployment devices.

    Read again from the pool: the cycle's view may be stale.

    :returns: the released devices (pool records, as before release).
    """
    released = []
    for device in claims.devices_of_node(
            node.uuid, purpose=models.PURPOSE_DEPLOYMENT):
        if device.state not in reconcile.RELEASABLE:
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


def _record_release(node, released):
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


def _record(node, change):
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


def enroll(context, podm, eesvs, nodes):
    """Enroll server engines without a node, each at most once.

    An engine is recorded in ``expether_enrolled_servers`` BEFORE its
    node is created: the record's unique (pod manager, EE id) lets
    exactly one of several conductors enroll it, and the record stays
    when an operator deletes the node, so it is not enrolled again.
    A node that cannot be created gives its record back, so that a
    later cycle tries again.

    :param context: a request context.
    :param podm: the pool ``PodManager`` record.
    :param eesvs: EEM's server engines by lower-case EE id.
    :param nodes: the managed nodes by lower-case EE id.
    :returns: how many nodes were enrolled.
    """
    enrolled = 0
    candidates = sorted(e for e in eesvs if e not in nodes)
    if not candidates:
        return enrolled
    done = {r.eeid for r in db_api.list_enrolled_servers(podm.uuid)}
    for eesv_id in candidates:
        if eesv_id in done:
            continue
        node_uuid = podm_api.node_uuid_for(podm.uuid, eesv_id)
        if not db_api.record_enrollment(podm.uuid, eesv_id, node_uuid):
            continue  # another conductor enrolls it
        try:
            podm_api.new_node(
                context, podm, eesv_id,
                description='Enrolled by ExpEther discovery from pod '
                            'manager %s' % podm.name)
        except exception.IronicException as e:
            # NodeAlreadyExists too: compose or manage made it, not us.
            db_api.delete_enrollment(podm.uuid, eesv_id)
            if not isinstance(e, exception.NodeAlreadyExists):
                LOG.warning('Could not enroll server engine %(eesv)s '
                            'of pod manager %(podm)s: %(err)s; trying '
                            'again next cycle',
                            {'eesv': eesv_id, 'podm': podm.uuid,
                             'err': e})
            continue
        LOG.info('Enrolled server engine %(eesv)s of pod manager '
                 '%(podm)s as node %(node)s', {'eesv': eesv_id,
                                               'podm': podm.uuid,
                                               'node': node_uuid})
        enrolled += 1
    return enrolled
