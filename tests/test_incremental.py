"""Incremental facts built month by month equal a full build, and partition loads are idempotent."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from ingestion.loader import load_feed
from ingestion.pipeline import ORPHAN_REASON, IngestReport, orphans_rechecked
from tests.conftest import DBT_DIR, TEST_SCALE, ipind, run_dbt
from tests.parquet_check import differing_rows
from tests.test_faults import appno

WINDOW = (date(2025, 12, 1), date(2026, 1, 1))
INCREMENTAL = {
    "fct_grant": ("grants", "grant_date"),
    "fct_legal_event": ("legal_events", "event_date"),
    "fct_transfer": ("transfers", "registration_date"),
    "fct_pct_application": ("pct", "filing_date"),
}
# Rebuilt for the patents granted (dim_patent) or changed (fct_patent_holding) in the window.
REBUILT_BY_PATENT = ("dim_patent", "fct_patent_holding")


# Served marts, compared without the columns that name the build (settings, vintage).
# Every mart row carries the build's settings and data vintage, which these runs set apart.
MARTS = dict.fromkeys(
    ["indicator_values", "region_indicators_annual", "target_tracking", "reconciliation"],
    "* exclude (settings_hash, data_vintage)",
)
# The incremental marts models and the schema of the database they are built in.
INCREMENTAL_MARTS = {
    "int_flow_events": "intermediate",
    "int_indicator_month_end_values": "intermediate",
    "indicator_values": "intermediate",
}


def _dbt_build(
    warehouse: Path, dbt_vars: dict[str, str], select: str = "tag:core", full_refresh: bool = False
) -> None:
    result = run_dbt(
        "build",
        "--select",
        select,
        "--vars",
        json.dumps(dbt_vars),
        "--indirect-selection",
        "buildable",
        *(["--full-refresh"] if full_refresh else []),
        warehouse=warehouse,
        target=warehouse / "dbt_target",
    )
    assert result.returncode == 0, result.stdout[-4000:]


HOLDER_AT_GRANT = {"attribution": "holder_at_grant", "settings_hash": "holder_at_grant"}


@pytest.mark.parametrize(
    ("window", "held_models", "settings"),
    [
        (WINDOW, list(INCREMENTAL), {}),
        # Not its grants: later records of a patent granted in a backfilled month reach the
        # facts only in a full run (they are outside the window), a limit of the core facts.
        ((date(2025, 1, 1), date(2025, 2, 1)), [m for m in INCREMENTAL if m != "fct_grant"], {}),
        # Stock intervals by the region at grant: a transfer splits a span in one region.
        (WINDOW, list(INCREMENTAL), HOLDER_AT_GRANT),
    ],
    ids=["newest month", "a January before it", "newest month, holder_at_grant"],
)
def test_incremental_month_equals_full_build(
    synthetic_warehouse: Path,
    tmp_path: Path,
    window: tuple[date, date],
    held_models: list[str],
    settings: dict[str, str],
) -> None:
    """A month is held back from a build and loaded again: the newest month's run extends
    the running sums; a January's run recomputes every later month end, flows from zero and
    stocks from the December before."""
    held_feeds = [INCREMENTAL[model] for model in held_models]
    reference = synthetic_warehouse
    if settings:  # a full build with these settings to compare with
        reference = tmp_path / "reference"
        reference.mkdir()
        shutil.copyfile(synthetic_warehouse / "warehouse.duckdb", reference / "warehouse.duckdb")
        _dbt_build(reference, settings, select="tag:core tag:marts", full_refresh=True)
    shutil.copyfile(synthetic_warehouse / "warehouse.duckdb", tmp_path / "warehouse.duckdb")
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    held = 0
    for feed, column in held_feeds:
        con.execute(
            f"create table main.held_{feed} as select * from raw.{feed} where {column} >= ? and {column} < ?",
            list(window),
        )
        con.execute(f"delete from raw.{feed} where {column} >= ? and {column} < ?", list(window))
        held += con.execute(f"select count(*) from main.held_{feed}").fetchall()[0][0]
    con.close()
    assert held > 0

    _dbt_build(tmp_path, settings, select="tag:core tag:marts")  # everything before the new month
    con = duckdb.connect(str(tmp_path / "star.duckdb"))
    count_held = " + ".join(f"(select count(*) from core.{model})" for model in held_models)
    before = con.execute(f"select {count_held}").fetchall()[0][0]
    con.close()
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    for feed, _ in held_feeds:
        # loaded later than the rest, so the new data vintage differs from the previous build's
        con.execute(
            f"insert into raw.{feed} select * replace (_loaded_at + interval 1 hour as _loaded_at)"
            f" from main.held_{feed}"
        )
    con.close()

    _dbt_build(
        tmp_path,
        {**settings, "min_date": window[0].isoformat(), "max_date": window[1].isoformat()},
        select="tag:core tag:marts",
    )

    con = duckdb.connect(str(tmp_path / "star.duckdb"), read_only=True)
    assert con.execute(f"select {count_held}").fetchall()[0][0] == before + held
    vintages = con.execute("select count(distinct data_vintage) from marts.indicator_values").fetchall()
    assert vintages == [(1,)], "rows kept from the previous build carry the new data vintage too"
    con.close()
    _assert_same_core(tmp_path / "star.duckdb", reference / "star.duckdb")
    # The marts kept every month end before the window and recomputed the window's.
    month_end = window[1] - timedelta(days=1)
    assert _restart_month_ends(tmp_path) == dict.fromkeys(INCREMENTAL_MARTS, month_end)
    _assert_same_tables(tmp_path / "star.duckdb", reference / "star.duckdb", "marts", MARTS)


def _restart_month_ends(warehouse: Path) -> dict[str, date]:
    con = duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True)
    try:
        return {
            model: con.execute(f"select restart_month_end from {schema}.{model}__restart").fetchall()[0][0]
            for model, schema in INCREMENTAL_MARTS.items()
        }
    finally:
        con.close()


def test_a_month_run_with_other_settings_recomputes_every_month_end(
    synthetic_warehouse: Path, tmp_path: Path
) -> None:
    """Earlier month ends were computed with the previous settings: a partition run with new
    settings cannot keep them, and must give what a full build with those settings gives."""
    settings = {"attribution": "holder_at_grant", "high_value_pledge_threshold_10k_cny": "100"}
    settings["settings_hash"] = "other"
    month, full = tmp_path / "month", tmp_path / "full"
    for warehouse in (month, full):
        warehouse.mkdir()
        for name in ("warehouse.duckdb", "star.duckdb"):
            shutil.copyfile(synthetic_warehouse / name, warehouse / name)
    window = {"min_date": WINDOW[0].isoformat(), "max_date": WINDOW[1].isoformat()}
    _dbt_build(month, {**settings, **window}, select="tag:marts")
    _dbt_build(full, settings, select="tag:marts", full_refresh=True)

    assert _restart_month_ends(month) == {model: date(1900, 1, 31) for model in INCREMENTAL_MARTS}
    _assert_same_tables(month / "star.duckdb", full / "star.duckdb", "marts", MARTS)
    con = duckdb.connect(str(month / "star.duckdb"), read_only=True)
    con.execute(f"attach '{synthetic_warehouse / 'star.duckdb'}' as defaults (read_only)")
    changed = con.execute(
        "select count(*) from (select * exclude (settings_hash, data_vintage) from marts.indicator_values"
        " where period_end < ? except all select * exclude (settings_hash, data_vintage)"
        " from defaults.marts.indicator_values)",
        [WINDOW[0]],
    ).fetchall()[0][0]
    con.close()
    assert changed > 0, "the settings change values before the window"


def _assert_same_tables(star: Path, reference: Path, schema: str, models: dict[str, str]) -> None:
    """The tables hold the same rows (as multisets) in both files, compared on these columns."""
    con = duckdb.connect(str(star), read_only=True)
    con.execute(f"attach '{reference}' as reference (read_only)")
    try:
        for model, columns in models.items():
            rows = con.execute(f"select count(*) from {schema}.{model}").fetchall()[0][0]
            assert rows > 0, model
            for left, right in ((schema, f"reference.{schema}"), (f"reference.{schema}", schema)):
                diff = f"select {columns} from {left}.{model} except all"
                diff += f" select {columns} from {right}.{model}"
                missing = con.execute(f"select count(*) from ({diff})").fetchall()[0][0]
                assert missing == 0, f"{model}: {missing} rows of {left} not in {right}"
    finally:
        con.close()


def _assert_same_core(star: Path, reference: Path) -> None:
    _assert_same_tables(star, reference, "core", dict.fromkeys([*INCREMENTAL, *REBUILT_BY_PATENT], "*"))


def test_month_run_drops_what_was_removed_upstream(synthetic_warehouse: Path, tmp_path: Path) -> None:
    """Transfers and legal events of the window removed at the source: the month run's
    holdings and marts equal a full build's, so spans those changes started are gone too."""
    month, full = tmp_path / "month", tmp_path / "full"
    month.mkdir()
    shutil.copyfile(synthetic_warehouse / "warehouse.duckdb", month / "warehouse.duckdb")
    _dbt_build(month, {}, select="tag:core tag:marts")  # kept rows of the month run's settings_hash
    con = duckdb.connect(str(month / "warehouse.duckdb"))
    removed = 0
    for feed in ("transfers", "legal_events"):
        _, column = next(v for v in INCREMENTAL.values() if v[0] == feed)
        removed += con.execute(
            f"delete from raw.{feed} where {column} >= ? and {column} < ?", list(WINDOW)
        ).fetchall()[0][0]
    con.close()
    assert removed > 0

    window = {"min_date": WINDOW[0].isoformat(), "max_date": WINDOW[1].isoformat()}
    _dbt_build(month, window, select="tag:core tag:marts")
    full.mkdir()
    shutil.copyfile(month / "warehouse.duckdb", full / "warehouse.duckdb")
    _dbt_build(full, {}, select="tag:core tag:marts", full_refresh=True)  # everything from scratch

    # The marts kept the month ends before the window (the removals are in it).
    assert _restart_month_ends(month) == dict.fromkeys(INCREMENTAL_MARTS, WINDOW[1] - timedelta(days=1))
    _assert_same_core(month / "star.duckdb", full / "star.duckdb")
    _assert_same_tables(month / "star.duckdb", full / "star.duckdb", "marts", MARTS)


