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

"""Discovery: one EEM request per pod manager, writes only the difference."""

import datetime
import gc
from unittest import mock

import ddt
from ironic.common import exception
from ironic.common import states
from ironic import objects
from ironic.tests.unit.objects import utils as obj_utils
from oslo_utils import timeutils
from oslo_utils import uuidutils
import sqlalchemy as sa

from ironic_expether import eem
from ironic_expether.eem_access import snapshot
from ironic_expether.eem_access import utils as driver_utils
from ironic_expether.emulator import inventory
from ironic_expether.pool import compose
from ironic_expether.pool.db import api as db_api
from ironic_expether.pool.db import models
from ironic_expether.pool.db import session
from ironic_expether.pool import discovery
from ironic_expether.pool import podm as podm_api
from ironic_expether.pool import reconcile
from ironic_expether.tests.unit import base as unit_base
from ironic_expether.tests.unit.pool import base

GPU = inventory.PCI_CATALOGUE['GPU'][1][0]
SSD = inventory.PCI_CATALOGUE['SSD'][1][0]
EESV1 = '0x8cdf9d000001'
EESV2 = '0x8cdf9d000002'
IO = ['0x8cdf9d1000%02x' % i for i in range(10)]


def eesv(eeid, group_id='4094', power_status='on'):
    return unit_base.raw_eesv(eeid, group_id=group_id, power=power_status,
                              full=True)


def eeio(eeid, card=GPU, group_id='4093', down=False):
    return unit_base.raw_eeio(eeid, group_id=group_id, up=not down,
                              card=card)


def eem_calls(client):
    """The EEM methods called on a mocked client (no dunder calls)."""
    return [c for c in client.mock_calls if not c[0].startswith('__')]


class WriteCounter(object):
    """Counts INSERT/UPDATE/DELETE statements sent to the database."""

    def __init__(self, engine):
        self.engine = engine
        self.statements = []

    def _listen(self, conn, cursor, statement, parameters, context,
                executemany):
        if statement.lstrip().split(None, 1)[0].upper() in (
                'INSERT', 'UPDATE', 'DELETE'):
            self.statements.append(statement)

    def __enter__(self):
        sa.event.listen(self.engine, 'before_cursor_execute', self._listen)
        return self

    def __exit__(self, *exc_info):
        sa.event.remove(self.engine, 'before_cursor_execute', self._listen)


class DiscoveryTestCase(base.PoolTestCase):

    def setUp(self):
        super().setUp()
        self.config(**unit_base.expether_enabled())
        self.config(host='conductor-a')
        snapshot.clear()
        self.addCleanup(snapshot.clear)
        self.podm = self.create_podm()
        self.clients = {}
        self.inventory = {}
        patcher = mock.patch.object(driver_utils, 'get_client',
                                    autospec=True,
                                    side_effect=self._get_client)
        self.mock_get_client = patcher.start()
        self.addCleanup(patcher.stop)

    def _get_client(self, node_or_info):
        # The claims API passes the node, discovery parsed driver_info.
        info = node_or_info
        if not isinstance(info, dict):
            info = driver_utils.parse_driver_info(node_or_info)
        return self.client_for(info['address'])

    def client_for(self, url):
        client = self.clients.get(url)
        if client is None:
            client = mock.create_autospec(eem.EEMClient, instance=True)
            client.list_devices.side_effect = (
                lambda status=None, group_id=None: [
                    eem.Device(dict(d)) for d in self.inventory.get(url, [])])
            self.clients[url] = client
        return client

    @property
    def client(self):
        return self.client_for(self.podm.url)

    def set_pod(self, *devices, podm=None):
        self.inventory[(podm or self.podm).url] = list(devices)

    def create_node(self, eesv_id, podm=None, **kw):
        podm = podm or self.podm
        return obj_utils.create_test_node(
            self.context, uuid=kw.pop('uuid', None) or
            podm_api.node_uuid_for(podm.uuid, eesv_id),
            driver='expether',
            driver_info={'eem_address': podm.url, 'eesv_id': eesv_id},
            **kw)

    def sync(self, **kw):
        return discovery.sync(self.context, **kw)

    def device(self, eeid, podm=None):
        return db_api.get_device_by_eeid((podm or self.podm).uuid, eeid)

    def node_traits(self, node):
        return sorted(t.trait for t in objects.TraitList.get_by_node_id(
            self.context, node.id))


