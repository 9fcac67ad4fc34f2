#!/usr/bin/env python3
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

"""Check that the plugin's imports point down its layers, and only down.

The layers (``doc/source/architecture.rst``), from the bottom up; a module
imports only from its own layer or the layers below it:

1. ``conf``: the options;
2. ``eem``: the EEM client library (no Ironic or oslo import either);
3. ``eem_access``: Ironic-side EEM access (driver_info, client cache, error
   table, fabric moves, power snapshot);
4. ``pool``: the device pool;
5. ``valence``: the Valence API on the conductor side (passthru, schemas,
   views);
6. ``drivers``: the Ironic interfaces, the top floor.

Apart from the layers stand programs that import only what they list
(:data:`APART`), and no layer imports them. Every import counts, also
one in a function body. Standard library only, so that ``tox -e pep8``
runs it without installing the plugin::

    python tools/check_layers.py [ROOT]

Exit status 0 when every import is allowed, 1 otherwise (each offending
import is printed as ``path:line: module imports target (layer a above
layer b)``).
"""

import ast
import os
import sys

PACKAGE = 'ironic_expether'

#: The layers from the bottom up: (name, module prefixes).
LAYERS = (
    ('conf', ('ironic_expether.conf',)),
    ('eem', ('ironic_expether.eem',)),
    ('eem_access', ('ironic_expether.eem_access',)),
    ('pool', ('ironic_expether.pool',)),
    ('valence', ('ironic_expether.valence.passthru',
                 'ironic_expether.valence.schemas',
                 'ironic_expether.valence.views')),
    ('drivers', ('ironic_expether.drivers',)),
)

#: Programs apart from the layers: name -> (module prefixes, the layers
#: and apart programs it may import besides itself).
APART = {
    # The EEM emulator imports nothing of the plugin, not even the client.
    'emulator': (('ironic_expether.emulator',), ()),
    # The Valence REST facade is its own process; it speaks HTTP to Ironic.
    'valence_api': (('ironic_expether.valence.facade',
                     'ironic_expether.valence.auth',
                     'ironic_expether.valence.ironic_client',
                     'ironic_expether.valence.errors',
                     'ironic_expether.valence.auth',
                     'ironic_expether.valence.opts',
                     'ironic_expether.cmd.valence_api'), ()),
    # The baremetal CLI plugin speaks HTTP to Ironic; it shares the EEM
    # client's constants (device types, EE id pattern).
    'cli': (('ironic_expether.cli',), ('eem',)),
    'standalone': (('ironic_expether.standalone',
                    'ironic_expether.cmd.standalone'), ()),
    'dbsync': (('ironic_expether.cmd.dbsync',), ('conf', 'pool')),
}

#: Package ``__init__`` modules that only group others: anyone may import
#: them, and they import nothing of the plugin.
NAMESPACES = frozenset(['ironic_expether', 'ironic_expether.cmd',
                        'ironic_expether.valence'])

#: Third-party top-level packages a layer or program must not import.
FORBIDDEN_EXTERNAL = {
    'eem': ('ironic', 'oslo_'),
    'emulator': ('ironic', 'oslo_'),
}

#: Imports allowed against the rules: (module, imported module) -> why.
#: Keep it empty unless Ironic's load order forces an exception, and say
#: which. (The periodic task's import of the pool in a function body,
#: ``drivers/periodics.py``, is there for the load order but points down,
#: so it needs no entry.)
ALLOWLIST = {}

_RANK = {name: rank for rank, (name, _) in enumerate(LAYERS)}

#: The unit tests: ``tests/unit/<layer>/`` tests that layer and imports
#: nothing of a layer above it, neither directly nor through a test helper
#: of a higher layer's folder. Modules directly under ``tests/unit/`` that
#: are not tests (shared fixtures) count as this layer.
TESTS = 'ironic_expether.tests.unit'
TESTS_SHARED_LAYER = 'eem_access'

_THROUGH_DRIVER = ('the conductor runs the passthru through the node\'s '
                   'driver: the test resets and patches its BMC interfaces')

#: Test imports allowed against the rule: (test module, imported module)
#: -> why. Shrink it, never grow it.
TESTS_ALLOWLIST = {
    ('ironic_expether.tests.unit.valence.test_passthru',
     'ironic_expether.drivers.power'): _THROUGH_DRIVER,
    ('ironic_expether.tests.unit.valence.test_passthru',
     'ironic_expether.drivers.management'): _THROUGH_DRIVER,
}


def _match(module, prefixes):
    """The length of the longest of prefixes that module is in, or 0."""
    best = 0
    for prefix in prefixes:
        if module == prefix or module.startswith(prefix + '.'):
            best = max(best, len(prefix))
    return best


def unit_of(module):
    """The layer or apart program a module belongs to, or None."""
    best, found = 0, None
    for name, prefixes in LAYERS:
        length = _match(module, prefixes)
        if length > best:
            best, found = length, name
    for name, (prefixes, _) in APART.items():
        length = _match(module, prefixes)
        if length > best:
            best, found = length, name
    return found


def _module_name(root, path):
    rel = os.path.relpath(path, root)[:-len('.py')].split(os.sep)
    if rel[-1] == '__init__':
        rel = rel[:-1]
    return '.'.join(rel)


