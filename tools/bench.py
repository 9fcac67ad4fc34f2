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

"""Benchmark of the plugin, side by side with OpenStack Valence.

Runs the conductor's code in this process against an in-process EEM
emulator over real HTTP on 127.0.0.1, with Ironic's database and the
pool's tables in a temporary SQLite file (on ``/dev/shm`` when it exists),
or ``--database URL``. Every server engine is an Ironic node of the
``expether`` driver and a third of the devices sit in servers' groups, so
the node side of discovery is exercised too.

The peer is Valence's own ExpEther driver (``valence_peer.py`` downloads
the ``valence`` sdist at bench time and loads its
``expether_manager.py`` with in-memory stand-ins for etcd and its
exception module): its ``get_all_devices``, ``compose_node``, ``attach``,
``detach`` and ``get_node_info`` run against the same emulator and pod
right after the plugin's. When it cannot be downloaded its figures are
left out and the reason is printed and written down. Valence types NVMe
SSDs and 3D-controller GPUs "Unknown" on Python 3 (true division of the
PCI class code), so the composes take NICs and processing accelerators
(``ACS``, the FPGAs), which both type correctly.

Rows, for each pod size (10 / 100 / 1,000 servers with 100 / 1,000 /
10,000 devices; ``--quick`` the smallest only), each figure the median of
``--runs`` runs (the first discovery: one run):

* discovery: ``first`` (every device joins the pool, every node's
  properties and traits are written), ``steady`` (nothing changed:
  target zero database writes, under one second of CPU, one
  ``devices/detail`` request), ``steady+lease`` (the periodic task's
  path, which renews the pod manager's lease: one write, by design),
  ``1% changed`` (after 1% of the devices moved in or out of servers'
  groups or went down outside Ironic), ``steady again``;
* ``power reads``: one power state read per node without a BMC, through
  the shared snapshot (target: one EEM request for all of them);
* ``compose k=1, 4, 8``: compose
  (:func:`ironic_expether.pool.compose.compose`) of a node with k devices,
  then ``release k``: its devices back to the pool through the
  ``release`` vendor passthru, under the node's exclusive lock, as the
  conductor runs it (the node stays, idle, and the next compose may take
  it again);
* ``attach``, ``detach``: one device, through the vendor passthru, on a
  composed node;
* ``cluster safety``: what keeps two conductors apart (no figures);
* ``parallel composes`` with 1, 4 and 8 clients through Ironic's API
  (the standalone stack's single-process ``ironic`` on the same emulator,
  started after the other rows; composes per second, p50 and p95 latency,
  the answers), each followed by ``parallel attach/detach``: every client
  runs ``CYCLES`` attach/detach cycles on its own node (operations per
  second, p50 and p95 of each); a 409 NodeLocked is tried again as
  Ironic's clients do. Valence's composes run its driver in as many
  threads; the row says where they landed (Valence has no claims, so
  parallel composes share server engines and devices). ``--no-api``
  leaves these rows out; ``--quick`` runs one round instead of
  ``--runs``.

The targets follow the code: a compose of k devices makes at most
``COMPOSE_REQUESTS_PER_DEVICE * k + COMPOSE_REQUESTS_FIXED`` EEM requests,
of which at most ``k + 1`` are listings, and at most
``COMPOSE_WRITES * k + COMPOSE_NODE_WRITES`` database writes (claim and
confirm per device; for the node: create it or reserve it and save its
name, properties, traits deleted and inserted, the reservation released);
a release at most ``RELEASE_REQUESTS_PER_DEVICE * k +
RELEASE_REQUESTS_FIXED`` requests and
``RELEASE_WRITES * k + RELEASE_NODE_WRITES`` writes; an attach at most
``ATTACH_REQUESTS`` requests, a detach ``DETACH_REQUESTS``. The benchmark
also checks that every composed node holds its devices in EEM's view and
that released devices are free in it. It exits 1 when a target is missed.

Each row shows the fewest EEM requests the operation can be done with
(``fewest``: one listing per discovery cycle or power snapshot, one
listing and one move per device for a compose, the server engine's read
and the move for an attach, one move per device for a detach or a
release; a compose on a server engine still in its default group 4094
needs one more) and each side's ratio to it, plus the emulator's own time
per request (the time its handler takes to answer, JSON encoding
included), so that nobody mistakes the emulator for the bottleneck.

CPU is ``time.thread_time()`` of the calling thread: what the conductor
(or Valence's API process) spends; the emulator serves from other
threads. Database writes are INSERT/UPDATE/DELETE statements counted by a
SQLAlchemy event listener, and Valence's are the etcd writes its code
asks for (counted by the stand-in: no etcd latency is included, which
favours Valence).

Output: progress lines while it runs, then the Markdown table; the table
(``results.md``), every figure (``results.json``) and PNG plots of EEM
requests and CPU against the pod size and against k
(``vs-pod-size.png``, ``vs-k.png``, with matplotlib) in ``--results``
(``bench-results/`` by default, ignored by git).

Usage: ``tox -e bench [-- --quick]`` or ``python tools/bench.py [--quick]
[--size SERVERS:DEVICES ...] [--runs N] [--database URL] [--no-valence]
[--valence-sdist FILE] [--results DIR]``.
"""

import argparse
import collections
import datetime
import json
import logging
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from ironic import command  # noqa: F401  (selects the threading backend)
from ironic.common import context as ironic_context
from ironic.common import driver_factory
from ironic.common import states
from ironic.conductor import task_manager
from ironic.conf import CONF
from ironic.db.sqlalchemy import models as ironic_models
from ironic import objects
import sqlalchemy as sa
import valence_peer

from ironic_expether.eem_access import snapshot
from ironic_expether.eem_access import utils as driver_utils
from ironic_expether.emulator import control as emulator_control
from ironic_expether.emulator import control_api as emulator_control_api
from ironic_expether.emulator import inventory
from ironic_expether.emulator import server as emulator_server
from ironic_expether.emulator import state as emulator_state
from ironic_expether.pool import claims
from ironic_expether.pool import compose
from ironic_expether.pool.db import api as db_api
from ironic_expether.pool.db import models as pool_models
from ironic_expether.pool.db import session as pool_session
from ironic_expether.pool import discovery
from ironic_expether.pool import podm as podm_api
from ironic_expether.standalone import ironic_api
from ironic_expether.standalone import stack as standalone_stack

