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

"""Discovery's pure planner (ironic_expether.pool.reconcile): plain values
in, decisions out, no database or EEM."""

import collections
import datetime

from oslotest import base

from ironic_expether.emulator import inventory
from ironic_expether.pool.db import models
from ironic_expether.pool import reconcile
from ironic_expether.tests.unit import base as unit_base

GPU = inventory.PCI_CATALOGUE['GPU'][1][0]
EESV1 = '0x8cdf9d000001'
IO = ['0x8cdf9d1000%02x' % i for i in range(4)]
NODE = '1be26c0e-7f6a-4d3e-8a3e-0f1b2c3d4e01'
GONE = '1be26c0e-7f6a-4d3e-8a3e-0f1b2c3d4e02'
URL = 'http://eem.test:8080/eem'
NOW = datetime.datetime(2026, 12, 1, 12, 0, 0)
TIMEOUT = datetime.timedelta(seconds=60)

Row = collections.namedtuple('Row', reconcile.DEVICE_COLUMNS)


def eesv(eeid, group_id='4094'):
    return unit_base.eesv(eeid, group_id=group_id, full=True)


def eeio(eeid, group_id='4093'):
    return unit_base.eeio(eeid, group_id=group_id, card=GPU)


def row(device, state, node_uuid=None, purpose=None, claimed_at=None,
        uuid=None, updated_at=None):
    """A pool row that agrees with EEM's description of the device."""
    values = reconcile.device_values_from_eem(device)
    return Row(uuid=uuid or 'uuid-%s' % device.id, eeid=device.id,
               state=state, node_uuid=node_uuid, purpose=purpose,
               claimed_at=claimed_at, updated_at=updated_at,
               **{k: values[k] for k in reconcile.DESCRIPTIVE})


