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

"""The sample runbooks and the documented runbook policy."""

import os
import types

from ironic.common import context as ironic_context
from ironic.common import policy
from ironic.tests import base as ironic_base
import yaml

from ironic_expether.drivers import service
from ironic_expether.drivers import vendor

ETC = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'etc',
                   'ironic-expether')
RUNBOOKS = os.path.join(ETC, 'runbooks')
POLICY_FILE = os.path.join(ETC, 'runbook-policy.yaml')
RULE = 'baremetal:runbook:use'


class SampleRunbooksTestCase(ironic_base.TestCase):

    def _load(self, name):
        with open(os.path.join(RUNBOOKS, name)) as f:
            return yaml.safe_load(f)

    def test_samples_name_real_steps_with_valid_arguments(self):
        cls = vendor.ExpEtherVendor
        steps = {name: getattr(cls, name) for name in dir(cls)
                 if getattr(getattr(cls, name), '_is_service_step', False)}
        schemas = {'attach_devices': service.ATTACH_SCHEMA,
                   'detach_devices': service.DETACH_SCHEMA}
        names = sorted(os.listdir(RUNBOOKS))
        self.assertEqual(['expether-add-one-gpu.yaml',
                          'expether-return-all-gpus.yaml'], names)
        for name in names:
            runbook = self._load(name)
            self.assertEqual(1, len(runbook), name)
            for step in runbook:
                self.assertEqual({'interface', 'step', 'args', 'order'},
                                 set(step), name)
                self.assertEqual('vendor', step['interface'])
                method = steps[step['step']]
                self.assertFalse(method._service_step_requires_ramdisk)
                self.assertLessEqual(set(step['args']),
                                     set(method._service_step_argsinfo))
                # Raises on a bad argument.
                service._validate(types.SimpleNamespace(uuid=name),
                                  schemas[step['step']], step['step'],
                                  step['args'])


class RunbookPolicyTestCase(ironic_base.TestCase):
    """The documented policy line, through Ironic's own policy engine."""

    def setUp(self):
        super().setUp()
        self.config(auth_strategy='keystone')

    def _use_policy_file(self, path):
        self.config(policy_file=os.path.abspath(path), group='oslo_policy')
        policy._ENFORCER = None
        self.addCleanup(setattr, policy, '_ENFORCER', None)
        policy.get_enforcer().suppress_deprecation_warnings = True

    @staticmethod
    def _ctx(project, roles):
        return ironic_context.RequestContext(
            user_id='u-%s' % project, project_id=project, roles=roles)

    def _allowed(self, ctx, owner, rule=RULE):
        target = dict(ctx.to_policy_values(), **{'runbook.owner': owner})
        return policy.check(rule, target, ctx)

    def test_default_needs_a_manager(self):
        self._use_policy_file(self.policy.policy_file_name)
        self.assertFalse(self._allowed(self._ctx('p1', ['member']), 'p1'))
        self.assertTrue(self._allowed(self._ctx('p1', ['manager']), 'p1'))

    def test_documented_policy_lets_members_use_own_runbooks(self):
        self._use_policy_file(POLICY_FILE)
        member = self._ctx('p1', ['member'])
        self.assertTrue(self._allowed(member, 'p1'))
        self.assertTrue(self._allowed(self._ctx('p1', ['manager']), 'p1'))
        # Not another project's runbook, not a public one, not a reader.
        self.assertFalse(self._allowed(member, 'p2'))
        self.assertFalse(self._allowed(member, None))
        self.assertFalse(self._allowed(self._ctx('p1', ['reader']), 'p1'))

    def test_members_of_the_owner_may_service_their_nodes(self):
        # Ironic 39's default, which the runbook policy relies on.
        self._use_policy_file(POLICY_FILE)
        member = self._ctx('p1', ['member'])
        for rule in ('baremetal:node:set_provision_state',
                     'baremetal:node:set_provision_state:service_steps'):
            target = dict(member.to_policy_values(),
                          **{'node.owner': 'p1', 'node.lessee': None})
            self.assertTrue(policy.check(rule, target, member), rule)
            target['node.owner'] = 'p2'
            self.assertFalse(policy.check(rule, target, member), rule)
