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


"""Base class of the functional tests: the standalone stack, once per class.

:class:`StackTestCase` starts :class:`ironic_expether.standalone.stack.Stack`
(EEM emulator, fake Redfish BMC, Ironic's single process) in a temporary
directory with free ports before the first test of a class and stops every
process after the last one. Tests drive it with the real ``baremetal``
client (:meth:`StackTestCase.baremetal`), openstacksdk
(:meth:`StackTestCase.sdk`) and plain HTTP (:meth:`StackTestCase.ironic`),
and look at the hardware through :attr:`StackTestCase.control` (the
emulator's control API), :meth:`StackTestCase.eem_device` and
:meth:`StackTestCase.bmc_power_state`.

Each test either uses nodes of its own (:meth:`StackTestCase.create_node`,
deleted afterwards) or leaves the pod as it found it.
"""

import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.parse

from oslotest import base
import requests
from testtools import content

from ironic_expether.standalone import ironic_api
from ironic_expether.standalone import pod
from ironic_expether.standalone import stack as stack_mod
from ironic_expether.standalone import supervisor

#: Keep the work directory of the stack after the tests (for debugging).
KEEP_ENV = 'EXPETHER_TEST_KEEP_STACK'
#: Tries of a ``baremetal`` command that Ironic answers "database is locked".
SQLITE_LOCKED_TRIES = 3


class CommandResult:
    """What a finished command left behind.

    :ivar argv: the command line.
    :ivar returncode: its exit status.
    :ivar stdout: its standard output.
    :ivar stderr: its standard error.
    :ivar data: the standard output parsed as JSON (None when it is not
        JSON).
    """

    def __init__(self, argv, returncode, stdout, stderr):
        self.argv = argv
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        try:
            self.data = json.loads(stdout) if stdout.strip() else None
        except ValueError:
            self.data = None

    def __str__(self):
        return '%s exited %d\nstdout: %s\nstderr: %s' % (
            ' '.join(self.argv), self.returncode, self.stdout[-2000:],
            self.stderr[-2000:])