def _is_module(root, name):
    base = os.path.join(root, *name.split('.'))
    return (os.path.isfile(base + '.py')
            or os.path.isfile(os.path.join(base, '__init__.py')))


def imports_of(root, path, module):
    """Yield (line, imported module) for every import.

    ``from a import b`` counts as an import of ``a.b`` when that is a
    module, else of ``a``. Relative imports are resolved.
    """
    with open(path, encoding='utf-8') as f:
        tree = ast.parse(f.read(), filename=path)
    is_package = path.endswith('__init__.py')
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                parts = module.split('.')
                if not is_package:
                    parts = parts[:-1]
                parts = parts[:len(parts) - (node.level - 1)]
                base = '.'.join(parts + ([base] if base else []))
            for alias in node.names:
                full = '%s.%s' % (base, alias.name)
                if base.split('.')[0] == PACKAGE and _is_module(root, full):
                    yield node.lineno, full
                else:
                    yield node.lineno, base


def _check_one(unit, module, target):
    """The reason an import breaks the rules, or None."""
    if (module, target) in ALLOWLIST:
        return None
    top = target.split('.')[0]
    if top != PACKAGE:
        for prefix in FORBIDDEN_EXTERNAL.get(unit, ()):
            if top == prefix or (prefix.endswith('_')
                                 and top.startswith(prefix)):
                return '%s must not import %s' % (unit, top)
        return None
    if module in NAMESPACES:
        return 'a namespace package imports nothing of the plugin'
    if target in NAMESPACES:
        return None
    target_unit = unit_of(target)
    if target_unit is None:
        return '%s is in no layer of tools/check_layers.py' % target
    if target_unit == unit:
        return None
    if unit in APART:
        if target_unit in APART[unit][1]:
            return None
        return '%s stands apart and may import only %s' % (
            unit, ', '.join(APART[unit][1]) or 'itself')
    if target_unit in APART:
        return 'layer %s imports the program %s' % (unit, target_unit)
    if _RANK[target_unit] > _RANK[unit]:
        return 'layer %s above layer %s' % (target_unit, unit)
    return None


def check(root):
    """Check every module of the plugin (tests excluded) under root.

    :param root: the directory holding the ``ironic_expether`` package.
    :returns: a list of ``path:line: message`` strings, empty if fine.
    """
    problems = []
    top = os.path.join(root, PACKAGE)
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = sorted(d for d in dirnames
                             if d not in ('tests', '__pycache__'))
        for filename in sorted(filenames):
            if not filename.endswith('.py'):
                continue
            path = os.path.join(dirpath, filename)
            module = _module_name(root, path)
            unit = unit_of(module)
            if unit is None and module not in NAMESPACES:
                problems.append('%s:1: %s is in no layer of '
                                'tools/check_layers.py' % (path, module))
                continue
            for line, target in imports_of(root, path, module):
                reason = _check_one(unit, module, target)
                if reason:
                    problems.append('%s:%d: %s imports %s (%s)' % (
                        path, line, module, target, reason))
    return problems


def test_unit_of(module):
    """The layer a unit test module tests, or None if it tests none.

    :param module: a module under :data:`TESTS`.
    """
    rest = module[len(TESTS) + 1:].split('.') if module != TESTS else []
    if len(rest) >= 2 and rest[0] in _RANK:
        return rest[0]
    if len(rest) == 1 and not rest[0].startswith('test_'):
        return TESTS_SHARED_LAYER
    return None


def _check_test_import(unit, module, target):
    """The reason a test's import breaks the rule, or None."""
    if (module, target) in TESTS_ALLOWLIST:
        return None
    if target.split('.')[0] != PACKAGE or target in NAMESPACES:
        return None
    if target == TESTS or target.startswith(TESTS + '.'):
        target_unit = test_unit_of(target)
    elif target.startswith(PACKAGE + '.tests'):
        return None
    else:
        target_unit = unit_of(target)
    if target_unit not in _RANK:
        # Programs apart (the emulator) are test tools here.
        return None
    if _RANK[target_unit] > _RANK[unit]:
        return 'a test of layer %s imports layer %s' % (unit, target_unit)
    return None


def check_tests(root):
    """Check that no unit test imports a layer above the one it tests.

    :param root: the directory holding the ``ironic_expether`` package.
    :returns: a list of ``path:line: message`` strings, empty if fine.
    """
    problems = []
    top = os.path.join(root, *TESTS.split('.'))
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = sorted(d for d in dirnames if d != '__pycache__')
        for filename in sorted(filenames):
            if not filename.endswith('.py'):
                continue
            path = os.path.join(dirpath, filename)
            module = _module_name(root, path)
            unit = test_unit_of(module)
            if unit is None:
                continue
            for line, target in imports_of(root, path, module):
                reason = _check_test_import(unit, module, target)
                if reason:
                    problems.append('%s:%d: %s imports %s (%s)' % (
                        path, line, module, target, reason))
    return problems


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    root = argv[0] if argv else os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))
    problems = check(root) + check_tests(root)
    for problem in problems:
        print(problem)
    if problems:
        print('%d import(s) break the layers of doc/source/architecture.rst'
              % len(problems))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
