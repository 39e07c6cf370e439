"""Dagster's SQLite event log in our processes: one connection per shard, every event kept.

Real Dagster instances on disk (SQLite storage in a temp folder), real runs of a partitioned
asset over a range of monthly partitions (a materialization event per partition, like the
full-history run); the SQLite connections opened are counted by SQLAlchemy's connect hook.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dagster import (
    AssetKey,
    DagsterInstance,
    Definitions,
    MonthlyPartitionsDefinition,
    asset,
    define_asset_job,
)
from dagster._core.events import DagsterEventType
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG
from sqlalchemy import event
from sqlalchemy.engine import Engine

from orchestration import sqlite_event_log

MONTHS = MonthlyPartitionsDefinition(start_date="2020-01-01", end_date="2024-01-01")


@asset(partitions_def=MONTHS)
def monthly(context) -> None:  # unannotated: Dagster inspects the annotation, a string here
    """Stands for a raw feed asset: a ranged run materializes every month it covers."""
    context.log.info("months %s", context.partition_key_range)


JOB = Definitions(assets=[monthly], jobs=[define_asset_job("months", selection=[monthly])]).resolve_job_def(
    "months"
)


@pytest.fixture
def sqlite_connects() -> Iterator[list[str]]:
    """Database file of every SQLite connection opened meanwhile."""
    opened: list[str] = []

    def count(dbapi_connection: Any, _record: Any) -> None:
        if type(dbapi_connection).__module__.startswith("sqlite3"):
            opened.append(dbapi_connection.execute("pragma database_list").fetchall()[0][2])

    event.listen(Engine, "connect", count)
    try:
        yield opened
    finally:
        event.remove(Engine, "connect", count)


def _run_all_months(instance: DagsterInstance) -> str:
    keys = MONTHS.get_partition_keys()
    result = JOB.execute_in_process(
        instance=instance,
        tags={ASSET_PARTITION_RANGE_START_TAG: keys[0], ASSET_PARTITION_RANGE_END_TAG: keys[-1]},
    )
    assert result.success
    return result.run_id


def test_a_ranged_run_keeps_every_event_on_few_connections(
    tmp_path: Path, sqlite_connects: list[str]
) -> None:
    sqlite_event_log.install()
    with DagsterInstance.local_temp(str(tmp_path)) as instance:
        sqlite_connects.clear()  # the instance's own set-up is not what is measured
        run_id = _run_all_months(instance)
        months = len(MONTHS.get_partition_keys())
        assert instance.get_materialized_partitions(AssetKey("monthly")) == set(MONTHS.get_partition_keys())
        done = instance.all_logs(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION)
        assert len(done) == months
        # Without the reuse every event opens its own connections: 260 for this run.
        event_log = [path for path in sqlite_connects if Path(path).parent.name == "runs"]
        assert len(event_log) <= 6, sorted(set(event_log))


def test_a_wiped_instance_records_the_next_events(tmp_path: Path) -> None:
    """Wiping deletes the run shards' files: a kept connection would write into a deleted file."""
    sqlite_event_log.install()
    with DagsterInstance.local_temp(str(tmp_path)) as instance:
        first = _run_all_months(instance)
        instance.wipe()
        assert instance.all_logs(first) == []
        instance.report_engine_event("written after the wipe", job_name="months", run_id=first)
        assert [e.message for e in instance.all_logs(first)] == ["written after the wipe"]
        second = _run_all_months(instance)
        assert instance.get_materialized_partitions(AssetKey("monthly")) == set(MONTHS.get_partition_keys())
        assert instance.all_logs(second)
    # Reopened from disk: what the run wrote is there for the Dagster UI's process.
    with DagsterInstance.from_ref(instance.get_ref()) as reopened:
        assert reopened.get_materialized_partitions(AssetKey("monthly")) == set(MONTHS.get_partition_keys())


def test_a_write_to_a_run_touches_its_file_for_the_ui_watcher(tmp_path: Path) -> None:
    """The Dagster UI follows a run by watching its file; a kept connection writes the WAL."""
    sqlite_event_log.install()
    with DagsterInstance.local_temp(str(tmp_path)) as instance:
        run_id = _run_all_months(instance)
        run_file = Path(instance.event_log_storage.path_for_shard(run_id))
        os.utime(run_file, ns=(0, 0))
        instance.report_engine_event("one more", job_name="months", run_id=run_id)
        assert run_file.stat().st_mtime_ns > 0
        os.utime(run_file, ns=(0, 0))
        assert instance.all_logs(run_id)[-1].message == "one more"  # a read is not a change
        assert run_file.stat().st_mtime_ns == 0
