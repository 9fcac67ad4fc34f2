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

from alembic import autogenerate
from alembic import migration as alembic_migration
import fixtures
from oslo_db import exception as db_exc
import sqlalchemy as sa

from ironic_expether.pool.db import api
from ironic_expether.pool.db import migration
from ironic_expether.pool.db import models
from ironic_expether.pool.db import session
from ironic_expether.tests.unit.pool import base


class MigrationTestCase(base.PoolTestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.engine = sa.create_engine(
            'sqlite:///%s' % os.path.join(self.tmp, 'pool.db'))
        self.addCleanup(self.engine.dispose)

    def test_upgrade_matches_models(self):
        self.assertIsNone(migration.version(engine=self.engine))
        migration.upgrade(engine=self.engine)
        head = migration.version(engine=self.engine)
        self.assertIsNotNone(head)
        migration.upgrade(engine=self.engine)
        self.assertEqual(head, migration.version(engine=self.engine))
        with self.engine.connect() as conn:
            context = alembic_migration.MigrationContext.configure(
                conn, opts={'compare_type': True,
                            'version_table': migration.VERSION_TABLE})
            diff = autogenerate.compare_metadata(context,
                                                 models.Base.metadata)
            tables = set(sa.inspect(conn).get_table_names())
        self.assertEqual([], diff)
        self.assertEqual({'expether_alembic_version', 'expether_devices',
                          'expether_enrolled_servers', 'expether_flavors',
                          'expether_leases', 'expether_pod_managers'},
                         tables)

    def test_upgrade_from_first_revision_keeps_data(self):
        migration.upgrade('4f1c2b7e9a10', engine=self.engine)
        with self.engine.begin() as conn:
            self.assertNotIn('expether_enrolled_servers',
                             sa.inspect(conn).get_table_names())
            conn.exec_driver_sql(
                "INSERT INTO expether_pod_managers (uuid, name, url, "
                "verify, driver, status) VALUES ('p-1', 'pod', "
                "'http://e/eem', 'True', 'expether', 'online')")
        migration.upgrade(engine=self.engine)
        with self.engine.begin() as conn:
            self.assertEqual([('p-1',)], conn.exec_driver_sql(
                'SELECT uuid FROM expether_pod_managers').fetchall())
            conn.exec_driver_sql(
                "INSERT INTO expether_enrolled_servers (pod_manager_uuid, "
                "eeid, node_uuid, created_at) VALUES ('p-1', "
                "'0x8cdf9d000001', 'n-1', '2026-12-02 09:00:00')")
            self.assertRaises(
                sa.exc.IntegrityError, conn.exec_driver_sql,
                "INSERT INTO expether_enrolled_servers (pod_manager_uuid, "
                "eeid, node_uuid, created_at) VALUES ('p-1', "
                "'0x8cdf9d000001', 'n-2', '2026-12-02 09:00:01')")

    def test_create_schema_then_upgrade(self):
        migration.create_schema(engine=self.engine)
        head = migration.version(engine=self.engine)
        self.assertIsNotNone(head)
        migration.upgrade(engine=self.engine)
        self.assertEqual(head, migration.version(engine=self.engine))
        self.assertRaises(db_exc.DBMigrationError, migration.create_schema,
                          engine=self.engine)

    def test_ironic_version_table_untouched(self):
        with self.engine.begin() as conn:
            conn.exec_driver_sql(
                'CREATE TABLE alembic_version (version_num VARCHAR(32))')
            conn.exec_driver_sql(
                "INSERT INTO alembic_version VALUES ('ironic-head')")
        migration.upgrade(engine=self.engine)
        with self.engine.connect() as conn:
            self.assertEqual([('ironic-head',)], conn.exec_driver_sql(
                'SELECT version_num FROM alembic_version').fetchall())

    def test_upgrade_separate_database(self):
        url = 'sqlite:///%s' % os.path.join(self.tmp, 'separate.db')
        self.config(database_connection=url, group='expether')
        self.addCleanup(session.dispose_separate_engines)
        self.assertFalse(session.uses_ironic_database())
        self.assertIsNone(migration.version())
        migration.upgrade()
        self.assertIsNotNone(migration.version())
        podm = api.create_pod_manager({'name': 'p',
                                       'url': 'http://e/eem'})
        separate = sa.create_engine(url)
        self.addCleanup(separate.dispose)
        with separate.connect() as conn:
            self.assertEqual([(podm.uuid,)], conn.exec_driver_sql(
                'SELECT uuid FROM expether_pod_managers').fetchall())
