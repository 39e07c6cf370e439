"""`ipind run` end to end on the synthetic default, checked against the raw rows.

Every expected number here is computed by the test itself from the generated raw rows,
with plain pandas and the contract's rules, never read from the pipeline's own output.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

CONTRACT_CODES = {
    "grants_total",
    "grants_invention",
    "grants_utility_model",
    "grants_design",
    "invention_in_force",
    "invention_in_force_per_10k",
    "high_value_in_force",
    "high_value_per_10k",
    "hv_sei",
    "hv_overseas_family",
    "hv_maintained_10y",
    "hv_pledge",
    "hv_award",
    "pct_applications",
    "transfers",
    "licenses",
    "transfer_license_total",
    "univ_to_sme_transfer_license",
    "pledge_amount_100m_cny",
    "pledge_count",
    "pledged_patents",
    "inclusive_pledge_enterprises",
}


def _raw(warehouse: Path, table: str, key: str) -> pd.DataFrame:
    con = duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True)
    try:
        frame = con.execute(f"select * from raw.{table}").df()
    finally:
        con.close()
    frame = frame.sort_values(["_loaded_at", "_row"])
    return frame.drop_duplicates(subset=key, keep="last")


def _served(warehouse: Path, sql: str, params: list | None = None) -> pd.DataFrame:
    con = duckdb.connect(str(warehouse / "serving.duckdb"), read_only=True)
    try:
        return con.execute(sql, params or []).df()
    finally:
        con.close()


def _value(warehouse: Path, region: str, code: str, year: int) -> float:
    frame = _served(
        warehouse,
        "select value from marts.indicator_values where region_code = ? and indicator_code = ?"
        " and period_type = 'year' and year = ? order by region_level = 'province' desc limit 1",
        [region, code, year],
    )
    return float(frame.iloc[0, 0])


def _latest_full_year(warehouse: Path) -> int:
    return int(
        _served(warehouse, "select max(year) from marts.indicator_values where period_type = 'year'").iloc[
            0, 0
        ]
    )


def _province(code: object) -> str | None:
    return f"{code[:2]}0000" if isinstance(code, str) and len(code) == 6 else None


def test_serving_has_the_bi_contract(synthetic_warehouse: Path) -> None:
    tables = _served(
        synthetic_warehouse, "select table_schema || '.' || table_name as t from information_schema.tables"
    )
    names = set(tables["t"])
    for table in (
        "marts.indicator_values",
        "marts.region_indicators_annual",
        "marts.target_tracking",
        "marts.reconciliation",
        "core.fct_grant",
        "core.dim_region",
    ):
        assert table in names
    codes = set(
        _served(synthetic_warehouse, "select distinct indicator_code from marts.indicator_values")[
            "indicator_code"
        ]
    )
    assert codes == CONTRACT_CODES
    columns = list(_served(synthetic_warehouse, "select * from marts.indicator_values limit 0").columns)
    assert columns == [
        "region_code",
        "region_name",
        "region_level",
        "parent_code",
        "period_type",
        "period_end",
        "year",
        "month",
        "indicator_code",
        "value",
        "unit",
        "yoy_pct",
        "yoy_abs",
        "rank_in_parent",
        "settings_hash",
        "data_vintage",
    ]
    assert (synthetic_warehouse / "parquet" / "marts" / "indicator_values.parquet").exists()


def test_every_mart_row_carries_the_settings_and_the_data_vintage(synthetic_warehouse: Path) -> None:
    """indicators.md, Settings: every mart row carries its settings (`settings_hash`, whose
    values marts.build_settings states, the pledge thresholds among them) and a vintage."""
    con = duckdb.connect(str(synthetic_warehouse / "warehouse.duckdb"), read_only=True)
    try:
        newest_load = con.execute(
            "select max(t) from (select max(_loaded_at) as t from raw.grants"
            " union all select max(_loaded_at) from raw.legal_events"
            " union all select max(_loaded_at) from raw.transfers"
            " union all select max(_loaded_at) from raw.pledges"
            " union all select max(_loaded_at) from raw.pct)"
        ).fetchall()[0][0]
    finally:
        con.close()
    settings = dict(
        _served(synthetic_warehouse, "select setting, value from marts.build_settings").itertuples(
            index=False
        )
    )
    assert settings == {
        "attribution": "current_holder",
        "pct_basis": "receiving_office_cn",
        "population_basis": "previous_year_end",
        "high_value_pledge_threshold_10k_cny": "1000.0",
        "inclusive_pledge_threshold_10k_cny": "1000.0",
    }
    (run_hash,) = set(
        _served(synthetic_warehouse, "select settings_hash from marts.build_settings")["settings_hash"]
    )
    marts = set(
        _served(
            synthetic_warehouse,
            "select table_name from information_schema.tables where table_schema = 'marts'",
        )["table_name"]
    )
    assert {"indicator_values", "region_indicators_annual", "target_tracking", "reconciliation"} <= marts
    for table in sorted(marts):
        stamps = _served(
            synthetic_warehouse,
            f"select distinct settings_hash, data_vintage from marts.{table}",
        )
        assert len(stamps) == 1, (table, stamps)
        assert stamps.iloc[0, 0] == run_hash, table
        assert stamps.iloc[0, 1] == pd.Timestamp(newest_load), table


def test_grant_flows_match_raw_rows(synthetic_warehouse: Path) -> None:
    grants = _raw(synthetic_warehouse, "grants", "application_number")
    grants = grants[grants["patentee_country"].fillna("CN").str.upper() == "CN"]
    grants = grants.assign(
        province=grants["patentee_region_code"].map(_province),
        year=pd.to_datetime(grants["grant_date"]).dt.year,
    )
    year = _latest_full_year(synthetic_warehouse)
    for province in ("420000", "430000"):
        rows = grants[(grants["province"] == province) & (grants["year"] == year)]
        assert _value(synthetic_warehouse, province, "grants_total", year) == len(rows)
        inventions = rows[rows["patent_type"] == "invention"]
        assert _value(synthetic_warehouse, province, "grants_invention", year) == len(inventions)
        previous = grants[(grants["province"] == province) & (grants["year"] == year - 1)]
        yoy = _served(
            synthetic_warehouse,
            "select yoy_pct from marts.indicator_values where region_code = ? and region_level = 'province'"
            " and indicator_code = 'grants_total' and period_type = 'year' and year = ?",
            [province, year],
        ).iloc[0, 0]
        assert yoy == pytest.approx((len(rows) - len(previous)) / len(previous) * 100)


def test_invention_in_force_matches_the_contract_rule(synthetic_warehouse: Path) -> None:
    year = _latest_full_year(synthetic_warehouse)
    day = pd.Timestamp(date(year, 12, 31))
    grants = _raw(synthetic_warehouse, "grants", "application_number")
    grants = grants[(grants["patent_type"] == "invention")]
    events = _raw(synthetic_warehouse, "legal_events", "event_id")
    transfers = _raw(synthetic_warehouse, "transfers", "record_id")
    events = events[pd.to_datetime(events["event_date"]) <= day]
    terminations = (
        events[events["event_type"] != "restored"].groupby("application_number")["event_date"].max()
    )
    restorations = (
        events[events["event_type"] == "restored"].groupby("application_number")["event_date"].max()
    )
    assignments = transfers[
        (transfers["kind"] == "assignment") & (pd.to_datetime(transfers["registration_date"]) <= day)
    ]
    assignments = assignments.sort_values(["registration_date", "record_id"])
    holder_region = assignments.groupby("application_number")["to_region_code"].last()

    expected = 0
    for row in grants.itertuples():
        filed = pd.Timestamp(row.filing_date)
        if pd.Timestamp(row.grant_date) > day or day >= filed + pd.DateOffset(years=20):
            continue
        term = terminations.get(row.application_number)
        if term is not None:
            restored = restorations.get(row.application_number)
            if restored is None or restored < term:
                continue
        region = holder_region.get(row.application_number)
        if region is None:
            if str(row.patentee_country or "CN").upper() != "CN":
                continue
            region = row.patentee_region_code
        if _province(region) == "420000":
            expected += 1
    assert expected > 0
    assert _value(synthetic_warehouse, "420000", "invention_in_force", year) == expected


def test_pledge_amount_counts_each_pledge_once(synthetic_warehouse: Path) -> None:
    year = _latest_full_year(synthetic_warehouse)
    pledges = _raw(synthetic_warehouse, "pledges", ["pledge_id", "status"])
    pledges = pledges[pledges["status"].fillna("registered") == "registered"]
    pledges = pledges[pd.to_datetime(pledges["registration_date"]).dt.year == year]
    hubei = pledges[pledges["pledgor_region_code"].map(_province) == "420000"]
    expected = float(hubei["amount_10k_cny"].astype(float).sum()) / 10000
    assert _value(synthetic_warehouse, "420000", "pledge_amount_100m_cny", year) == pytest.approx(expected)
    assert _value(synthetic_warehouse, "420000", "pledge_count", year) == len(hubei)


def test_show_prints_hubei(synthetic_warehouse: Path) -> None:
    from tests.conftest import ipind

    result = ipind("show", "--region", "420000", warehouse=synthetic_warehouse)
    assert result.returncode == 0, result.stderr
    assert "湖北省" in result.stdout and "武汉市" in result.stdout


def test_ingest_progress_is_in_the_step_log(synthetic_warehouse: Path) -> None:
    """The loaders log with `logging` (no Dagster imports); the instance settings put those
    lines into the ingest step's log, where a user watching a long load looks."""
    from dagster import DagsterInstance

    con = duckdb.connect(str(synthetic_warehouse / "warehouse.duckdb"), read_only=True)
    try:
        loaded = con.execute("select count(*) from raw.grants").fetchall()[0][0]
        quarantined = con.execute("select count(*) from raw.grants_quarantine").fetchall()[0][0]
    finally:
        con.close()
    with DagsterInstance.from_config(str(synthetic_warehouse / ".dagster_home")) as instance:
        (run,) = instance.get_runs(limit=1)
        logs = [record for record in instance.all_logs(run.run_id) if not record.is_dagster_event]
    messages = [record.user_message for record in logs if record.step_key == "ingest_feeds"]
    grants_line = f"grants: {loaded} rows loaded, {quarantined} quarantined in "
    assert any(m.startswith(grants_line) for m in messages), messages
    assert any(m.startswith("synthetic scale=") for m in messages), messages
    # the raw gate reports each suite as it ends
    gate = [record.user_message for record in logs if record.step_key == "gx_raw_gate"]
    assert any(m.startswith("raw.grants: passed, ") and f" on {loaded} rows in " in m for m in gate), gate
