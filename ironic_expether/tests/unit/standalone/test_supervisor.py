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


import os
import signal
import sys
import tempfile
import time

from oslotest import base

from ironic_expether.standalone import supervisor


def _python(code):
    return [sys.executable, '-c', code]


class SupervisorTestCase(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix='expether-supervisor-')
        self.sup = supervisor.Supervisor(os.path.join(self.tmp, 'logs'),
                                         stop_timeout=5)
        self.addCleanup(self.sup.stop_all)

    def test_start_waits_for_ready_and_returns_its_value(self):
        marker = os.path.join(self.tmp, 'ready')
        code = ('import time, pathlib; time.sleep(0.5); '
                'pathlib.Path(%r).write_text("yes"); time.sleep(60)' % marker)

        def ready(child):
            return os.path.exists(marker) and 'value'

        child, value = self.sup.start('sleeper', _python(code), ready=ready,
                                      timeout=20)
        self.assertEqual('value', value)
        self.assertTrue(child.running())
        self.assertTrue(os.path.exists(marker))

    def test_child_exiting_early_reports_log_tail(self):
        code = 'print("boom: bad config"); raise SystemExit(3)'
        exc = self.assertRaises(
            supervisor.ChildExited, self.sup.start, 'broken',
            _python(code), ready=lambda child: False, timeout=20)
        self.assertEqual(3, exc.child.returncode)
        self.assertIn('broken exited with status 3', str(exc))
        self.assertIn('boom: bad config', str(exc))

    def test_not_ready_in_time_stops_the_child(self):
        exc = self.assertRaises(
            supervisor.ChildNotReady, self.sup.start, 'slow',
            _python('import time; time.sleep(60)'),
            ready=lambda child: False, timeout=0.5)
        self.assertIn('slow was not ready after', str(exc))
        self.assertFalse(exc.child.running())
        self.assertFalse(supervisor.group_alive(exc.child.pid))

    def test_duplicate_name_refused(self):
        self.sup.start('one', _python('import time; time.sleep(60)'))
        self.assertRaises(ValueError, self.sup.start, 'one',
                          _python('pass'))

    def test_stop_all_reverse_order_and_whole_group(self):
        # The first child forks a grandchild in its group and ignores
        # SIGTERM, so only the group kill can stop both.
        stubborn = ('import os, signal, subprocess, sys, time; '
                    'signal.signal(signal.SIGTERM, signal.SIG_IGN); '
                    'subprocess.Popen([sys.executable, "-c", '
                    '"import signal, time; '
                    'signal.signal(signal.SIGTERM, signal.SIG_IGN); '
                    'time.sleep(60)"]); '
                    'print("forked", flush=True); time.sleep(60)')
        first, _ = self.sup.start(
            'first', _python(stubborn),
            ready=lambda child: 'forked' in child.read_log(), timeout=20)
        second, _ = self.sup.start(
            'second', _python('import time; time.sleep(60)'))
        self.wait_members(first.pid, 2)
        self.sup.stop_timeout = 1
        started = time.monotonic()
        self.assertEqual([], self.sup.stop_all())
        self.assertLess(time.monotonic() - started, 15)
        self.assertFalse(first.running())
        self.assertFalse(second.running())
        self.assertEqual([], supervisor.group_members(first.pid))
        self.assertEqual([], supervisor.group_members(second.pid))
        self.assertEqual(-signal.SIGKILL, first.returncode)
        self.assertEqual(-signal.SIGTERM, second.returncode)

    def wait_members(self, pgid, count):
        deadline = time.monotonic() + 20
        while len(supervisor.group_members(pgid)) < count:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)

    def test_check_reports_dead_child(self):
        child, _ = self.sup.start('short', _python('print("bye")'))
        child.popen.wait(20)
        exc = self.assertRaises(supervisor.ChildExited, self.sup.check)
        self.assertIs(child, exc.child)
        self.assertIn('bye', str(exc))

    def test_read_log_leaves_out_earlier_runs(self):
        log = os.path.join(self.sup.log_dir, 'again.log')
        with open(log, 'w') as stream:
            stream.write('old run: listening\n')
        child, _ = self.sup.start(
            'again', _python('print("new run", flush=True)'))
        child.popen.wait(20)
        self.assertIn('new run', child.read_log())
        self.assertNotIn('old run', child.read_log())
        self.assertIn('old run', child.log_tail())


class LogTailTestCase(base.BaseTestCase):

    def test_last_lines(self):
        with tempfile.NamedTemporaryFile('w', delete=False) as stream:
            stream.write(''.join('line %d\n' % i for i in range(100)))
        self.addCleanup(os.unlink, stream.name)
        self.assertEqual('line 98\nline 99',
                         supervisor.log_tail(stream.name, 2))

    def test_missing_file(self):
        self.assertIn('cannot read', supervisor.log_tail('/nonexistent/x'))


class GroupMembersTestCase(base.BaseTestCase):

    def test_own_group(self):
        self.assertIn(os.getpid(), supervisor.group_members(os.getpgrp()))

    def test_unused_group(self):
        self.assertEqual([], supervisor.group_members(2 ** 22 + 12345))