def _rename_a_prefecture(con: duckdb.DuckDBPyConnection, star: duckdb.DuckDBPyConnection) -> None:
    (code,) = star.execute(
        "select min(region_code) from marts.indicator_values where region_level = 'prefecture'"
    ).fetchall()[0]
    renamed = con.execute("update raw.regions set name = name || '（新）' where region_code = ?", [code])
    assert renamed.fetchall()[0][0] == 1


def _retire_a_county(con: duckdb.DuckDBPyConnection, star: duckdb.DuckDBPyConnection) -> None:
    """The busiest county code becomes a new code; facts kept by a partition run still
    carry the old one."""
    (code,) = star.execute(
        "select g.region_code from core.fct_grant as g"
        " inner join core.dim_region as r on g.region_code = r.region_code"
        " where r.region_level = 'county' group by 1 order by count(*) desc, 1 limit 1"
    ).fetchall()[0]
    successor = code[:4] + "99"
    assert not con.execute("select count(*) from raw.regions where region_code = ?", [successor]).fetchall()[
        0
    ][0]
    con.execute(
        "insert into raw.regions select * replace (? as region_code, null as valid_to)"
        " from raw.regions where region_code = ?",
        [successor, code],
    )
    con.execute(
        "update raw.regions set valid_to = date '2024-01-01', successor_code = ? where region_code = ?",
        [successor, code],
    )


