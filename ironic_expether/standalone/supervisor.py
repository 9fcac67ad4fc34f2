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


"""Start child processes, wait until they are ready, stop them all.

Each child runs in a process group of its own (``start_new_session``) with
its output in a log file, so that stopping it reaches the workers it forks
(Ironic's single process forks one) and a failure can be explained with the
tail of its log.
"""

import collections
import os
import signal
import subprocess
import time


#: Seconds between two readiness probes.
POLL_INTERVAL = 0.2


class SupervisorError(Exception):
    """Base class of the supervisor's errors."""


class ChildExited(SupervisorError):
    """A child process exited while it was expected to run."""

    def __init__(self, child):
        self.child = child
        super().__init__(
            '%s exited with status %s; last lines of %s:\n%s'
            % (child.name, child.returncode, child.log_path,
               child.log_tail()))


class ChildNotReady(SupervisorError):
    """A child did not become ready within its timeout."""

    def __init__(self, child, timeout, reason=None):
        self.child = child
        detail = ' (%s)' % reason if reason else ''
        super().__init__(
            '%s was not ready after %.0f seconds%s; last lines of %s:\n%s'
            % (child.name, timeout, detail, child.log_path,
               child.log_tail()))


def log_tail(path, lines=20):
    """Return the last lines of a text file, or a note when it is missing.

    :param path: the file to read.
    :param lines: how many lines to return at most.
    :returns: the lines, joined with newlines.
    """
    try:
        with open(path, errors='replace') as stream:
            tail = collections.deque(stream, maxlen=lines)
    except OSError as exc:
        return '<cannot read %s: %s>' % (path, exc)
    return ''.join(tail).rstrip('\n') or '<empty>'


def group_members(pgid):
    """List the live processes of a process group.

    Zombies do not count: a worker whose parent was stopped first is
    reparented to PID 1, which may be slow to reap it.

    :param pgid: the process group id.
    :returns: the pids of the group's processes that have not exited.
    """
    if not os.path.isdir('/proc/self'):
        return [pgid] if _killpg_alive(pgid) else []
    members = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry) as stream:
                stat = stream.read()
        except OSError:
            continue
        # NOTE(expether): the command name (field 2) may hold spaces and
        # parentheses; the fields after its closing parenthesis are state,
        # ppid and pgrp.
        fields = stat[stat.rindex(')') + 2:].split()
        if int(fields[2]) == pgid and fields[0] not in ('Z', 'X'):
            members.append(int(entry))
    return members


def group_alive(pgid):
    """Tell whether any process of a process group is still running.

    :param pgid: the process group id.
    :returns: True while at least one live process is in the group.
    """
    return bool(group_members(pgid))


def _killpg_alive(pgid):
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Child:
    """One supervised child process.

    :param name: a short name used in messages (``eem-emulator``).
    :param argv: the command line.
    :param log_path: the file that receives its stdout and stderr.
    """

    def __init__(self, name, argv, log_path):
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.log_offset = 0
        self.popen = None

    @property
    def pid(self):
        return self.popen.pid if self.popen else None

    @property
    def returncode(self):
        return self.popen.poll() if self.popen else None

    def running(self):
        """Whether the process has been started and has not exited."""
        return self.popen is not None and self.popen.poll() is None

    def log_tail(self, lines=20):
        """The last lines of the child's log (see :func:`log_tail`)."""
        return log_tail(self.log_path, lines)

    def read_log(self):
        """What this run of the child has logged ('' when nothing yet).

        Logs are appended to across runs; earlier runs are left out.
        """
        try:
            with open(self.log_path, 'rb') as stream:
                stream.seek(self.log_offset)
                return stream.read().decode(errors='replace')
        except FileNotFoundError:
            return ''

    def __repr__(self):
        return '<Child %s pid=%s>' % (self.name, self.pid)


