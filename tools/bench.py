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

"""Benchmark of periodic discovery and of the shared power snapshot.

Runs the conductor's discovery code (:func:`ironic_expether.pool.discovery.
sync`) in this process against an in-process EEM emulator over real HTTP
on 127.0.0.1, with Ironic's database and the pool's tables in a temporary
SQLite file (on ``/dev/shm`` when it exists), or ``--database URL``.
Every server engine is an Ironic node of the ``expether`` driver and a
third of the devices sit in servers' groups, so the node side of
discovery is exercised too.

Measured, each in its own row:

* ``cold``: the first cycle (every device joins the pool, every node's
  properties and traits are written);
* ``steady``: a cycle where nothing changed (target: zero database
  writes, under one second of CPU, one ``devices/detail`` request);
* ``steady+lease``: the same through the periodic task's path, which
  renews the pod manager's lease (one write, by design);
* ``1% changed``: a cycle after 1% of the devices moved in or out of
  servers' groups or went down outside Ironic;
* ``power reads``: one power state read per node (nodes without a BMC)
  through the shared snapshot (target: one EEM request for all of them);
* ``compose (2 devices)``: one compose
  (:func:`ironic_expether.pool.compose.compose`) of a node with a GPU
  and a NIC from the full pool;
* ``release (2 devices)``: the node's devices back to the pool, through
  the ``release`` vendor passthru under the node's exclusive lock, as the
  conductor runs it;
* ``10 composes``: ten composes in a row, figures per compose.

Compose's EEM requests do not depend on the size of the pod; the target
follows the code: one ``devices/detail`` listing to choose the server
engine, then per device the four requests of
:func:`ironic_expether.eem_access.fabric.connect` (read the server engine,
read the device, list the server's group to check ``max_eeio_count``,
move the device), plus one move when the server engine still sits in
its default group. So at most ``4 * n + 2`` requests for ``n`` devices,
``10`` for two, of which at most ``n + 1`` are listings. A release costs
at most three requests per device
(:func:`ironic_expether.eem_access.fabric.disconnect`: read both engines,
delete the device's group id). Database writes do not depend on it
either: two conditional updates per device (claim, then confirm or
free) and at most six for the node of a compose (create it, or reserve
it and save its new name; properties; traits deleted and inserted; the
reservation released) or five for a release (reserve, properties,
traits, release): at most ``2 * n + 6`` and ``2 * n + 5``. A compose's
CPU does grow with the pod (it parses the whole listing and loads every
``expether`` node); it is shown, not checked.

The composes take free server engines: ``COMPOSES + 1`` new ones
without Ironic nodes are cabled into the emulator after the discovery
rows (the servers whose groups the ``1% changed`` row emptied may be
taken too), and the benchmark checks that every composed node holds its
devices in EEM's view and that released devices are free in it.

CPU is ``time.process_time()`` of the whole process, so it includes the
emulator's threads serving the answer; the ``thread CPU`` column is the
calling thread alone (what the conductor spends). Database writes are
INSERT/UPDATE/DELETE statements counted by a SQLAlchemy event listener.

Usage: ``tox -e bench`` or ``python tools/bench.py [--quick]
[--servers N --devices M] [--database URL]``. Exits 1 when a target is
missed.
"""

import argparse
import logging
import os
import shutil
import sys
import tempfile
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

from ironic_expether.eem_access import snapshot
from ironic_expether.eem_access import utils as driver_utils
from ironic_expether.emulator import control as emulator_control
from ironic_expether.emulator import inventory
from ironic_expether.emulator import server as emulator_server
from ironic_expether.emulator import state as emulator_state
from ironic_expether.pool import claims
from ironic_expether.pool import compose
from ironic_expether.pool.db import api as db_api
from ironic_expether.pool.db import models as pool_models
from ironic_expether.pool.db import session as pool_session
from ironic_expether.pool import discovery

