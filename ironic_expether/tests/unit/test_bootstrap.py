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

"""The README's two commands, run in either order, leave each other working.

``./tools/run-tests.sh`` runs tox, and newer tox releases write a PEP 832
``.venv`` redirect file at the project root; ``./tools/run-standalone.sh``
keeps its virtualenv in ``.venv/``. These tests run the real tox with the
project's ``[tox]`` section, and the real standalone script in a temporary
copy with a stand-in Python (so no package is installed).
"""

import configparser
import os
import shutil
import subprocess
import textwrap

import fixtures
from oslotest import base

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..',
                                    '..'))

# Stands in for Python in the standalone script: "-c" checks pass,
# "-m venv DIR" makes DIR/bin/python (failing as venv does when DIR is a
# file), "-m pip install" installs a command that prints its arguments.
STUB_PYTHON = textwrap.dedent("""\
    #!/bin/sh
    case "$1 $2" in
    "-m venv")
        mkdir -p "$3/bin" && cp "$0" "$3/bin/python" ;;
    "-m pip")
        cmd="$(dirname "$0")/ironic-expether-standalone"
        printf '#!/bin/sh\\necho "standalone ran: $*"\\n' > "$cmd"
        chmod +x "$cmd" ;;
    esac
    """)


def _find_tox():
    for candidate in (os.environ.get('EXPETHER_TEST_TOX'),
                      os.path.join(ROOT, '.bootstrap', 'bin', 'tox'),
                      shutil.which('tox')):
        if candidate and os.access(candidate, os.X_OK):
            return candidate


def _clean_env():
    return {k: v for k, v in os.environ.items()
            if k != 'VIRTUAL_ENV' and not k.startswith('TOX_')
            and not k.startswith('OS_')}


class ToxWritesNoRedirectTestCase(base.BaseTestCase):

    def test_tox_leaves_dot_venv_alone(self):
        tox = _find_tox()
        if tox is None:
            self.skipTest('no tox found (./tools/run-tests.sh installs it '
                          'into .bootstrap/, or set EXPETHER_TEST_TOX)')
        project = configparser.ConfigParser(interpolation=None)
        project.read(os.path.join(ROOT, 'tox.ini'))
        tmp = self.useFixture(fixtures.TempDir()).path
        config = configparser.ConfigParser(interpolation=None)
        config['tox'] = dict(project['tox'])
        # The probe stands for py3 (an editable install) without building
        # the package: tox would point the redirect at it.
        config['tox']['venv_redirect_env'] = 'probe'
        config['tox'].pop('envlist', None)
        config['testenv:probe'] = {'skip_install': 'true',
                                   'commands': 'python -c pass'}
        with open(os.path.join(tmp, 'tox.ini'), 'w') as f:
            config.write(f)
        result = subprocess.run([tox, '-e', 'probe'], cwd=tmp,
                                env=_clean_env(), capture_output=True,
                                text=True, timeout=240)
        self.assertEqual(0, result.returncode,
                         result.stdout + result.stderr)
        self.assertFalse(os.path.lexists(os.path.join(tmp, '.venv')),
                         'tox wrote a .venv redirect file')


class StandaloneScriptTestCase(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        os.mkdir(os.path.join(self.tmp, 'tools'))
        for name in ('run-standalone.sh', 'bootstrap-lib.sh'):
            shutil.copy(os.path.join(ROOT, 'tools', name),
                        os.path.join(self.tmp, 'tools', name))
        self.python = os.path.join(self.tmp, 'stub-python')
        with open(self.python, 'w') as f:
            f.write(STUB_PYTHON)
        os.chmod(self.python, 0o755)
        self.venv = os.path.join(self.tmp, '.venv')

    def _run(self):
        env = dict(_clean_env(), PYTHON=self.python)
        return subprocess.run(
            ['bash', os.path.join(self.tmp, 'tools', 'run-standalone.sh'),
             '--help'], cwd=self.tmp, env=env, capture_output=True,
            text=True, timeout=60)

    def test_after_tox_redirect(self):
        with open(self.venv, 'w') as f:
            f.write('.tox/py3\n')
        result = self._run()
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertIn('standalone ran: --help', result.stdout)
        self.assertIn("removing .venv, tox's redirect to .tox/py3",
                      result.stdout)
        self.assertTrue(os.path.isfile(
            os.path.join(self.venv, 'bin', 'ironic-expether-standalone')))

    def test_without_venv(self):
        result = self._run()
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertIn('standalone ran: --help', result.stdout)

    def test_foreign_redirect_kept(self):
        with open(self.venv, 'w') as f:
            f.write('/opt/my-env\n')
        result = self._run()
        self.assertNotEqual(0, result.returncode)
        self.assertIn(".venv is a file (pointing at '/opt/my-env')",
                      result.stderr)
        self.assertNotIn('standalone ran', result.stdout)
        with open(self.venv) as f:
            self.assertEqual('/opt/my-env\n', f.read())
