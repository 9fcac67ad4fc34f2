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

"""EEM requests of compose, attach, detach and release, and lost answers.

Every test runs the pool for real against the emulator's state behind an
autospec EEM client (:mod:`.eem_counting`), and counts the requests each
operation makes: the targets are request counts, not timings.
"""

import datetime
from unittest import mock

from ironic.common import exception
from ironic import objects
from oslo_utils import timeutils

from ironic_expether import eem
from ironic_expether.eem_access import utils as driver_utils
from ironic_expether.emulator import inventory
from ironic_expether.pool import claims
from ironic_expether.pool import compose
from ironic_expether.pool.db import api
from ironic_expether.pool import discovery
from ironic_expether.tests.unit import base as unit_base
from ironic_expether.tests.unit.pool import base
from ironic_expether.tests.unit.pool import eem_counting

URL = 'http://eem-7.test:30500/eem'
#: How an EEM failure reaches the caller (a 503 once issue 9 lands).
EEM_FAILURE = (exception.DriverOperationError, exception.TemporaryFailure)
CARDS = {pci_type: inventory.PCI_CATALOGUE[pci_type][1][0]
         for pci_type in ('GPU', 'NIC', 'SSD')}


def eesv_id(n):
    return '0x8cdf9d5300%02x' % n


def eeio_id(n):
    return '0x8cdf9d9100%02x' % n


