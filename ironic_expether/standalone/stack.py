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


"""The standalone stack: every step from an empty directory to enrolled nodes.

:class:`Stack` is used by ``ironic-expether-standalone`` and by the
functional tests. Each child process is one :meth:`Supervisor.start` call
in :meth:`Stack.start`, so adding a service (the Valence facade) is adding
one line there.
"""

import dataclasses
import importlib.util
import json
import os
import re
import secrets
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse

import requests

from ironic_expether.standalone import config
from ironic_expether.standalone import ironic_api
from ironic_expether.standalone import pod
from ironic_expether.standalone import supervisor

DRIVER = 'expether'

_LISTENING = re.compile(r'EEM emulator listening on (https?://\S+/eem)')
_VALENCE_LISTENING = re.compile(r'Valence API listening on (https?://\S+)')


class StackError(Exception):
    """A step of the stack failed."""


@dataclasses.dataclass
class StackOptions:
    """What to run, and where.

    :ivar workdir: the work directory (created when missing; reusing one
        keeps the database and the enrolled nodes).
    :ivar port: TCP port of the Ironic API on 127.0.0.1.
    :ivar eem_address: an external EEM to use instead of the emulator.
    :ivar eem_username: Basic auth user of the external EEM.
    :ivar eem_password: its password.
    :ivar eem_verify_ca: TLS verification of the external EEM (bool or a
        CA bundle path).
    :ivar enroll: enroll the servers of an external EEM (the emulator's
        are always enrolled).
    :ivar bmc: start the fake Redfish BMC and give the nodes its address.
    :ivar servers: server engines of the demo pod.
    :ivar devices: IO engines of the demo pod.
    :ivar seed: seed of the demo pod generator.
    :ivar valence_port: port of the Valence-compatible facade on
        127.0.0.1 (0 picks a free one).
    :ivar valence: start the Valence-compatible facade.
    :ivar populate: register the EEM as a pod manager and enroll its
        servers (a test of Valence's own flow starts from an empty pool).
    :ivar sync_power_state_interval: the conductor's power sync interval.
    :ivar expether: extra ``[expether]`` options for ironic.conf.
    :ivar ironic_options: more ironic.conf options, a dict of section
        names to dicts of values (they win over the stack's own).
    :ivar debug: debug logging in Ironic.
    :ivar start_timeout: seconds each child gets to become ready.
    """

    workdir: str = '.stack'
    port: int = 6385
    eem_address: str = None
    eem_username: str = None
    eem_password: str = None
    eem_verify_ca: object = True
    enroll: bool = False
    bmc: bool = True
    servers: int = pod.DEFAULT_SERVERS
    devices: int = pod.DEFAULT_DEVICES
    seed: int = pod.DEFAULT_SEED
    valence_port: int = 8181
    valence: bool = True
    populate: bool = True
    sync_power_state_interval: int = 60
    expether: dict = dataclasses.field(default_factory=dict)
    ironic_options: dict = dataclasses.field(default_factory=dict)
    debug: bool = False
    start_timeout: float = 120.0

    @property
    def use_emulator(self):
        return not self.eem_address


def console_command(name, target):
    """The command line of a console script of this Python environment.

    :param name: the script's name (looked up next to ``sys.executable``).
    :param target: ``module:function`` to run with ``sys.executable``
        when the script is not there.
    :returns: a list of arguments.
    """
    script = os.path.join(os.path.dirname(sys.executable), name)
    if os.access(script, os.X_OK):
        return [script]
    module, func = target.split(':')
    return [sys.executable, '-c',
            'import sys; from %s import %s; sys.exit(%s())'
            % (module, func, func)]


def free_port(host='127.0.0.1'):
    """A TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_is_free(port, host='127.0.0.1'):
    """Whether nothing listens on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def module_available(name):
    """Whether a module can be imported (without importing it)."""
    try:
        return importlib.util.find_spec(name) is not None
    except ImportError:
        return False