class OneRequestTestCase(DiscoveryTestCase):

    def test_exactly_one_list_devices_per_pod_manager(self):
        other = self.create_podm()
        self.set_pod(eesv(EESV1), *[eeio(i) for i in IO])
        self.set_pod(eesv(EESV2), eeio(IO[0]), podm=other)
        for cycle in range(3):
            results = self.sync()
            self.assertEqual([{'podm_id': self.podm.uuid,
                               'status': 'SUCCESS'},
                              {'podm_id': other.uuid, 'status': 'SUCCESS'}],
                             [{k: r[k] for k in ('podm_id', 'status')}
                              for r in results])
        for podm in (self.podm, other):
            client = self.client_for(podm.url)
            # Every EEM call, whatever the number of devices: one
            # devices/detail per cycle and nothing else.
            self.assertEqual([mock.call.list_devices()] * 3,
                             eem_calls(client))

    def test_one_node_read_per_cycle(self):
        # register_unknown_pod_managers and every pod manager's
        # Reconciler share one read of the expether nodes.
        other = self.create_podm()
        node = self.create_node(EESV1)
        self.set_pod(eesv(EESV1, group_id='100'),
                     eeio(IO[0], group_id='100'))
        self.set_pod(eesv(EESV2), eeio(IO[1]), podm=other)
        with mock.patch.object(discovery, 'read_nodes', autospec=True,
                               side_effect=discovery.read_nodes) as read:
            results = self.sync()
        read.assert_called_once_with()
        self.assertEqual(['SUCCESS', 'SUCCESS'],
                         [r['status'] for r in results])
        device = self.device(IO[0])
        self.assertEqual((models.DEVICE_ALLOCATED, node.uuid),
                         (device.state, device.node_uuid))
        self.assertEqual(['CUSTOM_EXPETHER_GPU'], self.node_traits(node))

    def test_one_pod_manager_reads_nodes_itself(self):
        node = self.create_node(EESV1)
        self.set_pod(eesv(EESV1, group_id='100'),
                     eeio(IO[0], group_id='100'))
        with mock.patch.object(discovery, 'read_nodes', autospec=True,
                               side_effect=discovery.read_nodes) as read:
            self.sync(podm_uuid=self.podm.uuid)
        read.assert_called_once_with()
        device = self.device(IO[0])
        self.assertEqual((models.DEVICE_ALLOCATED, node.uuid),
                         (device.state, device.node_uuid))

    def test_one_pod_manager_only(self):
        other = self.create_podm()
        self.set_pod(eeio(IO[0]))
        results = self.sync(podm_uuid=self.podm.uuid)
        self.assertEqual([self.podm.uuid], [r['podm_id'] for r in results])
        self.assertNotIn(other.url, self.clients)

    def test_unknown_pod_manager(self):
        self.assertRaises(discovery.exception.NotFound, self.sync,
                          podm_uuid='8e0b1c4e-8c6e-4b8e-9d55-1d1111111111')

    def test_steady_state_writes_nothing(self):
        node = self.create_node(EESV1)
        self.set_pod(eesv(EESV1, group_id='100'), eesv(EESV2),
                     eeio(IO[0], group_id='100'), eeio(IO[1], card=SSD),
                     eeio(IO[2], down=True), eeio(IO[3], group_id='200'))
        first = self.sync()[0]
        self.assertEqual(4, first['changes']['added'])
        self.assertEqual(1, first['changes']['nodes_updated'])
        with WriteCounter(session.get_engine()) as writes:
            second = self.sync()[0]
        self.assertEqual([], writes.statements)
        self.assertEqual({'podm_id': self.podm.uuid, 'status': 'SUCCESS',
                          'changes': {}}, second)
        self.assertEqual(['CUSTOM_EXPETHER_GPU'], self.node_traits(node))

    def test_only_changes_written(self):
        self.set_pod(*[eeio(i) for i in IO])
        self.sync()
        self.set_pod(*[eeio(i) for i in IO[1:]])
        with WriteCounter(session.get_engine()) as writes:
            result = self.sync()[0]
        self.assertEqual({'missing': 1}, result['changes'])
        self.assertEqual(1, len(writes.statements))
        self.assertTrue(writes.statements[0].startswith('UPDATE'))


