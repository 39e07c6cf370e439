"""Atomic publication of the serving database that BI tools read.

dbt builds the core star and the marts in their own file, `star.duckdb`, written in
storage version v1.0.0 (readable by the DuckDB 1.x builds BI tools bundle). Publishing
checkpoints it, copies the file (bytes: re-encoding every table cost a minute and a half at
national scale), fsyncs the copy and renames it over `serving.duckdb`, then swaps in the
Parquet export of the same checkpoint, written meanwhile (only the months dbt changed, for
the tables it rebuilds by month: ingestion/parquet_export.py). A reader holding the
old file open keeps its snapshot (the old inode); the next open sees the new file; a crash
or a full disk leaves the old file untouched.
The copy and the export are synced and dropped from the page cache before they are swapped
in: the pipeline never reads them again (ingestion/durable.py).

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
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingestion import duckdb_budget, parquet_export
from ingestion.durable import sync_and_uncache, sync_dir

SERVED_SCHEMAS = ("marts", "core")
STORAGE_VERSION = "v1.0.0"


@dataclass
class PublishResult:
    path: Path
    tables: dict[str, int]
    parquet_dir: Path
    parquet: dict[str, str]  # what the Parquet export rewrote, by table: parquet_export.export


def publish(star_db: Path, serving_db: Path, parquet_dir: Path) -> PublishResult:
    serving_db.parent.mkdir(parents=True, exist_ok=True)
    with _publish_lock(serving_db):
        _remove_leftovers(serving_db, parquet_dir)
        return _publish(star_db, serving_db, parquet_dir)


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


def _publish(star_db: Path, serving_db: Path, parquet_dir: Path) -> PublishResult:
    tmp = serving_db.with_name(f".{serving_db.name}.{uuid.uuid4().hex}.tmp")
    staging = parquet_dir.with_name(f".{parquet_dir.name}.{uuid.uuid4().hex}.tmp")
    con = _open_star(star_db)
    try:
        # dbt wrote the star in the serving storage version already: holding the write lock
        # (no run can change it meanwhile), checkpoint it and copy the file. The Parquet
        # export reads the same checkpointed star meanwhile: the copy is disk work and the
        # export CPU work, and one after the other they took 7 + 20 s at scale 10.
        con.execute("checkpoint")
        served = _served_tables(con)
        changes = parquet_export.read_changes(con)
        with ThreadPoolExecutor(max_workers=1) as pool:
            exported = pool.submit(_export_parquet, con.cursor(), served, staging, parquet_dir, changes)
            shutil.copyfile(star_db, tmp)
            parquet = exported.result()
        tables = _keep_served_tables(tmp, served)
        sync_and_uncache(tmp)
        os.replace(tmp, serving_db)
        sync_dir(serving_db.parent)
        _swap_parquet(staging, parquet_dir)
        parquet_export.forget_changes(con, changes)  # only now: a failed publish exports them next time
    finally:
        con.close()
        if tmp.exists():
            tmp.unlink()
        wal = tmp.with_name(tmp.name + ".wal")
        if wal.exists():
            wal.unlink()
        shutil.rmtree(staging, ignore_errors=True)
    return PublishResult(path=serving_db, tables=tables, parquet_dir=parquet_dir, parquet=parquet)


def _open_star(star_db: Path) -> duckdb.DuckDBPyConnection:
    if not star_db.exists():
        raise FileNotFoundError(f"{star_db}: no star schema to publish; build core and the marts first")
    con = duckdb.connect(str(star_db), config=_config())
    version = con.execute(
        "select tags['storage_version'] from duckdb_databases() where database_name = current_database()"
    ).fetchall()[0][0]
    if not str(version).startswith(STORAGE_VERSION):
        con.close()
        raise RuntimeError(
            f"{star_db} is in storage version {version}, which DuckDB 1.x readers cannot open; "
            f"dbt must attach it with storage_version {STORAGE_VERSION} (dbt_project/profiles.yml). "
            "Delete the file and run again to rebuild it."
        )
    return con


def _served_tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """The tables of `core` and `marts` (a view would point into warehouse.duckdb, which BI
    tools never see)."""
    return con.execute(
        "select table_schema, table_name from information_schema.tables"
        " where table_catalog = current_database() and table_type = 'BASE TABLE'"
        f" and table_schema in {SERVED_SCHEMAS} order by 1, 2"
    ).fetchall()


def _keep_served_tables(copy: Path, served: list[tuple[str, str]]) -> dict[str, int]:
    """Drop from the copy anything but the served tables; row counts of what is left."""
    con = duckdb.connect(str(copy), config=_config())
    try:
        listed = con.execute(
            "select table_schema, table_name, table_type from information_schema.tables order by 1, 2"
        ).fetchall()
        tables: dict[str, int] = {}
        for schema, table, table_type in listed:
            if (schema, table) in served:
                count = con.execute(f'select count(*) from "{schema}"."{table}"').fetchall()[0][0]
                tables[f"{schema}.{table}"] = count
            else:
                kind = "table" if table_type == "BASE TABLE" else "view"
                con.execute(f'drop {kind} "{schema}"."{table}"')
        con.execute("checkpoint")
    finally:
        con.close()
    return tables


def _export_parquet(
    con: duckdb.DuckDBPyConnection,
    served: list[tuple[str, str]],
    staging: Path,
    previous: Path,
    changes: parquet_export.Changes,
) -> dict[str, str]:
    try:
        return parquet_export.export(con, served, staging, previous, changes)
    finally:
        con.close()


def _swap_parquet(staging: Path, parquet_dir: Path) -> None:
    """Readers see the previous export or this one, whole (one rename each way); the files
    were synced as they were written, the folders are synced here, before the rename."""
    for folder in [staging, *(path for path in staging.rglob("*") if path.is_dir())]:
        sync_dir(folder)
    old = parquet_dir.with_name(f".{parquet_dir.name}.{uuid.uuid4().hex}.old")
    if parquet_dir.exists():
        os.replace(parquet_dir, old)
    os.replace(staging, parquet_dir)
    sync_dir(parquet_dir.parent)
    shutil.rmtree(old, ignore_errors=True)


def _config() -> dict[str, str | int | bool]:
    """Inside the run's memory budget; row order is not part of a table's contract, and
    keeping it costs ~20 % of the copy and of the Parquet export."""
    return {**duckdb_budget.config(), "preserve_insertion_order": False}
