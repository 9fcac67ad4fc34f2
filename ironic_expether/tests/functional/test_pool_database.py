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

"""The pool's migrations and claims on real databases.

Each test class makes a fresh database with a random name, runs the
migrations, races claims from many threads, and drops the database.

* MariaDB/MySQL: server URL from ``EXPETHER_TEST_MYSQL_URL`` (default
  ``mysql+pymysql://root@127.0.0.1:3306``);
* PostgreSQL: ``EXPETHER_TEST_POSTGRESQL_URL`` (default
  ``postgresql+psycopg2://postgres@127.0.0.1:5432``);
* SQLite: a file in a temporary directory.

A server that cannot be reached makes its tests skip, saying why.
"""

import os
import subprocess
import sys
import tempfile
import threading
import uuid

from alembic import autogenerate
from alembic import migration as alembic_migration
from ironic.common import exception
from oslo_config import fixture as config_fixture
from oslotest import base
import sqlalchemy as sa

from ironic_expether import conf
from ironic_expether.pool import claims
from ironic_expether.pool.db import api
from ironic_expether.pool.db import migration
from ironic_expether.pool.db import models
from ironic_expether.pool.db import session

THREADS = 20
DEVICES = 5
#: The revision before expether_enrolled_servers.
FIRST_REVISION = '4f1c2b7e9a10'


class _Backend:
    """Creates and drops one throw-away database."""

    env = None
    default = None

    def __init__(self):
        self.server_url = sa.engine.make_url(
            os.environ.get(self.env) or self.default)
        self.name = 'expether_test_%s' % uuid.uuid4().hex[:12]
        self.url = self.server_url.set(database=self.name)

    def _admin_engine(self):
        return sa.create_engine(self.server_url.set(
            database=self.admin_database), isolation_level='AUTOCOMMIT')

    def create(self):
        engine = self._admin_engine()
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql(self.create_sql % self.name)
        finally:
            engine.dispose()

    def drop(self):
        engine = self._admin_engine()
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql(self.drop_sql % self.name)
        finally:
            engine.dispose()


class _MySQL(_Backend):
    env = 'EXPETHER_TEST_MYSQL_URL'
    default = 'mysql+pymysql://root@127.0.0.1:3306'
    admin_database = None
    create_sql = 'CREATE DATABASE %s CHARACTER SET utf8mb4'
    drop_sql = 'DROP DATABASE IF EXISTS %s'


class _PostgreSQL(_Backend):
    env = 'EXPETHER_TEST_POSTGRESQL_URL'
    default = 'postgresql+psycopg2://postgres@127.0.0.1:5432'
    admin_database = 'postgres'
    create_sql = 'CREATE DATABASE %s'
    drop_sql = 'DROP DATABASE IF EXISTS %s WITH (FORCE)'


class _SQLite(_Backend):

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix='expether-pool-')
        self.path = os.path.join(self.tmp, 'pool.sqlite')
        self.url = sa.engine.make_url('sqlite:///%s' % self.path)

    def create(self):
        pass

    def drop(self):
        for name in os.listdir(self.tmp):
            os.unlink(os.path.join(self.tmp, name))
        os.rmdir(self.tmp)


