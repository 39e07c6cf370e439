"""Publishing rewrites only the Parquet files of the months dbt logged as changed, and the
export always equals the served tables (ingestion/parquet_export.py)."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from ingestion.http_source import month_windows
from ingestion.parquet_export import MANIFEST, _month_file
from ingestion.publish import publish
from tests.parquet_check import differing_rows

MONTHS = 24  # 2024-01 .. 2025-12


def make_star(star: Path) -> None:
    """A fact dated over two years and a plain dimension, built whole, as dbt logs it."""
    con = _connect(star)
    con.execute("create schema core")
    con.execute("create schema marts")
    con.execute(
        "create table core.fct_event as select i as event_key,"
        " date '2024-01-01' + (i % 730)::int as event_date, 'v1' as version from range(7300) t(i)"
    )
    con.execute("insert into core.fct_event values (-1, null, 'undated')")
    con.execute("create table marts.indicator_values as select i as value from range(10) t(i)")
    _log(con, None, None)
    con.close()


def change_month(star: Path, month: date, log: bool = True, logged_end: date | None = None) -> None:
    """What a month run does to the fact: delete the month's rows, insert them again (changed)."""
    end = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    con = _connect(star)
    if log:
        _log(con, month, logged_end or end)
    con.execute("delete from core.fct_event where event_date >= ? and event_date < ?", [month, end])
    con.execute(
        "insert into core.fct_event select i, ?::date + (i % 28)::int, 'v2' from range(100000, 100050) t(i)",
        [month],
    )
    con.close()


def _log(con: duckdb.DuckDBPyConnection, start: date | None, end: date | None) -> None:
    """The row dbt's delete_window macro writes (dbt_project/macros/in_window.sql)."""
    con.execute("create schema if not exists publish")
    con.execute(
        "create table if not exists publish.changed_windows (table_schema varchar, table_name varchar,"
        " min_date date, max_date date, logged_at timestamp)"
    )
    con.execute(
        "insert into publish.changed_windows values ('core', 'fct_event', ?, ?, current_timestamp)",
        [start, end],
    )
    con.execute(
        "create table if not exists publish.month_columns (table_schema varchar, table_name varchar,"
        " month_column varchar, primary key (table_schema, table_name))"
    )
    con.execute("insert or replace into publish.month_columns values ('core', 'fct_event', 'event_date')")


def _connect(star: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"attach '{star}' as star (storage_version 'v1.0.0')")
    con.execute("use star")
    return con


def inodes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_ino for p in folder.glob("*.parquet")}


@pytest.fixture
def published(tmp_path: Path) -> tuple[Path, Path, Path]:
    star, serving, parquet = tmp_path / "star.duckdb", tmp_path / "serving.duckdb", tmp_path / "parquet"
    make_star(star)
    result = publish(star, serving, parquet)
    assert result.parquet["core.fct_event"] == "whole"
    return star, serving, parquet


def test_a_whole_table_is_a_base_file_and_the_newest_months(published: tuple[Path, Path, Path]) -> None:
    star, serving, parquet = published
    assert sorted(inodes(parquet / "core" / "fct_event")) == [
        "2025-10.parquet",
        "2025-11.parquet",
        "2025-12.parquet",
        "before-2025-10.parquet",
    ]
    assert (parquet / "marts" / "indicator_values.parquet").is_file()
    assert differing_rows(serving, parquet) == {"core.fct_event": 0, "marts.indicator_values": 0}
    con = duckdb.connect(str(star), read_only=True)
    assert con.execute("select count(*) from publish.changed_windows").fetchall() == [(0,)]
    con.close()
    con = duckdb.connect(str(serving), read_only=True)
    served = con.execute("select table_schema from information_schema.tables").fetchall()
    con.close()
    assert ("publish",) not in served


def test_a_logged_month_after_the_cutoff_rewrites_that_file_alone(published: tuple[Path, Path, Path]) -> None:
    star, serving, parquet = published
    before = inodes(parquet / "core" / "fct_event")
    change_month(star, date(2025, 11, 1))

    result = publish(star, serving, parquet)

    assert result.parquet["core.fct_event"] == "1 of 4 files"
    after = inodes(parquet / "core" / "fct_event")
    assert {name for name in after if after[name] != before[name]} == {"2025-11.parquet"}
    assert differing_rows(serving, parquet) == {"core.fct_event": 0, "marts.indicator_values": 0}


def test_a_new_month_adds_a_file(published: tuple[Path, Path, Path]) -> None:
    star, serving, parquet = published
    change_month(star, date(2026, 1, 1))

    assert publish(star, serving, parquet).parquet["core.fct_event"] == "1 of 5 files"
    assert "2026-01.parquet" in inodes(parquet / "core" / "fct_event")
    assert differing_rows(serving, parquet)["core.fct_event"] == 0


def test_a_month_before_the_cutoff_rewrites_the_table(published: tuple[Path, Path, Path]) -> None:
    star, serving, parquet = published
    change_month(star, date(2024, 3, 1))

    assert publish(star, serving, parquet).parquet["core.fct_event"] == "whole"
    assert differing_rows(serving, parquet)["core.fct_event"] == 0