#: (servers, devices) of each pod.
FULL = ((10, 100), (100, 1000), (1000, 10000))
QUICK = ((10, 100),)
RUNS = 3
CPU_TARGET = 1.0
DETAIL = 'GET /eem/devices/detail'
FREE_GROUP = '4093'
#: Device counts of the benchmarked composes.
KS = (1, 4, 8)
#: Device types of the composes, in turn: types Valence can compose on
#: Python 3 (it types NVMe SSDs and 3D-controller GPUs "Unknown").
COMPOSE_CYCLE = ('NIC', 'ACS')
#: Server engines without Ironic nodes cabled in for the composes.
FREE_SERVERS = 4
#: Parallel clients of the rows through Ironic's API.
CLIENTS = (1, 4, 8)
#: Attach/detach cycles of each client of the parallel rows.
CYCLES = 5
#: Tries of a request that Ironic answers 409 (NodeLocked), as clients do.
LOCKED_TRIES = 20
LOCKED_WAIT = 0.25
#: EEM requests of a compose of k devices: one listing, one move per device
#: (fabric.plug), one group for a server engine in its default group.
COMPOSE_REQUESTS_PER_DEVICE = 1
COMPOSE_REQUESTS_FIXED = 2
#: EEM requests of a release: one listing of the server's group, one move
#: per device (fabric.read_group, fabric.unplug).
RELEASE_REQUESTS_PER_DEVICE = 1
RELEASE_REQUESTS_FIXED = 1
#: EEM requests of an attach of one device to a node whose server engine
#: has its own group (read the server and the device, move it), and of a
#: detach (list the server's group, move it).
ATTACH_REQUESTS = 3
DETACH_REQUESTS = 2
#: Database writes of a compose per device: claim, confirm.
COMPOSE_WRITES = 2
#: ... and for its node: create it (or reserve it and save its name),
#: properties, traits (delete, insert), release the reservation.
COMPOSE_NODE_WRITES = 6
#: Database writes of a release per device: claim, free.
RELEASE_WRITES = 2
#: ... and for its node: reserve, properties, traits (delete, insert),
#: release.
RELEASE_NODE_WRITES = 5
#: Measured fields, and how each is shown.
FIELDS = ('requests', 'detail', 'thread_cpu', 'cpu', 'wall', 'writes',
          'emulator_ms')
RESULTS = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), 'bench-results')
VALENCE_TYPES_NOTE = ('NICs and accelerators (ACS): Valence types NVMe '
                      'SSDs and 3D-controller GPUs "Unknown" on Python 3')


def types_for(k):
    return [COMPOSE_CYCLE[n % len(COMPOSE_CYCLE)] for n in range(k)]


def combine(measurements):
    """The median of each figure of several measurements."""
    if len(measurements) == 1:
        return measurements[0]
    result = {field: statistics.median(m[field] for m in measurements)
              for field in FIELDS}
    result['runs'] = sum(m['runs'] for m in measurements)
    result['result'] = measurements[-1]['result']
    return result


def percentiles(latencies):
    """p50 and p95 of latencies in seconds, in milliseconds."""
    if not latencies:
        return {}
    ordered = sorted(latencies)

    def at(fraction):
        return 1000 * ordered[min(len(ordered) - 1,
                                  int(round(fraction * (len(ordered) - 1))))]
    return {'p50_ms': at(0.5), 'p95_ms': at(0.95), 'samples': len(ordered)}


class WriteCounter(object):
    """Counts INSERT/UPDATE/DELETE statements on an engine."""

    def __init__(self, engine):
        self.count = 0
        sa.event.listen(engine, 'before_cursor_execute', self._on_execute)

    def _on_execute(self, conn, cursor, statement, parameters, context,
                    executemany):
        verb = statement.lstrip()[:6].upper()
        if verb in ('INSERT', 'UPDATE', 'DELETE'):
            self.count += 1


class EmulatorClock(object):
    """The time the emulator's handler spends on each EEM request."""

    def __init__(self, server):
        self._lock = threading.Lock()
        self.reset()
        handle = server.handle

        def timed(request, authorization):
            started = time.perf_counter()
            try:
                return handle(request, authorization)
            finally:
                if not request.path.startswith(emulator_control_api.BASE):
                    with self._lock:
                        self.seconds += time.perf_counter() - started
                        self.requests += 1

        # NOTE(expether): the request handler looks the method up on the
        # instance for every request.
        server.handle = timed

    def reset(self):
        with self._lock:
            self.seconds = 0.0
            self.requests = 0

    def per_request_ms(self):
        with self._lock:
            return 1000.0 * self.seconds / self.requests if self.requests \
                else 0.0


class Progress(object):

    def __init__(self):
        self.started = time.monotonic()

    def __call__(self, message):
        print('[%6.1f s] %s' % (time.monotonic() - self.started, message),
              flush=True)