class Supervisor:
    """Starts children in order and stops them in reverse order.

    :param log_dir: directory of the children's log files (created when
        missing); child ``foo`` logs to ``<log_dir>/foo.log``.
    :param stop_timeout: seconds a child gets to exit after SIGTERM before
        its process group is killed.
    """

    def __init__(self, log_dir, stop_timeout=15.0):
        self.log_dir = log_dir
        self.stop_timeout = stop_timeout
        self.children = []
        os.makedirs(log_dir, exist_ok=True)

    def start(self, name, argv, ready=None, timeout=60.0, env=None,
              cwd=None):
        """Start a child and wait until it is ready.

        :param name: short name of the child, unique in this supervisor.
        :param argv: the command line.
        :param ready: a callable taking the :class:`Child` and returning a
            true value once the child is ready (None: ready at once). It
            may raise :class:`ChildNotReady` to give up early.
        :param timeout: seconds to wait for ``ready``.
        :param env: environment of the child (None: inherit ours).
        :param cwd: working directory of the child.
        :returns: a tuple ``(child, value)`` where ``value`` is what
            ``ready`` returned (True when there is no ``ready``).
        :raises: ValueError for a duplicate name; ChildExited when the
            child exits before it is ready; ChildNotReady on timeout. In
            both error cases the child has been stopped.
        """
        if any(child.name == name for child in self.children):
            raise ValueError('a child named %s is already supervised' % name)
        child = Child(name, argv, os.path.join(self.log_dir, name + '.log'))
        with open(child.log_path, 'ab') as log:
            child.log_offset = log.tell()
            log.write(('--- %s starting: %s\n' % (
                time.strftime('%Y-%m-%d %H:%M:%S'),
                ' '.join(child.argv))).encode())
            log.flush()
            child.popen = subprocess.Popen(
                child.argv, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, env=env, cwd=cwd,
                start_new_session=True)
        self.children.append(child)
        try:
            value = self.wait_ready(child, ready, timeout)
        except SupervisorError:
            self.stop(child)
            raise
        return child, value

    def wait_ready(self, child, ready, timeout):
        """Poll ``ready`` until it answers a true value.

        :param child: the :class:`Child` to watch.
        :param ready: the readiness check (see :meth:`start`).
        :param timeout: seconds to wait.
        :returns: the value ``ready`` returned.
        :raises: ChildExited, ChildNotReady.
        """
        deadline = time.monotonic() + timeout
        while True:
            if not child.running():
                raise ChildExited(child)
            value = ready(child) if ready is not None else True
            if value:
                return value
            if time.monotonic() >= deadline:
                raise ChildNotReady(child, timeout)
            time.sleep(POLL_INTERVAL)

    def check(self):
        """Raise :class:`ChildExited` for the first child that has exited."""
        for child in self.children:
            if not child.running():
                raise ChildExited(child)

    def stop(self, child):
        """Stop one child and every process of its group.

        SIGTERM goes to the child itself first (a parent that forks
        workers stops them in order), then to its whole group; whatever is
        left after ``stop_timeout`` is killed.

        :param child: the :class:`Child` to stop.
        :returns: True when no process of its group is left.
        """
        if child.popen is None:
            return True
        pgid = child.popen.pid
        if child.popen.poll() is None:
            _signal(child.popen.send_signal, signal.SIGTERM)
            try:
                child.popen.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                pass
        if group_alive(pgid):
            _signal(os.killpg, pgid, signal.SIGTERM)
            _wait_for(lambda: not group_alive(pgid), self.stop_timeout / 3)
        if group_alive(pgid) or child.popen.poll() is None:
            _signal(os.killpg, pgid, signal.SIGKILL)
            child.popen.wait()
            _wait_for(lambda: not group_alive(pgid), 5.0)
        return not group_alive(pgid)

    def stop_all(self):
        """Stop every child in the reverse order of their start.

        :returns: the names of children whose process group could not be
            emptied (an empty list when everything stopped).
        """
        left = []
        for child in reversed(self.children):
            if not self.stop(child):
                left.append(child.name)
        return left


def _signal(func, *args):
    try:
        func(*args)
    except ProcessLookupError:
        pass


def _wait_for(predicate, timeout):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True
