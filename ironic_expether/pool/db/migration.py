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


"""Migrations of the pool's tables (alembic).

The revision history lives in ``ironic_expether/pool/db/alembic`` and its
version is kept in its own table, :data:`VERSION_TABLE`, so that it never
touches Ironic's ``alembic_version`` even in Ironic's database.
"""

from alembic import command as alembic_command
from alembic import config as alembic_config
from alembic import migration as alembic_migration
from oslo_db import exception as db_exc

from ironic_expether.pool.db import models
from ironic_expether.pool.db import session

VERSION_TABLE = 'expether_alembic_version'


def _alembic_config(engine):
    config = alembic_config.Config()
    config.set_main_option('script_location',
                           'ironic_expether.pool.db:alembic')
    config.attributes['engine'] = engine
    return config


def _engine(engine):
    return engine if engine is not None else session.get_engine()


def version(engine=None):
    """The revision the database is at.

    :param engine: the engine to use; the pool's database by default.
    :returns: the revision id, or None for a database without the pool's
        tables.
    """
    with _engine(engine).connect() as conn:
        context = alembic_migration.MigrationContext.configure(
            conn, opts={'version_table': VERSION_TABLE})
        return context.get_current_revision()


def upgrade(revision='head', engine=None):
    """Upgrade the pool's tables; a no-op when already at ``revision``.

    :param revision: the target revision.
    :param engine: the engine to use; the pool's database by default.
    """
    alembic_command.upgrade(_alembic_config(_engine(engine)),
                            revision or 'head')


def stamp(revision='head', engine=None):
    """Record ``revision`` as current without running migrations.

    :param revision: the revision to record.
    :param engine: the engine to use; the pool's database by default.
    """
    alembic_command.stamp(_alembic_config(_engine(engine)), revision)


def create_schema(engine=None):
    """Create the tables from the models and stamp them at head.

    Faster than :func:`upgrade` on an empty database.

    :param engine: the engine to use; the pool's database by default.
    :raises: oslo_db.exception.DBMigrationError if the pool's tables are
        already under version control.
    """
    engine = _engine(engine)
    if version(engine=engine) is not None:
        raise db_exc.DBMigrationError(
            'The pool tables are already under version control; use '
            'upgrade instead')
    models.Base.metadata.create_all(engine)
    stamp('head', engine=engine)
