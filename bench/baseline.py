"""Run bench/baseline.sql against a warehouse's raw tables and compare it with the platform.

`python -m bench.baseline WAREHOUSE_DB OUT_DB` runs the script in a fresh process (so the
benchmark can time it and sample its memory the same way as the platform) and prints one
JSON line: per-statement seconds and the row count of `indicator_values`. The warehouse is
attached read-only; everything is written to OUT_DB, a file, as the platform writes its
tables to a file. DuckDB settings are the platform's (ingestion/duckdb_budget.py: 2 threads,
4 GB unless IPIND_DUCKDB_* say otherwise), insertion order not preserved.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb

from ingestion import duckdb_budget

SQL = Path(__file__).with_name("baseline.sql")
INDICATORS = (
    "grants_total",
    "grants_invention",
    "grants_utility_model",
    "grants_design",
    "invention_in_force",
    "transfers",
    "licenses",
    "transfer_license_total",
    "pledge_amount_100m_cny",
    "pledge_count",
)


def statements(text: str) -> list[str]:
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("--")]
    out, current = [], []
    for line in lines:
        current.append(line)
        if line.rstrip().endswith(";"):
            out.append("\n".join(current).strip().rstrip(";"))
            current = []
    if "".join(current).strip():
        out.append("\n".join(current).strip())
    return out


def connect(out_db: Path, warehouse_db: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(out_db))
    con.execute(f"set threads = {duckdb_budget.threads()}")
    con.execute(f"set memory_limit = '{duckdb_budget.memory_limit()}'")
    con.execute("set preserve_insertion_order = false")
    con.execute(f"attach '{warehouse_db}' as w (read_only)")
    return con


def run(warehouse_db: Path, out_db: Path) -> dict:
    if out_db.exists():
        out_db.unlink()
    started = time.perf_counter()
    con = connect(out_db, warehouse_db)
    steps: list[dict] = []
    try:
        for stmt in statements(SQL.read_text()):
            t0 = time.perf_counter()
            con.execute(stmt)
            name = stmt.split(" as", 1)[0].split()[-1]
            steps.append({"statement": name, "seconds": round(time.perf_counter() - t0, 3)})
        rows = con.execute("select count(*) from indicator_values").fetchall()[0][0]
    finally:
        con.close()
    return {"seconds": round(time.perf_counter() - started, 3), "steps": steps, "rows": rows}


def compare(out_db: Path, serving_db: Path) -> dict:
    """Cells of the ten indicators in both outputs, and how many differ (value or yoy_pct)."""
    con = duckdb.connect(str(out_db), read_only=True)
    try:
        con.execute(f"attach '{serving_db}' as s (read_only)")
        codes = ", ".join(f"'{c}'" for c in INDICATORS)
        row = con.execute(
            f"""
            with p as (select * from s.marts.indicator_values where indicator_code in ({codes})),
            b as (select * from indicator_values)
            select
                count(*) filter (where p.value is not null and b.value is not null) as both,
                count(*) filter (where p.value is null) as only_baseline,
                count(*) filter (where b.value is null) as only_platform,
                count(*) filter (where abs(p.value - b.value) > 1e-6 * greatest(1, abs(p.value)))
                    as value_diff,
                count(*) filter (where p.yoy_pct is distinct from b.yoy_pct
                    and not abs(p.yoy_pct - b.yoy_pct) <= 1e-6 * greatest(1, abs(p.yoy_pct)))
                    as yoy_diff,
                count(*) filter (where p.rank_in_parent is distinct from b.rank_in_parent) as rank_diff
            from p full join b
                on p.region_code = b.region_code and p.region_level = b.region_level
                and p.period_type = b.period_type and p.period_end = b.period_end
                and p.indicator_code = b.indicator_code
            """
        ).fetchall()[0]
        sample = con.execute(
            f"""
            select p.region_code, p.region_level, p.period_type, p.period_end, p.indicator_code,
                p.value as platform, b.value as baseline
            from s.marts.indicator_values as p
            join indicator_values as b using (region_code, region_level, period_type, period_end,
                indicator_code)
            where p.indicator_code in ({codes})
              and abs(p.value - b.value) > 1e-6 * greatest(1, abs(p.value))
            order by p.region_level desc, p.indicator_code, p.period_end limit 5
            """
        ).fetchall()
    finally:
        con.close()
    keys = ("cells_both", "only_baseline", "only_platform", "value_diff", "yoy_diff", "rank_diff")
    return {**dict(zip(keys, row, strict=True)), "sample_diffs": [[str(v) for v in r] for r in sample]}


def main(argv: list[str]) -> int:
    result = run(Path(argv[0]), Path(argv[1]))
    print("BASELINE_RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