class DevicesTestCase(DiscoveryTestCase):

    def test_new_devices_join_with_type(self):
        self.set_pod(eesv(EESV1), eeio(IO[0]), eeio(IO[1], card=SSD),
                     eeio(IO[2], group_id='300'), eeio(IO[3], down=True))
        self.sync()
        devices = {d.eeid: d for d in db_api.list_devices()}
        self.assertEqual(sorted(IO[:4]), sorted(devices))
        self.assertEqual(('GPU', models.DEVICE_FREE, '4093'),
                         (devices[IO[0]].type, devices[IO[0]].state,
                          devices[IO[0]].group_id))
        self.assertEqual(0x10de, devices[IO[0]].pci_vendor_id)
        self.assertEqual('SSD', devices[IO[1]].type)
        # In the group of a server nobody manages: used, by nobody known.
        self.assertEqual((models.DEVICE_ALLOCATED, None),
                         (devices[IO[2]].state, devices[IO[2]].node_uuid))
        self.assertEqual(models.DEVICE_MISSING, devices[IO[3]].state)
        self.assertNotIn(EESV1, devices)
        self.assertEqual(models.POD_MANAGER_ONLINE,
                         db_api.get_pod_manager(self.podm.uuid).status)

    def test_descriptive_change_is_written(self):
        self.set_pod(eesv(EESV1), eeio(IO[0]), eeio(IO[1]))
        self.sync()
        card = eeio(IO[0], card=SSD)
        card['mac_address'] = '8c:df:9d:aa:bb:cc'
        self.set_pod(eesv(EESV1), card, eeio(IO[1]))
        with WriteCounter(session.get_engine()) as writes:
            self.sync()
        self.assertEqual(1, len(writes.statements))
        device = self.device(IO[0])
        expected = reconcile.device_values_from_eem(eem.Device.from_json(card))
        self.assertEqual(
            {k: expected[k] for k in reconcile.DESCRIPTIVE},
            {k: getattr(device, k) for k in reconcile.DESCRIPTIVE})
        self.assertEqual(models.DEVICE_FREE, device.state)
        self.assertEqual('GPU', self.device(IO[1]).type)

    def test_descriptive_tuple_is_device_values_from_eem(self):
        descriptive = reconcile.Descriptive()
        docs = [eeio(IO[0]), eeio(IO[1], card=SSD), eeio(IO[2], group_id=7),
                {'id': IO[3], 'status': 'eeio'},
                dict(eeio(IO[4]), pcie_vendor_id='0xffff')]
        for doc in docs * 2:
            dev = eem.Device.from_json(doc)
            values = reconcile.device_values_from_eem(dev)
            self.assertEqual(
                tuple(values[k] for k in reconcile.DESCRIPTIVE),
                descriptive(dev))

    def test_group_change_sets_owner_and_node_view(self):
        node = self.create_node(EESV1)
        self.set_pod(eesv(EESV1, group_id='100'), eeio(IO[0]),
                     eeio(IO[1], card=SSD))
        self.sync()
        self.assertEqual([], self.node_traits(node))
        # Someone moves two devices into the server's group outside Ironic.
        self.set_pod(eesv(EESV1, group_id='100'),
                     eeio(IO[0], group_id='100'),
                     eeio(IO[1], card=SSD, group_id='100'))
        result = self.sync()[0]
        self.assertEqual({'moved': 2, 'nodes_updated': 1},
                         result['changes'])
        for eeid in IO[:2]:
            device = self.device(eeid)
            self.assertEqual((models.DEVICE_ALLOCATED, node.uuid,
                              models.PURPOSE_COMPOSITION, '100'),
                             (device.state, device.node_uuid,
                              device.purpose, device.group_id))
        node.refresh()
        self.assertEqual(sorted(IO[:2]), [
            d['id'] for d in node.properties['expether_devices']])
        self.assertEqual(['CUSTOM_EXPETHER_GPU', 'CUSTOM_EXPETHER_SSD'],
                         self.node_traits(node))
        history = objects.NodeHistory.list_by_node_id(self.context,
                                                      node.id)
        self.assertEqual(['expether'], [h.event_type for h in history])
        self.assertIn(IO[0], history[0].event)
        self.assertIsNone(node.last_error)

        # ... and moves the GPU out again.
        self.set_pod(eesv(EESV1, group_id='100'), eeio(IO[0]),
                     eeio(IO[1], card=SSD, group_id='100'))
        self.sync()
        device = self.device(IO[0])
        self.assertEqual((models.DEVICE_FREE, None, None),
                         (device.state, device.node_uuid, device.purpose))
        node.refresh()
        self.assertEqual([IO[1]], [
            d['id'] for d in node.properties['expether_devices']])
        self.assertEqual(['CUSTOM_EXPETHER_SSD'], self.node_traits(node))

    def test_other_traits_kept(self):
        node = self.create_node(EESV1)
        objects.Trait(self.context, node_id=node.id, trait='CUSTOM_RACK_7',
                      version='1.0').create()
        self.set_pod(eesv(EESV1, group_id='100'),
                     eeio(IO[0], group_id='100'))
        self.sync()
        self.assertEqual(['CUSTOM_EXPETHER_GPU', 'CUSTOM_RACK_7'],
                         self.node_traits(node))

    def test_operator_traits_with_prefix_kept(self):
        # An operator's trait naming a deploy template (compose_devices
        # step) shares the prefix but is not a device type's: kept, and
        # the steady state still writes nothing.
        node = self.create_node(EESV1)
        for trait in ('CUSTOM_EXPETHER_ADD_GPU', 'CUSTOM_EXPETHER_GPU_X2'):
            objects.Trait(self.context, node_id=node.id, trait=trait,
                          version='1.0').create()
        self.set_pod(eesv(EESV1, group_id='100'),
                     eeio(IO[0], group_id='100'))
        self.assertEqual(1, self.sync()[0]['changes']['nodes_updated'])
        self.assertEqual(['CUSTOM_EXPETHER_ADD_GPU', 'CUSTOM_EXPETHER_GPU',
                          'CUSTOM_EXPETHER_GPU_X2'], self.node_traits(node))
        with WriteCounter(session.get_engine()) as writes:
            self.assertEqual({}, self.sync()[0]['changes'])
        self.assertEqual([], writes.statements)
        # The GPU is moved out: only the plugin's trait goes.
        self.set_pod(eesv(EESV1, group_id='100'), eeio(IO[0]))
        self.assertEqual(1, self.sync()[0]['changes']['nodes_updated'])
        self.assertEqual(['CUSTOM_EXPETHER_ADD_GPU',
                          'CUSTOM_EXPETHER_GPU_X2'], self.node_traits(node))

    def test_same_view_as_compose(self):
        # Discovery and compose.describe_node apply one rule: after a
        # cycle, describing the node again changes nothing.
        node = self.create_node(EESV1, provision_state=states.ACTIVE)
        self.set_pod(eesv(EESV1, group_id='100'),
                     eeio(IO[0], group_id='100'),
                     eeio(IO[1], card=SSD, group_id='100'),
                     eeio(IO[2], group_id='100'))
        self.sync()
        self.set_pod(eesv(EESV1, group_id='100'),
                     eeio(IO[0], group_id='100'),
                     eeio(IO[1], card=SSD, group_id='100'),
                     eeio(IO[2], group_id='100', down=True))
        self.assertEqual({'missing': 1, 'nodes_updated': 1},
                         self.sync()[0]['changes'])
        node.refresh()
        self.assertEqual([IO[0], IO[1]], [
            d['id'] for d in node.properties['expether_devices']])
        self.assertEqual(models.DEVICE_MISSING, self.device(IO[2]).state)
        self.assertEqual(node.uuid, self.device(IO[2]).node_uuid)
        self.assertIsNone(compose.describe_node(node))
        # A device attached at deploy time is not listed either.
        db_api.update_device(self.device(IO[1]).uuid,
                             {'purpose': models.PURPOSE_DEPLOYMENT})
        change = compose.describe_node(node)
        self.assertEqual([IO[0]], change.new_ids)
        self.assertEqual({}, self.sync()[0]['changes'])
        self.assertEqual(['CUSTOM_EXPETHER_GPU'], self.node_traits(node))

    def test_locked_node_updated_next_cycle(self):
        node = self.create_node(EESV1, reservation='someone-else')
        self.set_pod(eesv(EESV1, group_id='100'),
                     eeio(IO[0], group_id='100'))
        result = self.sync()[0]
        self.assertNotIn('nodes_updated', result['changes'])
        self.assertEqual(node.uuid, self.device(IO[0]).node_uuid)
        objects.Node.release(self.context, 'someone-else', node.id)
        self.assertEqual(1, self.sync()[0]['changes']['nodes_updated'])
        self.assertEqual(['CUSTOM_EXPETHER_GPU'], self.node_traits(node))

    def test_missing_keeps_uuid_and_comes_back(self):
        node = self.create_node(EESV1)
        self.set_pod(eesv(EESV1, group_id='100'),
                     eeio(IO[0], group_id='100'), eeio(IO[1]))
        self.sync()
        uuids = {e: self.device(e).uuid for e in IO[:2]}
        # IO[0] vanishes, IO[1] goes down.
        self.set_pod(eesv(EESV1, group_id='100'), eeio(IO[1], down=True))
        result = self.sync()[0]
        self.assertEqual({'missing': 2, 'nodes_updated': 1},
                         result['changes'])
        gone, down = self.device(IO[0]), self.device(IO[1])
        self.assertEqual((models.DEVICE_MISSING, node.uuid),
                         (gone.state, gone.node_uuid))
        self.assertEqual((models.DEVICE_MISSING, None),
                         (down.state, down.node_uuid))
        self.assertEqual([], self.node_traits(node))
        # Both come back, with the same uuids.
        self.set_pod(eesv(EESV1, group_id='100'),
                     eeio(IO[0], group_id='100'), eeio(IO[1]))
        result = self.sync()[0]
        self.assertEqual({'returned': 2, 'nodes_updated': 1},
                         result['changes'])
        self.assertEqual(uuids, {e: self.device(e).uuid for e in IO[:2]})
        self.assertEqual((models.DEVICE_ALLOCATED, node.uuid),
                         (self.device(IO[0]).state,
                          self.device(IO[0]).node_uuid))
        self.assertEqual(models.DEVICE_FREE, self.device(IO[1]).state)
        self.assertEqual(['CUSTOM_EXPETHER_GPU'], self.node_traits(node))
        self.assertEqual(2, len(db_api.list_devices()))