class _PoolDatabaseTests:
    """Tests run on every backend; subclasses name the backend."""

    backend_class = None

    def setUp(self):
        super().setUp()
        backend = self.backend_class()
        try:
            backend.create()
        except sa.exc.OperationalError as e:
            self.skipTest('%(kind)s is not reachable at %(url)s (set %(env)s '
                          'to use another server): %(err)s' %
                          {'kind': self.backend_class.__name__.strip('_'),
                           'url': backend.server_url.render_as_string(
                               hide_password=True),
                           'env': backend.env, 'err': e.orig})
        self.addCleanup(backend.drop)
        self.backend = backend
        self.url = backend.url.render_as_string(hide_password=False)
        fixture = self.useFixture(config_fixture.Config(conf.CONF))
        fixture.config(database_connection=self.url, group='expether')
        self.addCleanup(session.dispose_separate_engines)

    def _tables(self):
        engine = sa.create_engine(self.url)
        try:
            return set(sa.inspect(engine).get_table_names())
        finally:
            engine.dispose()

    def test_upgrade_is_idempotent(self):
        self.assertIsNone(migration.version())
        migration.upgrade()
        head = migration.version()
        self.assertIsNotNone(head)
        migration.upgrade()
        self.assertEqual(head, migration.version())
        self.assertEqual({'expether_alembic_version', 'expether_devices',
                          'expether_enrolled_servers', 'expether_flavors',
                          'expether_leases', 'expether_pod_managers'},
                         self._tables())
        engine = sa.create_engine(self.url)
        try:
            with engine.connect() as conn:
                context = alembic_migration.MigrationContext.configure(
                    conn, opts={'compare_type': True,
                                'version_table': migration.VERSION_TABLE})
                diff = autogenerate.compare_metadata(context,
                                                     models.Base.metadata)
        finally:
            engine.dispose()
        self.assertEqual([], diff)

    def test_upgrade_from_first_revision(self):
        migration.upgrade(FIRST_REVISION)
        self.assertNotIn('expether_enrolled_servers', self._tables())
        podm = api.create_pod_manager({'name': 'old',
                                       'url': 'http://old/eem'})
        migration.upgrade()
        self.assertEqual(podm.uuid, api.get_pod_manager(podm.uuid).uuid)
        self.assertTrue(api.record_enrollment(podm.uuid, '0x8cdf9d000001',
                                              str(uuid.uuid4())))
        self.assertFalse(api.record_enrollment(podm.uuid, '0x8cdf9d000001',
                                               str(uuid.uuid4())))
        api.delete_pod_manager(podm.uuid)
        self.assertEqual([], api.list_enrolled_servers(podm.uuid))

    def test_racing_claims(self):
        migration.upgrade()
        podm = api.create_pod_manager({'name': 'race',
                                       'url': 'http://race/eem'})
        api.create_devices(podm.uuid, [
            {'eeid': '0x0000000000%02x' % i, 'type': 'GPU'}
            for i in range(DEVICES)])
        api.create_devices(podm.uuid, [{'eeid': '0x0000000000ff',
                                        'type': 'SSD'}])
        start = threading.Barrier(THREADS)
        winners, losers, errors = {}, [], []
        lock = threading.Lock()

        def claim(node_uuid):
            start.wait()
            try:
                device = claims.claim_free_device(podm.uuid, 'GPU',
                                                  node_uuid)
            except exception.Conflict as e:
                with lock:
                    losers.append(str(e))
            except Exception as e:
                with lock:
                    errors.append(repr(e))
            else:
                with lock:
                    winners[node_uuid] = device.uuid

        threads = [threading.Thread(target=claim,
                                    args=(str(uuid.uuid4()),))
                   for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        self.assertEqual([], errors)
        self.assertEqual(DEVICES, len(winners))
        self.assertEqual(DEVICES, len(set(winners.values())))
        self.assertEqual(THREADS - DEVICES, len(losers))
        for message in losers:
            self.assertIn('GPU', message)
        # The database agrees: each GPU held by exactly its winner.
        for device in api.list_devices(podm_uuid=podm.uuid, type='GPU'):
            self.assertEqual('claimed', device.state)
            self.assertEqual(device.uuid, winners[device.node_uuid])
        self.assertEqual('free', api.list_devices(type='SSD')[0].state)

    def test_racing_lease(self):
        migration.upgrade()
        podm = api.create_pod_manager({'name': 'lease',
                                       'url': 'http://lease/eem'})
        start = threading.Barrier(THREADS)
        holders, errors = [], []
        lock = threading.Lock()

        def take(holder):
            start.wait()
            try:
                taken = api.acquire_lease(podm.uuid, holder, 60)
            except Exception as e:
                with lock:
                    errors.append(repr(e))
            else:
                if taken:
                    with lock:
                        holders.append(holder)

        threads = [threading.Thread(target=take, args=('c%d' % i,))
                   for i in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        self.assertEqual([], errors)
        self.assertEqual(1, len(holders))
        self.assertEqual(holders[0], api.get_lease(podm.uuid).holder)

    def test_racing_enrollment_records(self):
        # Conductors enrolling the same server engine: the unique key
        # lets exactly one of them create its node.
        migration.upgrade()
        podm = api.create_pod_manager({'name': 'enroll',
                                       'url': 'http://enroll/eem'})
        start = threading.Barrier(THREADS)
        winners, errors = [], []
        lock = threading.Lock()

        def enroll(node_uuid):
            start.wait()
            try:
                recorded = api.record_enrollment(podm.uuid,
                                                 '0x8cdf9d000001', node_uuid)
            except Exception as e:
                with lock:
                    errors.append(repr(e))
            else:
                if recorded:
                    with lock:
                        winners.append(node_uuid)

        threads = [threading.Thread(target=enroll,
                                    args=(str(uuid.uuid4()),))
                   for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        self.assertEqual([], errors)
        self.assertEqual(1, len(winners))
        self.assertEqual(winners, [e.node_uuid for e in
                                   api.list_enrolled_servers(podm.uuid)])


class MySQLTestCase(_PoolDatabaseTests, base.BaseTestCase):
    backend_class = _MySQL


class PostgreSQLTestCase(_PoolDatabaseTests, base.BaseTestCase):
    backend_class = _PostgreSQL


class SQLiteTestCase(_PoolDatabaseTests, base.BaseTestCase):
    backend_class = _SQLite

    def test_dbsync_command(self):
        """The console script, with Ironic's configuration file."""
        config = os.path.join(self.backend.tmp, 'ironic.conf')
        with open(config, 'w') as f:
            f.write('[database]\nconnection = %s\n' % self.url)
        command = os.path.join(os.path.dirname(sys.executable),
                               'ironic-expether-dbsync')
        for _ in range(2):
            result = subprocess.run(
                [command, '--config-file', config, 'upgrade'],
                capture_output=True, text=True, timeout=120)
            self.assertEqual(0, result.returncode, result.stderr)
            self.assertIn('The device pool tables are at revision',
                          result.stdout)
        result = subprocess.run(
            [command, '--config-file', config, 'version'],
            capture_output=True, text=True, timeout=120)
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertIn(migration.version(), result.stdout)