class Stack:
    """The standalone stack.

    :param options: a :class:`StackOptions`.
    :param progress: a callable ``progress(step, total, text)`` told
        about every step, or None.
    :param echo: a callable taking a line of text for details (None:
        silent).
    """

    TOTAL_STEPS = 8

    def __init__(self, options, progress=None, echo=None):
        self.options = options
        self.workdir = os.path.abspath(options.workdir)
        self.log_dir = os.path.join(self.workdir, 'logs')
        self.ironic_conf = os.path.join(self.workdir, 'ironic.conf')
        self.database_path = os.path.join(self.workdir, 'ironic.sqlite')
        self.endpoint = 'http://127.0.0.1:%d' % options.port
        self.supervisor = None
        self.eem_address = options.eem_address
        self.eem_username = options.eem_username
        self.eem_password = options.eem_password
        self.eem_verify_ca = options.eem_verify_ca
        self.bmc_address = None
        self.valence_url = None
        self.pod_manager_uuid = None
        self.devices = []
        self.nodes = []
        self._progress = progress or (lambda step, total, text: None)
        self._echo = echo or (lambda text: None)

    # Public API

    def start(self):
        """Run every step; on failure stop what was started and re-raise.

        :raises: StackError, supervisor.SupervisorError.
        """
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def stop(self):
        """Stop every child in reverse order.

        :returns: names of children that left a process behind.
        """
        if self.supervisor is None:
            return []
        return self.supervisor.stop_all()

    def check(self):
        """Raise :class:`supervisor.ChildExited` if a child has died."""
        if self.supervisor is not None:
            self.supervisor.check()

    def api(self):
        """A :class:`ironic_api.IronicAPI` for this stack's Ironic."""
        return ironic_api.IronicAPI(self.endpoint)

    # Steps

    def _step(self, number, text):
        self._progress(number, self.TOTAL_STEPS, text)

    def _start(self):
        opts = self.options
        self._step(1, 'Work directory %s' % self.workdir)
        os.makedirs(self.log_dir, exist_ok=True)
        os.makedirs(os.path.join(self.workdir, 'locks'), exist_ok=True)
        self.supervisor = supervisor.Supervisor(self.log_dir)

        if opts.use_emulator:
            self._step(2, 'Starting the EEM emulator (%d servers, %d '
                          'devices)' % (opts.servers, opts.devices))
            self._start_emulator()
        else:
            self._step(2, 'Using the external EEM at %s' % self.eem_address)
        self._read_pod()

        if opts.bmc and opts.use_emulator:
            self._step(3, 'Starting the fake Redfish BMC (sushy-tools)')
            self._start_bmc()
        else:
            self._step(3, 'No fake Redfish BMC (nodes get no BMC address)')

        self._step(4, 'Writing %s' % self.ironic_conf)
        self._write_ironic_conf()

        self._step(5, 'Migrating the databases')
        self._migrate()

        self._step(6, 'Starting Ironic on %s' % self.endpoint)
        self.supervisor.start(
            'ironic',
            console_command('ironic', 'ironic.command.singleprocess:main')
            + ['--config-file', self.ironic_conf],
            ready=lambda child: self.api().has_driver(DRIVER),
            timeout=opts.start_timeout)
        if opts.valence:
            self._start_valence_api()

        if not opts.populate:
            self._step(7, 'Registering and enrolling nothing')
        else:
            self._step(7, 'Registering the EEM and enrolling servers')
            self._populate()
        self._step(8, 'Ready')

    def _start_valence_api(self):
        argv = console_command('ironic-expether-valence-api',
                               'ironic_expether.cmd.valence_api:main')
        argv += ['--host', '127.0.0.1',
                 '--port', str(self.options.valence_port),
                 '--ironic-url', self.endpoint]
        child, self.valence_url = self.supervisor.start(
            'valence-api', argv, ready=_valence_url,
            timeout=self.options.start_timeout)

    def _populate(self):
        opts = self.options
        try:
            self._register_pod_manager()
        except ironic_api.IronicAPIError as exc:
            # NOTE(expether): nodes still work through their driver_info;
            # only the pool's view of this EEM is missing.
            self._echo('WARNING: could not register the EEM as a pod '
                       'manager: %s' % exc)
        if opts.use_emulator or opts.enroll:
            self._enroll()
        else:
            self._echo('Enrolling nothing (use --enroll to enroll the '
                       'servers of an external EEM).')

    def _start_emulator(self):
        opts = self.options
        self.eem_username = 'admin'
        self.eem_password = self._demo_password()
        argv = console_command('eem-emulator',
                               'ironic_expether.emulator.main:main')
        argv += ['--host', '127.0.0.1',
                 '--port', str(self._stable_port('eem-emulator')),
                 '--servers', str(opts.servers),
                 '--devices', str(opts.devices),
                 '--seed', str(opts.seed),
                 '--username', self.eem_username]
        # NOTE(expether): the password goes through the environment, out
        # of sight of ps.
        env = dict(os.environ, EEM_EMULATOR_PASSWORD=self.eem_password)
        child, url = self.supervisor.start(
            'eem-emulator', argv, ready=_emulator_url, env=env,
            timeout=opts.start_timeout)
        self.eem_address = url
        self.eem_verify_ca = True

    def _demo_password(self):
        """The emulator's password, kept in the work directory."""
        path = os.path.join(self.workdir, 'eem-password')
        try:
            with open(path) as stream:
                password = stream.read().strip()
            if password:
                return password
        except FileNotFoundError:
            pass
        password = secrets.token_urlsafe(12)
        config.write_private(path, password + '\n')
        return password

    def _read_pod(self):
        try:
            self.devices = pod.list_devices(
                self.eem_address, self.eem_username, self.eem_password,
                verify=self.eem_verify_ca)
        except (requests.RequestException, ValueError) as exc:
            raise StackError('cannot list the devices of the EEM at %s: %s'
                             % (self.eem_address, exc))
        summary = ', '.join('%d %s' % (count, kind) for kind, count
                            in pod.pool_summary(self.devices).items())
        self._echo('EEM at %s: %d servers; free pool: %s'
                   % (self.eem_address, len(pod.servers(self.devices)),
                      summary or 'empty'))

    def _stable_port(self, name):
        """A free port for a child, the same one as last time if possible.

        A restarted stack on the same work directory then keeps the URLs
        its nodes and pod manager records point at.
        """
        path = os.path.join(self.workdir, 'ports.json')
        try:
            with open(path) as stream:
                ports = json.load(stream)
        except (OSError, ValueError):
            ports = {}
        port = ports.get(name)
        if not (isinstance(port, int) and port_is_free(port)):
            port = free_port()
            ports[name] = port
            with open(path, 'w') as stream:
                json.dump(ports, stream, indent=2, sort_keys=True)
        return port

    def _start_bmc(self):
        port = self._stable_port('sushy-emulator')
        conf = config.write_sushy_conf(
            os.path.join(self.workdir, 'sushy-emulator.conf'),
            pod.bmc_systems(pod.servers(self.devices)),
            state_dir=os.path.join(self.workdir, 'bmc-state'),
            port=port)
        address = 'http://127.0.0.1:%d' % port
        self.supervisor.start(
            'sushy-emulator',
            console_command('sushy-emulator', 'sushy_tools.emulator.main:main')
            + ['--config', conf],
            ready=lambda child: _http_ok(address + '/redfish/v1/Systems'),
            timeout=self.options.start_timeout)
        self.bmc_address = address

    def _write_ironic_conf(self):
        opts = self.options
        expether = {'request_timeout': 10, 'request_retries': 1,
                    'retry_interval': 0.5}
        expether.update(opts.expether)
        sections = config.ironic_conf(
            self.workdir, opts.port,
            sync_power_state_interval=opts.sync_power_state_interval,
            expether=expether, debug=opts.debug,
            overrides=opts.ironic_options)
        config.write_ironic_conf(self.ironic_conf, sections)

    def _migrate(self):
        # NOTE(expether): Ironic's migrations cannot run on an empty SQLite
        # database (they ALTER constraints); a new database gets the schema
        # at once, an existing one is upgraded (a no-op at head).
        dbsync = console_command('ironic-dbsync', 'ironic.command.dbsync:main')
        command = ('upgrade' if _has_table(self.database_path,
                                           'alembic_version')
                   else 'create_schema')
        self._run('ironic-dbsync',
                  dbsync + ['--config-file', self.ironic_conf, command])
        if module_available('ironic_expether.cmd.dbsync'):
            self._run('ironic-expether-dbsync',
                      console_command('ironic-expether-dbsync',
                                      'ironic_expether.cmd.dbsync:main')
                      + ['--config-file', self.ironic_conf, 'upgrade'])
        else:
            self._echo('ironic-expether-dbsync is not available yet; '
                       'skipping the device pool migrations.')

    def _run(self, name, argv, timeout=300):
        log_path = os.path.join(self.log_dir, name + '.log')
        with open(log_path, 'ab') as log:
            try:
                result = subprocess.run(
                    argv, stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT, timeout=timeout)
            except subprocess.TimeoutExpired:
                raise StackError('%s did not finish in %d seconds; see %s'
                                 % (name, timeout, log_path))
        if result.returncode:
            raise StackError('%s failed with status %d; last lines of %s:\n%s'
                             % (name, result.returncode, log_path,
                                supervisor.log_tail(log_path)))

    def _register_pod_manager(self):
        api = self.api()
        if 'pod_managers' not in api.driver_passthru_methods(DRIVER):
            self._echo('The device pool is not available yet; nodes point '
                       'at the EEM through their driver_info.')
            return
        known = api.call_driver_passthru(DRIVER, 'pod_managers', 'GET')
        if isinstance(known, dict):
            known = known.get('pod_managers', [])
        for podm in known or []:
            if podm.get('url', '').rstrip('/') == self.eem_address.rstrip('/'):
                self.pod_manager_uuid = podm.get('uuid')
                self._echo('Pod manager %s already registered.'
                           % podm.get('uuid', podm.get('name')))
                return
        name = 'standalone-eem-%s' % urllib.parse.urlsplit(
            self.eem_address).port
        body = {'name': name, 'url': self.eem_address,
                'driver': 'expether'}
        if self.eem_username:
            body['authentication'] = [{
                'type': 'basic',
                'auth_items': {'username': self.eem_username,
                               'password': self.eem_password or ''}}]
        podm = api.call_driver_passthru(DRIVER, 'pod_managers', 'POST', body)
        self.pod_manager_uuid = (podm or {}).get('uuid')
        self._echo('Registered pod manager %s.'
                   % (podm or {}).get('uuid', self.eem_address))

    def driver_info(self, server):
        """The driver_info the stack gives a server's node.

        :param server: the server engine as a dict of EEM's wire format.
        """
        info = {'eem_address': self.eem_address, 'eesv_id': server['id']}
        if self.eem_username:
            info['eem_username'] = self.eem_username
            info['eem_password'] = self.eem_password or ''
        if self.eem_verify_ca is not True:
            info['eem_verify_ca'] = self.eem_verify_ca
        if self.bmc_address:
            info['redfish_address'] = self.bmc_address
            info['redfish_system_id'] = (
                '/redfish/v1/Systems/%s' % pod.system_uuid(server['id']))
        return info

    def _enroll(self):
        api = self.api()
        self.nodes = []
        # NOTE(expether): existing nodes are found by their server engine,
        # not by name: compose may have renamed one, and manage or
        # discovery may have enrolled one under another name.
        existing = {}
        for node in api.list_nodes(DRIVER):
            info = node.get('driver_info') or {}
            if (info.get('eem_address', '').rstrip('/')
                    == self.eem_address.rstrip('/')):
                existing[str(info.get('eesv_id', '')).lower()] = node
        for server in pod.servers(self.devices):
            info = self.driver_info(server)
            stale = () if self.bmc_address else (
                'redfish_address', 'redfish_system_id')
            node = existing.get(server['id'].lower())
            if node is None:
                name = pod.node_name(server['id'])
                node = api.create_node(name=name, driver=DRIVER,
                                       driver_info=info)
                verb = 'enrolled'
            else:
                name = node['name'] or node['uuid']
                node = api.update_driver_info(node['uuid'], info,
                                              remove=stale)
                verb = 'updated'
            self.nodes.append({'name': name, 'uuid': node['uuid'],
                               'eesv_id': server['id'],
                               'bmc': bool(self.bmc_address)})
            self._echo('  %s %s (%s)' % (verb, name, node['uuid']))
        self._manage(api)

    def _manage(self, api):
        """Move the nodes still in ``enroll`` to ``manageable``.

        Ironic reads a node's power state on the way and keeps it up to
        date from then on (it leaves nodes in ``enroll`` alone).
        """
        pending = []
        for node in self.nodes:
            if api.get_node(node['uuid'])['provision_state'] == 'enroll':
                api.set_provision_state(node['uuid'], 'manage')
                pending.append(node)
        for node in pending:
            shown = wait_for(
                lambda: _settled(api.get_node(node['uuid'])), 60)
            if not shown or shown['provision_state'] != 'manageable':
                shown = api.get_node(node['uuid'])
                self._echo('  %s stays in %s: %s' % (
                    node['name'], shown['provision_state'],
                    shown.get('last_error')))
            else:
                self._echo('  %s is manageable, %s' % (
                    node['name'], shown['power_state']))

    # Output

    def usage(self):
        """The lines that tell a user how to reach and try the stack."""
        example = self.nodes[0]['name'] if self.nodes else '<node>'
        free = [d['id'] for d in self.devices
                if d.get('status') == 'eeio'
                and str(d.get('group_id')) == '4093']
        device = free[0] if free else '<eeio-id>'
        podm = self.pod_manager_uuid or '<pod-manager-uuid>'
        free_types = [t for t, n in pod.pool_summary(self.devices).items()
                      if n and t != 'other']
        compose = ' '.join('--device %s' % t for t in free_types[:2])
        lines = [
            'export PATH=%s:$PATH OS_AUTH_TYPE=none OS_ENDPOINT=%s'
            % (os.path.dirname(sys.executable), self.endpoint),
            '',
            'Try:',
            '  baremetal node list',
            '  baremetal expether pool summary',
            '  baremetal expether pool list --pod-manager %s --state free'
            % podm,
            '  baremetal expether compose --pod-manager %s %s --name demo1 '
            '--wait' % (podm, compose or '--device GPU'),
            '  baremetal expether devices demo1',
            '  baremetal expether release demo1',
            '  baremetal node power on %s' % example,
            '  baremetal expether attach %s %s' % (example, device),
            '  baremetal expether detach %s %s' % (example, device),
            '(the same commands run as "openstack baremetal expether ..." '
            'where python-openstackclient is installed; the raw form is '
            '"baremetal node passthru call %s attach --arg resource_id=%s")'
            % (example, device),
            '',
            'EEM: %s (user %s, password in %s)' % (
                self.eem_address, self.eem_username or '-',
                os.path.join(self.workdir, 'eem-password')
                if self.options.use_emulator else 'your --eem-password'),
        ]
        if self.valence_url:
            lines.append('Valence-compatible API: %s (for example: curl '
                         '%s/v1/devices)' % (self.valence_url,
                                             self.valence_url))
        if self.bmc_address:
            lines.append('Fake Redfish BMC: %s' % self.bmc_address)
        lines.append('Logs: %s' % self.log_dir)
        return lines


def _has_table(sqlite_path, table):
    """Whether an SQLite database file exists and holds ``table``."""
    if not os.path.exists(sqlite_path):
        return False
    connection = sqlite3.connect(sqlite_path)
    try:
        row = connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND "
            "name = ?", (table,)).fetchone()
    finally:
        connection.close()
    return row is not None


def _settled(node):
    """The node once no provision state change is in progress, or None."""
    return node if node.get('target_provision_state') is None else None


def _emulator_url(child):
    match = _LISTENING.search(child.read_log())
    return match.group(1) if match else None


def _valence_url(child):
    match = _VALENCE_LISTENING.search(child.read_log())
    return match.group(1) if match else None


def _http_ok(url):
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def wait_for(predicate, timeout, interval=0.5):
    """Poll ``predicate`` until it answers a true value or time runs out.

    :returns: the last value of ``predicate``.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)