class ClaimsTestCase(DiscoveryTestCase):

    def _claim(self, eeid, node, age):
        db_api.update_device(self.device(eeid).uuid, {
            'state': models.DEVICE_CLAIMED, 'node_uuid': node.uuid,
            'purpose': models.PURPOSE_COMPOSITION,
            'claimed_at': timeutils.utcnow() - datetime.timedelta(
                seconds=age)})

    def test_stale_claims_repaired_fresh_ones_left_alone(self):
        self.config(claim_timeout=300, group='expether')
        node = self.create_node(EESV1)
        self.set_pod(eesv(EESV1, group_id='100'), *[eeio(i) for i in IO[:3]])
        self.sync()
        self._claim(IO[0], node, age=1000)   # the move never happened
        self._claim(IO[1], node, age=1000)   # it did; confirmation lost
        self._claim(IO[2], node, age=10)     # in flight
        self.set_pod(eesv(EESV1, group_id='100'), eeio(IO[0]),
                     eeio(IO[1], group_id='100'), eeio(IO[2]))
        result = self.sync()[0]
        self.assertEqual(2, result['changes']['repaired'])
        first, second, third = (self.device(e) for e in IO[:3])
        self.assertEqual((models.DEVICE_FREE, None, None),
                         (first.state, first.node_uuid, first.claimed_at))
        self.assertEqual((models.DEVICE_ALLOCATED, node.uuid, None),
                         (second.state, second.node_uuid,
                          second.claimed_at))
        self.assertEqual((models.DEVICE_CLAIMED, node.uuid),
                         (third.state, third.node_uuid))
        self.assertIsNotNone(third.claimed_at)

    def test_claim_made_meanwhile_not_overwritten(self):
        node = self.create_node(EESV1)
        self.set_pod(eesv(EESV1, group_id='100'), eeio(IO[0]))
        self.sync()
        self.set_pod(eesv(EESV1, group_id='100'), eeio(IO[0], down=True))
        real_records = discovery.Reconciler._records

        def read_then_claim(reconciler):
            records = real_records(reconciler)
            # A compose claims the device after discovery read the pool.
            self._claim(IO[0], node, age=0)
            return records

        with mock.patch.object(discovery.Reconciler, '_records',
                               autospec=True, side_effect=read_then_claim):
            self.sync()
        self.assertEqual(models.DEVICE_CLAIMED, self.device(IO[0]).state)

    def test_attach_after_eem_read_not_overwritten(self):
        # Issue 9: EEM answered (device free), then an attach finished
        # (pool: allocated to the node), then discovery read the pool: the
        # older EEM view must not free the device.
        node = self.create_node(EESV1)
        self.set_pod(eesv(EESV1, group_id='100'), eeio(IO[0]))
        self.sync()
        self.assertEqual(models.DEVICE_FREE, self.device(IO[0]).state)
        real_records = discovery.Reconciler._records

        def attach_then_read(reconciler):
            db_api.update_device(self.device(IO[0]).uuid, {
                'state': models.DEVICE_ALLOCATED, 'node_uuid': node.uuid,
                'purpose': models.PURPOSE_COMPOSITION, 'group_id': '100'})
            return real_records(reconciler)

        with mock.patch.object(discovery.Reconciler, '_records',
                               autospec=True, side_effect=attach_then_read):
            result = self.sync()[0]
        # Nothing moved; the node's description follows the attach.
        self.assertEqual({'nodes_updated': 1}, result['changes'])
        device = self.device(IO[0])
        self.assertEqual((models.DEVICE_ALLOCATED, node.uuid, '100'),
                         (device.state, device.node_uuid, device.group_id))
        # The next cycle reads EEM after the attach and agrees.
        self.set_pod(eesv(EESV1, group_id='100'), eeio(IO[0], group_id='100'))
        self.assertEqual({}, self.sync()[0]['changes'])
        device = self.device(IO[0])
        self.assertEqual((models.DEVICE_ALLOCATED, node.uuid,
                          models.PURPOSE_COMPOSITION),
                         (device.state, device.node_uuid, device.purpose))

    def test_detach_after_eem_read_not_overwritten(self):
        node = self.create_node(EESV1)
        self.set_pod(eesv(EESV1, group_id='100'), eeio(IO[0], group_id='100'))
        self.sync()
        self.assertEqual((models.DEVICE_ALLOCATED, node.uuid),
                         (self.device(IO[0]).state,
                          self.device(IO[0]).node_uuid))
        real_records = discovery.Reconciler._records

        def detach_then_read(reconciler):
            db_api.update_device(self.device(IO[0]).uuid, {
                'state': models.DEVICE_FREE, 'node_uuid': None,
                'purpose': None, 'group_id': '4093'})
            return real_records(reconciler)

        with mock.patch.object(discovery.Reconciler, '_records',
                               autospec=True, side_effect=detach_then_read):
            self.sync()
        self.assertEqual((models.DEVICE_FREE, None),
                         (self.device(IO[0]).state,
                          self.device(IO[0]).node_uuid))

    def test_record_changed_between_pool_read_and_write_kept(self):
        # The conditional update carries the record's updated_at as read.
        node = self.create_node(EESV1)
        self.set_pod(eesv(EESV1, group_id='100'), eeio(IO[0]))
        self.sync()
        self.set_pod(eesv(EESV1, group_id='100'), eeio(IO[0], down=True))
        real_records = discovery.Reconciler._records

        def read_then_touch(reconciler):
            records = real_records(reconciler)
            # Same state and holder, but a newer record (e.g. a refresh of
            # its description by a concurrent sync passthru).
            db_api.update_device(self.device(IO[0]).uuid, {'model': 'new'})
            return records

        with mock.patch.object(discovery.Reconciler, '_records',
                               autospec=True, side_effect=read_then_touch):
            self.sync()
        self.assertEqual((models.DEVICE_FREE, 'new'),
                         (self.device(IO[0]).state,
                          self.device(IO[0]).model))
        self.assertIsNone(node.reservation)

    def test_devices_of_deleted_node_back_to_pool(self):
        node = self.create_node(EESV1)
        self.set_pod(eesv(EESV1, group_id='100'),
                     eeio(IO[0], group_id='100'), eeio(IO[1], down=True))
        self.sync()
        db_api.update_device(self.device(IO[1]).uuid,
                             {'node_uuid': node.uuid})
        node.destroy()
        self.client.reset_mock()
        result = self.sync()[0]
        self.assertEqual(1, result['changes']['orphans_released'])
        self.client.delete_group.assert_called_once_with(IO[0])
        device = self.device(IO[0])
        self.assertEqual((models.DEVICE_FREE, None, None, '4093'),
                         (device.state, device.node_uuid, device.purpose,
                          device.group_id))
        # A missing device of a deleted node just loses its holder.
        self.assertEqual((models.DEVICE_MISSING, None),
                         (self.device(IO[1]).state,
                          self.device(IO[1]).node_uuid))

    def test_orphan_kept_when_eem_refuses(self):
        node = self.create_node(EESV1)
        self.set_pod(eesv(EESV1, group_id='100'),
                     eeio(IO[0], group_id='100'))
        self.sync()
        node.destroy()
        self.client.delete_group.side_effect = eem.EEMServerError(
            'DELETE', 'devices/x/group_id', 503)
        result = self.sync()[0]
        self.assertEqual('SUCCESS', result['status'])
        self.assertEqual(node.uuid, self.device(IO[0]).node_uuid)
        self.client.delete_group.side_effect = None
        self.sync()
        self.assertEqual(models.DEVICE_FREE, self.device(IO[0]).state)


