"""SQLite's `synchronous=NORMAL` for the Dagster instance's event log, in the processes that run our code.

Dagster's SQLite storage (the default instance, `ipind run`, `dagster dev`) commits every
event on its own connection, and with SQLite's default `synchronous=FULL` every commit waits
for an fsync: ~10 ms an event on this machine. A full-history run records ~3,300 events (a
planned and a done materialization per monthly partition of each raw feed, then per dbt
model and check), so a third of a 2-minute run was spent waiting for the disk (measured:
the same run took half the time with the instance on tmpfs).

Dagster opens its SQLite files in WAL mode, where SQLite recommends `synchronous=NORMAL`:
a commit is durable once the WAL is checkpointed; an application crash loses nothing, a
power failure can lose the last events but never corrupts the database. The setting is
per connection, so it is applied by SQLAlchemy's documented connect hook, to SQLite
connections only (DuckDB's, through duckdb-engine, are left alone).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


def _set_normal(dbapi_connection: Any, _record: Any) -> None:
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def install() -> None:
    if not event.contains(Engine, "connect", _set_normal):
        event.listen(Engine, "connect", _set_normal)
