"""Calibrated, deterministic synthetic feeds: the embedded default source of the pipeline.

`generate(con, scale, seed)` writes the five feeds (grants, legal_events, transfers,
pledges, pct) and the reference tables awards, entities and population to schema
`landing_synthetic` of `con`, in the shape every other source lands in: exactly the
canonical columns of `ingestion.schema.FEEDS`, typed as there, plus `_source`
(`synthetic:seed=42:scale=1`), `_row` (dense, 1-based) and `_extra` (null, except the
cancellation date of cancelled pledges as JSON `{"cancelled_on": "YYYY-MM-DD"}`).

Why it looks the way it does
----------------------------
* Everything happens in DuckDB SQL: rows come from `range()`, every random choice is a hash
  of (seed, stream, record key), so the same seed gives the same rows on any machine and
  thread count (for one DuckDB release: `hash()` may change between releases), and the
  whole country (scale 30) fits in memory and time. Nothing is
  materialised in pandas except the small parameter tables.
* Counts are exact, not expected: how many grants of each type each province gets each
  year, how many assignments, pledges, PCT filings, and the pledge amount total are fixed in
  `params.volume_tables`; randomness only decides dates, counties (weighted by the
  synthetic population), parties and attributes. That is what makes calibration exact.
* Scale: scale 1 = 湖北 and 湖南 in full (every prefecture and county), ~1.93 million grants
  2011-2025. Scale n >= 1 adds provinces in a fixed order (广东, 江苏, 浙江, …) until the
  whole mainland at scale 30 (~34 million grants); Hubei's rows do not change with scale.
  Scales below 1 shrink every volume proportionally (calibration shrinks with them).
* Records reference each other the way real feeds do: transfers, pledges and awards pick
  generated grants of the same province (re-derived from the grant's identity, no join),
  the assignor/pledgor is that patent's patentee, assignees stay in the province (so
  provincial stocks are the same under either attribution setting).

Realism built in
----------------
Utility models ~62-73 % of grants, designs 13 %; lag filing→grant 0-6 years for
inventions; application numbers with the CNIPA check character; ~5 % of parties carry only
an address (`湖北省武汉市洪山区科技路12号`, made of builtin_regions names), ~10 % both, the rest
only a code; 10 % of the records of counties whose code changed since 2015 still use the
old code (420821 京山县, 421023 监利县, …); ~1 % foreign grants (US/JP/DE/KR/TW/HK, no region)
on top of the domestic counts; time to first termination Weibull per type (most utility
models and designs lapse; 1 % invalidations, 1.5 % abandonments; 6 % of lapses restored,
a third of those lapse again); pledges of 1-6 patents, ~35 % later cancelled (a second
record, same pledge_id and registration, after all registrations); licenses with a type
(`open` only from 2022); university/institute → SME transfers; ~4 % of inventions with
overseas family grants; SEI IPC classes on ~20 % of inventions' main class.

Calibration reached (scale 1, seed 42; recomputed independently by tests/test_synthetic.py)
------------------------------------------------------------------------------------------
Hubei 2021, domestic, by the rules of indicators.md:
  grants_total 155,000 (target 155,000; 2021/2020 +40.93 %), grants_invention 22,400
  (22,400; +27.46 %), pct_applications (receiving office CN) 1,691 (1,691; +12.43 %),
  transfers (assignments, assignor's region) 18,700 (18,700; +37.96 %),
  pledge_amount_100m_cny 50.26 (50.26; +54.4 %), invention_in_force on 2021-12-31 92,810
  -> 16.07 per 10k with the 2020 population 57,752,557 (target 16.09, tolerance 3 %);
  high_value_per_10k ~6.18 (published 6.11; not a calibration target, a by-product of the
  SEI share, overseas families, 10-year maintenance, pledges >= 1,000 万元 and awards).
Other years follow plausible shapes (params.py); e.g. Hubei 2025 invention in force
~227,000 (target > 230,000), high_value_per_10k ~15.7 (target > 15), PCT 1,980,
transfers+licenses 42,500, pledges 152 亿元: a mix of met and missed targets to show.

Timings (this 2-core machine; CPU seconds are the stable measure, the machine was shared):
  scale 1:  ~5 CPU-s in memory (3-5 s wall idle), ~8.5 CPU-s into a file-backed database;
  scale 0.05: ~1 s;
  scale 30 (~34 M grants, 18 M legal events, 6 M transfers, 0.45 M pledges, 0.54 M PCT):
  ~125 CPU-s in memory (about 1 min wall on two idle cores, but ~15 GB of RAM: in-memory
  tables are not compressed) or ~175 CPU-s into a file-backed database with
  memory_limit 6GB (RSS 6.2 GB, 2.4 GB on disk; ~1.5 min wall on two idle cores).
  Grants take ~60 % of the time, most of it writing the unique strings (application and
  publication numbers, IPC codes).
"""

from __future__ import annotations