@ddt.ddt
class DeploymentDevicesTestCase(DiscoveryTestCase):
    """Devices of a past deployment go back when cleaning did not run."""

    def setUp(self):
        super().setUp()
        # EEM reads and group deletions follow the scripted pod, as the
        # claims API (through the fabric) expects of EEM.
        self.client.get_device.side_effect = self._eem_device
        self.client.delete_group.side_effect = self._eem_delete_group

    def _raw(self, eeid):
        for raw in self.inventory.get(self.podm.url, []):
            if raw['id'] == eeid:
                return raw
        raise eem.EEMNotFound('GET', 'devices/%s' % eeid, 404)

    def _eem_device(self, eeid):
        return eem.Device(dict(self._raw(eeid)))

    def _eem_delete_group(self, eeid, update_time=None):
        self._raw(eeid)['group_id'] = eem.EEIO_FREE_GROUP

    def _deployed(self, provision_state, **kw):
        """A node with a composition GPU and a deployment SSD."""
        node = self.create_node(EESV1, provision_state=provision_state,
                                **kw)
        self.set_pod(eesv(EESV1, group_id='100'),
                     eeio(IO[0], group_id='100'),
                     eeio(IO[1], card=SSD, group_id='100'), eeio(IO[2]))
        self.sync()
        db_api.update_device(self.device(IO[1]).uuid,
                             {'purpose': models.PURPOSE_DEPLOYMENT})
        # As after compose_devices: only the GPU is described.
        node = objects.Node.get_by_uuid(self.context, node.uuid)
        compose.describe_node(node)
        self.client.reset_mock()
        return node

    def assertHeld(self, eeid, node, purpose):
        device = self.device(eeid)
        self.assertEqual((models.DEVICE_ALLOCATED, node.uuid, purpose),
                         (device.state, device.node_uuid, device.purpose))

    def history(self, node):
        return [h.event for h in objects.NodeHistory.list_by_node_id(
            self.context, node.id)]

    @ddt.data(states.AVAILABLE, states.MANAGEABLE, states.ENROLL)
    def test_released_from_idle_node(self, provision_state):
        node = self._deployed(provision_state)
        events = len(self.history(node))
        result = self.sync()[0]
        self.assertEqual({'deployment_released': 1}, result['changes'])
        self.assertEqual([mock.call.list_devices(),
                          mock.call.list_devices(group_id='100'),
                          mock.call.delete_group(IO[1], update_time=0)],
                         eem_calls(self.client))
        device = self.device(IO[1])
        self.assertEqual((models.DEVICE_FREE, None, None, '4093'),
                         (device.state, device.node_uuid, device.purpose,
                          device.group_id))
        # The composition's device stays.
        self.assertHeld(IO[0], node, models.PURPOSE_COMPOSITION)
        history = self.history(node)[events:]
        self.assertEqual(1, len(history))
        self.assertIn('%s (SSD)' % IO[1], history[0])
        self.assertNotIn(IO[0], history[0])
        node.refresh()
        self.assertIsNone(node.reservation)
        self.assertEqual(provision_state, node.provision_state)
        self.assertEqual(['CUSTOM_EXPETHER_GPU'], self.node_traits(node))
        # Then the steady state again: no write, one EEM request.
        self.client.reset_mock()
        with WriteCounter(session.get_engine()) as writes:
            self.assertEqual({}, self.sync()[0]['changes'])
        self.assertEqual([], writes.statements)
        self.assertEqual([mock.call.list_devices()], eem_calls(self.client))

    @ddt.data(states.ACTIVE, states.DEPLOYING, states.DEPLOYWAIT,
              states.DEPLOYHOLD, states.DEPLOYFAIL, states.CLEANING,
              states.CLEANWAIT, states.CLEANHOLD, states.CLEANFAIL,
              states.DELETING, states.ERROR, states.RESCUE,
              states.RESCUEWAIT, states.SERVICING, states.SERVICEWAIT,
              states.INSPECTING, states.INSPECTWAIT, states.ADOPTING,
              states.ADOPTFAIL, states.VERIFYING)
    def test_untouched_while_deployed_or_busy(self, provision_state):
        node = self._deployed(provision_state)
        events = self.history(node)
        with WriteCounter(session.get_engine()) as writes:
            self.assertEqual({}, self.sync()[0]['changes'])
        self.assertEqual([], writes.statements)
        self.assertEqual([mock.call.list_devices()], eem_calls(self.client))
        self.assertHeld(IO[1], node, models.PURPOSE_DEPLOYMENT)
        self.assertHeld(IO[0], node, models.PURPOSE_COMPOSITION)
        self.assertEqual(events, self.history(node))

    def test_maintenance_node_untouched(self):
        node = self._deployed(states.AVAILABLE, maintenance=True)
        with WriteCounter(session.get_engine()) as writes:
            self.assertEqual({}, self.sync()[0]['changes'])
        self.assertEqual([], writes.statements)
        self.assertHeld(IO[1], node, models.PURPOSE_DEPLOYMENT)

    def test_composition_devices_untouched(self):
        node = self.create_node(EESV1, provision_state=states.AVAILABLE)
        self.set_pod(eesv(EESV1, group_id='100'),
                     eeio(IO[0], group_id='100'),
                     eeio(IO[1], card=SSD, group_id='100'))
        self.sync()
        self.client.reset_mock()
        with WriteCounter(session.get_engine()) as writes:
            self.assertEqual({}, self.sync()[0]['changes'])
        self.assertEqual([], writes.statements)
        self.assertEqual([mock.call.list_devices()], eem_calls(self.client))
        self.assertHeld(IO[0], node, models.PURPOSE_COMPOSITION)
        self.assertHeld(IO[1], node, models.PURPOSE_COMPOSITION)

    def test_deployment_started_meanwhile_untouched(self):
        # The cycle read the node as available; a deployment starts (under
        # the node's lock) before discovery takes the lock: its state is
        # read again there and the devices stay.
        node = self._deployed(states.AVAILABLE)
        real = discovery.Reconciler._managed_nodes

        def read_then_deploy(reconciler):
            nodes = real(reconciler)
            db_node = objects.Node.get_by_uuid(self.context, node.uuid)
            db_node.provision_state = states.DEPLOYING
            db_node.save()
            return nodes

        with mock.patch.object(discovery.Reconciler, '_managed_nodes',
                               autospec=True, side_effect=read_then_deploy):
            self.assertEqual({}, self.sync()[0]['changes'])
        self.assertEqual([mock.call.list_devices()], eem_calls(self.client))
        self.assertHeld(IO[1], node, models.PURPOSE_DEPLOYMENT)
        node.refresh()
        self.assertIsNone(node.reservation)

    def test_locked_node_released_next_cycle(self):
        node = self._deployed(states.AVAILABLE, reservation='someone-else')
        self.assertEqual({}, self.sync()[0]['changes'])
        self.assertHeld(IO[1], node, models.PURPOSE_DEPLOYMENT)
        self.assertEqual([mock.call.list_devices()], eem_calls(self.client))
        objects.Node.release(self.context, 'someone-else', node.id)
        self.assertEqual({'deployment_released': 1},
                         self.sync()[0]['changes'])
        self.assertEqual(models.DEVICE_FREE, self.device(IO[1]).state)

    def test_node_this_conductor_cannot_load_does_not_fail_cycle(self):
        node = self._deployed(states.AVAILABLE, deploy_interface='direct')
        result = self.sync()[0]
        self.assertEqual(('SUCCESS', {}), (result['status'],
                                           result['changes']))
        self.assertHeld(IO[1], node, models.PURPOSE_DEPLOYMENT)

    def test_eem_refusal_tried_again_next_cycle(self):
        node = self._deployed(states.AVAILABLE)
        self.client.delete_group.side_effect = eem.EEMServerError(
            'DELETE', 'devices/x/group_id', 503)
        result = self.sync()[0]
        self.assertEqual(('SUCCESS', {}), (result['status'],
                                           result['changes']))
        self.assertHeld(IO[1], node, models.PURPOSE_DEPLOYMENT)
        self.client.delete_group.side_effect = self._eem_delete_group
        self.assertEqual({'deployment_released': 1},
                         self.sync()[0]['changes'])
        self.assertEqual(models.DEVICE_FREE, self.device(IO[1]).state)

    def test_missing_device_kept_until_it_returns(self):
        # Dropped while missing, it would come back in the server's group
        # as a composition device; it is returned once EEM shows it again.
        node = self._deployed(states.AVAILABLE)
        self.set_pod(eesv(EESV1, group_id='100'),
                     eeio(IO[0], group_id='100'), eeio(IO[2]))
        self.assertEqual({'missing': 1}, self.sync()[0]['changes'])
        self.assertEqual([mock.call.list_devices()], eem_calls(self.client))
        device = self.device(IO[1])
        self.assertEqual((models.DEVICE_MISSING, node.uuid,
                          models.PURPOSE_DEPLOYMENT),
                         (device.state, device.node_uuid, device.purpose))
        self.set_pod(eesv(EESV1, group_id='100'),
                     eeio(IO[0], group_id='100'),
                     eeio(IO[1], card=SSD, group_id='100'), eeio(IO[2]))
        self.assertEqual({'returned': 1, 'deployment_released': 1},
                         self.sync()[0]['changes'])
        self.client.delete_group.assert_called_once_with(IO[1],
                                                         update_time=0)
        self.assertEqual((models.DEVICE_FREE, None),
                         (self.device(IO[1]).state,
                          self.device(IO[1]).node_uuid))
        self.assertHeld(IO[0], node, models.PURPOSE_COMPOSITION)

    def test_claim_in_flight_left_alone(self):
        node = self._deployed(states.AVAILABLE)
        db_api.update_device(self.device(IO[1]).uuid, {
            'state': models.DEVICE_CLAIMED,
            'claimed_at': timeutils.utcnow()})
        with WriteCounter(session.get_engine()) as writes:
            self.assertEqual({}, self.sync()[0]['changes'])
        self.assertEqual([], writes.statements)
        self.assertEqual((models.DEVICE_CLAIMED, node.uuid),
                         (self.device(IO[1]).state,
                          self.device(IO[1]).node_uuid))