@pytest.mark.parametrize("change", [_rename_a_prefecture, _retire_a_county], ids=["rename", "retired code"])
def test_a_month_run_after_the_regions_reference_changed_equals_a_full_build(
    synthetic_warehouse: Path, tmp_path: Path, change: Callable[..., None]
) -> None:
    """Kept month ends were summed and named under the previous regions reference, and the
    facts outside the window keep the codes of their build: a partition run after the
    reference changed must give what a full build gives."""
    month, full = tmp_path / "month", tmp_path / "full"
    month.mkdir()
    shutil.copyfile(synthetic_warehouse / "warehouse.duckdb", month / "warehouse.duckdb")
    _dbt_build(month, {}, select="tag:core tag:marts")  # kept rows of the month run's settings_hash
    star = duckdb.connect(str(month / "star.duckdb"), read_only=True)
    con = duckdb.connect(str(month / "warehouse.duckdb"))
    change(con, star)
    con.close()
    star.close()
    full.mkdir()
    shutil.copyfile(month / "warehouse.duckdb", full / "warehouse.duckdb")

    window = {"min_date": WINDOW[0].isoformat(), "max_date": WINDOW[1].isoformat()}
    _dbt_build(month, window, select="tag:core tag:marts")
    _dbt_build(full, {}, select="tag:core tag:marts", full_refresh=True)

    restarts = _restart_month_ends(month)
    assert restarts["int_indicator_month_end_values"] == restarts["indicator_values"] == date(1900, 1, 31)
    _assert_same_tables(month / "star.duckdb", full / "star.duckdb", "marts", MARTS)


