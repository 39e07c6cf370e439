"""Calibrated, deterministic synthetic feeds (draft; docstring completed below)."""

from __future__ import annotations

import os

import duckdb
import pandas as pd

from ingestion.reference import builtin_population, builtin_regions
from ingestion.schema import FEEDS
from ingestion.synthetic import params as P
from ingestion.synthetic import sql as S

SCHEMA = "landing_synthetic"
TABLES = ("grants", "legal_events", "transfers", "pledges", "pct", "awards", "entities", "population")


def source_id(seed: int, scale: float) -> str:
    return f"synthetic:seed={seed}:scale={scale:g}"


def _register(con: duckdb.DuckDBPyConnection, name: str, df: pd.DataFrame) -> None:
    con.register(f"{name}_df", df)
    con.execute(f"create or replace temp table {name} as select * from {name}_df")
    con.unregister(f"{name}_df")


def generate(
    con: duckdb.DuckDBPyConnection,
    scale: float = 1.0,
    seed: int = 42,
    start_year: int = 2011,
    end_year: int = 2025,
) -> dict[str, str]:
    if not P.MIN_START_YEAR <= start_year <= end_year <= P.MAX_END_YEAR:
        raise ValueError(f"years must satisfy {P.MIN_START_YEAR} <= start <= end <= {P.MAX_END_YEAR}")
    plan = P.Plan.for_scale(scale)
    years = range(start_year, end_year + 1)
    vols = P.volume_tables(plan, years)
    source = source_id(seed, scale)
    con.execute(f"set threads = {max(1, os.cpu_count() or 1)}")
    for stmt in S.macros(seed, start_year):
        con.execute(stmt)
    _register(con, "_syn_gvol", vols["grants"])
    _register(con, "_syn_slots", P.county_slots(plan.provinces))
    con.execute(
        "create or replace temp table _syn_ids as select prov, t::BIGINT as t, g::BIGINT as g,"
        " (off + r)::BIGINT as i, (base + r + 1)::BIGINT as _row"
        " from _syn_gvol, unnest(range(n)) as u(r)"
    )
    _register(con, "_syn_tvol", vols["transfers"])
    _register(con, "_syn_pvol", vols["pledges"])
    _register(con, "_syn_ctvol", vols["pct"])
    _register(con, "_syn_avol", vols["awards"])
    sei = P.sei_prefixes()
    con.execute(f"create schema if not exists {SCHEMA}")
    queries = {
        "grants": S.grants_select("_syn_ids", sei, source),
        "legal_events": S.events_select(f"{SCHEMA}.grants", end_year, source),
        "transfers": S.transfers_select(end_year, source),
        "pledges": S.pledges_select(end_year, source),
        "pct": S.pct_select(sei, source),
        "awards": S.awards_select(end_year),
        "entities": S.entities_select(),
    }
    for name, query in queries.items():
        con.execute(f"create or replace table {SCHEMA}.{name} as {query}")
    _register(con, "_syn_pop", builtin_population(builtin_regions(), set(plan.provinces)))
    con.execute(
        f"create or replace table {SCHEMA}.population as select region_code::VARCHAR as region_code,"
        " year::INTEGER as year, resident_population::BIGINT as resident_population from _syn_pop"
    )
    return {name: f"{SCHEMA}.{name}" for name in TABLES}


__all__ = ["generate", "source_id", "builtin_population", "builtin_regions", "FEEDS"]
