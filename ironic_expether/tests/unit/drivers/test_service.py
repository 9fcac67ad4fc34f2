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

"""Service steps attach_devices, detach_devices, release_devices; limits."""

from unittest import mock

from ironic.common import exception
from ironic.common import states
from ironic.conductor import task_manager
from ironic.conductor import utils as conductor_utils
from ironic import objects
from oslo_utils import timeutils

from ironic_expether.pool import claims
from ironic_expether.pool.db import api
from ironic_expether.pool import describe
from ironic_expether.tests.unit.drivers import base
from ironic_expether.tests.unit.pool import fakes


class ServiceStepsTestCase(base.ComposeTestCase):

    def setUp(self):
        super().setUp()
        self.fabric.add_eesv(1, group_id='101')
        self.fabric.add_eesv(2, group_id='102')
        self.devices = self.add_pool_devices(
            self.podm, [(1, 'GPU'), (2, 'GPU'), (3, 'SSD'), (4, 'NIC')])
        self.node = self.enroll(1, owner='tenant-a',
                                provision_state=states.ACTIVE)
        self.other = self.enroll(2, owner='tenant-a',
                                 provision_state=states.ACTIVE)

    def _run(self, step, node=None, **args):
        node = node or self.node
        with task_manager.acquire(self.context, node.uuid,
                                  shared=False) as task:
            return getattr(task.driver.vendor, step)(task, **args)

    def _held(self, node=None):
        return sorted((d.eeid, d.type, d.purpose, d.state) for d in
                      api.list_devices(node_uuid=(node or self.node).uuid))

    def _traits(self, node=None):
        node = node or self.node
        return set(objects.TraitList.get_by_node_id(
            self.context, node.id).get_trait_names())

    def _history(self):
        return [h.event for h in objects.NodeHistory.list_by_node_id(
            self.context, self.node.id)]

    def test_steps_are_declared(self):
        with task_manager.acquire(self.context, self.node.uuid) as task:
            steps = {s['step']: s for s in
                     task.driver.vendor.get_service_steps(task)}
            clean = [s['step'] for s in
                     task.driver.vendor.get_clean_steps(task)]
            verify = [s['step'] for s in
                      task.driver.vendor.get_verify_steps(task)]
        self.assertEqual({'attach_devices', 'detach_devices',
                          'release_devices'}, set(steps))
        for step in steps.values():
            self.assertFalse(step['requires_ramdisk'])
            self.assertEqual(0, step['priority'])
        self.assertEqual({'pci_device', 'resource_ids', 'reboot_after'},
                         set(steps['attach_devices']['argsinfo']))
        self.assertEqual({'resource_ids', 'types', 'reboot_after'},
                         set(steps['detach_devices']['argsinfo']))
        self.assertIn('release_devices', clean)
        self.assertEqual(['tag_expether_node'], verify)

    def test_attach_by_type(self):
        self._run('attach_devices', pci_device={'type': ['GPU']})
        held = self._held()
        self.assertEqual(1, len(held))
        eeid, pci_type, purpose, state = held[0]
        self.assertEqual(('GPU', 'service', 'allocated'),
                         (pci_type, purpose, state))
        self.assertEqual('101', self.fabric.group(eeid))
        node = objects.Node.get_by_uuid(self.context, self.node.uuid)
        self.assertEqual([eeid], [d['id'] for d in
                                  node.properties['expether_devices']])
        self.assertEqual({'CUSTOM_EXPETHER', 'CUSTOM_EXPETHER_GPU'},
                         self._traits())
        history = self._history()
        self.assertEqual(1, len(history))
        self.assertIn('attached device %s (GPU' % eeid, history[0])
        self.assertIn('project', history[0])

    def test_attach_by_id_and_type_with_repeats(self):
        self._run('attach_devices', pci_device={'type': ['GPU', 'GPU']},
                  resource_ids=[fakes.eeio_id(3)])
        self.assertEqual(['GPU', 'GPU', 'SSD'],
                         sorted(t for _e, t, _p, _s in self._held()))
        for n in (1, 2, 3):
            self.assertEqual('101', self.fabric.group(fakes.eeio_id(n)))
        self.assertEqual({'CUSTOM_EXPETHER', 'CUSTOM_EXPETHER_GPU',
                          'CUSTOM_EXPETHER_SSD'}, self._traits())

    def test_failure_rolls_back_and_names_device_and_step(self):
        # One PUT per device: the 2nd (the SSD) fails in EEM.
        self.fabric.fail_set_group_at = self.fabric.set_group_calls + 2
        exc = self.assertRaises(exception.TemporaryFailure, self._run,
                                'attach_devices',
                                pci_device={'type': ['GPU']},
                                resource_ids=[fakes.eeio_id(3)])
        self.assertIn(fakes.eeio_id(3), str(exc))
        self.assertIn('attaching device %s to group 101'
                      % fakes.eeio_id(3), str(exc))
        self.assertRegex(str(exc),
                         r'Returned to the pool: 0x8cdf9d91000[12]\.')
        self.assertNotIn(fakes.PASSWORD, str(exc))
        self.assertEqual([], self._held())
        for device in self.devices:
            self.assertEqual('4093', self.fabric.group(device.eeid))
            self.assertEqual('free', api.get_device(device.uuid).state)
        node = objects.Node.get_by_uuid(self.context, self.node.uuid)
        self.assertNotIn('expether_devices', node.properties)
        self.assertEqual({'CUSTOM_EXPETHER'}, self._traits())
        self.assertIn('attach_devices failed', self._history()[-1])

    def test_no_free_device_left(self):
        exc = self.assertRaises(exception.Conflict, self._run,
                                'attach_devices',
                                pci_device={'type': ['SSD', 'SSD']})
        self.assertIn('a free SSD device', str(exc))
        self.assertEqual([], self._held())
        self.assertEqual('4093', self.fabric.group(fakes.eeio_id(3)))

    def test_bad_arguments(self):
        cases = [({}, exception.MissingParameterValue, 'pci_device'),
                 ({'pci_device': {'type': ['FPGA']}},
                  exception.InvalidParameterValue, 'pci_device'),
                 ({'resource_ids': ['gpu0']},
                  exception.InvalidParameterValue, 'resource_ids'),
                 ({'reboot_after': 'maybe'},
                  exception.InvalidParameterValue, 'reboot_after'),
                 ({'force': True}, exception.InvalidParameterValue,
                  'force')]
        for args, error, field in cases:
            exc = self.assertRaises(error, self._run, 'attach_devices',
                                    **args)
            self.assertIn(field, str(exc))
        exc = self.assertRaises(exception.MissingParameterValue, self._run,
                                'detach_devices')
        self.assertIn('types', str(exc))
        self.client.set_group.assert_not_called()

    def test_unknown_device(self):
        exc = self.assertRaises(exception.NotFound, self._run,
                                'attach_devices',
                                resource_ids=['0x8cdf9d9100ff'])
        self.assertIn('0x8cdf9d9100ff', str(exc))
        self.client.set_group.assert_not_called()

    @mock.patch.object(conductor_utils, 'node_power_action', autospec=True)
    def test_reboot_after(self, mock_power):
        self._run('attach_devices', pci_device={'type': ['NIC']},
                  reboot_after=True)
        mock_power.assert_called_once_with(mock.ANY, states.REBOOT)
        mock_power.reset_mock()
        self._run('detach_devices', types=['NIC'])
        mock_power.assert_not_called()

    def test_detach_by_type_keeps_deployment_devices(self):
        api.update_device(self.devices[0].uuid, {
            'state': 'allocated', 'node_uuid': self.node.uuid,
            'purpose': 'composition', 'group_id': '101'})
        self.fabric.raw[fakes.eeio_id(1)]['group_id'] = '101'
        api.update_device(self.devices[1].uuid, {
            'state': 'allocated', 'node_uuid': self.node.uuid,
            'purpose': 'deployment', 'group_id': '101'})
        self.fabric.raw[fakes.eeio_id(2)]['group_id'] = '101'
        self._run('attach_devices', resource_ids=[fakes.eeio_id(3)])
        self._run('detach_devices', types=['GPU', 'SSD'])
        self.assertEqual([(fakes.eeio_id(2), 'GPU', 'deployment',
                           'allocated')], self._held())
        self.assertEqual('4093', self.fabric.group(fakes.eeio_id(1)))
        self.assertEqual('4093', self.fabric.group(fakes.eeio_id(3)))
        self.assertEqual({'CUSTOM_EXPETHER'}, self._traits())
        events = self._history()
        self.assertTrue(any('returned device %s' % fakes.eeio_id(1) in e
                            for e in events))

    def test_detach_device_not_held(self):
        self._run('attach_devices', resource_ids=[fakes.eeio_id(1)])
        exc = self.assertRaises(exception.Conflict, self._run,
                                'detach_devices',
                                resource_ids=[fakes.eeio_id(1),
                                              fakes.eeio_id(2)])
        self.assertIn(fakes.eeio_id(2), str(exc))
        self.assertEqual('101', self.fabric.group(fakes.eeio_id(1)))

    def test_release_devices_service_and_clean(self):
        api.update_device(self.devices[3].uuid, {
            'state': 'allocated', 'node_uuid': self.node.uuid,
            'purpose': 'composition', 'group_id': '101'})
        self.fabric.raw[fakes.eeio_id(4)]['group_id'] = '101'
        self._run('attach_devices', pci_device={'type': ['GPU', 'SSD']})
        self._run('release_devices')
        self.assertEqual([(fakes.eeio_id(4), 'NIC', 'composition',
                           'allocated')], self._held())
        node = objects.Node.get_by_uuid(self.context, self.node.uuid)
        self.assertEqual(['NIC'], [d['type'] for d in
                                   node.properties['expether_devices']])

    def test_history_names_user(self):
        self.context.user_id = 'alice'
        self.context.project_id = 'tenant-a'
        self._run('attach_devices', pci_device={'type': ['NIC']})
        history = objects.NodeHistory.list_by_node_id(self.context,
                                                      self.node.id)
        self.assertEqual('alice', history[0].user)
        self.assertIn('user alice, project tenant-a', history[0].event)

    def test_verify_step_tags_node(self):
        self.assertEqual(set(), self._traits())
        self._run('tag_expether_node')
        self._run('tag_expether_node')
        self.assertEqual({describe.NODE_TRAIT}, self._traits())

    def test_verify_step_never_fails_verification(self):
        with mock.patch.object(describe, '_add_trait', autospec=True,
                               side_effect=RuntimeError('database is '
                                                        'locked')):
            self._run('tag_expether_node')
        self.assertEqual(set(), self._traits())

    # Limits

    def test_owner_limit_counts_other_nodes(self):
        self.config(max_devices_per_owner={'GPU': '1'}, group='expether')
        self._run('attach_devices', node=self.other,
                  pci_device={'type': ['GPU']})
        calls = self.fabric.set_group_calls
        exc = self.assertRaises(exception.Conflict, self._run,
                                'attach_devices',
                                pci_device={'type': ['GPU']})
        self.assertIn('[expether]max_devices_per_owner GPU=1', str(exc))
        self.assertIn('tenant-a', str(exc))
        self.assertIn('nothing was attached', str(exc))
        self.assertEqual(calls, self.fabric.set_group_calls)
        self.assertEqual([], self._held())
        # Other types, and nodes of another owner, are not limited.
        self._run('attach_devices', pci_device={'type': ['SSD']})
        self.node.owner = 'tenant-b'
        self.node.save()
        self._run('attach_devices', pci_device={'type': ['GPU']})

    def test_node_limit_lowered_by_driver_info(self):
        self.config(max_devices_per_node=3, group='expether')
        self.node.driver_info = dict(self.node.driver_info,
                                     expether_max_devices='1')
        self.node.save()
        self._run('attach_devices', pci_device={'type': ['GPU']})
        exc = self.assertRaises(exception.Conflict, self._run,
                                'attach_devices',
                                pci_device={'type': ['SSD']})
        self.assertIn('driver_info/expether_max_devices', str(exc))

    def test_node_value_cannot_raise_the_limit(self):
        self.config(max_devices_per_node=1,
                    max_devices_per_owner={'GPU': '1'}, group='expether')
        self.node.driver_info = dict(
            self.node.driver_info, expether_max_devices=10,
            expether_max_devices_per_owner={'GPU': 5})
        self.node.save()
        exc = self.assertRaises(exception.Conflict, self._run,
                                'attach_devices',
                                pci_device={'type': ['GPU', 'GPU']})
        self.assertIn('max_devices_per_node', str(exc))

    def test_bad_node_limit(self):
        self.node.driver_info = dict(self.node.driver_info,
                                     expether_max_devices_per_owner='GPU')
        self.node.save()
        exc = self.assertRaises(exception.InvalidParameterValue, self._run,
                                'attach_devices',
                                pci_device={'type': ['GPU']})
        self.assertIn('expether_max_devices_per_owner', str(exc))

    def test_concurrent_claim_gives_way_before_any_move(self):
        # Another conductor claims a GPU for another node of the same
        # owner between this step's early check and its own claim.
        self.config(max_devices_per_owner={'GPU': '1'}, group='expether')
        real_claim = claims.claim_free_device

        def racing_claim(*args, **kwargs):
            api.compare_and_set_device(
                self.devices[1].uuid, {'state': 'free'},
                {'state': 'claimed', 'node_uuid': self.other.uuid,
                 'purpose': 'service', 'claimed_at': timeutils.utcnow()})
            return real_claim(*args, **kwargs)

        with mock.patch.object(claims, 'claim_free_device', autospec=True,
                               side_effect=racing_claim):
            exc = self.assertRaises(exception.Conflict, self._run,
                                    'attach_devices',
                                    pci_device={'type': ['GPU']})
        self.assertIn('concurrent request', str(exc))
        self.client.set_group.assert_not_called()
        self.assertEqual([], self._held())
        self.assertEqual('free', api.get_device(self.devices[0].uuid).state)
