"""Landed rows -> typed raw rows plus quarantine rows, in DuckDB SQL for every source alike.

A landed relation has the feed's canonical column names (any subset, any type: text from
files and APIs, typed from the synthetic generator) plus `_source`, `_row` and `_extra`.
`normalise` returns two SELECTs over it: rows that keep every contract rule, typed as in
`raw.<feed>` (without `_loaded_at`/`_ingest_hash`, which the loader adds), and the rows that
break a (reject) rule, as quarantine rows with the field and reason.
"""

from __future__ import annotations

import duckdb

from ingestion.schema import FEEDS, QUARANTINE_COLUMNS, REGION_ROLES, RESOLUTION_SUFFIXES


def _present(con: duckdb.DuckDBPyConnection, landed: str) -> set[str]:
    return {row[0] for row in con.execute(f"describe {landed}").fetchall()}


def normalise(con: duckdb.DuckDBPyConnection, feed: str, landed: str) -> tuple[str, str]:
    spec = FEEDS[feed]
    present = _present(con, landed)
    exprs = []
    for col in spec.columns:
        src = f'"{col.name}"' if col.name in present else "null"
        exprs.append(f'try_cast({src} as {col.type}) as "{col.name}"')
    for role in REGION_ROLES[feed]:
        exprs.append(
            f"case when {role}_region_code is not null then 'code' else 'none' end"
            f' as "{role}_region_match"'
        )
        exprs.append(f'null::varchar as "{role}_region_match_level"')
        exprs.append(f'null::double as "{role}_region_confidence"')
    assert all(s for _, s in RESOLUTION_SUFFIXES)
    extra = "_extra" if "_extra" in present else "null::varchar"
    select_valid = f"select {', '.join(exprs)}, {extra} as _extra, _source, _row from {landed}"
    q_cols = ", ".join(f"null::{typ} as {name}" for name, typ in QUARANTINE_COLUMNS)
    select_quarantine = f"select {q_cols} where false"
    return select_valid, select_quarantine