class Bench(object):
    """One pod: the plugin's rows and, when it is there, Valence's."""

    def __init__(self, args, servers, devices, peer_source, progress):
        self.args = args
        self.servers = servers
        self.devices = devices
        self.peer_source = peer_source
        self.progress = progress
        self.rows = []
        self.failures = []
        self.peer = None
        self.added_servers = []
        self.api_errors = {}

    # Setup

    def setup(self):
        # NOTE(expether): on tmpfs when there is one: what is measured is
        # CPU and the number of writes, not the disk's fsync latency.
        shm = '/dev/shm' if os.path.isdir('/dev/shm') else None
        self.workdir = tempfile.mkdtemp(prefix='expether-bench-', dir=shm)
        url = self.args.database or 'sqlite:///%s' % os.path.join(
            self.workdir, 'ironic.sqlite')
        CONF.set_override('connection', url, 'database')
        engine = pool_session.get_engine()
        ironic_models.Base.metadata.create_all(engine)
        pool_models.Base.metadata.create_all(engine)
        self.writes = WriteCounter(engine)
        self.context = ironic_context.get_admin_context()

        devices = inventory.generate_inventory(self.servers, self.devices,
                                               seed=7)
        self.state = emulator_state.EEMState(devices)
        self.server = emulator_server.EmulatorServer(self.state).start()
        self.clock = EmulatorClock(self.server)
        self.control = emulator_control.EmulatorControl(self.server.url)
        self.eesvs = [d['id'] for d in devices if d['status'] == 'eesv']
        self.eeios = [d['id'] for d in devices if d['status'] == 'eeio']
        # A third of the devices in servers' groups, the rest free.
        self.groups = {}
        per_server = max(1, len(self.eeios) // 3 // max(1, len(self.eesvs)))
        used = iter(self.eeios)
        for eesv in self.eesvs:
            gid = self.state.set_group(eesv, None)['group_id']
            self.groups[eesv] = gid
            for _n in range(per_server):
                self.state.set_group(next(used), gid)
        self.podm = db_api.create_pod_manager(
            {'name': 'bench', 'url': self.server.url})
        started = time.monotonic()
        for eesv in self.eesvs:
            node = objects.Node(
                self.context, driver='expether',
                uuid=podm_api.node_uuid_for(self.podm.uuid, eesv),
                driver_info={'eem_address': self.server.url,
                             'eesv_id': eesv},
                provision_state=states.AVAILABLE,
                power_state=states.POWER_ON, properties={})
            driver_factory.check_and_update_node_interfaces(node)
            node.create()
        if self.peer_source is not None:
            db = valence_peer.MemoryDB()
            module = valence_peer.load(self.peer_source, db)
            self.peer = valence_peer.Peer(module, db, self.server.url)
        self.progress('pod of %d servers (Ironic nodes) and %d devices, %d '
                      'of them in servers\' groups; nodes created in %.1f s'
                      % (len(self.eesvs), len(self.eeios),
                         per_server * len(self.eesvs),
                         time.monotonic() - started))

    def teardown(self):
        self.server.stop()
        pool_session.get_engine().dispose()
        shutil.rmtree(self.workdir, ignore_errors=True)

    # Measuring

    def measure(self, func, runs=1, prepare=None, valence=False):
        """Run func ``runs`` times; the median of each figure.

        :param prepare: called before each run, not measured.
        :param valence: count the Valence stand-in's writes, not the
            database's.
        """
        samples = []
        for _run in range(runs):
            if prepare is not None:
                prepare()
            self.control.reset_counters()
            self.clock.reset()
            writes = self.peer.db.writes if valence else self.writes.count
            wall, cpu, thread_cpu = (time.perf_counter(), time.process_time(),
                                     time.thread_time())
            result = func()
            wall, cpu, thread_cpu = (time.perf_counter() - wall,
                                     time.process_time() - cpu,
                                     time.thread_time() - thread_cpu)
            writes = (self.peer.db.writes if valence
                      else self.writes.count) - writes
            counters = self.control.counters()
            samples.append({
                'wall': wall, 'cpu': cpu, 'thread_cpu': thread_cpu,
                'writes': writes, 'requests': sum(counters.values()),
                'detail': counters.get(DETAIL, 0),
                'emulator_ms': self.clock.per_request_ms(),
                'runs': 1, 'result': result})
        return combine(samples)

    def row(self, operation, plugin=None, valence=None, fewest=None,
            k=None, note='', valence_note=''):
        if valence is None and not valence_note and self.peer is None:
            valence_note = 'Valence not measured'
        entry = {'servers': self.servers, 'devices': self.devices,
                 'operation': operation, 'k': k, 'plugin': plugin,
                 'valence': valence, 'fewest': fewest, 'note': note,
                 'valence_note': valence_note}
        self.rows.append(entry)
        parts = []
        for side, m in (('plugin', plugin), ('Valence', valence)):
            if m is not None:
                parts.append('%s %g requests, %.1f ms CPU, %g writes'
                             % (side, m['requests'], 1000 * m['thread_cpu'],
                                m['writes']))
        if fewest is not None:
            parts.append('fewest %d' % fewest)
        self.progress('%d/%d %s: %s' % (
            self.servers, self.devices, operation, '; '.join(parts) or note))
        return entry

    def check(self, row, what, ok):
        if not ok:
            self.failures.append('%d servers, %s: %s'
                                 % (self.servers, row['operation'], what))

    # Discovery and power

    def sync(self, use_lease=False):
        results = discovery.sync(self.context, use_lease=use_lease)
        for result in results:
            if result['status'] != 'SUCCESS':
                raise SystemExit('discovery failed: %s' % result)
        return results[0].get('changes', {})

    def change_one_percent(self):
        count = max(3, len(self.eeios) // 100)
        free = [d for d in self.eeios
                if self.state.get_device(d)['group_id'] == FREE_GROUP]
        free_set = set(free)
        used = [d for d in self.eeios if d not in free_set]
        third = count // 3
        for n, eeid in enumerate(free[:third]):
            eesv = self.eesvs[n % len(self.eesvs)]
            self.state.set_group(eeid, self.groups[eesv])
        for eeid in used[:third]:
            self.state.delete_group(eeid)
        for eeid in free[third:count - third]:
            self.state.set_down(eeid)
        return count

    def power_reads(self):
        snapshot.clear()
        driver_utils.clear_client_cache()
        nodes = objects.Node.list(self.context)
        for node in nodes:
            driver_utils.eem_power_state(node)
        return {'reads': len(nodes)}

    def peer_measure(self, func, runs=1, prepare=None):
        if self.peer is None:
            return None
        return self.measure(func, runs=runs, prepare=prepare, valence=True)

    def discovery_rows(self):
        runs = self.args.runs
        peer = self.peer
        first = self.row('discovery: first',
                         self.measure(self.sync),
                         self.peer_measure(lambda: peer.sync()), fewest=1,
                         note='one run')
        steady = self.row('discovery: steady',
                          self.measure(self.sync, runs=runs),
                          self.peer_measure(lambda: peer.sync(), runs=runs),
                          fewest=1)
        lease = self.row('discovery: steady+lease',
                         self.measure(lambda: self.sync(use_lease=True),
                                      runs=runs),
                         fewest=1,
                         valence_note='Valence has no lease: every Valence '
                                      'service syncs every EEM')
        plugin, valence = [], []
        for _run in range(runs):
            changed = self.change_one_percent()
            plugin.append(self.measure(self.sync))
            if peer is not None:
                valence.append(self.peer_measure(lambda: peer.sync()))
        changed = self.row('discovery: 1%% changed (%d devices)' % changed,
                           combine(plugin),
                           combine(valence) if valence else None, fewest=1)
        again = self.row('discovery: steady again',
                         self.measure(self.sync, runs=runs),
                         self.peer_measure(lambda: peer.sync(), runs=runs),
                         fewest=1)
        for row in (first, steady, lease, changed, again):
            self.check(row, 'one devices/detail request',
                       row['plugin']['detail'] == 1
                       and row['plugin']['requests'] == 1)
        for row in (steady, again):
            self.check(row, 'zero database writes',
                       row['plugin']['writes'] == 0)
            self.check(row, 'CPU under %.1f s' % CPU_TARGET,
                       row['plugin']['cpu'] < CPU_TARGET)

    def power_row(self):
        runs = self.args.runs
        power = self.row(
            'power reads of %d nodes' % len(self.eesvs),
            self.measure(self.power_reads, runs=runs),
            self.peer_measure(lambda: self.peer.power_reads(self.eesvs),
                              runs=runs),
            fewest=1,
            valence_note='Valence reads one node at a time and cannot '
                         'switch power (EEM cannot; it has no BMC support)')
        self.check(power, 'one EEM request for every node',
                   power['plugin']['requests'] == 1)

    # Compose, release, attach, detach

    def add_free_servers(self, count):
        """Cable server engines without Ironic nodes into the emulator."""
        known = set(self.eesvs) | set(self.eeios) | set(self.added_servers)
        suffix = (1 << 24) - 1
        added = 0
        while added < count:
            eeid = '%s%06x' % (inventory.EE_ID_PREFIX, suffix)
            suffix -= 1
            if eeid not in known:
                self.state.add_device(inventory.make_eesv(eeid))
                self.added_servers.append(eeid)
                added += 1

    def composed(self, node, types):
        """Check that a composed node holds its devices, in EEM too."""
        devices = claims.devices_of_node(node.uuid)
        group = self.state.get_device(node.driver_info['eesv_id'])[
            'group_id']
        return (sorted(d.type for d in devices) == sorted(types)
                and all(d.state == 'allocated' for d in devices)
                and all(self.state.get_device(d.eeid)['group_id'] == group
                        for d in devices))

    def free_in_eem(self, eeids):
        return all(self.state.get_device(eeid)['group_id'] == FREE_GROUP
                   for eeid in eeids)

    def vendor(self, node, method, **kwargs):
        # NOTE(expether): what the conductor runs for a vendor passthru,
        # without the RPC around it.
        with task_manager.acquire(self.context, node.uuid,
                                  purpose=method) as task:
            return getattr(task.driver.vendor, method)(
                task, http_method='POST', **kwargs)

    def plugin_compose(self, name, types):
        holder = {}

        def run():
            holder['node'] = compose.compose(
                self.context, name, podm_uuid=self.podm.uuid, types=types)
            return {}
        return self.measure(run), holder['node']

    def plugin_release(self, node):
        holder = {}

        def run():
            holder['released'] = self.vendor(node, 'release')['released']
            return {'released': len(holder['released'])}
        measurement = self.measure(run)
        return measurement, [db_api.get_device(uuid).eeid
                             for uuid in holder['released']]

    def compose_rows(self):
        runs = self.args.runs
        peer = self.peer
        self.add_free_servers(FREE_SERVERS)
        for k in KS:
            types = types_for(k)
            composes, releases = [], []
            for run in range(runs):
                measurement, node = self.plugin_compose(
                    'bench-k%d-%d' % (k, run), types)
                composes.append(measurement)
                ok = self.composed(node, types)
                measurement, eeids = self.plugin_release(node)
                releases.append(measurement)
                ok = ok and len(eeids) == k and self.free_in_eem(eeids)
                if not ok:
                    self.failures.append(
                        '%d servers, compose k=%d: the node does not hold '
                        'its devices in EEM, or they were not freed'
                        % (self.servers, k))
            v_composes, v_releases = [], []
            if peer is not None:
                self.peer_ready()
                for run in range(runs):
                    holder = {}

                    def run_compose():
                        holder['node'] = peer.compose(
                            'valence-k%d-%d' % (k, run), types)
                        return {}
                    v_composes.append(self.peer_measure(run_compose))
                    node = holder['node']
                    held = [d['properties']['device_id']
                            for d in peer.devices_of(node)]
                    v_releases.append(self.peer_measure(
                        lambda: peer.release(node)))
                    if len(held) != k or not self.free_in_eem(held):
                        self.failures.append(
                            '%d servers, Valence compose k=%d: %d devices '
                            'attached, or not freed' % (self.servers, k,
                                                        len(held)))
            one = self.row('compose k=%d' % k, combine(composes),
                           combine(v_composes) if v_composes else None,
                           fewest=k + 1, k=k, note=VALENCE_TYPES_NOTE)
            release = self.row('release k=%d' % k, combine(releases),
                               combine(v_releases) if v_releases else None,
                               fewest=k, k=k)
            self.check_compose(one, release, k)

    def peer_ready(self):
        """Valence's database current, and off the plugin's servers."""
        held = {node.driver_info.get('eesv_id')
                for node in objects.Node.list(self.context)}
        if not set(self.added_servers) - held:
            # The plugin's composes took every spare server engine.
            self.add_free_servers(1)
        self.peer.set_foreign_nodes(held)
        self.peer.sync()

    def free_device(self, pci_type):
        for device in db_api.list_devices(podm_uuid=self.podm.uuid,
                                          state='free', type=pci_type):
            eem = self.state.get_device(device.eeid)
            if (eem['group_id'] == FREE_GROUP
                    and eem['notification_status0'][0] == 'up'):
                return device
        raise SystemExit('no free %s left in the pod' % pci_type)

    def attach_rows(self):
        runs = self.args.runs
        peer = self.peer
        _measurement, node = self.plugin_compose('bench-attach', ['NIC'])
        attaches, detaches = [], []
        for _run in range(runs):
            device = self.free_device('NIC')
            attaches.append(self.measure(lambda: self.vendor(
                node, 'attach', resource_id=device.uuid) and {}))
            attached = self.state.get_device(device.eeid)['group_id']
            detaches.append(self.measure(lambda: self.vendor(
                node, 'detach', resource_id=device.uuid) and {}))
            if attached == FREE_GROUP or not self.free_in_eem([device.eeid]):
                self.failures.append('%d servers, attach/detach: device %s '
                                     'not moved in EEM'
                                     % (self.servers, device.eeid))
        self.plugin_release(node)
        v_attaches, v_detaches = [], []
        if peer is not None:
            self.peer_ready()
            node = peer.compose('valence-attach', ['NIC'])
            for _run in range(runs):
                device = peer.free_device('NIC')
                v_attaches.append(self.peer_measure(
                    lambda: peer.attach(node, device)))
                v_detaches.append(self.peer_measure(
                    lambda: peer.detach(node, device)))
            peer.release(node)
        attach = self.row('attach', combine(attaches),
                          combine(v_attaches) if v_attaches else None,
                          fewest=2)
        detach = self.row('detach', combine(detaches),
                          combine(v_detaches) if v_detaches else None,
                          fewest=1)
        self.check(attach, 'at most %d EEM requests' % ATTACH_REQUESTS,
                   attach['plugin']['requests'] <= ATTACH_REQUESTS)
        self.check(detach, 'at most %d EEM requests' % DETACH_REQUESTS,
                   detach['plugin']['requests'] <= DETACH_REQUESTS)

    # Parallel clients through Ironic's API

    def api_rows(self):
        """Composes and attach/detach cycles of parallel clients.

        Ironic's own single-process ``ironic`` (the standalone stack's,
        with its own SQLite database) on the same emulator, after every
        other row has given its devices back; clients call its REST API
        as ``baremetal`` would. Valence's composes run its driver in
        threads (its API was a Flask app in front of the same code).
        """
        self.add_free_servers(max(CLIENTS))
        started = time.monotonic()
        options = standalone_stack.StackOptions(
            workdir=os.path.join(self.workdir, 'stack'),
            port=standalone_stack.free_port(), eem_address=self.server.url,
            # NOTE(expether): the emulator here asks for no credentials;
            # the pod manager registration needs some all the same.
            eem_username='bench', eem_password='bench', enroll=False,
            bmc=False, valence=False,
            sync_power_state_interval=3600, start_timeout=300)
        stack = standalone_stack.Stack(
            options,
            echo=lambda text: self.progress('Ironic stack: %s' % text))
        stack.start()
        try:
            self.endpoint = stack.endpoint
            api = stack.api()
            api.call_driver_passthru('expether', 'sync', 'POST', {})
            self.progress('Ironic (single process) started and synced in '
                          '%.1f s' % (time.monotonic() - started))
            for clients in CLIENTS:
                self.parallel_rows(clients)
        finally:
            stack.stop()

    def api_call(self, api, method, path, body, latencies, answers):
        """One call, tried again on 409 as Ironic's clients do."""
        for _try in range(LOCKED_TRIES):
            started = time.perf_counter()
            try:
                result = api.request(method, path, json=body,
                                     ok=(200, 201, 202))
            except ironic_api.IronicAPIError as e:
                answers[e.status or 'no answer'] += 1
                if e.status != 409 and not self.api_errors.get(e.status):
                    self.api_errors[e.status] = str(e)
                    self.progress('first %s answer: %s' % (e.status, e))
                if e.status == 409 and 'locked' in str(e).lower():
                    time.sleep(LOCKED_WAIT)
                    continue
                return None
            latencies.append(time.perf_counter() - started)
            answers[200] += 1
            return result
        return None

    def in_threads(self, clients, work):
        """Run work(client) in parallel threads; the wall time."""
        barrier = threading.Barrier(clients + 1)
        errors = []

        def run(client):
            barrier.wait()
            try:
                work(client)
            except Exception as e:
                errors.append(e)
        threads = [threading.Thread(target=run, args=(n,))
                   for n in range(clients)]
        for thread in threads:
            thread.start()
        barrier.wait()
        started = time.perf_counter()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        return time.perf_counter() - started

    def free_eeids(self, count):
        found = []
        for eeid in self.eeios:
            eem = self.state.get_device(eeid)
            if (eem['group_id'] == FREE_GROUP
                    and eem['notification_status0'][0] == 'up'):
                found.append(eeid)
                if len(found) == count:
                    return found
        raise SystemExit('fewer than %d free devices left' % count)

    def parallel_rows(self, clients):
        # NOTE(expether): one round in --quick, where Ironic's start and
        # these rows take most of the five minutes.
        runs = 1 if self.args.quick else self.args.runs
        compose_latencies, compose_answers, rates = [], collections.Counter(
        ), []
        cycle_latencies = {'attach': [], 'detach': []}
        cycle_answers, cycle_rates = collections.Counter(), []
        requests = []
        path = '/v1/drivers/expether/vendor_passthru/compose'
        for run in range(runs):
            nodes = [None] * clients

            def compose_one(client):
                api = ironic_api.IronicAPI(self.endpoint, timeout=120)
                nodes[client] = self.api_call(
                    api, 'POST', path, {
                        'name': 'api-%d-%d-%d' % (clients, run, client),
                        'properties': {'pci_device': {'type': [
                            COMPOSE_CYCLE[client % len(COMPOSE_CYCLE)]]}}},
                    compose_latencies, compose_answers)
            self.control.reset_counters()
            wall = self.in_threads(clients, compose_one)
            done = [node for node in nodes if node]
            rates.append(len(done) / wall)
            if done:
                requests.append(sum(self.control.counters().values())
                                / len(done))
            if run == 0 and len(done) == clients:
                eeids = self.free_eeids(clients)

                def cycle(client):
                    api = ironic_api.IronicAPI(self.endpoint, timeout=120)
                    node_path = ('/v1/nodes/%s/vendor_passthru'
                                 % nodes[client]['uuid'])
                    body = {'resource_id': eeids[client]}
                    for _n in range(CYCLES):
                        for method in ('attach', 'detach'):
                            self.api_call(api, 'POST', '%s?method=%s'
                                          % (node_path, method), body,
                                          cycle_latencies[method],
                                          cycle_answers)
                wall = self.in_threads(clients, cycle)
                cycle_rates.append(2 * CYCLES * clients / wall)
                if not self.free_in_eem(eeids):
                    self.failures.append('%d servers, %d clients: a device '
                                         'stayed attached after its '
                                         'detach' % (self.servers, clients))
            api = ironic_api.IronicAPI(self.endpoint, timeout=120)
            for node in done:
                self.api_call(api, 'POST', '/v1/nodes/%s/vendor_passthru'
                              '?method=release' % node['uuid'], {}, [],
                              collections.Counter())
        plugin = {'clients': clients, 'runs': runs,
                  'throughput': statistics.median(rates),
                  'requests': statistics.median(requests)
                  if requests else None,
                  'answers': dict(compose_answers)}
        plugin.update(percentiles(compose_latencies))
        valence = self.valence_parallel(clients) if self.peer else None
        self.parallel_row('parallel composes, clients: %d' % clients,
                          clients, plugin, valence)
        if cycle_rates:
            plugin = {'clients': clients, 'runs': 1, 'cycles': CYCLES,
                      'throughput': statistics.median(cycle_rates),
                      'answers': dict(cycle_answers)}
            for method in ('attach', 'detach'):
                for key, value in percentiles(
                        cycle_latencies[method]).items():
                    plugin['%s_%s' % (method, key)] = value
            self.parallel_row('parallel attach/detach, clients: %d'
                              % clients, clients, plugin, None)

    def valence_parallel(self, clients):
        """Valence's composes from parallel threads, and what they did."""
        self.peer_ready()
        rates, latencies, servers, devices = [], [], [], []
        runs = 1 if self.args.quick else self.args.runs
        for run in range(runs):
            nodes = [None] * clients

            def compose_one(client):
                started = time.perf_counter()
                try:
                    nodes[client] = self.peer.compose(
                        'valence-api-%d-%d' % (run, client),
                        [COMPOSE_CYCLE[client % len(COMPOSE_CYCLE)]])
                except valence_peer.ValenceError:
                    return
                latencies.append(time.perf_counter() - started)
            wall = self.in_threads(clients, compose_one)
            done = [node for node in nodes if node]
            rates.append(len(done) / wall)
            indexes = {node['index'] for node in done}
            groups = {self.state.get_device(index)['group_id']
                      for index in indexes}
            servers.append(len(indexes))
            held = [eeid for eeid in self.eeios
                    if self.state.get_device(eeid)['group_id'] in groups]
            devices.append(len(held))
            for node in done:
                self.peer.release(node)
            # NOTE(expether): Valence's release detaches what its database
            # says a node holds; a device that two threads both attached
            # stays in a group, and is freed here.
            for eeid in held:
                if self.state.get_device(eeid)['group_id'] in groups:
                    self.state.delete_group(eeid)
            self.peer.sync()
        result = {'clients': clients, 'runs': runs,
                  'throughput': statistics.median(rates),
                  'servers': min(servers), 'devices': min(devices),
                  'composes': clients}
        result.update(percentiles(latencies))
        return result

    def parallel_row(self, operation, clients, plugin, valence):
        entry = {'servers': self.servers, 'devices': self.devices,
                 'operation': operation, 'clients': clients,
                 'parallel': True, 'plugin': plugin, 'valence': valence}
        self.rows.append(entry)
        text = '%s: plugin %.1f/s, p50 %.0f ms, p95 %.0f ms, answers %s' % (
            operation, plugin['throughput'],
            plugin.get('p50_ms', plugin.get('attach_p50_ms', 0)),
            plugin.get('p95_ms', plugin.get('attach_p95_ms', 0)),
            plugin['answers'])
        if valence:
            text += ('; Valence %.1f/s, %d composes on %d server engines '
                     'with %d devices' % (valence['throughput'],
                                          valence['composes'],
                                          valence['servers'],
                                          valence['devices']))
        self.progress('%d/%d %s' % (self.servers, self.devices, text))
        return entry

    def check_compose(self, one, release, k):
        """Check the EEM requests and database writes of compose rows."""
        requests = COMPOSE_REQUESTS_PER_DEVICE * k + COMPOSE_REQUESTS_FIXED
        self.check(one, 'at most %d EEM requests' % requests,
                   one['plugin']['requests'] <= requests)
        self.check(one, 'at most %d listings' % (k + 1),
                   one['plugin']['detail'] <= k + 1)
        writes = COMPOSE_NODE_WRITES + COMPOSE_WRITES * k
        self.check(one, 'at most %d database writes' % writes,
                   one['plugin']['writes'] <= writes)
        requests = RELEASE_REQUESTS_PER_DEVICE * k + RELEASE_REQUESTS_FIXED
        self.check(release, 'at most %d EEM requests' % requests,
                   release['plugin']['requests'] <= requests)
        writes = RELEASE_WRITES * k + RELEASE_NODE_WRITES
        self.check(release, 'at most %d database writes' % writes,
                   release['plugin']['writes'] <= writes)

    def rollback_row(self, k=2):
        """A compose whose k-th device move fails, and its rollback."""
        real = self.state.set_group
        moves = []

        def failing(eeid, group_id=None, update_time=None):
            if self.state.get_device(eeid)['status'] == 'eeio':
                moves.append(eeid)
                if len(moves) == k:
                    raise emulator_state.EEMStateError('injected by bench')
            return real(eeid, group_id, update_time=update_time)

        def run():
            try:
                compose.compose(self.context, 'bench-rollback',
                                podm_uuid=self.podm.uuid, types=types_for(k))
            except Exception:
                return {}
            self.failures.append('%d servers, rollback: the compose did not '
                                 'fail' % self.servers)
            return {}
        self.state.set_group = failing
        try:
            measurement = self.measure(run)
        finally:
            self.state.set_group = real
        counters = self.control.counters()
        undone = counters.get('DELETE /eem/devices/<id>/group_id', 0)
        puts = counters.get('PUT /eem/devices/<id>/group_id', 0)
        row = self.row('compose failing at device %d, rolled back' % k,
                       measurement, fewest=1 + puts + undone + 1, k=k)
        self.check(row, 'undoes its %d move(s)' % (k - 1),
                   undone == k - 1 and self.free_in_eem(moves))
        self.check(row, 'rollback in at most %d EEM requests' % (undone + 1),
                   measurement['requests'] <= 1 + puts + undone + 1)

    def run(self):
        self.setup()
        try:
            self.discovery_rows()
            self.power_row()
            self.compose_rows()
            self.attach_rows()
            self.rollback_row()
            if not self.args.no_api:
                self.api_rows()
            self.row('cluster safety',
                     note='claims in the database (one conditional update '
                          'per device) and a lease per EEM: two conductors '
                          'never take the same device or server',
                     valence_note='none: two Valence workers can pick the '
                                  'same server engine and device; no lock '
                                  'between EEM and etcd')
        finally:
            self.teardown()
        return self.rows, self.failures


# Output

def _num(value, digits=None):
    if value is None:
        return '-'
    if digits is not None:
        return '%.*f' % (digits, value)
    return '%g' % value


def _ratio(value, fewest):
    if value is None or not fewest:
        return '-'
    return '%.1f' % (value / fewest)


def markdown(rows):
    header = ('operation', 'EEM requests: plugin', 'Valence', 'fewest',
              'plugin / fewest', 'Valence / fewest', 'thread CPU ms: plugin',
              'Valence', 'DB writes: plugin', 'Valence',
              'latency ms: plugin', 'Valence', 'emulator ms/request',
              'notes')
    lines = []
    sizes = []
    for row in rows:
        if (row['servers'], row['devices']) not in sizes:
            sizes.append((row['servers'], row['devices']))
    for servers, devices in sizes:
        lines.append('### %d servers, %d devices' % (servers, devices))
        lines.append('')
        lines.append('| ' + ' | '.join(header) + ' |')
        lines.append('|' + '---|' * len(header))
        for row in rows:
            if ((row['servers'], row['devices']) != (servers, devices)
                    or row.get('parallel')):
                continue
            p = row['plugin'] or {}
            v = row['valence'] or {}
            emulator = [m['emulator_ms'] for m in (p, v) if m.get('requests')]
            notes = '; '.join(n for n in (row['note'], row['valence_note'])
                              if n)
            lines.append('| ' + ' | '.join((
                row['operation'], _num(p.get('requests')),
                _num(v.get('requests')), _num(row['fewest']),
                _ratio(p.get('requests'), row['fewest']),
                _ratio(v.get('requests'), row['fewest']),
                _num(p.get('thread_cpu') and 1000 * p['thread_cpu'], 1),
                _num(v.get('thread_cpu') and 1000 * v['thread_cpu'], 1),
                _num(p.get('writes')), _num(v.get('writes')),
                _num(p.get('wall') and 1000 * p['wall'], 1),
                _num(v.get('wall') and 1000 * v['wall'], 1),
                _num(max(emulator) if emulator else None, 2),
                notes)) + ' |')
        lines.append('')
        lines.extend(parallel_table([
            row for row in rows if row.get('parallel')
            and (row['servers'], row['devices']) == (servers, devices)]))
    return '\n'.join(lines)


def parallel_table(rows):
    if not rows:
        return []
    header = ('parallel clients through Ironic\'s API', 'plugin ops/s',
              'p50 ms', 'p95 ms', 'EEM requests per compose',
              'answers (status: count)', 'Valence composes/s', 'p50 ms',
              'p95 ms', 'what Valence\'s composes did')
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    for row in rows:
        p = row['plugin']
        v = row['valence'] or {}
        if 'cycles' in p:
            p50, p95 = ['attach %s, detach %s' % (
                _num(p.get('attach_%s_ms' % q), 0),
                _num(p.get('detach_%s_ms' % q), 0)) for q in ('p50', 'p95')]
            outcome = 'not measured (Valence composes collide)'
        else:
            p50, p95 = _num(p.get('p50_ms'), 0), _num(p.get('p95_ms'), 0)
            outcome = ('%d composes landed on %d server engine(s) holding '
                       '%d device(s)' % (v['composes'], v['servers'],
                                         v['devices'])) if v else '-'
        lines.append('| ' + ' | '.join((
            row['operation'], _num(p['throughput'], 1), p50, p95,
            _num(p.get('requests'), 1),
            ', '.join('%s: %s' % item for item in sorted(
                p['answers'].items(), key=str)),
            _num(v.get('throughput'), 1), _num(v.get('p50_ms'), 0),
            _num(v.get('p95_ms'), 0), outcome)) + ' |')
    lines.append('')
    lines.append('Latencies are wall times seen by the client; an '
                 'attach/detach row runs %d cycles per client on its own '
                 'node; 409 NodeLocked answers are tried again (up to %d '
                 'times) as Ironic\'s clients do.' % (CYCLES, LOCKED_TRIES))
    lines.append('')
    return lines


def _series(rows, operation, side, field, scale=1.0):
    points = sorted((row['devices'], row[side][field] * scale)
                    for row in rows if row['operation'].startswith(operation)
                    and row[side] is not None)
    return [x for x, _y in points], [y for _x, y in points]


def plot(rows, directory):
    """PNG plots of requests and CPU against pod size and against k."""
    try:
        import matplotlib
        matplotlib.use('Agg')
        from matplotlib import pyplot
    except ImportError as e:
        return 'no plots: matplotlib is missing (%s)' % e
    if not rows:
        return 'no plots: no figures'
    written = []
    operations = ('discovery: steady', 'discovery: first', 'power reads',
                  'compose k=4', 'attach')
    figure, axes = pyplot.subplots(1, 2, figsize=(11, 4.2), dpi=80)
    for field, scale, axis, label in (
            ('requests', 1.0, axes[0], 'EEM requests'),
            ('thread_cpu', 1000.0, axes[1], 'thread CPU (ms)')):
        for n, operation in enumerate(operations):
            color = 'C%d' % n
            for side, style in (('plugin', '-o'), ('valence', '--s')):
                xs, ys = _series(rows, operation, side, field, scale)
                if xs:
                    axis.plot(xs, ys, style, color=color,
                              label='%s (%s)' % (operation, side))
        axis.set_xscale('log')
        axis.set_yscale('log')
        axis.set_xlabel('devices in the pod (servers: a tenth)')
        axis.set_ylabel(label)
        axis.grid(True, which='both', alpha=0.3)
    axes[0].set_title('EEM requests against pod size')
    axes[1].set_title('CPU against pod size')
    axes[1].legend(fontsize='x-small', loc='upper left')
    figure.tight_layout()
    path = os.path.join(directory, 'vs-pod-size.png')
    figure.savefig(path)
    pyplot.close(figure)
    written.append(path)

    largest = max(row['devices'] for row in rows)
    figure, axes = pyplot.subplots(1, 2, figsize=(11, 4.2), dpi=80)
    for field, scale, axis, label in (
            ('requests', 1.0, axes[0], 'EEM requests'),
            ('thread_cpu', 1000.0, axes[1], 'thread CPU (ms)')):
        for n, operation in enumerate(('compose', 'release')):
            chosen = sorted((row for row in rows
                             if row['devices'] == largest
                             and row['operation'].startswith(operation)),
                            key=lambda row: row['k'])
            ks = [row['k'] for row in chosen]
            for side, style in (('plugin', '-o'), ('valence', '--s')):
                values = [row[side][field] * scale for row in chosen
                          if row[side] is not None]
                if len(values) == len(ks) and ks:
                    axis.plot(ks, values, style, color='C%d' % n,
                              label='%s (%s)' % (operation, side))
            if field == 'requests' and ks:
                axis.plot(ks, [row['fewest'] for row in chosen], ':',
                          color='C%d' % n, label='%s (fewest)' % operation)
        axis.set_xlabel('devices per node (k)')
        axis.set_ylabel(label)
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize='small')
    axes[0].set_title('EEM requests against k (%d devices)' % largest)
    axes[1].set_title('CPU against k (%d devices)' % largest)
    figure.tight_layout()
    path = os.path.join(directory, 'vs-k.png')
    figure.savefig(path)
    pyplot.close(figure)
    written.append(path)
    return 'plots: %s' % ', '.join(written)


def write_results(directory, rows, failures, args, peer_status, wall):
    os.makedirs(directory, exist_ok=True)
    table = markdown(rows)
    with open(os.path.join(directory, 'results.md'), 'w') as f:
        f.write('# ironic-expether benchmark, plugin and Valence\n\n')
        f.write('Valence: %s\n\n' % peer_status)
        f.write(table)
    document = {
        'generated': datetime.datetime.now(
            datetime.timezone.utc).isoformat(timespec='seconds'),
        'quick': args.quick, 'runs': args.runs,
        'python': platform.python_version(),
        'cpus': os.cpu_count(), 'wall_seconds': wall,
        'valence': {'requirement': valence_peer.REQUIREMENT,
                    'status': peer_status},
        'targets': {
            'compose_requests': '%d * k + %d' % (
                COMPOSE_REQUESTS_PER_DEVICE, COMPOSE_REQUESTS_FIXED),
            'release_requests': '%d * k + %d' % (
                RELEASE_REQUESTS_PER_DEVICE, RELEASE_REQUESTS_FIXED),
            'attach_requests': ATTACH_REQUESTS,
            'detach_requests': DETACH_REQUESTS},
        'rows': rows, 'failures': failures}
    with open(os.path.join(directory, 'results.json'), 'w') as f:
        json.dump(document, f, indent=1, default=str)
        f.write('\n')
    return table, plot(rows, directory)


def configure():
    CONF([], project='ironic', default_config_files=[])
    CONF.set_override('host', 'bench-conductor')
    CONF.set_override('enabled_hardware_types', ['expether'])
    CONF.set_override('enabled_power_interfaces', ['expether'])
    CONF.set_override('enabled_management_interfaces', ['expether'])
    CONF.set_override('enabled_vendor_interfaces', ['expether'])
    CONF.set_override('enabled_boot_interfaces', ['fake'])
    CONF.set_override('enabled_deploy_interfaces', ['fake'])
    CONF.set_override('enabled_network_interfaces', ['noop'])
    CONF.set_override('default_network_interface', 'noop')
    CONF.set_override('power_state_cache_ttl', 60, 'expether')
    objects.register_all()


def _size(text):
    servers, _sep, devices = text.partition(':')
    return int(servers), int(devices)


def run_size(args, servers, devices, source):
    """Measure one pod in a process of its own (a fresh database)."""
    if args.part:
        progress = Progress()
        configure()
        rows, failures = Bench(args, servers, devices, source,
                               progress).run()
        with open(args.part, 'w') as f:
            json.dump({'rows': rows, 'failures': failures}, f,
                      default=str)
        return rows, failures
    with tempfile.NamedTemporaryFile(suffix='.json') as part:
        child = [sys.executable, os.path.abspath(__file__), '--size',
                 '%d:%d' % (servers, devices), '--runs', str(args.runs),
                 '--part', part.name]
        if args.no_api:
            child.append('--no-api')
        if args.quick:
            child.append('--quick')
        if args.database:
            child += ['--database', args.database]
        if source is not None:
            child += ['--valence-source', source]
        if subprocess.call(child) != 0:
            return [], ['%d servers: the benchmark process failed'
                        % servers]
        with open(part.name) as f:
            done = json.load(f)
    return done['rows'], done['failures']


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--quick', action='store_true',
                        help='only the smallest pod, %d servers and %d '
                             'devices (for CI)' % QUICK[0])
    parser.add_argument('--size', type=_size, action='append',
                        metavar='SERVERS:DEVICES',
                        help='a pod size (repeatable)')
    parser.add_argument('--servers', type=int, default=None)
    parser.add_argument('--devices', type=int, default=None)
    parser.add_argument('--runs', type=int, default=RUNS,
                        help='runs of each measurement, the median shown')
    parser.add_argument('--database', default=None,
                        help='SQLAlchemy URL of an EMPTY database to use '
                             'instead of a temporary SQLite file (one '
                             'size only)')
    parser.add_argument('--results', default=RESULTS,
                        help='where the table, JSON and plots go')
    parser.add_argument('--no-valence', action='store_true',
                        help='leave Valence out')
    parser.add_argument('--no-api', action='store_true',
                        help='leave out the parallel clients through '
                             'Ironic\'s API (they start Ironic)')
    parser.add_argument('--valence-sdist', default=None,
                        help='a local %s sdist instead of downloading it'
                             % valence_peer.REQUIREMENT)
    # Internal: one size in a child process.
    parser.add_argument('--part', default=None, help=argparse.SUPPRESS)
    parser.add_argument('--valence-source', default=None,
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.servers or args.devices:
        sizes = [(args.servers or QUICK[0][0], args.devices or QUICK[0][1])]
    else:
        sizes = args.size or (QUICK if args.quick else FULL)
    if args.database and len(sizes) > 1:
        parser.error('--database takes one size (--size)')
    logging.basicConfig(level=logging.WARNING)
    # NOTE(expether): every benchmarked compose takes a new server engine
    # still in its default group, and fabric warns about each one.
    logging.getLogger('ironic_expether.eem_access.fabric').setLevel(
        logging.ERROR)
    if args.part:
        run_size(args, sizes[0][0], sizes[0][1], args.valence_source)
        return 0
    progress = Progress()
    peerdir = tempfile.mkdtemp(prefix='expether-bench-valence-')
    try:
        source = None
        if args.no_valence:
            peer_status = 'left out (--no-valence)'
        else:
            progress('downloading %s (no dependencies) into %s'
                     % (valence_peer.REQUIREMENT, peerdir))
            try:
                source = valence_peer.download(peerdir, args.valence_sdist)
                peer_status = ('%s, valence/podmanagers/expether_manager.py'
                               % valence_peer.REQUIREMENT)
            except valence_peer.PeerUnavailable as e:
                peer_status = 'SKIPPED: %s' % e
                print('Valence peer skipped, its rows stay empty: %s' % e,
                      flush=True)
        rows, failures = [], []
        for servers, devices in sizes:
            progress('pod of %d servers and %d devices' % (servers, devices))
            size_rows, size_failures = run_size(args, servers, devices,
                                                source)
            rows.extend(size_rows)
            failures.extend(size_failures)
    finally:
        shutil.rmtree(peerdir, ignore_errors=True)
    table, plots = write_results(args.results, rows, failures, args,
                                 peer_status,
                                 time.monotonic() - progress.started)
    print()
    print('Valence: %s' % peer_status)
    print()
    print(table)
    print('Results in %s (results.md, results.json); %s'
          % (args.results, plots))
    if failures:
        print('MISSED: %s' % '; '.join(failures))
        return 1
    print('All targets met: one devices/detail per discovery cycle; steady '
          'cycles make 0 database writes and use < %.1f s CPU; one EEM '
          'request for all power reads; a compose of k devices makes at '
          'most %d * k + %d EEM requests, a release %d * k + %d, an attach '
          '%d, a detach %d.' % (CPU_TARGET, COMPOSE_REQUESTS_PER_DEVICE,
                                COMPOSE_REQUESTS_FIXED,
                                RELEASE_REQUESTS_PER_DEVICE,
                                RELEASE_REQUESTS_FIXED, ATTACH_REQUESTS,
                                DETACH_REQUESTS))
    return 0


if __name__ == '__main__':
    sys.exit(main())