class PodManagerStatusTestCase(DiscoveryTestCase):

    def test_failing_pod_manager_offline_others_synced(self):
        other = self.create_podm()
        self.set_pod(eeio(IO[0]))
        self.set_pod(eeio(IO[1]), podm=other)
        self.client.list_devices.side_effect = eem.EEMConnectionError(
            'GET', 'devices/detail', 'connection refused')
        results = self.sync()
        self.assertEqual(['FAILED', 'SUCCESS'],
                         [r['status'] for r in results])
        self.assertIn('connection refused', results[0]['detail'])
        podm = db_api.get_pod_manager(self.podm.uuid)
        self.assertEqual(models.POD_MANAGER_OFFLINE, podm.status)
        self.assertIn('connection refused', podm.status_reason)
        self.assertIn('eem-1.test', podm.status_reason)
        self.assertEqual(models.DEVICE_FREE,
                         self.device(IO[1], podm=other).state)
        # It answers again.
        self.client.list_devices.side_effect = (
            lambda status=None, group_id=None: [eem.Device(eeio(IO[0]))])
        self.assertEqual('SUCCESS', self.sync()[0]['status'])
        podm = db_api.get_pod_manager(self.podm.uuid)
        self.assertEqual((models.POD_MANAGER_ONLINE, None),
                         (podm.status, podm.status_reason))

    def test_hand_enrolled_node_registers_its_eem(self):
        url = 'http://eem-by-hand.test:30500/eem'
        node = obj_utils.create_test_node(
            self.context, uuid=uuidutils.generate_uuid(), driver='expether',
            driver_info={'eem_address': url + '/', 'eesv_id': IO[0],
                         'eem_username': 'admin',
                         'eem_password': 'by-hand-pw'})
        self.set_pod(eeio(IO[1]), podm=mock.Mock(url=url))
        results = self.sync()
        podm = db_api.get_pod_manager_by_url(url)
        self.assertEqual(('admin', 'by-hand-pw'),
                         (podm.username, podm.password))
        self.assertIn({'podm_id': podm.uuid, 'status': 'SUCCESS'},
                      [{k: r[k] for k in ('podm_id', 'status')}
                       for r in results])
        self.assertEqual(models.DEVICE_FREE,
                         self.device(IO[1], podm=podm).state)
        # Known from now on: the next cycles register nothing more.
        self.assertEqual(2, len(db_api.list_pod_managers()))
        self.sync()
        self.assertEqual(2, len(db_api.list_pod_managers()))
        self.assertIsNotNone(node.uuid)

    def test_password_not_in_reason(self):
        self.client.list_devices.side_effect = eem.EEMAuthError(
            'GET', 'devices/detail', 401)
        result = self.sync()[0]
        podm = db_api.get_pod_manager(self.podm.uuid)
        self.assertNotIn('S3cret-pw', podm.status_reason)
        self.assertNotIn('S3cret-pw', result['detail'])