def _repeated_grants(warehouse: Path) -> set[str]:
    con = duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True)
    try:
        rows = con.execute("select version_key from staging.stg_raw__repeated_keys where feed = 'grants'")
        return {key for (key,) in rows.fetchall()}
    finally:
        con.close()


def test_a_month_run_recounts_the_keys_loaded_since_and_those_repeated_before(
    synthetic_warehouse: Path, tmp_path: Path
) -> None:
    """A partition run counts only candidate keys: a second version loaded since the last
    build makes its key repeated, wherever its date; a key repeated before and not loaded
    since stays repeated; a key whose second version was removed is no longer repeated."""
    shutil.copyfile(synthetic_warehouse / "warehouse.duckdb", tmp_path / "warehouse.duckdb")
    before = _repeated_grants(tmp_path)
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    (newest,) = con.execute("select max(_loaded_at) from raw.grants").fetchall()[0]
    versions = {}
    for name, (window_start, hours) in {"outside": (date(2025, 6, 1), 1), "inside": (WINDOW[0], 2)}.items():
        (key,) = con.execute(
            "select min(application_number) from raw.grants where grant_date >= ? and grant_date < ?",
            [window_start, window_start + timedelta(days=28)],
        ).fetchall()[0]
        loaded_at = newest + timedelta(hours=hours)  # a corrected version, loaded after the build
        con.execute(
            "insert into raw.grants select * replace ('corrected' as title, ? as _loaded_at)"
            " from raw.grants where application_number = ?",
            [loaded_at, key],
        )
        versions[name] = key
    con.close()
    assert versions["outside"] not in before and versions["inside"] not in before
    window = {"min_date": WINDOW[0].isoformat(), "max_date": WINDOW[1].isoformat()}

    _dbt_build(tmp_path, window, select="stg_raw__repeated_keys")
    assert _repeated_grants(tmp_path) == before | set(versions.values())

    # The window's correction is removed at the source; the other key was not loaded since.
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    con.execute(
        "delete from raw.grants where application_number = ? and title = 'corrected'", [versions["inside"]]
    )
    con.close()
    _dbt_build(tmp_path, window, select="stg_raw__repeated_keys")
    assert _repeated_grants(tmp_path) == before | {versions["outside"]}


