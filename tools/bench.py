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
  through the shared snapshot (target: one EEM request for all of them).

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
from ironic.conf import CONF
from ironic.db.sqlalchemy import models as ironic_models
from ironic import objects
import sqlalchemy as sa

from ironic_expether.drivers import utils as driver_utils
from ironic_expether.emulator import control as emulator_control
from ironic_expether.emulator import inventory
from ironic_expether.emulator import server as emulator_server
from ironic_expether.emulator import state as emulator_state
from ironic_expether.pool import compose
from ironic_expether.pool.db import api as db_api
from ironic_expether.pool.db import models as pool_models
from ironic_expether.pool.db import session as pool_session
from ironic_expether.pool import discovery
from ironic_expether.pool import snapshot

FULL = {'servers': 1000, 'devices': 10000}
QUICK = {'servers': 100, 'devices': 1000}
CPU_TARGET = 1.0
DETAIL = 'GET /eem/devices/detail'


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

    def measure(self, name, func):
        self.control.reset_counters()
        writes_before = self.writes.count
        wall, cpu, thread_cpu = (time.perf_counter(), time.process_time(),
                                 time.thread_time())
        result = func()
        row = {
            'name': name,
            'wall': time.perf_counter() - wall,
            'cpu': time.process_time() - cpu,
            'thread_cpu': time.thread_time() - thread_cpu,
            'writes': self.writes.count - writes_before,
            'requests': sum(self.control.counters().values()),
            'detail': self.control.counters().get(DETAIL, 0),
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
            power = self.measure('power reads', self.power_reads)
        finally:
            self.teardown()
        for row in self.rows[:-1]:
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
                  'EEM requests', 'changes')
        lines = [header]
        for row in self.rows:
            lines.append((row['name'], '%.3f' % row['wall'],
                          '%.3f' % row['cpu'], '%.3f' % row['thread_cpu'],
                          str(row['writes']), str(row['requests']),
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
                  'EEM request for %d power reads.'
                  % (CPU_TARGET, self.rows[-1]['result']['reads']))


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
    return Bench(args).run()


if __name__ == '__main__':
    sys.exit(main())
