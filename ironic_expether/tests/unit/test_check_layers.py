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

"""The layer check (tools/check_layers.py): the tree passes, and a planted
upward import in a small tree of its own fails it."""

import importlib.util
import os

import fixtures
from oslotest import base

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..',
                                    '..'))


def _load_checker():
    spec = importlib.util.spec_from_file_location(
        'check_layers', os.path.join(ROOT, 'tools', 'check_layers.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check_layers = _load_checker()

#: A small tree with one module per layer, all imports pointing down.
_TREE = {
    'ironic_expether/__init__.py': '',
    'ironic_expether/conf/__init__.py': 'from oslo_config import cfg\n',
    'ironic_expether/eem/__init__.py': 'import requests\n',
    'ironic_expether/eem_access/__init__.py': '',
    'ironic_expether/eem_access/utils.py': (
        'from ironic.common import exception\n'
        'from ironic_expether import conf\n'
        'from ironic_expether import eem\n'),
    'ironic_expether/pool/__init__.py': '',
    'ironic_expether/pool/claims.py': (
        'from ironic_expether.eem_access import utils\n'
        'from . import compose\n'),
    'ironic_expether/pool/compose.py': '',
    'ironic_expether/valence/__init__.py': '',
    'ironic_expether/valence/passthru.py': (
        'from ironic_expether.pool import claims\n'),
    'ironic_expether/valence/facade.py': (
        'from ironic_expether.valence import errors\n'),
    'ironic_expether/valence/errors.py': '',
    'ironic_expether/drivers/__init__.py': '',
    'ironic_expether/drivers/vendor.py': (
        'from ironic_expether.valence import passthru\n'
        'def f():\n'
        '    from ironic_expether.pool import compose\n'),
    'ironic_expether/emulator/__init__.py': 'import json\n',
    'ironic_expether/tests/__init__.py': (
        'from ironic_expether.drivers import vendor\n'),
    'ironic_expether/tests/unit/__init__.py': '',
    'ironic_expether/tests/unit/base.py': (
        'from ironic_expether.eem_access import utils\n'),
    'ironic_expether/tests/unit/pool/__init__.py': '',
    'ironic_expether/tests/unit/pool/test_claims.py': (
        'from ironic_expether.emulator import inventory\n'
        'from ironic_expether.pool import claims\n'
        'from ironic_expether.tests.unit import base\n'),
    'ironic_expether/tests/unit/drivers/__init__.py': '',
    'ironic_expether/tests/unit/drivers/base.py': (
        'from ironic_expether.drivers import vendor\n'
        'from ironic_expether.tests.unit import base\n'),
    'ironic_expether/tests/unit/drivers/test_vendor.py': (
        'from ironic_expether.pool import claims\n'
        'from ironic_expether.tests.unit.drivers import base\n'),
}


class CheckLayersTestCase(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.root = self.useFixture(fixtures.TempDir()).path
        for path, text in _TREE.items():
            self._write(path, text)

    def _write(self, path, text):
        full = os.path.join(self.root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, 'w') as f:
            f.write(text)

    def _plant(self, path, text):
        self._write(path, text)
        return check_layers.check(self.root)

    def test_project_tree_passes(self):
        self.assertEqual([], check_layers.check(ROOT))
        self.assertEqual(0, check_layers.main([ROOT]))
        self.assertEqual([], check_layers.check_tests(ROOT))

    def test_small_tree_passes(self):
        self.assertEqual([], check_layers.check(self.root))
        self.assertEqual(0, check_layers.main([self.root]))

    def test_upward_import_fails(self):
        problems = self._plant(
            'ironic_expether/pool/compose.py',
            'import os\n'
            'from ironic_expether.drivers import vendor\n')
        self.assertEqual(1, len(problems))
        self.assertIn(os.path.join('ironic_expether', 'pool',
                                   'compose.py') + ':2:', problems[0])
        self.assertIn('ironic_expether.drivers.vendor', problems[0])
        self.assertIn('layer drivers above layer pool', problems[0])
        self.assertEqual(1, check_layers.main([self.root]))

    def test_upward_import_in_function_body_fails(self):
        problems = self._plant(
            'ironic_expether/eem_access/utils.py',
            'def helper():\n'
            '    from ironic_expether.pool import claims\n'
            '    return claims\n')
        self.assertEqual(1, len(problems))
        self.assertIn('utils.py:2:', problems[0])
        self.assertIn('layer pool above layer eem_access', problems[0])

    def test_relative_upward_import_fails(self):
        problems = self._plant('ironic_expether/pool/compose.py',
                               'from ..valence import passthru\n')
        self.assertEqual(1, len(problems))
        self.assertIn('ironic_expether.valence.passthru', problems[0])
        self.assertIn('layer valence above layer pool', problems[0])

    def test_module_import_form_fails(self):
        problems = self._plant('ironic_expether/eem/__init__.py',
                               'import ironic_expether.eem_access.utils\n')
        self.assertEqual(1, len(problems))
        self.assertIn('layer eem_access above layer eem', problems[0])

    def test_eem_importing_ironic_fails(self):
        problems = self._plant('ironic_expether/eem/__init__.py',
                               'from oslo_log import log\n'
                               'from ironic.common import exception\n')
        self.assertEqual(2, len(problems))
        self.assertIn('eem must not import oslo_log', problems[0])
        self.assertIn('eem must not import ironic', problems[1])

    def test_emulator_importing_the_client_fails(self):
        problems = self._plant('ironic_expether/emulator/__init__.py',
                               'from ironic_expether import eem\n')
        self.assertEqual(1, len(problems))
        self.assertIn('emulator stands apart', problems[0])

    def test_layer_importing_a_program_fails(self):
        problems = self._plant('ironic_expether/drivers/vendor.py',
                               'from ironic_expether.valence import facade\n')
        self.assertEqual(1, len(problems))
        self.assertIn('imports the program valence_api', problems[0])

    def test_module_in_no_layer_fails(self):
        problems = self._plant('ironic_expether/newthing/__init__.py', '')
        self.assertEqual(1, len(problems))
        self.assertIn('ironic_expether.newthing is in no layer', problems[0])

    def test_allowlist_lets_one_import_through(self):
        self._write('ironic_expether/pool/compose.py',
                    'from ironic_expether.drivers import vendor\n')
        self.useFixture(fixtures.MockPatchObject(
            check_layers, 'ALLOWLIST',
            {('ironic_expether.pool.compose',
              'ironic_expether.drivers.vendor'): 'a test'}))
        self.assertEqual([], check_layers.check(self.root))

    def test_test_importing_a_higher_layer_fails(self):
        self._write('ironic_expether/tests/unit/pool/test_claims.py',
                    'from ironic_expether.pool import claims\n'
                    'def f():\n'
                    '    from ironic_expether.drivers import vendor\n')
        self.assertEqual([], check_layers.check(self.root))
        problems = check_layers.check_tests(self.root)
        self.assertEqual(1, len(problems))
        self.assertIn('test_claims.py:3:', problems[0])
        self.assertIn('a test of layer pool imports layer drivers',
                      problems[0])
        self.assertEqual(1, check_layers.main([self.root]))

    def test_test_importing_a_higher_layers_helper_fails(self):
        problems = self._plant_test(
            'ironic_expether/tests/unit/pool/test_claims.py',
            'from ironic_expether.tests.unit.drivers import base\n')
        self.assertEqual(1, len(problems))
        self.assertIn('ironic_expether.tests.unit.drivers.base',
                      problems[0])
        self.assertIn('a test of layer pool imports layer drivers',
                      problems[0])

    def test_shared_test_helper_importing_the_pool_fails(self):
        problems = self._plant_test(
            'ironic_expether/tests/unit/base.py',
            'from ironic_expether.pool import claims\n')
        self.assertEqual(1, len(problems))
        self.assertIn('a test of layer eem_access imports layer pool',
                      problems[0])

    def test_test_allowlist_lets_one_import_through(self):
        self._write('ironic_expether/tests/unit/pool/test_claims.py',
                    'from ironic_expether.drivers import vendor\n')
        self.useFixture(fixtures.MockPatchObject(
            check_layers, 'TESTS_ALLOWLIST',
            {('ironic_expether.tests.unit.pool.test_claims',
              'ironic_expether.drivers.vendor'): 'a test'}))
        self.assertEqual([], check_layers.check_tests(self.root))

    def _plant_test(self, path, text):
        self._write(path, text)
        return check_layers.check_tests(self.root)