class StackTestCase(base.BaseTestCase):
    """Starts the standalone stack once per test class.

    Subclasses may set :attr:`stack_options` (keyword arguments of
    :class:`stack_mod.StackOptions`) to change the pod or the stack.
    """

    #: Overrides of StackOptions for this class.
    stack_options = {}

    #: Seconds a test waits for Ironic to reach a state.
    wait_timeout = 90

    stack = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.workdir = tempfile.mkdtemp(prefix='expether-functional-')
        options = {
            'workdir': cls.workdir,
            'port': stack_mod.free_port(),
            'servers': 6,
            'devices': 12,
            'sync_power_state_interval': 3,
            'start_timeout': 240,
            'valence': False,
            'valence_port': 0,
        }
        options.update(cls.stack_options)
        cls.stack = stack_mod.Stack(stack_mod.StackOptions(**options))
        cls.addClassCleanup(cls._stop_stack)
        try:
            cls.stack.start()
        except (stack_mod.StackError, supervisor.SupervisorError,
                ironic_api.IronicAPIError) as exc:
            raise RuntimeError('the stack did not start: %s\n%s'
                               % (exc, cls._log_tails()))
        cls.endpoint = cls.stack.endpoint
        cls.eem_address = cls.stack.eem_address
        cls.control = cls._make_control()

    @classmethod
    def _stop_stack(cls):
        left = cls.stack.stop() if cls.stack else []
        if not os.environ.get(KEEP_ENV):
            shutil.rmtree(cls.workdir, ignore_errors=True)
        if left:
            raise RuntimeError('processes left behind by %s' % left)

    @classmethod
    def _make_control(cls):
        try:
            from ironic_expether.emulator import control
        except ImportError:
            return None
        parts = urllib.parse.urlsplit(cls.eem_address)
        root = '%s://%s' % (parts.scheme, parts.netloc)
        return control.EmulatorControl(root, username=cls.stack.eem_username,
                                       password=cls.stack.eem_password)

    @classmethod
    def _log_tails(cls, lines=40):
        log_dir = os.path.join(cls.workdir, 'logs')
        try:
            names = sorted(os.listdir(log_dir))
        except OSError:
            return '<no logs>'
        return '\n'.join('==> %s <==\n%s' % (
            name, supervisor.log_tail(os.path.join(log_dir, name), lines))
            for name in names)

    def setUp(self):
        super().setUp()
        self.addOnException(self._attach_logs)
        self.stack.check()

    def _attach_logs(self, exc_info):
        self.addDetail('stack-logs', content.text_content(self._log_tails()))

    # Clients

    def baremetal(self, *args, json_output=True, check=True, timeout=120):
        """Run the real ``baremetal`` client against the stack.

        :param args: the command's arguments (``'node', 'list'``).
        :param json_output: add ``-f json`` and parse the output.
        :param check: fail the test when the command fails.
        :param timeout: seconds the command may take.
        :returns: a :class:`CommandResult`.
        """
        argv = stack_mod.console_command(
            'baremetal', 'ironicclient.shell:main') + list(args)
        if json_output:
            argv += ['-f', 'json']
        env = dict(os.environ, OS_AUTH_TYPE='none',
                   OS_ENDPOINT=self.endpoint,
                   OS_BAREMETAL_API_VERSION='latest')
        for key in ('OS_CLOUD', 'OS_AUTH_URL', 'OS_TOKEN'):
            env.pop(key, None)
        for attempt in range(SQLITE_LOCKED_TRIES):
            proc = subprocess.run(argv, env=env, capture_output=True,
                                  text=True, timeout=timeout,
                                  stdin=subprocess.DEVNULL)
            result = CommandResult(argv, proc.returncode, proc.stdout,
                                   proc.stderr)
            # NOTE(expether): Ironic 39 does not retry its own API's trait
            # writes when SQLite is busy (its node writes are retried), so
            # on the standalone stack a trait change that meets a
            # conductor's write answers 500 "database is locked". That is
            # Ironic's answer, not the plugin's; a user would try again,
            # and so does the test (troubleshooting.rst says so).
            if not (result.returncode and
                    'database is locked' in result.stderr):
                break
            time.sleep(1)
        if check and result.returncode:
            self.fail('command failed: %s' % result)
        return result

    def baremetal_fails(self, *args, status='4'):
        """Run ``baremetal`` expecting an HTTP error of the given class.

        :param args: the command's arguments.
        :param status: the start of the expected HTTP status (``'4'`` for
            any 4xx, ``'409'`` for exactly 409).
        :returns: the :class:`CommandResult`.
        """
        result = self.baremetal(*args, json_output=False, check=False)
        self.assertNotEqual(0, result.returncode, str(result))
        self.assertRegex(result.stderr + result.stdout,
                         r'HTTP %s\d*' % status, str(result))
        return result

    def sdk(self):
        """An openstacksdk connection to the stack's Ironic."""
        import openstack.connection

        return openstack.connection.Connection(
            auth_type='none', baremetal_endpoint_override=self.endpoint,
            baremetal_api_version='1')

    def ironic(self, method, path, ok=None, **kwargs):
        """One raw request to Ironic's API (latest microversion).

        :param method: HTTP method.
        :param path: the path, starting with ``/v1``.
        :param ok: expected status code (None: any).
        :returns: the ``requests.Response``.
        """
        headers = kwargs.pop('headers', {})
        headers.setdefault('X-OpenStack-Ironic-API-Version', 'latest')
        response = requests.request(method, self.endpoint + path,
                                    headers=headers, timeout=60, **kwargs)
        if ok is not None:
            self.assertEqual(ok, response.status_code, response.text)
        return response

    # Hardware

    def eem_device(self, eeid):
        """A device as EEM reports it (a dict of EEM's wire format)."""
        response = requests.get(
            '%s/devices/%s' % (self.eem_address.rstrip('/'), eeid),
            auth=(self.stack.eem_username, self.stack.eem_password),
            timeout=10)
        response.raise_for_status()
        return response.json()['device']

    def eem_devices(self):
        """Every device of the emulator (EEM's wire format)."""
        return pod.list_devices(self.eem_address, self.stack.eem_username,
                                self.stack.eem_password)

    def free_devices(self):
        """EE ids of the IO engines in the free group 4093."""
        return sorted(d['id'] for d in self.eem_devices()
                      if d.get('status') == 'eeio'
                      and str(d.get('group_id')) == '4093')

    def server(self, index):
        """The ``index``-th server engine of the demo pod (wire format)."""
        return pod.servers(self.stack.devices)[index]

    def bmc_power_state(self, server):
        """The fake BMC's ``PowerState`` of a server (``On``/``Off``)."""
        url = '%s/redfish/v1/Systems/%s' % (self.stack.bmc_address,
                                            pod.system_uuid(server['id']))
        response = requests.get(url, timeout=10)
        response.raise_for_status()
        return response.json()['PowerState']

    # Nodes

    def create_node(self, server, bmc=True, name=None, **driver_info):
        """Create a node of one's own with the ``baremetal`` client.

        The node is deleted when the test ends.

        :param server: the server engine (wire format) the node stands for.
        :param bmc: give the node the fake BMC's address.
        :param name: the node name (None: none).
        :param driver_info: driver_info keys to add or override (a value
            of None removes the key).
        :returns: the node as ``baremetal node create`` printed it.
        """
        info = self.stack.driver_info(server)
        if not bmc:
            info.pop('redfish_address', None)
            info.pop('redfish_system_id', None)
        info.update(driver_info)
        args = ['node', 'create', '--driver', stack_mod.DRIVER]
        for key, value in sorted(info.items()):
            if value is not None:
                args += ['--driver-info', '%s=%s' % (key, value)]
        if name:
            args += ['--name', name]
        node = self.baremetal(*args).data
        self.addCleanup(self._delete_node, node['uuid'])
        return node

    def _delete_node(self, uuid):
        node = self.baremetal('node', 'show', uuid, check=False).data
        if node is None:
            return
        if node.get('provision_state') not in ('enroll', 'manageable',
                                               'available'):
            self.baremetal('node', 'maintenance', 'set', uuid,
                           json_output=False, check=False)
        self.baremetal('node', 'delete', uuid, json_output=False)

    def node(self, ident):
        """``baremetal node show`` as a dict."""
        return self.baremetal('node', 'show', ident).data

    def wait_for_node(self, ident, field, expected, timeout=None):
        """Wait until a node field has the expected value.

        :returns: the node.
        """
        timeout = timeout or self.wait_timeout
        deadline = time.monotonic() + timeout
        while True:
            node = self.node(ident)
            if node.get(field) == expected:
                return node
            if time.monotonic() >= deadline:
                self.fail('node %s: %s is %r, not %r after %d seconds '
                          '(last_error: %s)'
                          % (ident, field, node.get(field), expected,
                             timeout, node.get('last_error')))
            time.sleep(1)

    def wait_until(self, predicate, timeout=None, message=''):
        """Wait for ``predicate`` to answer a true value, or fail."""
        value = stack_mod.wait_for(predicate, timeout or self.wait_timeout)
        if not value:
            self.fail('timed out waiting: %s' % message)
        return value
