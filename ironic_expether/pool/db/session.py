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


"""Which database the pool uses, and its transactions.

By default the pool's tables live in Ironic's own database, reached
through the same global oslo.db enginefacade that ``ironic.db`` uses, so a
process has one engine (two engines on one SQLite file lock each other
out). When ``[expether] database_connection`` is set, the pool uses a
separate enginefacade transaction context configured with that URL.

``writer()`` and ``reader()`` are context managers yielding a session::

    with session.writer() as s:
        s.execute(...)
"""

import threading

from oslo_db.sqlalchemy import enginefacade

from ironic_expether import conf

_CONTEXT = threading.local()
_LOCK = threading.Lock()
_SEPARATE = {}


def _facade():
    """The enginefacade (global or separate) of the configured database."""
    url = conf.CONF.expether.database_connection
    if not url:
        # NOTE(expether): the module-level reader/writer of enginefacade are
        # the global transaction context that ironic.db.sqlalchemy uses.
        return enginefacade
    with _LOCK:
        context = _SEPARATE.get(url)
        if context is None:
            context = enginefacade.transaction_context()
            context.configure(connection=url, slave_connection=None,
                              sqlite_fk=True)
            _SEPARATE[url] = context
        return context


def uses_ironic_database():
    """Whether the pool lives in Ironic's own database.

    :returns: True unless ``[expether] database_connection`` is set.
    """
    return not conf.CONF.expether.database_connection


def writer():
    """A read-write transaction; commits when the block ends."""
    return _facade().writer.using(_CONTEXT)


def reader():
    """A read-only transaction."""
    return _facade().reader.using(_CONTEXT)


def get_engine():
    """The writer engine of the pool's database.

    :returns: a SQLAlchemy engine.
    """
    return _facade().writer.get_engine()


def dispose_separate_engines():
    """Close the engines of ``[expether] database_connection`` URLs.

    For tests and commands that switch databases; the global engine that
    Ironic owns is left alone.
    """
    with _LOCK:
        contexts = list(_SEPARATE.values())
        _SEPARATE.clear()
    for context in contexts:
        context.dispose_pool()
