"""A batch larger than a chunk is normalised in parts and lands exactly as if read whole."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ingestion import loader
from ingestion.loader import load_feed

ROWS = """
    select * from (values
        ('201710601862.3', 'invention', date '2017-01-01', date '2021-03-05', 'synthetic:a', 1),
        ('201710601863.8', 'invention', date '2017-01-01', date '2021-04-05', 'synthetic:a', 2),
        ('bad-number', 'invention', date '2017-01-01', date '2021-03-09', 'synthetic:a', 3),
        ('201710601864.2', 'invention', date '2017-01-01', date '2021-05-05', 'synthetic:a', 4),
        ('201710601865.7', 'invention', date '2017-01-01', date '2021-05-06', 'synthetic:a', 7),
        ('201710601866.1', 'invention', date '2017-01-01', date '2021-05-07', 'synthetic:a', null),
        ('201710601867.6', 'utility_model', date '2017-01-01', date '2021-05-08', 'synthetic:a', 9)
    ) as t (application_number, patent_type, filing_date, grant_date, _source, _row)
"""


def _load(path: Path) -> tuple[list[tuple], list[tuple], tuple[int, int]]:
    con = duckdb.connect(str(path))
    con.execute(f"create table landed as {ROWS}")
    stats = load_feed(con, "grants", {"h1": "landed"})
    raw = con.execute("select * exclude (_loaded_at) from raw.grants order by all").fetchall()
    quarantine = con.execute(
        "select * exclude (_loaded_at) from raw.grants_quarantine order by all"
    ).fetchall()
    con.close()
    return raw, quarantine, (stats.rows_loaded, stats.rows_quarantined)


def test_chunked_load_equals_a_whole_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = _load(tmp_path / "whole.duckdb")
    monkeypatch.setattr(loader, "CHUNK_ROWS", 2)
    chunked = _load(tmp_path / "chunked.duckdb")
    assert whole[2] == (6, 1)  # every row lands once, the null _row included
    assert chunked == whole
