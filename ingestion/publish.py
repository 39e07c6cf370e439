"""Atomic publication of the serving database that BI tools read.

The marts and the core star are copied into a new DuckDB file written in storage version
v1.0.0 (readable by the DuckDB 1.x builds BI tools bundle), fsynced, and renamed over
`serving.duckdb`. A reader holding the old file open keeps its snapshot (the old inode);
the next open sees the new file; a crash or a full disk leaves the old file untouched.

Publishes of one serving file are serialised by an advisory lock (`.<name>.publish-lock`,
released by the kernel even when the holder is killed), so whoever holds it knows that any
temporary file of an earlier publish is a leftover of a crash and removes it: a killed
publish never leaves gigabytes behind for good.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingestion import duckdb_budget

SERVED_SCHEMAS = ("marts", "core")
STORAGE_VERSION = "v1.0.0"


@dataclass
class PublishResult:
    path: Path
    tables: dict[str, int]
    parquet_dir: Path


def publish(warehouse_db: Path, serving_db: Path, parquet_dir: Path) -> PublishResult:
    serving_db.parent.mkdir(parents=True, exist_ok=True)
    with _publish_lock(serving_db):
        _remove_leftovers(serving_db, parquet_dir)
        return _publish(warehouse_db, serving_db, parquet_dir)


@contextmanager
def _publish_lock(serving_db: Path) -> Iterator[None]:
    """Hold the publish lock of `serving_db` (waits while another publish holds it)."""
    fd = os.open(serving_db.with_name(f".{serving_db.name}.publish-lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _remove_leftovers(serving_db: Path, parquet_dir: Path) -> None:
    """Temporary files and folders of publishes that died (called with the lock held)."""
    for pattern in (f".{serving_db.name}.*.tmp", f".{serving_db.name}.*.tmp.wal"):
        for path in serving_db.parent.glob(pattern):
            path.unlink(missing_ok=True)
    for pattern in (f".{parquet_dir.name}.*.tmp", f".{parquet_dir.name}.*.old"):
        for path in parquet_dir.parent.glob(pattern):
            shutil.rmtree(path, ignore_errors=True)


def _publish(warehouse_db: Path, serving_db: Path, parquet_dir: Path) -> PublishResult:
    tmp = serving_db.with_name(f".{serving_db.name}.{uuid.uuid4().hex}.tmp")
    tables: dict[str, int] = {}
    try:
        # An in-memory connection attaches the working database read-only and the new file
        # read-write (a read-only connection would attach the new file read-only too).
        con = duckdb.connect(config=_config())
        try:
            con.execute(f"attach '{_sql_path(warehouse_db)}' as src (read_only)")
            con.execute(f"attach '{_sql_path(tmp)}' as serving (storage_version '{STORAGE_VERSION}')")
            listed = con.execute(
                "select table_schema, table_name from information_schema.tables"
                " where table_catalog = 'src' and table_schema in ('marts', 'core')"
                " and table_type = 'BASE TABLE' order by 1, 2"
            ).fetchall()
            for schema, table in listed:
                con.execute(f'create schema if not exists serving."{schema}"')
                con.execute(
                    f'create table serving."{schema}"."{table}" as select * from src."{schema}"."{table}"'
                )
                tables[f"{schema}.{table}"] = con.execute(
                    f'select count(*) from serving."{schema}"."{table}"'
                ).fetchall()[0][0]
            con.execute("detach serving")
            con.execute("detach src")
        finally:
            con.close()
        _fsync(tmp)
        os.replace(tmp, serving_db)
        _fsync_dir(serving_db.parent)
    finally:
        if tmp.exists():
            tmp.unlink()
        wal = tmp.with_name(tmp.name + ".wal")
        if wal.exists():
            wal.unlink()
    export_parquet(serving_db, parquet_dir)
    return PublishResult(path=serving_db, tables=tables, parquet_dir=parquet_dir)


def export_parquet(serving_db: Path, parquet_dir: Path) -> None:
    """One Parquet file per served table under parquet/<schema>/<table>.parquet, swapped whole."""
    staging = parquet_dir.with_name(f".{parquet_dir.name}.{uuid.uuid4().hex}.tmp")
    staging.mkdir(parents=True)
    try:
        con = duckdb.connect(str(serving_db), read_only=True, config=_config())
        try:
            for schema, table in con.execute(
                "select table_schema, table_name from information_schema.tables order by 1, 2"
            ).fetchall():
                (staging / schema).mkdir(exist_ok=True)
                target = staging / schema / f"{table}.parquet"
                con.execute(f'copy "{schema}"."{table}" to \'{_sql_path(target)}\' (format parquet)')
        finally:
            con.close()
        old = parquet_dir.with_name(f".{parquet_dir.name}.{uuid.uuid4().hex}.old")
        if parquet_dir.exists():
            os.replace(parquet_dir, old)
        os.replace(staging, parquet_dir)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _config() -> dict[str, str | int | bool]:
    """Inside the run's memory budget; row order is not part of a table's contract, and
    keeping it costs ~20 % of the copy and of the Parquet export."""
    return {**duckdb_budget.config(), "preserve_insertion_order": False}


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
