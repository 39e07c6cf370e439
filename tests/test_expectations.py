"""The GX gate on real DuckDB files: every suite passes on clean data and every rule fails alone."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from expectations import (
    CORE_SUITES,
    RAW_SUITES,
    SUITE_NAMES,
    GateSettings,
    date_window_filter,
    ingest_hash_filter,
    summarise,
    validate,
)
from expectations.runner import WarehouseInUseError
from expectations.suites import SUITES
from ingestion.schema import FEEDS, quarantine_table_ddl, raw_table_ddl

A1, A2, A3 = "202110123456.7", "201710601862.3", "95115608.X"
LOADED_OLD, LOADED_NEW = "2024-01-01 00:00:00", "2024-02-01 00:00:00"

RAW_ROWS: dict[str, list[dict[str, object]]] = {
    "grants": [
        dict(
            application_number=A1,
            publication_number="CN114123456B",
            patent_type="invention",
            filing_date="2021-01-05",
            grant_date="2022-03-01",
            patentee_name="武汉某公司",
            patentee_type="enterprise",
            patentee_region_code="420106",
            patentee_country="CN",
        ),
        dict(
            application_number=A2,
            patent_type="utility_model",
            filing_date="2017-06-01",
            grant_date="2018-01-01",
            patentee_type="university",
            patentee_region_code="420100",
        ),
        dict(
            application_number=A3,
            patent_type="design",
            filing_date="1995-10-10",
            grant_date="1996-05-05",
            patentee_type="individual",
            patentee_region_code=None,
        ),
    ],
    "legal_events": [
        dict(event_id="E1", application_number=A1, event_date="2023-03-01", event_type="abandoned"),
        dict(
            event_id="E2",
            application_number=A2,
            event_date="2020-01-01",
            event_type="lapse_nonpayment",
        ),
    ],
    "transfers": [
        dict(
            record_id="T1",
            application_number=A1,
            kind="assignment",
            registration_date="2022-06-01",
            from_type="enterprise",
            from_region_code="420106",
            to_type="enterprise",
            to_region_code="420100",
        ),
        dict(
            record_id="T2",
            application_number=A2,
            kind="license",
            license_type="exclusive",
            registration_date="2019-06-01",
            from_type="university",
            from_region_code="420100",
            to_type="enterprise",
            to_region_code="420106",
        ),
    ],
    "pledges": [
        dict(
            pledge_id="P1",
            registration_date="2022-07-01",
            pledgor_type="enterprise",
            pledgor_region_code="420106",
            amount_10k_cny=500,
            application_numbers=f"{A1};{A2}",
            status="registered",
        ),
        dict(
            pledge_id="P1",
            registration_date="2023-07-01",
            pledgor_type="enterprise",
            pledgor_region_code="420106",
            amount_10k_cny=500,
            application_numbers=f"{A1};{A2}",
            status="cancelled",
        ),
    ],
    "pct": [
        dict(
            pct_application_number="PCT/CN2021/123456",
            filing_date="2021-04-01",
            receiving_office="CN",
            applicant_type="enterprise",
            applicant_region_code="420106",
        ),
        dict(
            pct_application_number="PCT/CN2022/000001",
            filing_date="2022-04-01",
            receiving_office="IB",
            applicant_type="university",
            applicant_region_code="420100",
        ),
    ],
}


def patent_key(expression: str) -> str:
    return f"cast(md5_number({expression}) >> 65 as bigint)"


CORE_DDL = [
    "create table core.dim_region (region_code varchar, name varchar, region_level varchar,"
    " parent_code varchar)",
    "insert into core.dim_region values ('420000', '湖北省', 'province', null),"
    " ('420100', '武汉市', 'prefecture', '420000'), ('420106', '武昌区', 'county', '420100'),"
    " ('-1', '未知', 'unknown', null)",
    "create table core.fct_grant (grant_key bigint, application_number varchar,"
    " patent_type varchar, filing_date date, grant_date date, region_code varchar,"
    " patentee_type varchar)",
    f"insert into core.fct_grant values (1, '{A1}', 'invention', '2021-01-05', '2022-03-01',"
    f" '420106', 'enterprise'), (2, '{A2}', 'utility_model', '2017-06-01', '2018-01-01',"
    f" '420100', 'university'), (3, '{A3}', 'design', '1995-10-10', '1996-05-05', '-1',"
    " 'individual')",
    "create table core.dim_patent as select application_number, patent_type, filing_date,"
    " grant_date from core.fct_grant",
    "create table core.fct_legal_event (event_id varchar, application_number varchar,"
    " event_date date, event_type varchar)",
    f"insert into core.fct_legal_event values ('E1', '{A1}', '2023-03-01', 'abandoned'),"
    f" ('E2', '{A2}', '2020-01-01', 'lapse_nonpayment'), ('E3', '{A2}', '2020-03-01', 'restored')",
    "create table core.fct_transfer (record_id varchar, application_number varchar, kind varchar,"
    " license_type varchar, registration_date date, from_type varchar, from_region_code varchar,"
    " to_type varchar, to_region_code varchar)",
    f"insert into core.fct_transfer values ('T1', '{A1}', 'assignment', null, '2022-06-01',"
    f" 'enterprise', '420106', 'enterprise', '420100'), ('T2', '{A2}', 'license', 'exclusive',"
    " '2019-06-01', 'university', '420100', 'enterprise', '420106')",
    "create table core.fct_pledge (pledge_id varchar, registration_date date,"
    " cancelled_date date, amount_10k_cny decimal(18,4), status varchar, pledgor_type varchar,"
    " pledgor_region_code varchar)",
    "insert into core.fct_pledge values ('P1', '2022-07-01', '2023-07-01', 500, 'cancelled',"
    " 'enterprise', '420106'), ('P2', '2023-01-01', null, 12.5, 'registered', 'enterprise',"
    " '-1')",
    "create table core.bridge_pledge_patent (pledge_id varchar, application_number varchar)",
    f"insert into core.bridge_pledge_patent values ('P1', '{A1}'), ('P1', '{A2}'), ('P2', '{A1}')",
    "create table core.fct_pct_application (pct_application_number varchar, filing_date date,"
    " applicant_type varchar, applicant_region_code varchar)",
    "insert into core.fct_pct_application values ('PCT/CN2021/123456', '2021-04-01',"
    " 'enterprise', '420106'), ('PCT/CN2022/000001', '2022-04-01', 'university', '420100')",
    "create table core.fct_patent_holding (holding_key bigint, application_number varchar,"
    " holder_region_code varchar, valid_from date, valid_to date)",
    f"insert into core.fct_patent_holding values (11, '{A1}', '420106', '2022-03-01',"
    f" '2022-06-01'), (12, '{A1}', '420100', '2022-06-01', null), (13, '{A2}', '-1',"
    " '2018-01-01', null)",
    # The star's patent key, derived from the application number as dbt's surrogate_key does.
    *(
        f"alter table core.{table} add column patent_key bigint;"
        f" update core.{table} set patent_key = {patent_key('application_number')}"
        for table in ("fct_grant", "fct_legal_event", "fct_transfer", "bridge_pledge_patent")
    ),
]


def _insert_raw(con: duckdb.DuckDBPyConnection, feed: str, rows: list[dict], **lineage: str) -> None:
    for i, row in enumerate(rows, start=1):
        values = {**row, "_source": f"{feed}.csv", "_row": i, **lineage}
        cols = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        con.execute(f"insert into raw.{feed} ({cols}) values ({marks})", list(values.values()))


def build_warehouse(path: Path) -> Path:
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema raw")
        con.execute("create schema core")
        for feed in FEEDS.values():
            con.execute(raw_table_ddl(feed, f"raw.{feed.name}"))
            con.execute(quarantine_table_ddl(f"raw.{feed.name}_quarantine"))
            _insert_raw(con, feed.name, RAW_ROWS[feed.name], _loaded_at=LOADED_NEW, _ingest_hash="h1")
        for sql in CORE_DDL:
            con.execute(sql)
    finally:
        con.close()
    return path


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_warehouse(tmp_path_factory.mktemp("gate") / "baseline.duckdb")


@pytest.fixture
def warehouse(baseline: Path, tmp_path: Path) -> Path:
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(baseline, db)
    return db


def _run(db: Path, sql: str | list[str]) -> None:
    con = duckdb.connect(str(db))
    try:
        for statement in [sql] if isinstance(sql, str) else sql:
            con.execute(statement)
    finally:
        con.close()


# -- the clean warehouse ---------------------------------------------------------------------
def test_every_suite_passes_on_clean_data(warehouse: Path, tmp_path: Path) -> None:
    docs = tmp_path / "data_docs"
    results = validate(warehouse, SUITE_NAMES, data_docs_dir=docs)
    assert [r.suite for r in results] == SUITE_NAMES
    for r in results:
        assert r.error is None, r.error
        assert r.skipped_reason is None
        assert r.failures == [], [f.line() for f in r.failures]
        assert r.success
        # the fixture has every column a suite looks at: every check really ran
        assert r.skipped_checks == [], r.skipped_checks
        assert r.evaluated >= 4
        assert r.row_count is not None and r.row_count > 0
        assert r.data_docs_path is not None and r.data_docs_path.is_file()
        assert r.data_docs_path.is_relative_to(docs.resolve())
        assert "<html" in r.data_docs_path.read_text(encoding="utf-8").lower()
    meta = summarise(results)
    assert meta["passed"] is True
    assert meta["expectations_evaluated"] == sum(r.evaluated for r in results)
    assert meta["failed_errors"] == meta["failed_warnings"] == 0
    assert meta["raw.grants.data_docs"].startswith("file://")
    assert all(isinstance(v, str | int | float | bool | type(None)) for v in meta.values())


# -- one failing dataset per rule ------------------------------------------------------------
E, W = "error", "warning"


@dataclass(frozen=True)
class Case:
    suite: str
    rule: str
    severity: str
    sql: str | tuple[str, ...]
    also: tuple[str, ...] = ()  # other checks the same defect trips

    @property
    def id(self) -> str:
        return f"{self.suite}:{self.rule}"


def _first(table: str) -> str:
    return f"rowid = (select min(rowid) from {table})"


def set_(suite: str, rule: str, sev: str, assignment: str, also: tuple[str, ...] = ()) -> Case:
    table = SUITES[suite].table
    return Case(suite, rule, sev, f"update {table} set {assignment} where {_first(table)}", also)


def null(suite: str, column: str) -> Case:
    return set_(suite, f"{column}.not_null", E, f"{column} = null")


def dup(suite: str, rule: str, sev: str) -> Case:
    table = SUITES[suite].table
    sql = f"insert into {table} select * from {table} where {_first(table)}"
    return Case(suite, rule, sev, sql)


def future(suite: str, column: str, also: tuple[str, ...] = ()) -> Case:
    return set_(suite, f"{column}.in_range", E, f"{column} = date '2099-01-01'", also)


def ancient(suite: str, column: str, also: tuple[str, ...] = ()) -> Case:
    return set_(suite, f"{column}.in_range", E, f"{column} = date '1980-01-01'", also)


def bogus(suite: str, column: str, sev: str = E) -> Case:
    return set_(suite, f"{column}.in_set", sev, f"{column} = 'bogus'")


def short_code(suite: str, column: str, also_dim: bool) -> Case:
    also = (f"{suite}:{column}.in_dim_region",) if also_dim else ()
    return set_(suite, f"{column}.six_digits", E, f"{column} = '42010'", also)


def not_in_dim(suite: str, column: str) -> Case:
    return set_(suite, f"{column}.in_dim_region", E, f"{column} = '429999'")


def quarantined(feed: str) -> Case:
    return Case(
        f"raw.{feed}",
        "quarantine_share",
        E,
        f"insert into raw.{feed}_quarantine values ('{feed}.csv', 9, 'x', 'unparseable', '{{}}',"
        f" timestamp '{LOADED_NEW}', 'h1')",
    )


ORPHAN = "209999999999.9"
ORPHANED = f"application_number = '{ORPHAN}', patent_key = {patent_key(repr(ORPHAN))}"

CASES: list[Case] = [
    # raw.grants
    null("raw.grants", "application_number"),
    dup("raw.grants", "application_number.unique", W),
    set_("raw.grants", "application_number.format", W, "application_number = 'ZL2021101234567'"),
    null("raw.grants", "patent_type"),
    bogus("raw.grants", "patent_type"),
    null("raw.grants", "filing_date"),
    ancient("raw.grants", "filing_date"),
    null("raw.grants", "grant_date"),
    future("raw.grants", "grant_date"),
    set_("raw.grants", "grant_date.not_before.filing_date", E, "grant_date = filing_date - 1"),
    bogus("raw.grants", "patentee_type", W),
    short_code("raw.grants", "patentee_region_code", also_dim=False),
    quarantined("grants"),
    # raw.legal_events
    null("raw.legal_events", "event_id"),
    dup("raw.legal_events", "event_id.unique", W),
    null("raw.legal_events", "application_number"),
    null("raw.legal_events", "event_date"),
    future("raw.legal_events", "event_date"),
    null("raw.legal_events", "event_type"),
    bogus("raw.legal_events", "event_type"),
    set_("raw.legal_events", "orphans", W, f"application_number = '{ORPHAN}'"),
    quarantined("legal_events"),
    # raw.transfers
    null("raw.transfers", "record_id"),
    dup("raw.transfers", "record_id.unique", W),
    null("raw.transfers", "application_number"),
    null("raw.transfers", "kind"),
    bogus("raw.transfers", "kind"),
    bogus("raw.transfers", "license_type", W),
    null("raw.transfers", "registration_date"),
    ancient("raw.transfers", "registration_date"),
    set_("raw.transfers", "orphans", W, f"application_number = '{ORPHAN}'"),
    bogus("raw.transfers", "from_type", W),
    bogus("raw.transfers", "to_type", W),
    short_code("raw.transfers", "from_region_code", also_dim=False),
    short_code("raw.transfers", "to_region_code", also_dim=False),
    quarantined("transfers"),
    # raw.pledges
    null("raw.pledges", "pledge_id"),
    dup("raw.pledges", "pledge_id.status.unique", W),
    null("raw.pledges", "registration_date"),
    future("raw.pledges", "registration_date"),
    null("raw.pledges", "amount_10k_cny"),
    set_("raw.pledges", "amount_10k_cny.positive", E, "amount_10k_cny = 0"),
    null("raw.pledges", "application_numbers"),
    set_("raw.pledges", "application_numbers.non_empty", E, "application_numbers = ' ; '"),
    bogus("raw.pledges", "status"),
    set_("raw.pledges", "orphans", W, f"application_numbers = '{A1};{ORPHAN}'"),
    bogus("raw.pledges", "pledgor_type", W),
    short_code("raw.pledges", "pledgor_region_code", also_dim=False),
    quarantined("pledges"),
    # raw.pct
    null("raw.pct", "pct_application_number"),
    dup("raw.pct", "pct_application_number.unique", W),
    set_("raw.pct", "pct_application_number.format", W, "pct_application_number = 'CN2021123456'"),
    null("raw.pct", "filing_date"),
    future("raw.pct", "filing_date"),
    bogus("raw.pct", "applicant_type", W),
    short_code("raw.pct", "applicant_region_code", also_dim=False),
    quarantined("pct"),
    # core.fct_grant
    null("core.fct_grant", "grant_key"),
    dup("core.fct_grant", "grant_key.unique", E),
    null("core.fct_grant", "application_number"),
    null("core.fct_grant", "patent_type"),
    bogus("core.fct_grant", "patent_type"),
    null("core.fct_grant", "filing_date"),
    ancient("core.fct_grant", "filing_date"),
    null("core.fct_grant", "grant_date"),
    future("core.fct_grant", "grant_date"),
    set_("core.fct_grant", "grant_date.not_before.filing_date", E, "grant_date = filing_date - 1"),
    short_code("core.fct_grant", "region_code", also_dim=True),
    not_in_dim("core.fct_grant", "region_code"),
    bogus("core.fct_grant", "patentee_type", W),
    # core.dim_patent
    null("core.dim_patent", "application_number"),
    dup("core.dim_patent", "application_number.unique", E),
    bogus("core.dim_patent", "patent_type"),
    # core.dim_region
    null("core.dim_region", "region_code"),
    dup("core.dim_region", "region_code.unique", E),
    null("core.dim_region", "region_level"),
    bogus("core.dim_region", "region_level"),
    # core.fct_legal_event
    null("core.fct_legal_event", "event_id"),
    dup("core.fct_legal_event", "event_id.unique", E),
    null("core.fct_legal_event", "application_number"),
    null("core.fct_legal_event", "event_date"),
    future("core.fct_legal_event", "event_date"),
    null("core.fct_legal_event", "event_type"),
    bogus("core.fct_legal_event", "event_type"),
    set_("core.fct_legal_event", "orphans", W, ORPHANED),
    set_(
        "core.fct_legal_event",
        "event_date.not_before.grant_date",
        W,
        "event_date = date '2021-06-01'",
    ),
    # core.fct_transfer
    null("core.fct_transfer", "record_id"),
    dup("core.fct_transfer", "record_id.unique", E),
    null("core.fct_transfer", "application_number"),
    null("core.fct_transfer", "kind"),
    bogus("core.fct_transfer", "kind"),
    bogus("core.fct_transfer", "license_type", W),
    null("core.fct_transfer", "registration_date"),
    future("core.fct_transfer", "registration_date"),
    set_("core.fct_transfer", "orphans", W, ORPHANED),
    bogus("core.fct_transfer", "from_type", W),
    bogus("core.fct_transfer", "to_type", W),
    short_code("core.fct_transfer", "from_region_code", also_dim=True),
    short_code("core.fct_transfer", "to_region_code", also_dim=True),
    not_in_dim("core.fct_transfer", "to_region_code"),
    # core.fct_pledge
    null("core.fct_pledge", "pledge_id"),
    dup("core.fct_pledge", "pledge_id.unique", E),
    null("core.fct_pledge", "registration_date"),
    ancient("core.fct_pledge", "registration_date"),
    null("core.fct_pledge", "amount_10k_cny"),
    set_("core.fct_pledge", "amount_10k_cny.positive", E, "amount_10k_cny = -5"),
    bogus("core.fct_pledge", "status"),
    set_(
        "core.fct_pledge",
        "cancelled_date.not_before.registration_date",
        W,
        "cancelled_date = registration_date - 1",
    ),
    bogus("core.fct_pledge", "pledgor_type", W),
    short_code("core.fct_pledge", "pledgor_region_code", also_dim=True),
    not_in_dim("core.fct_pledge", "pledgor_region_code"),
    # core.bridge_pledge_patent
    null("core.bridge_pledge_patent", "pledge_id"),
    null("core.bridge_pledge_patent", "application_number"),
    dup("core.bridge_pledge_patent", "pledge_id.application_number.unique", E),
    set_("core.bridge_pledge_patent", "pledge_id.in_fct_pledge", E, "pledge_id = 'P404'"),
    set_("core.bridge_pledge_patent", "orphans", W, ORPHANED),
    # core.fct_pct_application
    null("core.fct_pct_application", "pct_application_number"),
    dup("core.fct_pct_application", "pct_application_number.unique", E),
    null("core.fct_pct_application", "filing_date"),
    future("core.fct_pct_application", "filing_date"),
    bogus("core.fct_pct_application", "applicant_type", W),
    short_code("core.fct_pct_application", "applicant_region_code", also_dim=True),
    # core.fct_patent_holding
    null("core.fct_patent_holding", "holding_key"),
    dup("core.fct_patent_holding", "holding_key.unique", E),
    null("core.fct_patent_holding", "application_number"),
    null("core.fct_patent_holding", "valid_from"),
    set_("core.fct_patent_holding", "valid_to.after.valid_from", E, "valid_to = valid_from"),
    short_code("core.fct_patent_holding", "holder_region_code", also_dim=True),
    not_in_dim("core.fct_patent_holding", "holder_region_code"),
]


def test_cases_cover_every_check(baseline: Path) -> None:
    """Every check of every suite (bar row_count, tested below) has a failing dataset here."""
    from expectations.suites import TableInfo, build_suite

    con = duckdb.connect(str(baseline), read_only=True)
    rows = con.execute(
        "select table_schema || '.' || table_name, list(column_name)"
        " from information_schema.columns group by 1"
    ).fetchall()
    con.close()
    catalog = {table: frozenset(columns) for table, columns in rows}
    covered = {c.id for c in CASES} | {a for c in CASES for a in c.also}
    for name in SUITE_NAMES:
        spec = SUITES[name]
        built = build_suite(name, TableInfo(spec.table, catalog[spec.table], frozenset(catalog)))
        ids = {c.id for c in built.checks} - {f"{name}:row_count"}
        assert ids <= covered, sorted(ids - covered)
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_rule_fails_alone(case: Case, warehouse: Path) -> None:
    _run(warehouse, list(case.sql) if isinstance(case.sql, tuple) else case.sql)
    (result,) = validate(warehouse, [case.suite])
    assert result.error is None, result.error
    failing = {f.check: f for f in result.failures}
    assert set(failing) == {case.id, *case.also}, [f.line() for f in result.failures]
    failure = failing[case.id]
    assert failure.severity == case.severity
    # warnings are reported but never block
    blocking = [f for f in result.failures if f.severity == E]
    assert result.success is (not blocking)
    assert result.success is (case.severity == W)
    if failure.expectation_type != "expect_table_row_count_to_be_between":
        assert failure.unexpected_count is not None and failure.unexpected_count >= 1
    if case.rule.endswith(("in_set", "six_digits", "orphans", "format", "in_dim_region")):
        assert failure.sample, failure


@pytest.mark.parametrize("orphans", [3, 199, 200, 450])
def test_query_checks_count_every_row(warehouse: Path, orphans: int) -> None:
    """Few failing rows are counted from the rows fetched, a query with more rows than GX
    fetches (200) is counted again: the count is exact either side of the cap."""
    _run(
        warehouse,
        "insert into raw.legal_events select 'X' || i, 'ORPHAN' || i, date '2023-01-01',"
        f" 'abandoned', null, 'f.csv', 100 + i, timestamp '{LOADED_NEW}', 'h1'"
        f" from range({orphans}) as r(i)",
    )
    (result,) = validate(warehouse, ["raw.legal_events"])
    (failure,) = result.failures
    assert failure.check == "raw.legal_events:orphans"
    assert failure.unexpected_count == orphans
    assert len(failure.sample) == min(orphans, 5)


# -- settings-driven checks ------------------------------------------------------------------
def test_row_count_collapse(warehouse: Path) -> None:
    # 3 grants now. 6 before is exactly a 50 % drop: allowed; 7 before is more: fails.
    ok = GateSettings(previous_row_counts={"raw.grants": 6})
    (r,) = validate(warehouse, ["raw.grants"], settings=ok)
    assert r.success and r.row_count == 3
    bad = GateSettings(previous_row_counts={"raw.grants": 7, "core.fct_grant": 7})
    results = validate(warehouse, ["raw.grants", "core.fct_grant"], settings=bad)
    for r in results:
        assert not r.success
        assert [f.check for f in r.failures] == [f"{r.suite}:row_count"]
        assert r.failures[0].observed_value == 3
    stricter = GateSettings(previous_row_counts={"raw.grants": 4}, row_drop_max=0.2)
    (r,) = validate(warehouse, ["raw.grants"], settings=stricter)
    assert not r.success


def test_quarantine_share_counts_only_the_latest_load(warehouse: Path) -> None:
    # 1 quarantined row against 3 loaded in the same (latest) load: 25 % > 1 %.
    _run(
        warehouse,
        "insert into raw.grants_quarantine values ('old.csv', 1, 'grant_date', 'before filing',"
        f" '{{}}', timestamp '{LOADED_OLD}', 'h0')",
    )
    (r,) = validate(warehouse, ["raw.grants"])
    assert r.success, [f.line() for f in r.failures]  # an older load's quarantine is history
    # an explicit batch list takes precedence over "latest load"
    (r,) = validate(warehouse, ["raw.grants"], settings=GateSettings(ingest_hashes=["h0"]))
    assert [f.check for f in r.failures] == ["raw.grants:quarantine_share"]
    sample = r.failures[0].sample[0]
    assert sample["quarantined_rows"] == 1 and sample["raw_rows"] == 0
    # threshold: 1 of 4 rows is 25 %
    _run(warehouse, quarantined("grants").sql)  # type: ignore[arg-type]
    (r,) = validate(warehouse, ["raw.grants"], settings=GateSettings(quarantine_share_max=0.3))
    assert r.success
    (r,) = validate(warehouse, ["raw.grants"], settings=GateSettings(quarantine_share_max=0.2))
    assert not r.success
    assert r.failures[0].sample[0]["quarantine_share"] == pytest.approx(0.25)


def test_all_rows_quarantined_fails(warehouse: Path) -> None:
    _run(
        warehouse,
        [
            "delete from raw.pct",
            "insert into raw.pct_quarantine values ('pct.csv', 1, 'filing_date', 'bad date',"
            f" '{{}}', timestamp '{LOADED_NEW}', 'h2')",
        ],
    )
    (r,) = validate(warehouse, ["raw.pct"])
    assert [f.check for f in r.failures] == ["raw.pct:quarantine_share"]


def test_severity_override(warehouse: Path) -> None:
    _run(warehouse, dup("raw.grants", "application_number.unique", W).sql)  # type: ignore[arg-type]
    settings = GateSettings(severity_overrides={"raw.grants:application_number.unique": "error"})
    (r,) = validate(warehouse, ["raw.grants"], settings=settings)
    assert not r.success and r.errors[0].check == "raw.grants:application_number.unique"


# -- partitions ------------------------------------------------------------------------------
def test_partition_filter_on_ingest_hash(warehouse: Path) -> None:
    # an older batch with a bad row and the same keys: history, not the new partition
    _run(
        warehouse,
        f"insert into raw.grants (application_number, patent_type, filing_date, grant_date,"
        f" _loaded_at, _ingest_hash) values ('{A1}', 'bogus', '2021-01-05', '2022-03-01',"
        f" timestamp '{LOADED_OLD}', 'h0')",
    )
    (whole,) = validate(warehouse, ["raw.grants"])
    assert {f.check for f in whole.failures} == {
        "raw.grants:patent_type.in_set",
        "raw.grants:application_number.unique",
    }
    (new,) = validate(warehouse, ["raw.grants"], partition_filter=ingest_hash_filter(["h1"]))
    assert new.success and new.failures == [] and new.row_count == 3
    assert new.partition_filter == "_ingest_hash in ('h1')"
    only_h0 = {"raw.grants": "_ingest_hash = 'h0'"}
    (old,) = validate(warehouse, ["raw.grants"], partition_filter=only_h0)
    assert old.row_count == 1 and not old.success


def test_partition_filter_on_date_window(warehouse: Path) -> None:
    from datetime import date

    _run(warehouse, "update raw.legal_events set event_type = 'bogus' where event_id = 'E2'")
    window = date_window_filter("raw.legal_events", date(2023, 1, 1), date(2024, 1, 1))
    assert window.startswith("event_date >= date '2023-01-01'")
    (r,) = validate(warehouse, ["raw.legal_events"], partition_filter=window)
    assert r.success and r.row_count == 1
    (r,) = validate(warehouse, ["raw.legal_events"])
    assert not r.success


# -- defensive suites ------------------------------------------------------------------------
def test_missing_table_and_columns_are_skipped(warehouse: Path) -> None:
    _run(
        warehouse,
        [
            "drop table core.fct_patent_holding",
            "alter table core.fct_grant drop column patentee_type",
            "drop table core.dim_region",
        ],
    )
    holding, grant = validate(warehouse, ["core.fct_patent_holding", "core.fct_grant"])
    assert holding.success and holding.evaluated == 0
    assert holding.skipped_reason == "table core.fct_patent_holding does not exist"
    assert grant.success and grant.failures == []
    assert "core.fct_grant:patentee_type.in_set" not in grant.checks
    assert "core.fct_grant:grant_key.unique" in grant.checks
    assert "core.fct_grant:region_code.in_dim_region" in grant.skipped_checks
    assert "core.fct_grant:region_code.six_digits" not in grant.skipped_checks


def test_unknown_suite_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(KeyError):
        validate(tmp_path / "x.duckdb", ["raw.nope"])
    with pytest.raises(FileNotFoundError):
        validate(tmp_path / "x.duckdb", ["raw.grants"])


def test_suite_lists() -> None:
    assert [f"raw.{f}" for f in FEEDS] == RAW_SUITES
    assert CORE_SUITES == [
        "core.fct_grant",
        "core.dim_patent",
        "core.dim_region",
        "core.fct_legal_event",
        "core.fct_transfer",
        "core.fct_pledge",
        "core.bridge_pledge_patent",
        "core.fct_pct_application",
        "core.fct_patent_holding",
    ]


# -- summarise and the file lock ------------------------------------------------------------
def test_summarise_failures(warehouse: Path) -> None:
    _run(warehouse, bogus("raw.grants", "patent_type").sql)  # type: ignore[arg-type]
    _run(warehouse, bogus("raw.grants", "patentee_type", W).sql)  # type: ignore[arg-type]
    results = validate(warehouse, ["raw.grants", "raw.pct"])
    meta = summarise(results)
    assert meta["passed"] is False
    assert meta["raw.grants.passed"] is False and meta["raw.pct.passed"] is True
    assert meta["failed_errors"] == 1 and meta["failed_warnings"] == 1
    assert meta["raw.grants:patent_type.in_set.unexpected_count"] == 1
    assert meta["raw.grants:patent_type.in_set.sample"] == "bogus"
    assert meta["raw.grants:patentee_type.in_set.severity"] == "warning"
    assert "raw.grants:patent_type.in_set" in meta["failures_md"]
    assert meta["seconds"] > 0
    assert all(isinstance(v, str | int | float | bool | type(None)) for v in meta.values())


def _open_read_write_elsewhere(db: Path) -> subprocess.CompletedProcess[str]:
    code = textwrap.dedent(
        f"""
        import duckdb
        con = duckdb.connect({str(db)!r})
        con.execute("create table lock_probe as select 1 as x")
        con.close()
        print("ok")
        """
    )
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )


def test_engines_are_disposed_after_validate(warehouse: Path) -> None:
    results = validate(warehouse, ["raw.grants", "core.fct_grant"])
    assert all(r.success for r in results)
    probe = _open_read_write_elsewhere(warehouse)
    assert probe.returncode == 0 and "ok" in probe.stdout, probe.stderr


def test_engines_are_disposed_after_a_failed_validation(warehouse: Path) -> None:
    _run(warehouse, bogus("raw.grants", "patent_type").sql)  # type: ignore[arg-type]
    (r,) = validate(warehouse, ["raw.grants"], partition_filter="no_such_column = 1")
    # the gate fails closed: every expectation reports the SQL error
    assert not r.success and r.failures
    assert all(f.exception and "no_such_column" in f.exception for f in r.failures)
    probe = _open_read_write_elsewhere(warehouse)
    assert probe.returncode == 0 and "ok" in probe.stdout, probe.stderr


def test_validate_refuses_while_this_process_holds_a_connection(warehouse: Path) -> None:
    con = duckdb.connect(str(warehouse))
    try:
        with pytest.raises(WarehouseInUseError):
            validate(warehouse, ["raw.grants"])
    finally:
        con.close()
    (r,) = validate(warehouse, ["raw.grants"])
    assert r.success


def test_validate_refuses_while_another_process_writes(warehouse: Path) -> None:
    code = (
        "import duckdb, sys\n"
        f"con = duckdb.connect({str(warehouse)!r})\n"
        "print('open', flush=True)\n"
        "sys.stdin.readline()\n"
    )
    writer = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "open"
        with pytest.raises(WarehouseInUseError, match="another process"):
            validate(warehouse, ["raw.grants"])
    finally:
        writer.communicate("\n", timeout=30)


def test_validate_alongside_a_reader_in_another_process(warehouse: Path) -> None:
    code = (
        "import duckdb, sys, time\n"
        f"con = duckdb.connect({str(warehouse)!r}, read_only=True)\n"
        "print('open', flush=True)\n"
        "sys.stdin.readline()\n"
    )
    reader = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert reader.stdout is not None and reader.stdout.readline().strip() == "open"
        (r,) = validate(warehouse, ["raw.grants"])
        assert r.success
    finally:
        reader.communicate("\n", timeout=30)