def test_an_unlogged_change_to_a_kept_file_is_caught_by_its_row_count(
    published: tuple[Path, Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    star, serving, parquet = published
    change_month(star, date(2025, 10, 1), log=False)  # a change no model logged
    change_month(star, date(2025, 12, 1))

    with caplog.at_level(logging.WARNING, logger="ingestion.parquet_export"):
        result = publish(star, serving, parquet)

    assert result.parquet["core.fct_event"] == "whole"
    assert "core.fct_event: its Parquet files no longer matched the table" in caplog.text
    assert differing_rows(serving, parquet)["core.fct_event"] == 0


def test_a_failed_publish_keeps_the_log_for_the_next(published: tuple[Path, Path, Path]) -> None:
    star, serving, parquet = published
    change_month(star, date(2025, 12, 1))
    serving.unlink()
    serving.mkdir()  # renaming the new serving file over a folder fails after the export
    with pytest.raises(OSError):
        publish(star, serving, parquet)
    serving.rmdir()

    assert publish(star, serving, parquet).parquet["core.fct_event"] == "1 of 4 files"
    assert differing_rows(serving, parquet)["core.fct_event"] == 0


def test_a_lost_manifest_rewrites_the_table(published: tuple[Path, Path, Path]) -> None:
    star, serving, parquet = published
    (parquet / MANIFEST).unlink()
    change_month(star, date(2025, 12, 1))

    assert publish(star, serving, parquet).parquet["core.fct_event"] == "whole"
    assert differing_rows(serving, parquet)["core.fct_event"] == 0


def test_a_table_without_its_logged_month_column_is_one_file(published: tuple[Path, Path, Path]) -> None:
    star, serving, parquet = published
    con = _connect(star)
    con.execute("alter table core.fct_event rename column event_date to happened_on")
    con.close()

    assert publish(star, serving, parquet).parquet["core.fct_event"] == "whole"
    assert (parquet / "core" / "fct_event.parquet").is_file()
    assert differing_rows(serving, parquet)["core.fct_event"] == 0


def test_a_lost_manifest_with_nothing_logged_keeps_the_folder(published: tuple[Path, Path, Path]) -> None:
    """The star says which tables are folders (publish.month_columns), not only the export."""
    star, serving, parquet = published
    (parquet / MANIFEST).unlink()

    assert publish(star, serving, parquet).parquet["core.fct_event"] == "whole"
    assert (parquet / "core" / "fct_event").is_dir()
    assert not (parquet / "core" / "fct_event.parquet").exists()


def test_a_kept_file_that_is_not_the_one_written_rewrites_the_table(
    published: tuple[Path, Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    """A file cut short (a crash before the page cache reached the disk) is not linked on."""
    star, serving, parquet = published
    kept = parquet / "core" / "fct_event" / "2025-10.parquet"
    kept.write_bytes(kept.read_bytes()[:100])
    change_month(star, date(2025, 12, 1))

    with caplog.at_level(logging.WARNING, logger="ingestion.parquet_export"):
        assert publish(star, serving, parquet).parquet["core.fct_event"] == "whole"
    assert "no longer matched" in caplog.text
    assert differing_rows(serving, parquet)["core.fct_event"] == 0


def test_a_window_open_to_2100_rewrites_only_the_months_that_have_rows(
    published: tuple[Path, Path, Path],
) -> None:
    star, serving, parquet = published
    change_month(star, date(2025, 12, 1), logged_end=date(2100, 1, 1))

    assert publish(star, serving, parquet).parquet["core.fct_event"] == "1 of 4 files"
    assert differing_rows(serving, parquet)["core.fct_event"] == 0


def test_a_changed_schema_rewrites_the_table(published: tuple[Path, Path, Path]) -> None:
    star, serving, parquet = published
    change_month(star, date(2025, 12, 1))
    con = _connect(star)
    con.execute("alter table core.fct_event add column source varchar default 'feed'")
    con.close()

    assert publish(star, serving, parquet).parquet["core.fct_event"] == "whole"
    assert differing_rows(serving, parquet)["core.fct_event"] == 0


def test_a_whole_rebuild_after_an_export_rewrites_the_table(published: tuple[Path, Path, Path]) -> None:
    star, serving, parquet = published
    before = inodes(parquet / "core" / "fct_event")
    con = _connect(star)
    _log(con, None, None)  # what a full build logs
    con.execute("update core.fct_event set version = 'v3' where event_date < date '2024-02-01'")
    con.close()

    assert publish(star, serving, parquet).parquet["core.fct_event"] == "whole"
    after = inodes(parquet / "core" / "fct_event")
    assert all(after[name] != before[name] for name in after)
    assert differing_rows(serving, parquet)["core.fct_event"] == 0


def test_future_dated_rows_do_not_move_the_cutoff_past_the_current_month(tmp_path: Path) -> None:
    """One row dated years ahead would otherwise put every daily refresh before the cutoff."""
    star, serving, parquet = tmp_path / "star.duckdb", tmp_path / "serving.duckdb", tmp_path / "parquet"
    make_star(star)
    con = _connect(star)
    con.execute("insert into core.fct_event values (-2, date '2099-06-15', 'future')")
    con.close()

    publish(star, serving, parquet)

    current = date.today().replace(day=1)
    cutoff = (current - timedelta(days=1)).replace(day=1) - timedelta(days=1)
    names = inodes(parquet / "core" / "fct_event")
    assert f"before-{cutoff:%Y-%m}.parquet" in names
    assert "2099-06.parquet" in names
    assert differing_rows(serving, parquet)["core.fct_event"] == 0


def test_the_daily_refresh_rewrites_only_the_months_kept_as_files(published: tuple[Path, Path, Path]) -> None:
    """A refresh during the star's newest month reloads exactly the months the export keeps
    as files of their own: none of them is in the base file, which it never rewrites."""
    from dagster import build_schedule_context

    from orchestration.partitions import window_from_tags
    from orchestration.schedules import daily_refresh

    _, _, parquet = published
    request = daily_refresh(build_schedule_context(scheduled_execution_time=datetime(2025, 12, 20, 6)))
    window = window_from_tags(request.tags)
    assert window is not None
    refreshed = [_month_file(start) for start, _ in month_windows(*window)]
    kept = sorted(name for name in inodes(parquet / "core" / "fct_event") if not name.startswith("before-"))
    assert refreshed == kept