import logging
import os
import time

import duckdb
import pandas as pd

from ingestion.reference import builtin_population, builtin_regions
from ingestion.synthetic import params as P
from ingestion.synthetic import sql as S

log = logging.getLogger(__name__)

SCHEMA = "landing_synthetic"
FEED_TABLES = ("grants", "legal_events", "transfers", "pledges", "pct")
REFERENCE_TABLES = ("awards", "entities", "population")
TABLES = (*FEED_TABLES, *REFERENCE_TABLES)
_TEMP_TABLES = ("_syn_gvol", "_syn_slots", "_syn_ids", "_syn_tvol", "_syn_pvol", "_syn_ctvol", "_syn_avol")
_MACROS = ("_syn_u", "_syn_check", "_syn_appno", "_syn_ndays", "_syn_start", "_syn_ent", "_syn_sme")


def source_id(seed: int, scale: float) -> str:
    """The `_source` of every generated row: which generator run produced it."""
    return f"synthetic:seed={seed}:scale={scale:g}"


def _register(con: duckdb.DuckDBPyConnection, name: str, df: pd.DataFrame) -> None:
    """Copy a small parameter frame into a temp table (the frame itself is not kept)."""
    view = f"{name}_df"
    con.register(view, df)
    try:
        con.execute(f"create or replace temp table {name} as select * from {view}")
    finally:
        con.unregister(view)


def _cpu_threads() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def generate(
    con: duckdb.DuckDBPyConnection,
    scale: float = 1.0,
    seed: int = 42,
    start_year: int = 2011,
    end_year: int = 2025,
) -> dict[str, str]:
    """Create the synthetic landing tables in `con`; return {name: "landing_synthetic.<name>"}.

    Deterministic in (scale, seed, start_year, end_year). Replaces earlier output in the
    schema. Sets DuckDB `threads` to the CPUs available to this process. Years must lie in
    2010-2035 (earlier inventions would need the pre-2003 8-digit application numbers).
    """
    if not P.MIN_START_YEAR <= start_year <= end_year <= P.MAX_END_YEAR:
        raise ValueError(f"years must satisfy {P.MIN_START_YEAR} <= start <= end <= {P.MAX_END_YEAR}")
    started = time.perf_counter()
    plan = P.Plan.for_scale(scale)
    vols = P.volume_tables(plan, range(start_year, end_year + 1))
    source = source_id(seed, scale)
    con.execute(f"set threads = {_cpu_threads()}")
    for stmt in S.macros(seed, start_year):
        con.execute(stmt)
    _register(con, "_syn_gvol", vols["grants"])
    _register(con, "_syn_slots", P.county_slots(plan.provinces))
    _register(con, "_syn_tvol", vols["transfers"])
    _register(con, "_syn_pvol", vols["pledges"])
    _register(con, "_syn_ctvol", vols["pct"])
    _register(con, "_syn_avol", vols["awards"])
    # grant identities (province, type, grant year, index) as a real table: scanning it is
    # parallel, unlike the unnest that creates it. Written a grant year at a time, so the
    # landed grants lie in about that order (`_row` keeps its province order): a month's
    # load reads the row groups of its year, not every one (3.5 s of a scale-10 month run).
    con.execute(
        "create or replace temp table _syn_ids (prov VARCHAR, t BIGINT, g BIGINT, i BIGINT, _row BIGINT)"
    )
    for year in range(start_year, end_year + 1):
        con.execute(
            "insert into _syn_ids select prov, t, g, off + r, base + r + 1"
            " from _syn_gvol, unnest(range(n)) as u(r) where g = ?",
            [year],
        )
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
    try:
        for name, query in queries.items():
            t0, c0 = time.perf_counter(), time.process_time()
            con.execute(f"create or replace table {SCHEMA}.{name} as {query}")
            if name == "grants":
                con.execute("drop table if exists _syn_ids")
            log.info(
                "synthetic %s: %.1f s (%.1f s CPU)", name, time.perf_counter() - t0, time.process_time() - c0
            )
        population = builtin_population(builtin_regions(), set(plan.provinces))
        _register(con, "_syn_pop", population)
        con.execute(
            f"create or replace table {SCHEMA}.population as select region_code::VARCHAR as region_code,"
            " year::INTEGER as year, resident_population::BIGINT as resident_population from _syn_pop"
        )
        con.execute("drop table if exists _syn_pop")
    finally:
        for table in _TEMP_TABLES:
            con.execute(f"drop table if exists {table}")
        for macro in (*_MACROS, "_syn_hightech"):
            con.execute(f"drop macro if exists {macro}")
    log.info("synthetic scale=%g seed=%d: %.1f s", scale, seed, time.perf_counter() - started)
    return {name: f"{SCHEMA}.{name}" for name in TABLES}


__all__ = ["FEED_TABLES", "REFERENCE_TABLES", "SCHEMA", "TABLES", "generate", "source_id"]
