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


"""Test base with the pool's tables in Ironic's in-memory test database."""

from ironic.tests.unit.db import base as db_base

from ironic_expether.pool.db import api
from ironic_expether.pool.db import models
from ironic_expether.pool.db import session


class PoolTestCase(db_base.DbTestCase):
    """DbTestCase plus the pool's tables, on Ironic's own engine.

    Ironic's fixture rebuilds its in-memory SQLite database for every test
    (and drops it at cleanup), so the pool's tables are created again on
    the same engine each time.
    """

    def setUp(self):
        super().setUp()
        self.assertTrue(session.uses_ironic_database())
        models.Base.metadata.create_all(session.get_engine())

    def create_podm(self, **kw):
        number = self._podm_count()
        values = {'name': 'pod-%d' % number,
                  'url': 'http://eem-%d.test:8080/eem' % number,
                  'username': 'admin', 'password': 'S3cret-pw'}
        values.update(kw)
        return api.create_pod_manager(values)

    def create_devices(self, podm, count, type='GPU', start=1, **kw):
        return api.create_devices(podm.uuid, [
            dict({'eeid': '0x0000000000%02x' % (start + i), 'type': type,
                  'group_id': '4093'}, **kw)
            for i in range(count)])

    def _podm_count(self):
        self._podms = getattr(self, '_podms', 0) + 1
        return self._podms