FULL = {'servers': 1000, 'devices': 10000}
QUICK = {'servers': 100, 'devices': 1000}
CPU_TARGET = 1.0
DETAIL = 'GET /eem/devices/detail'
#: Device types of each benchmarked compose.
COMPOSE_TYPES = ('GPU', 'NIC')
#: Composes of the ``10 composes`` row.
COMPOSES = 10
#: EEM requests of a compose of n devices: one listing, four per device
#: (fabric.connect), one group for a server engine in its default group.
COMPOSE_REQUESTS_PER_DEVICE = 4
COMPOSE_REQUESTS_FIXED = 2
#: EEM requests of a release, per device (fabric.disconnect).
RELEASE_REQUESTS_PER_DEVICE = 3
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


class Bench(object):

    def __init__(self, args):
        self.args = args
        self.rows = []
        self.composed_nodes = []
        self.released = []
        self.failures = []

    # Setup

    def setup(self):
        # NOTE(expether): on tmpfs when there is one: what is measured is
        # CPU and the number of writes, not the disk's fsync latency.
        shm = '/dev/shm' if os.path.isdir('/dev/shm') else None
        self.workdir = tempfile.mkdtemp(prefix='expether-bench-', dir=shm)
        url = self.args.database or 'sqlite:///%s' % os.path.join(
            self.workdir, 'ironic.sqlite')
        CONF([], project='ironic', default_config_files=[])
        CONF.set_override('connection', url, 'database')
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
        engine = pool_session.get_engine()
        ironic_models.Base.metadata.create_all(engine)
        pool_models.Base.metadata.create_all(engine)
        self.writes = WriteCounter(engine)
        self.context = ironic_context.get_admin_context()

        devices = inventory.generate_inventory(self.args.servers,
                                               self.args.devices, seed=7)
        self.state = emulator_state.EEMState(devices)
        self.server = emulator_server.EmulatorServer(self.state).start()
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
                uuid=compose.node_uuid_for(self.podm.uuid, eesv),
                driver_info={'eem_address': self.server.url,
                             'eesv_id': eesv},
                provision_state=states.AVAILABLE,
                power_state=states.POWER_ON, properties={})
            driver_factory.check_and_update_node_interfaces(node)
            node.create()
        print('setup: %d servers (Ironic nodes), %d devices, %d of them '
              'in servers\' groups; nodes created in %.1f s'
              % (len(self.eesvs), len(self.eeios),
                 per_server * len(self.eesvs),
                 time.monotonic() - started))

    def teardown(self):
        self.server.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    # Measuring

    def measure(self, name, func, per=1):
        """Run func once and record a row of its costs.

        :param per: how many operations func does; the row shows the
            figures of one.
        """
        self.control.reset_counters()
        writes_before = self.writes.count
        wall, cpu, thread_cpu = (time.perf_counter(), time.process_time(),
                                 time.thread_time())
        result = func()
        wall, cpu, thread_cpu = (time.perf_counter() - wall,
                                 time.process_time() - cpu,
                                 time.thread_time() - thread_cpu)
        writes = self.writes.count - writes_before
        counters = self.control.counters()
        row = {
            'name': name,
            'wall': wall / per,
            'cpu': cpu / per,
            'thread_cpu': thread_cpu / per,
            'writes': writes / per,
            'requests': sum(counters.values()) / per,
            'detail': counters.get(DETAIL, 0) / per,
            'result': result,
        }
        self.rows.append(row)
        return row

    def sync(self, use_lease=False):
        results = discovery.sync(self.context, use_lease=use_lease)
        for result in results:
            if result['status'] != 'SUCCESS':
                raise SystemExit('discovery failed: %s' % result)
        return results[0].get('changes', {})

    def change_one_percent(self):
        count = max(3, len(self.eeios) // 100)
        free = [d for d in self.eeios if self.state.get_device(d)[
            'group_id'] == '4093']
        used = [d for d in self.eeios if d not in set(free)]
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

    # Compose

    def add_free_servers(self, count):
        """Cable server engines without Ironic nodes into the emulator."""
        known = set(self.eesvs) | set(self.eeios)
        suffix = (1 << 24) - 1
        added = 0
        while added < count:
            eeid = '%s%06x' % (inventory.EE_ID_PREFIX, suffix)
            suffix -= 1
            if eeid not in known:
                self.state.add_device(inventory.make_eesv(eeid))
                added += 1

    def composed(self, node):
        """Check that a composed node holds its devices, in EEM too."""
        devices = claims.devices_of_node(node.uuid)
        group = self.state.get_device(node.driver_info['eesv_id'])[
            'group_id']
        return (sorted(d.type for d in devices) == sorted(COMPOSE_TYPES)
                and all(d.state == 'allocated' for d in devices)
                and all(self.state.get_device(d.eeid)['group_id'] == group
                        for d in devices))

    def compose(self, names):
        for name in names:
            self.composed_nodes.append(compose.compose(
                self.context, name, podm_uuid=self.podm.uuid,
                types=COMPOSE_TYPES))

    def measure_compose(self, name, names):
        """A row of composes; tells new nodes from reused ones."""
        before = {node.uuid for node in objects.Node.list(self.context)}
        row = self.measure(name, lambda: self.compose(names),
                           per=len(names))
        new = sum(1 for node in self.composed_nodes[-len(names):]
                  if node.uuid not in before)
        row['result'] = {'new nodes': new, 'reused nodes': len(names) - new}
        return row

    def release(self, node):
        # NOTE(expether): what the conductor runs for the release vendor
        # passthru, without the RPC around it.
        with task_manager.acquire(self.context, node.uuid,
                                  purpose='release') as task:
            result = task.driver.vendor.release(task, http_method='POST')
        self.released = result['released']
        return {'released': len(self.released)}

    def released_ok(self):
        """Check that the released devices are free, in EEM too."""
        devices = [db_api.get_device(device_uuid)
                   for device_uuid in self.released]
        return len(devices) == len(COMPOSE_TYPES) and all(
            d.state == 'free' and d.node_uuid is None
            and self.state.get_device(d.eeid)['group_id'] == '4093'
            for d in devices)

    def check_compose(self, one, release, many):
        """Check the EEM requests and database writes of compose rows."""
        count = len(COMPOSE_TYPES)
        requests = COMPOSE_REQUESTS_PER_DEVICE * count + COMPOSE_REQUESTS_FIXED
        for row in (one, many):
            self.check(row, 'at most %d EEM requests' % requests,
                       row['requests'] <= requests)
            self.check(row, 'at most %d listings' % (count + 1),
                       row['detail'] <= count + 1)
            self.check(row, 'at most %d database writes' % (
                COMPOSE_NODE_WRITES + COMPOSE_WRITES * count),
                row['writes'] <= COMPOSE_NODE_WRITES + COMPOSE_WRITES * count)
        self.check(release, 'at most %d EEM requests'
                   % (RELEASE_REQUESTS_PER_DEVICE * count),
                   release['requests'] <= RELEASE_REQUESTS_PER_DEVICE * count)
        self.check(release, 'at most %d database writes'
                   % (RELEASE_WRITES * count + RELEASE_NODE_WRITES),
                   release['writes'] <= (RELEASE_WRITES * count
                                         + RELEASE_NODE_WRITES))

    def check(self, row, what, ok):
        if not ok:
            self.failures.append('%s: %s' % (row['name'], what))

    def run(self):
        self.setup()
        try:
            self.measure('cold', self.sync)
            steady = self.measure('steady', self.sync)
            self.measure('steady+lease', lambda: self.sync(use_lease=True))
            changed = self.change_one_percent()
            self.measure('1%% changed (%d)' % changed, self.sync)
            after = self.measure('steady again', self.sync)
            power = self.power_row = self.measure('power reads',
                                                  self.power_reads)
            self.add_free_servers(COMPOSES + 1)
            one = self.measure_compose(
                'compose (%d devices)' % len(COMPOSE_TYPES),
                ['bench-compose'])
            self.check(one, 'the node holds its devices, in EEM too',
                       self.composed(self.composed_nodes[0]))
            release = self.measure(
                'release (%d devices)' % len(COMPOSE_TYPES),
                lambda: self.release(self.composed_nodes[0]))
            self.check(release, 'every device free, in EEM too',
                       self.released_ok())
            many = self.measure_compose(
                '%d composes, per compose' % COMPOSES,
                ['bench-compose-%d' % n for n in range(COMPOSES)])
            self.check(many, 'every node holds its devices, in EEM too',
                       all(self.composed(node)
                           for node in self.composed_nodes[1:]))
            self.check_compose(one, release, many)
        finally:
            self.teardown()
        for row in self.rows[:self.rows.index(power)]:
            self.check(row, 'one devices/detail request',
                       row['detail'] == 1 and row['requests'] == 1)
        for row in (steady, after):
            self.check(row, 'zero database writes', row['writes'] == 0)
            self.check(row, 'CPU under %.1f s' % CPU_TARGET,
                       row['cpu'] < CPU_TARGET)
        self.check(power, 'one EEM request for every node',
                   power['requests'] == 1)
        self.report()
        return 1 if self.failures else 0

    def report(self):
        header = ('cycle', 'wall s', 'CPU s', 'thread CPU s', 'DB writes',
                  'EEM requests', 'result')
        lines = [header]
        for row in self.rows:
            lines.append((row['name'], '%.3f' % row['wall'],
                          '%.3f' % row['cpu'], '%.3f' % row['thread_cpu'],
                          '%.10g' % row['writes'],
                          '%.10g' % row['requests'],
                          ', '.join('%s %s' % item for item in sorted(
                              (row['result'] or {}).items()))))
        widths = [max(len(line[i]) for line in lines)
                  for i in range(len(header))]
        for n, line in enumerate(lines):
            print('  '.join(cell.ljust(width)
                            for cell, width in zip(line, widths)).rstrip())
            if n == 0:
                print('  '.join('-' * width for width in widths))
        print()
        if self.failures:
            print('MISSED: %s' % '; '.join(self.failures))
        else:
            print('All targets met: steady cycles make 0 database writes '
                  'and use < %.1f s CPU; one devices/detail per cycle; one '
                  'EEM request for %d power reads; a compose of %d '
                  'devices makes at most %d EEM requests and a release '
                  'at most %d, whatever the size of the pod.'
                  % (CPU_TARGET, self.power_row['result']['reads'],
                     len(COMPOSE_TYPES),
                     COMPOSE_REQUESTS_PER_DEVICE * len(COMPOSE_TYPES)
                     + COMPOSE_REQUESTS_FIXED,
                     RELEASE_REQUESTS_PER_DEVICE * len(COMPOSE_TYPES)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--quick', action='store_true',
                        help='%(servers)d servers and %(devices)d devices '
                             '(for CI)' % QUICK)
    parser.add_argument('--servers', type=int, default=None)
    parser.add_argument('--devices', type=int, default=None)
    parser.add_argument('--database', default=None,
                        help='SQLAlchemy URL of an EMPTY database to use '
                             'instead of a temporary SQLite file')
    args = parser.parse_args(argv)
    size = QUICK if args.quick else FULL
    args.servers = args.servers or size['servers']
    args.devices = args.devices or size['devices']
    logging.basicConfig(level=logging.WARNING)
    # NOTE(expether): every benchmarked compose takes a new server engine
    # still in its default group, and fabric warns about each one.
    logging.getLogger('ironic_expether.eem_access.fabric').setLevel(
        logging.ERROR)
    return Bench(args).run()


if __name__ == '__main__':
    sys.exit(main())