class PlanTestCase(base.BaseTestCase):

    def plan(self, records, eem_devices, nodes=None, existing=()):
        eeios, eesvs = reconcile.index_devices(eem_devices)
        group_owner, node_groups = reconcile.group_owners(nodes or {},
                                                          eesvs)
        counts = collections.Counter()
        result = reconcile.plan_devices(
            records, eeios, group_owner, node_groups,
            set(existing) | {n.uuid for n in (nodes or {}).values()},
            NOW, TIMEOUT, counts)
        return result, counts

    def node(self):
        return {EESV1: reconcile.NodeView(1, NODE, EESV1, {}, set())}

    def test_steady_state_plans_nothing(self):
        devices = [eesv(EESV1, group_id='100'), eeio(IO[0], '100'),
                   eeio(IO[1])]
        records = [row(devices[1], models.DEVICE_ALLOCATED, NODE,
                       models.PURPOSE_COMPOSITION),
                   row(devices[2], models.DEVICE_FREE)]
        (views, creates, updates, orphans), counts = self.plan(
            records, devices, self.node())
        self.assertEqual(({}, [], [], []), (views, creates, updates,
                                            orphans))
        self.assertEqual({}, dict(counts))

    def test_move_into_a_node_group_is_one_conditional_update(self):
        devices = [eesv(EESV1, group_id='100'), eeio(IO[0], '100')]
        records = [row(eeio(IO[0]), models.DEVICE_FREE)]
        (views, creates, updates, orphans), counts = self.plan(
            records, devices, self.node())
        self.assertEqual([('uuid-%s' % IO[0],
                           {'group_id': '100',
                            'state': models.DEVICE_ALLOCATED,
                            'node_uuid': NODE,
                            'purpose': models.PURPOSE_COMPOSITION},
                           {'state': models.DEVICE_FREE,
                            'node_uuid': None,
                            'updated_at': None})], updates)
        self.assertEqual(NODE, views[IO[0]].node_uuid)
        self.assertEqual({'moved': 1}, dict(counts))

    def test_claim_in_flight_is_left_alone(self):
        devices = [eesv(EESV1, group_id='100'), eeio(IO[0])]
        records = [row(devices[1], models.DEVICE_CLAIMED, NODE,
                       models.PURPOSE_COMPOSITION,
                       claimed_at=NOW - datetime.timedelta(seconds=5))]
        (views, creates, updates, orphans), counts = self.plan(
            records, devices, self.node())
        self.assertEqual([], updates)

    def test_stale_claim_is_repaired_from_eem(self):
        devices = [eesv(EESV1, group_id='100'), eeio(IO[0])]
        records = [row(devices[1], models.DEVICE_CLAIMED, NODE,
                       models.PURPOSE_COMPOSITION,
                       claimed_at=NOW - datetime.timedelta(seconds=61))]
        (views, creates, updates, orphans), counts = self.plan(
            records, devices, self.node())
        self.assertEqual(1, len(updates))
        self.assertEqual({'state': models.DEVICE_FREE, 'node_uuid': None,
                          'purpose': None, 'claimed_at': None},
                         updates[0][1])
        self.assertEqual({'repaired': 1}, dict(counts))

    def test_unknown_device_is_created_and_missing_one_marked(self):
        devices = [eeio(IO[1])]
        records = [row(eeio(IO[0]), models.DEVICE_FREE)]
        (views, creates, updates, orphans), counts = self.plan(
            records, devices)
        self.assertEqual([IO[1]], [c['eeid'] for c in creates])
        self.assertEqual(models.DEVICE_FREE, creates[0]['state'])
        self.assertEqual(models.DEVICE_MISSING, updates[0][1]['state'])
        self.assertEqual({'added': 1, 'missing': 1}, dict(counts))

    def test_record_changed_after_eem_read_is_left_alone(self):
        devices = [eesv(EESV1, group_id='100'), eeio(IO[0])]
        records = [row(eeio(IO[0], '100'), models.DEVICE_ALLOCATED, NODE,
                       models.PURPOSE_COMPOSITION,
                       updated_at=NOW + datetime.timedelta(microseconds=1))]
        eeios, eesvs = reconcile.index_devices(devices)
        owner, groups = reconcile.group_owners(self.node(), eesvs)
        for read_at, expected in ((NOW, 0), (None, 1),
                                  (NOW + datetime.timedelta(seconds=1), 1)):
            plan = reconcile.plan_devices(
                records, eeios, owner, groups, {NODE}, NOW, TIMEOUT,
                collections.Counter(), eem_read_at=read_at)
            self.assertEqual(expected, len(plan[2]), read_at)

    def test_record_changed_in_the_second_of_eem_read_is_left_alone(self):
        # MariaDB keeps whole seconds: a detach that finished after EEM's
        # answer, in the same second, is stored with an earlier time.
        devices = [eesv(EESV1, group_id='100'), eeio(IO[0])]
        read_at = NOW.replace(microsecond=700000)
        records = [row(eeio(IO[0], '100'), models.DEVICE_ALLOCATED, NODE,
                       models.PURPOSE_COMPOSITION,
                       updated_at=read_at.replace(microsecond=0))]
        eeios, eesvs = reconcile.index_devices(devices)
        owner, groups = reconcile.group_owners(self.node(), eesvs)
        plan = reconcile.plan_devices(
            records, eeios, owner, groups, {NODE}, NOW, TIMEOUT,
            collections.Counter(), eem_read_at=read_at)
        self.assertEqual([], plan[2])
        plan = reconcile.plan_devices(
            records, eeios, owner, groups, {NODE}, NOW, TIMEOUT,
            collections.Counter(),
            eem_read_at=read_at + datetime.timedelta(seconds=1))
        self.assertEqual(1, len(plan[2]))

    def test_device_of_a_deleted_node_is_an_orphan(self):
        devices = [eeio(IO[0], '200')]
        records = [row(devices[0], models.DEVICE_ALLOCATED, GONE,
                       models.PURPOSE_COMPOSITION)]
        (views, creates, updates, orphans), counts = self.plan(
            records, devices)
        self.assertEqual([], updates)
        self.assertEqual([records[0]], [r for r, _changes in orphans])


class ManagedNodesTestCase(base.BaseTestCase):

    def test_nodes_of_this_pod_manager_only(self):
        rows = [(1, NODE, {'eem_address': 'HTTP://EEM.test:8080/eem/',
                           'eesv_id': EESV1.upper()}, None, 'available',
                 False),
                (2, GONE, {'eem_address': 'http://other.test/eem',
                           'eesv_id': IO[0]}, None, 'available', False),
                (3, 'x', {'eem_address': 'not a url', 'eesv_id': IO[1]},
                 None, 'available', False),
                (4, 'y', {}, None, 'enroll', False)]
        nodes = reconcile.managed_nodes(rows, {1: {'CUSTOM_EXPETHER_GPU'}},
                                        URL)
        self.assertEqual([EESV1], list(nodes))
        self.assertEqual((NODE, {'CUSTOM_EXPETHER_GPU'}, True),
                         (nodes[EESV1].uuid, nodes[EESV1].traits,
                          nodes[EESV1].may_release_deployment))
