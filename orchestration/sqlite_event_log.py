"""Dagster's SQLite event log made cheap per event, in the processes that run our code.

Dagster's SQLite storage (the default instance, `ipind run`, `dagster dev`) stores events
one at a time, and a full-history run records ~3,600 of them: a planned and a done
materialization per monthly partition of each partitioned asset, then the dbt models and
the checks. Two costs per event are removed here:

* **An fsync per commit.** With SQLite's default `synchronous=FULL` every commit waits for
  the disk: ~10 ms an event on this machine, a third of a 2-minute run (the same run took
  half the time with the instance on tmpfs). Dagster opens its SQLite files in WAL mode,
  where SQLite recommends `synchronous=NORMAL`: a commit is durable once the WAL is
  checkpointed; an application crash loses nothing, a power failure can lose the last
  events but never corrupts the database. The setting is per connection, so it is applied
  by SQLAlchemy's documented connect hook, to SQLite connections only (DuckDB's, through
  duckdb-engine, are left alone).
* **A new engine and a new connection for every write.** `SqliteEventLogStorage._connect`
  (dagster 1.13) creates a SQLAlchemy engine, opens a connection, and disposes of both,
  about four times an event (the run's shard, then the cross-run index; `has_table`, asked
  before an asset event's tags are stored, opens its own). Each statement was compiled
  again (an engine's compiled-statement cache goes with it) and each connection opened and
  set up: 10 ms an event, ~45 % of a small full-history run under a profiler. `_connect`
  below keeps one engine and one connection per file (every use holds the storage's lock,
  as before); transactions are exactly the original's (begin, the caller's statements,
  commit). A small full-history run: 53 s -> 37 s.

What the kept connections change, and how it is put back:
* The Dagster UI follows a running run by watching its `<run_id>.db` file for changes; a
  closing connection used to copy the WAL into it on every write, a kept one leaves events
  in the WAL, and the UI's log advanced in bursts of ~150 events. After a transaction that
  changed a run's file, its modification time is touched (`os.utime`), which the watcher
  sees as a change.
* A connection that fails is dropped with its engine, so the next use reconnects; at most
  `_KEPT_FILES` files stay open (the index and the latest runs' files), and a wiped storage
  (`_initialized_dbs` emptied) opens new ones; `dispose()` stops Dagster's watchers first,
  then closes them.
* `has_table`'s answer is remembered once the table is found: tables are never dropped
  while Dagster runs.

The second part replaces three methods of Dagster's storage class (`_connect`, `has_table`,
`dispose`), written against dagster 1.13's; the originals are kept as `_ORIGINAL_*`.
`tests/test_event_log.py` runs real ranged runs on a real instance, counts the connections
and checks what a watcher of the run's file sees.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME, SqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

_ORIGINAL_CONNECT = SqliteEventLogStorage._connect
_ORIGINAL_DISPOSE = SqliteEventLogStorage.dispose
_ORIGINAL_HAS_TABLE = SqliteEventLogStorage.has_table
_ENGINES = "_ipind_engines"
_TABLES = "_ipind_tables_found"
_KEPT_FILES = 8


def _set_normal(dbapi_connection: Any, _record: Any) -> None:
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


@contextmanager
def _connect_reusing(self: SqliteEventLogStorage, shard: str) -> Iterator[Connection]:
    with self._db_lock:
        engine = _engine(self, shard)
        try:
            with engine.connect() as conn:
                changes_before = conn.connection.dbapi_connection.total_changes  # type: ignore[union-attr]
                with conn.begin():
                    yield conn
                changed = conn.connection.dbapi_connection.total_changes != changes_before  # type: ignore[union-attr]
        except Exception:
            self.__dict__[_ENGINES].pop(shard, None)
            engine.dispose()
            raise
        if changed and shard != INDEX_SHARD_NAME:
            os.utime(self.path_for_shard(shard))


def _engine(self: SqliteEventLogStorage, shard: str) -> Engine:
    """The kept engine of `shard` (called with the storage's lock held)."""
    engines: dict[str, Engine] = self.__dict__.setdefault(_ENGINES, {})
    engine = engines.pop(shard, None)
    if engine is not None and shard not in self._initialized_dbs:  # wiped: the file was deleted
        engine.dispose()
        engine = None
    if engine is None:
        engine = create_engine(
            self.conn_string_for_shard(shard),
            poolclass=StaticPool,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
        )
        if shard not in self._initialized_dbs:
            try:
                self._initdb(engine)
            except Exception:
                engine.dispose()
                raise
            self._initialized_dbs.add(shard)
    engines[shard] = engine  # the most recently used last
    while len(engines) > _KEPT_FILES:
        oldest = next(name for name in engines if name != INDEX_SHARD_NAME)
        engines.pop(oldest).dispose()
    return engine


def _has_table_remembered(self: SqliteEventLogStorage, table_name: str) -> bool:
    found: set[str] = self.__dict__.setdefault(_TABLES, set())
    if table_name not in found and _ORIGINAL_HAS_TABLE(self, table_name):
        found.add(table_name)
    return table_name in found


def _dispose_closing_engines(self: SqliteEventLogStorage) -> None:
    _ORIGINAL_DISPOSE(self)  # stops the watchers, which read through these connections
    with self._db_lock:
        for engine in self.__dict__.pop(_ENGINES, {}).values():
            engine.dispose()


def install() -> None:
    if not event.contains(Engine, "connect", _set_normal):
        event.listen(Engine, "connect", _set_normal)
    if SqliteEventLogStorage._connect is _ORIGINAL_CONNECT:
        SqliteEventLogStorage._connect = _connect_reusing  # type: ignore[method-assign]
        SqliteEventLogStorage.has_table = _has_table_remembered  # type: ignore[method-assign]
        SqliteEventLogStorage.dispose = _dispose_closing_engines  # type: ignore[method-assign]