class EnrollTestCase(DiscoveryTestCase):

    def test_not_enrolled_by_default(self):
        self.set_pod(eesv(EESV1))
        self.sync()
        self.assertEqual([], objects.Node.list(self.context))

    def test_auto_enroll_once(self):
        self.config(auto_enroll=True, group='expether')
        existing = self.create_node(EESV2)
        self.set_pod(eesv(EESV1), eesv(EESV2))
        self.assertEqual(1, self.sync()[0]['changes']['enrolled'])
        self.assertNotIn('enrolled', self.sync()[0]['changes'])
        nodes = {n.driver_info['eesv_id']: n
                 for n in objects.Node.list(self.context)}
        self.assertEqual([EESV1, EESV2], sorted(nodes))
        self.assertEqual(existing.uuid, nodes[EESV2].uuid)
        new = nodes[EESV1]
        self.assertEqual((states.ENROLL, 'expether', self.podm.url,
                          'admin', 'expether'),
                         (new.provision_state, new.driver,
                          new.driver_info['eem_address'],
                          new.driver_info['eem_username'],
                          new.power_interface))
        self.assertEqual(podm_api.node_uuid_for(self.podm.uuid, EESV1),
                         new.uuid)

    def test_deleted_node_not_enrolled_again(self):
        self.config(auto_enroll=True, group='expether')
        self.set_pod(eesv(EESV1), eesv(EESV2))
        self.assertEqual(2, self.sync()[0]['changes']['enrolled'])
        self.assertEqual(
            sorted([EESV1, EESV2]),
            sorted(e.eeid for e in db_api.list_enrolled_servers(
                self.podm.uuid)))
        node = objects.Node.get_by_uuid(
            self.context, podm_api.node_uuid_for(self.podm.uuid, EESV1))
        node.destroy()
        with WriteCounter(session.get_engine()) as writes:
            result = self.sync()[0]
        self.assertEqual({}, result['changes'])
        self.assertEqual([], writes.statements)
        self.assertEqual([EESV2], [n.driver_info['eesv_id'] for n in
                                   objects.Node.list(self.context)])
        # manage still enrolls it on request.
        self.assertEqual(EESV1, compose.manage(
            self.context, EESV1, podm_uuid=self.podm.uuid).name)

    def test_failed_enrollment_tried_again(self):
        self.config(auto_enroll=True, group='expether')
        self.set_pod(eesv(EESV1))
        with mock.patch.object(podm_api.driver_factory,
                               'check_and_update_node_interfaces',
                               autospec=True,
                               side_effect=exception.InvalidParameterValue(
                                   'no such interface')):
            result = self.sync()[0]
        self.assertNotIn('enrolled', result['changes'])
        self.assertEqual([], objects.Node.list(self.context))
        self.assertEqual([], db_api.list_enrolled_servers(self.podm.uuid))
        self.assertEqual(1, self.sync()[0]['changes']['enrolled'])
        self.assertEqual(1, len(objects.Node.list(self.context)))

    def test_racing_enrollers_stale_view_create_one_node(self):
        # Conductors A and B both read the nodes before either enrolls;
        # B enrolls the server and the operator deletes its node before A
        # goes on. A's view is stale, but the record says no.
        self.config(auto_enroll=True, group='expether')
        self.set_pod(eesv(EESV1))
        real = discovery.Reconciler._managed_nodes
        outcome = {}

        def conductor_b_first(reconciler):
            nodes = real(reconciler)
            if not outcome:
                outcome['b'] = None
                outcome['b'] = discovery.Reconciler(
                    self.context, self.podm, self.client,
                    [eem.Device(eesv(EESV1))]).run()
                objects.Node.get_by_uuid(
                    self.context,
                    podm_api.node_uuid_for(self.podm.uuid, EESV1)).destroy()
            return nodes

        with mock.patch.object(discovery.Reconciler, '_managed_nodes',
                               autospec=True, side_effect=conductor_b_first):
            result = self.sync()[0]
        self.assertEqual(1, outcome['b']['enrolled'])
        self.assertNotIn('enrolled', result['changes'])
        self.assertEqual([], objects.Node.list(self.context))
        self.assertEqual(1, len(db_api.list_enrolled_servers(
            self.podm.uuid)))

    def test_concurrent_enroll_creates_one_node(self):
        self.config(auto_enroll=True, group='expether')
        self.set_pod(eesv(EESV1))
        real = discovery.Reconciler._managed_nodes

        def other_conductor_enrolls_first(reconciler):
            nodes = real(reconciler)
            self.create_node(EESV1)
            return nodes

        with mock.patch.object(discovery.Reconciler, '_managed_nodes',
                               autospec=True,
                               side_effect=other_conductor_enrolls_first):
            result = self.sync()[0]
        self.assertNotIn('enrolled', result['changes'])
        self.assertEqual(1, len(objects.Node.list(self.context)))