def test_loading_a_partition_twice_is_idempotent(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute(
        """
        create table landed as select * from (values
            ('201710601862.3', '发明', '2017-01-01', '2021-03-05', 'a.csv', 1, null),
            ('201710601863.8', '发明', '2017-01-01', '2021-04-05', 'a.csv', 2, null)
        ) as t (application_number, patent_type, filing_date, grant_date, _source, _row, _extra)
        """
    )
    march = (date(2021, 3, 1), date(2021, 4, 1))
    for _ in range(2):
        stats = load_feed(con, "grants", {"h1": "landed"}, window=march)
        assert stats.rows_loaded == 1
    assert con.execute("select count(*) from raw.grants").fetchall()[0][0] == 1
    load_feed(con, "grants", {"h1": "landed"}, window=(date(2021, 4, 1), date(2021, 5, 1)))
    rows = con.execute("select application_number from raw.grants order by 1").fetchall()
    assert rows == [("201710601862.3",), ("201710601863.8",)]
    con.close()


def test_a_typed_month_load_reads_only_the_month_and_keeps_other_quarantine(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute(
        """
        create table landed as select * from (values
            ('201710601862.3', 'invention', date '2017-01-01', date '2021-03-05', 'synthetic:a', 1),
            ('201710601863.8', 'invention', date '2017-01-01', date '2021-04-05', 'synthetic:a', 2),
            ('bad-number-march', 'invention', date '2017-01-01', date '2021-03-09', 'synthetic:a', 3),
            ('bad-number-april', 'invention', date '2017-01-01', date '2021-04-09', 'synthetic:a', 4),
            ('201710601864.2', 'invention', date '2017-01-01', null, 'synthetic:a', 5)
        ) as t (application_number, patent_type, filing_date, grant_date, _source, _row)
        """
    )
    full = load_feed(con, "grants", {"h1": "landed"}, replace_sources_like="synthetic:%")
    assert (full.rows_loaded, full.rows_quarantined) == (2, 3)
    march = load_feed(
        con,
        "grants",
        {"h1": "landed"},
        replace_sources_like="synthetic:%",
        window=(date(2021, 3, 1), date(2021, 4, 1)),
    )
    # The month's rows, and the undated one (no date places it outside any month).
    assert (march.rows_loaded, march.rows_quarantined) == (1, 2)
    assert con.execute("select count(*) from raw.grants").fetchall()[0][0] == 2
    quarantined = con.execute("select _row from raw.grants_quarantine order by 1").fetchall()
    assert quarantined == [(3,), (4,), (5,)]
    con.close()


def test_a_month_load_of_rows_without_row_numbers_does_not_pile_up_quarantine(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute(
        """
        create table landed as select * from (values
            ('201710601862.3', 'invention', date '2017-01-01', date '2021-03-05', 'synthetic:a',
             null::bigint),
            ('bad-number', 'invention', date '2017-01-01', date '2021-03-09', 'synthetic:a', null::bigint)
        ) as t (application_number, patent_type, filing_date, grant_date, _source, _row)
        """
    )
    for _ in range(3):
        load_feed(con, "grants", {"h1": "landed"}, window=(date(2021, 3, 1), date(2021, 4, 1)))
    assert con.execute("select count(*) from raw.grants_quarantine").fetchall()[0][0] == 1
    assert con.execute("select count(*) from raw.grants").fetchall()[0][0] == 1
    con.close()


def test_a_month_load_of_a_new_batch_quarantines_all_of_it(tmp_path: Path) -> None:
    """A new batch (other scale or seed) replacing the old one keeps a quarantine for all dates."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    rows = """
        select * from (values
            ('201710601862.3', 'invention', date '2017-01-01', date '2021-03-05', 'synthetic:{v}', 1),
            ('bad-may', 'invention', date '2017-01-01', date '2021-05-09', 'synthetic:{v}', 2)
        ) as t (application_number, patent_type, filing_date, grant_date, _source, _row)
    """
    con.execute(f"create table landed_a as {rows.format(v='a')}")
    con.execute(f"create table landed_b as {rows.format(v='b')}")
    load_feed(con, "grants", {"hA": "landed_a"}, replace_sources_like="synthetic:%")
    load_feed(
        con,
        "grants",
        {"hB": "landed_b"},
        replace_sources_like="synthetic:%",
        window=(date(2021, 3, 1), date(2021, 4, 1)),
    )
    quarantined = con.execute("select _source, _ingest_hash from raw.grants_quarantine").fetchall()
    assert quarantined == [("synthetic:b", "hB")]
    con.close()


def test_month_run_after_a_full_build_republishes_the_same_indicators(
    synthetic_warehouse: Path, tmp_path: Path
) -> None:
    """The daily refresh path: `ipind run --month` over data already loaded changes no number."""
    warehouse = tmp_path / "warehouse"
    shutil.copytree(synthetic_warehouse, warehouse, ignore=shutil.ignore_patterns(".dagster_home"))
    before = _indicator_cells(warehouse / "serving.duckdb")
    monthly = sorted(p.name for p in (warehouse / "parquet" / "core").iterdir() if p.is_dir())
    files_before = _parquet_inodes(warehouse / "parquet" / "core")
    result = ipind(
        "run",
        "--source",
        "synthetic",
        "--set",
        f"scale={TEST_SCALE}",
        "--month",
        "2025-12",
        warehouse=warehouse,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    after = _indicator_cells(warehouse / "serving.duckdb")
    assert len(after) == len(before) > 0
    assert after == before
    # The marts step started from the core step's parse of the project (the window is not
    # among the vars, which would make dbt parse everything again).
    run_id = re.search(r"Run ([0-9a-f]{8})", result.stdout + result.stderr)
    assert run_id is not None
    (marts_log,) = (DBT_DIR / "target").glob(f"dbt_marts-{run_id.group(1)[:7]}-*/dbt.log")
    assert "Partial parsing enabled" in marts_log.read_text()
    assert "Unable to do partial parsing" not in marts_log.read_text()
    # The Parquet export equals the served tables, and of the tables dbt rebuilds by month
    # only the month's files were written again (the others are the same files, linked).
    assert set(differing_rows(warehouse / "serving.duckdb", warehouse / "parquet").values()) == {0}
    assert monthly == ["dim_patent", "fct_grant", "fct_legal_event", "fct_pct_application", "fct_transfer"]
    files_after = _parquet_inodes(warehouse / "parquet" / "core")
    rewritten = {name for name, inode in files_after.items() if files_before.get(name) != inode}
    assert rewritten == {f"{table}/2025-12.parquet" for table in monthly}


def _parquet_inodes(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_ino for p in folder.glob("*/*.parquet")}


def test_month_outside_the_partitions_is_refused(tmp_path: Path) -> None:
    result = ipind("run", "--month", "1999-12", warehouse=tmp_path)
    assert result.returncode == 2
    assert "1999-12 is not a partition" in result.stderr
    result = ipind("run", "--month", "2024-123", warehouse=tmp_path)
    assert result.returncode == 2
    assert "'2024-123' is not a month" in result.stderr


def _indicator_cells(serving: Path) -> list[tuple]:
    con = duckdb.connect(str(serving), read_only=True)
    try:
        return con.execute(
            "select * exclude (data_vintage) from marts.indicator_values order by all"
        ).fetchall()
    finally:
        con.close()


def test_a_month_load_rechecks_orphans_as_a_full_check_would(tmp_path: Path) -> None:
    """Events of any date adopted by a grant loaded in the month, or orphaned by a grant the
    month no longer has; the month's own orphan gone, a new one listed, an old one kept."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    a, b, c, d, e, f = (appno(i) for i in range(6))
    con.execute(
        """
        create table grants_v1 as select * from (values
            (?, 'invention', date '2017-01-01', date '2021-03-10', 'synthetic:a', 1),
            (?, 'invention', date '2017-01-01', date '2021-04-10', 'synthetic:a', 2)
        ) as t (application_number, patent_type, filing_date, grant_date, _source, _row)
        """,
        [a, b],
    )
    con.execute(
        """
        create table events_v1 as select * from (values
            ('e1', ?, date '2020-01-05', 'lapse_nonpayment', 'synthetic:a', 1),
            ('e2', ?, date '2021-03-20', 'lapse_nonpayment', 'synthetic:a', 2),
            ('e3', ?, date '2020-06-01', 'lapse_nonpayment', 'synthetic:a', 3),
            ('e4', ?, date '2021-03-25', 'lapse_nonpayment', 'synthetic:a', 4),
            ('e6', ?, date '2019-05-01', 'lapse_nonpayment', 'synthetic:a', 6)
        ) as t (event_id, application_number, event_date, event_type, _source, _row)
        """,
        [a, b, c, d, f],
    )
    # March again: A's grant is gone, C is granted, D's event is gone, E's event is new.
    con.execute(
        "create table grants_v2 as select * from grants_v1 where application_number <> ?"
        " union all select ?, 'invention', date '2017-01-01', date '2021-03-15', 'synthetic:a', 3",
        [a, c],
    )
    con.execute(
        "create table events_v2 as select * from events_v1 where event_id <> 'e4'"
        " union all select 'e5', ?, date '2021-03-28', 'lapse_nonpayment', 'synthetic:a', 5",
        [e],
    )

    def load(
        version: str, window: tuple[date, date] | None, fail_after_grants: bool = False
    ) -> dict[str, int]:
        report = IngestReport()
        with orphans_rechecked(con, report, window):
            for feed, landed in (("grants", f"grants_{version}"), ("legal_events", f"events_{version}")):
                load_feed(
                    con, feed, {f"h{version}": landed}, replace_sources_like="synthetic:%", window=window
                )
                if fail_after_grants:
                    raise RuntimeError("the legal events' load failed")
        return report.orphans

    def listed() -> list[tuple]:
        return con.execute(
            "select _source, _row, field, reason, record, _ingest_hash from raw.legal_events_quarantine"
            " where reason = ? order by all",
            [ORPHAN_REASON],
        ).fetchall()

    assert load("v1", None) == {"legal_events": 3}  # C's, D's and F's events
    assert load("v2", (date(2021, 3, 1), date(2021, 4, 1))) == {"legal_events": 3}  # A's, E's, F's
    by_month = listed()
    assert sorted(json.loads(r[4])["event_id"] for r in by_month) == ["e1", "e5", "e6"]
    with orphans_rechecked(con, IngestReport(), window=None):
        pass  # nothing loaded: every event checked against every grant
    assert listed() == by_month

    # A month whose grants committed before its events' load failed: the listing is stale
    # (A's event still counted as adopted), and the next month's load mends it anyway.
    load("v1", None)
    with pytest.raises(RuntimeError):
        load("v2", (date(2021, 3, 1), date(2021, 4, 1)), fail_after_grants=True)
    load("v2", (date(2021, 4, 1), date(2021, 5, 1)))
    by_month = listed()
    with orphans_rechecked(con, IngestReport(), window=None):
        pass
    assert listed() == by_month
    assert sorted(json.loads(r[4])["event_id"] for r in by_month) == ["e1", "e4", "e6"]
    con.close()