class EmulatedPoolTestCase(base.PoolTestCase):
    """The pool against the emulator's rules, with counted requests."""

    def setUp(self):
        super().setUp()
        self.config(**unit_base.expether_enabled())
        driver_utils.clear_client_cache()
        self.addCleanup(driver_utils.clear_client_cache)
        devices = [inventory.make_eesv(eesv_id(n), update_time='1')
                   for n in (1, 2)]
        for n in range(1, 7):
            pci_type = ('GPU', 'NIC', 'SSD')[(n - 1) // 2]
            devices.append(inventory.make_eeio(eeio_id(n), CARDS[pci_type],
                                               update_time='1'))
        self.eem = eem_counting.EmulatedEEM(devices)
        patcher = mock.patch.object(driver_utils, 'get_client',
                                    autospec=True,
                                    return_value=self.eem.client)
        patcher.start()
        self.addCleanup(patcher.stop)
        self.podm = api.create_pod_manager({'name': 'pod', 'url': URL})
        discovery.sync(self.context)
        self.assertEqual(6, len(api.list_devices(state='free')))
        self.eem.reset()

    def compose(self, types, name='node1'):
        return compose.compose(self.context, name, podm_uuid=self.podm.uuid,
                               types=types)

    def assertEEMAgrees(self):
        """Every pool device is where EEM says, nothing stays claimed."""
        for device in api.list_devices():
            group = self.eem.group(device.eeid)
            self.assertNotEqual('claimed', device.state, device.eeid)
            if device.state == 'free':
                self.assertEqual('4093', group, device.eeid)
            elif device.node_uuid is None:
                # In the group of a server outside Ironic.
                self.assertNotIn(group, ('4093', '4094'), device.eeid)
            else:
                node = objects.Node.get_by_uuid(self.context,
                                                device.node_uuid)
                self.assertEqual(
                    self.eem.group(node.driver_info['eesv_id']), group)

    def take_server(self, n):
        """Give server engine n a group of its own, outside Ironic."""
        return self.eem.state.set_group(eesv_id(n), None)['group_id']


class EEMRequestsTestCase(EmulatedPoolTestCase):

    # Targets

    def test_compose_k_devices_server_in_default_group(self):
        for k, types in enumerate((['GPU'], ['GPU', 'NIC']), start=1):
            self.eem.reset()
            node = self.compose(types, name='node%d' % k)
            # One listing, one group for the server, one move per device.
            self.assertEqual({eem_counting.LIST: 1, eem_counting.PUT: k + 1},
                             dict(self.eem.counts))
            self.assertEqual(k, len(api.list_devices(node_uuid=node.uuid)))
        self.assertEEMAgrees()

    def test_compose_k_devices_server_with_own_group(self):
        self.take_server(1)
        self.take_server(2)
        node = self.compose(['GPU', 'NIC', 'SSD'])
        self.assertEqual({eem_counting.LIST: 1, eem_counting.PUT: 3},
                         dict(self.eem.counts))
        self.assertEqual(3, len(api.list_devices(node_uuid=node.uuid,
                                                 state='allocated')))
        self.assertEEMAgrees()

    def test_attach_detach_release(self):
        node = self.compose(['GPU'])
        free = api.list_devices(state='free', type='NIC')
        self.eem.reset()
        claims.attach(node, free[0].uuid)
        self.assertLessEqual(self.eem.total, 3)
        self.eem.reset()
        claims.detach(node, free[0].eeid)
        self.assertLessEqual(self.eem.total, 2)
        self.assertEqual(1, self.eem.counts[eem_counting.DELETE])
        for device in free:
            claims.attach(node, device.uuid)
        held = api.list_devices(node_uuid=node.uuid)
        self.assertEqual(3, len(held))
        self.eem.reset()
        released = claims.release(node)
        self.assertEqual(3, len(released))
        self.assertLessEqual(self.eem.total, len(held) + 1)
        self.assertEqual(len(held), self.eem.counts[eem_counting.DELETE])
        self.assertEEMAgrees()

    def test_compose_failing_at_device_j_rolls_back(self):
        # Moves: the server's group, then GPU, NIC, SSD; the SSD's fails.
        self.eem.fail('set_group', nth=4)
        self.assertRaises(EEM_FAILURE, self.compose,
                          ['GPU', 'NIC', 'SSD'])
        moves = self.eem.counts[eem_counting.PUT] - 1   # the failed one
        # Listing, the moves, then at most one read plus one undo per move.
        undone = self.eem.counts[eem_counting.DELETE]
        self.assertEqual(moves - 1, undone)  # the server's group stays
        self.assertLessEqual(self.eem.total, 1 + (moves + 1) + undone + 1)
        self.assertEqual([], objects.Node.list(self.context))
        self.assertEqual(6, len(api.list_devices(state='free')))
        self.assertEEMAgrees()

    # Safety without re-reads

    def test_device_moved_outside_ironic_before_its_move(self):
        # Server 2 runs outside Ironic with an SSD: compose takes server 1.
        other = self.take_server(2)
        self.eem.state.set_group(eeio_id(5), other)
        outside = []

        def move_it(eeid, *args):
            # The device compose is about to move goes to a server outside
            # Ironic: the move is refused on update_time, another device
            # of the type is taken.
            outside.append(eeid)
            self.eem.state.set_group(eeid, other)

        self.eem.before('set_group', nth=2, hook=move_it)
        node = self.compose(['GPU'])
        held = api.list_devices(node_uuid=node.uuid)
        self.assertEqual(1, len(held))
        self.assertNotEqual(outside[0], held[0].eeid)
        # Never taken back from the server outside Ironic.
        self.assertEqual(other, self.eem.group(outside[0]))
        discovery.sync(self.context)
        self.assertEEMAgrees()

    # Lost answers (issue 9)

    def test_compose_lost_answer_applied_is_undone(self):
        # The NIC's move happens, its answer is lost, then the SSD fails.
        self.eem.lose_answer('set_group', nth=3)
        self.eem.fail('set_group', nth=4)
        self.assertRaises(EEM_FAILURE, self.compose,
                          ['GPU', 'NIC', 'SSD'])
        self.assertEqual([], objects.Node.list(self.context))
        self.assertEqual(6, len(api.list_devices(state='free')))
        self.assertEEMAgrees()

    def test_compose_lost_answer_then_eem_gone_keeps_claim(self):
        self.eem.lose_answer('set_group', nth=3)
        # EEM stops answering: the re-read of the NIC and the rollback's
        # listing of the group (after compose's own listing) fail too.
        self.eem.fail('get_device', nth=1)
        self.eem.fail('list_devices', nth=2)
        self.assertRaises(EEM_FAILURE, self.compose,
                          ['GPU', 'NIC'])
        nic = api.list_devices(type='NIC', state='claimed')
        self.assertEqual(1, len(nic))
        self.assertNotEqual('4093', self.eem.group(nic[0].eeid))
        # Once EEM answers and the claim is old, discovery returns it.
        self.config(claim_timeout=1, group='expether')
        later = timeutils.utcnow() + datetime.timedelta(seconds=5)
        with mock.patch.object(timeutils, 'utcnow', autospec=True,
                               return_value=later):
            discovery.sync(self.context)
        self.assertEqual('4093', self.eem.group(nic[0].eeid))
        self.assertEqual(6, len(api.list_devices(state='free')))
        self.assertEqual([], objects.Node.list(self.context))
        self.assertEEMAgrees()

    def test_compose_retried_after_rollback(self):
        self.eem.fail('set_group', nth=3)
        self.assertRaises(EEM_FAILURE, self.compose,
                          ['GPU', 'NIC'])
        node = self.compose(['GPU', 'NIC'])
        self.assertEqual('node1', node.name)
        self.assertEEMAgrees()

    def test_attach_lost_answer_applied_is_attached(self):
        self.take_server(1)
        self.take_server(2)
        node = self.compose([])
        nic = api.list_devices(state='free', type='NIC')[0]
        self.eem.lose_answer('set_group', nth=1,
                             error=eem.EEMMalformedResponse(
                                 'PUT', 'devices/x/group_id', 200,
                                 'truncated'))
        device = claims.attach(node, nic.uuid)
        self.assertEqual(('allocated', node.uuid),
                         (device.state, device.node_uuid))
        self.assertEEMAgrees()

    def test_attach_lost_answer_not_applied_fails(self):
        self.take_server(1)
        self.take_server(2)
        node = self.compose([])
        nic = api.list_devices(state='free', type='NIC')[0]
        self.eem.fail('set_group', nth=1, error=eem.EEMTimeout(
            'PUT', 'devices/x/group_id', 5.0))
        self.assertRaises(EEM_FAILURE, claims.attach, node,
                          nic.uuid)
        self.assertEqual(('free', None), (api.get_device(nic.uuid).state,
                                          api.get_device(nic.uuid).node_uuid))
        self.assertEEMAgrees()

    def test_detach_lost_answer_applied_is_detached(self):
        node = self.compose(['NIC'])
        nic = api.list_devices(node_uuid=node.uuid)[0]
        self.eem.lose_answer('delete_group', nth=1)
        device = claims.detach(node, nic.uuid)
        self.assertEqual(('free', None), (device.state, device.node_uuid))
        self.assertEEMAgrees()


class Crash(BaseException):
    """The conductor dies here (not an Exception: nothing rolls back)."""


class ConductorCrashTestCase(EmulatedPoolTestCase):
    """A compose whose conductor died is undone by discovery."""

    def crash_compose(self, nth):
        def crash(*args):
            raise Crash()

        self.eem.before('set_group', nth=nth, hook=crash)
        self.assertRaises(Crash, self.compose, ['GPU', 'NIC'])
        node, = objects.Node.list(self.context)
        self.assertIn(compose.COMPOSING_PROPERTY, node.properties)
        # SIGKILL: no finally ran, the dead conductor still holds it.
        node.reservation = 'dead-conductor'
        node.save()
        return node

    def sync_later(self, offline=('dead-conductor',)):
        later = timeutils.utcnow() + datetime.timedelta(seconds=301)
        with mock.patch.object(timeutils, 'utcnow', autospec=True,
                               return_value=later), \
                mock.patch('ironic.db.sqlalchemy.api.Connection.'
                           'get_offline_conductors', autospec=True,
                           return_value=list(offline)):
            return discovery.sync(self.context)

    def test_crash_between_moves_undone_after_claim_timeout(self):
        node = self.crash_compose(nth=3)   # after the GPU, before the NIC
        self.assertEqual(1, len(api.list_devices(node_uuid=node.uuid,
                                                 state='allocated')))
        # Within claim_timeout: a compose may still be running.
        discovery.sync(self.context)
        self.assertEqual(1, len(objects.Node.list(self.context)))
        result, = self.sync_later()
        self.assertEqual(1, result['changes']['compositions_undone'])
        self.assertEqual([], objects.Node.list(self.context))
        self.assertEqual(6, len(api.list_devices(state='free')))
        self.assertEEMAgrees()
        # The name is free again: the retried compose succeeds.
        node = self.compose(['GPU', 'NIC'])
        self.assertEqual(2, len(api.list_devices(node_uuid=node.uuid)))
        self.assertNotIn(compose.COMPOSING_PROPERTY, node.properties)
        self.assertEEMAgrees()

    def test_live_conductor_left_alone(self):
        node = self.crash_compose(nth=2)
        result, = self.sync_later(offline=())
        self.assertNotIn('compositions_undone', result['changes'])
        node.refresh()
        self.assertEqual('dead-conductor', node.reservation)

    def test_conductor_registered_with_its_json_rpc_port_undone(self):
        # Ironic reserves with [DEFAULT]host but registers host:port.
        node = self.crash_compose(nth=3)
        result, = self.sync_later(offline=('dead-conductor:48057',))
        self.assertEqual(1, result['changes']['compositions_undone'])
        self.assertRaises(exception.NodeNotFound, objects.Node.get_by_uuid,
                          self.context, node.uuid)
        self.assertEEMAgrees()

    def test_other_port_of_a_name_is_another_conductor(self):
        node = self.crash_compose(nth=2)
        result, = self.sync_later(offline=('dead-conductor-2:48057',
                                           'dead-conductor:x'))
        self.assertNotIn('compositions_undone', result['changes'])
        node.refresh()
        self.assertEqual('dead-conductor', node.reservation)

    def test_restarted_conductor_undone(self):
        # Ironic clears a restarted conductor's reservations itself.
        node = self.crash_compose(nth=3)
        objects.Node.release(self.context, 'dead-conductor', node.id)
        self.sync_later(offline=())
        self.assertEqual([], objects.Node.list(self.context))
        self.assertEEMAgrees()