class LeaseTestCase(DiscoveryTestCase):

    def test_one_conductor_per_pod_manager(self):
        self.config(sync_lease_timeout=120, group='expether')
        self.set_pod(eeio(IO[0]))
        self.assertEqual('SUCCESS', self.sync(use_lease=True)[0]['status'])
        self.config(host='conductor-b')
        self.assertEqual([{'podm_id': self.podm.uuid, 'status': 'SKIPPED'}],
                         self.sync(use_lease=True))
        self.assertEqual(1, self.client.list_devices.call_count)
        # The holder keeps syncing it, cycle after cycle.
        self.config(host='conductor-a')
        self.assertEqual('SUCCESS', self.sync(use_lease=True)[0]['status'])
        self.assertEqual('conductor-a',
                         db_api.get_lease(self.podm.uuid).holder)

    def test_dead_holder_blocks_at_most_the_lease_timeout(self):
        self.config(sync_lease_timeout=120, group='expether')
        self.set_pod(eeio(IO[0]))
        start = timeutils.utcnow()
        with mock.patch.object(timeutils, 'utcnow', autospec=True) as now:
            now.return_value = start
            # conductor-a takes the lease and dies mid-cycle.
            self.assertTrue(db_api.acquire_lease(self.podm.uuid,
                                                 'conductor-a', 120))
            self.config(host='conductor-b')
            now.return_value = start + datetime.timedelta(seconds=119)
            self.assertEqual('SKIPPED',
                             self.sync(use_lease=True)[0]['status'])
            now.return_value = start + datetime.timedelta(seconds=121)
            self.assertEqual('SUCCESS',
                             self.sync(use_lease=True)[0]['status'])
        self.assertEqual('conductor-b',
                         db_api.get_lease(self.podm.uuid).holder)

    def test_passthru_path_ignores_lease(self):
        self.set_pod(eeio(IO[0]))
        db_api.acquire_lease(self.podm.uuid, 'conductor-b', 120)
        self.assertEqual('SUCCESS', self.sync()[0]['status'])


class SnapshotFeedTestCase(DiscoveryTestCase):

    def test_discovery_feeds_power_snapshot(self):
        self.config(power_state_cache_ttl=60, group='expether')
        self.set_pod(eesv(EESV1, power_status='off'))
        self.sync()
        self.client.reset_mock()
        device = snapshot.get_device(self.client, EESV1)
        self.assertEqual('off', device.power_state)
        self.assertEqual([], eem_calls(self.client))


class GarbageCollectionTestCase(DiscoveryTestCase):

    def setUp(self):
        super().setUp()
        self.addCleanup(gc.enable if gc.isenabled() else gc.disable)

    def test_paused_in_the_block_then_enabled(self):
        gc.enable()
        with discovery._gc_paused():
            self.assertFalse(gc.isenabled())
        self.assertTrue(gc.isenabled())

    def test_enabled_again_after_an_error(self):
        gc.enable()

        def fail():
            with discovery._gc_paused():
                raise ValueError('boom')

        self.assertRaises(ValueError, fail)
        self.assertTrue(gc.isenabled())

    def test_left_off_when_it_was_off(self):
        gc.disable()
        with discovery._gc_paused():
            self.assertFalse(gc.isenabled())
        self.assertFalse(gc.isenabled())

    def test_enabled_after_a_cycle(self):
        gc.enable()
        self.set_pod(eesv(EESV1), eeio(IO[0]))
        paused = []
        real = discovery.Reconciler._read_and_plan

        def read_and_plan(reconciler):
            paused.append(not gc.isenabled())
            return real(reconciler)

        with mock.patch.object(discovery.Reconciler, '_read_and_plan',
                               autospec=True, side_effect=read_and_plan):
            self.assertEqual('SUCCESS', self.sync()[0]['status'])
        self.assertEqual([True], paused)
        self.assertTrue(gc.isenabled())
