"""serving.duckdb as BI tools read it: an older DuckDB client, and readers during a publish.

The DuckDB 1.x client is a real one: `duckdb==1.4.*` installed from PyPI into its own virtual
environment under the cache folder (IPIND_CACHE_DIR, default ~/.cache/ipind) the first time
this runs, the DuckDB line BI tools bundle (Evidence's driver, Superset's duckdb-engine, the
npm packages). Readers run in their own processes, as a BI tool does: DuckDB shares one
database instance between the connections of a process that name the same path, which would
hide what a second process sees.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
import venv
from pathlib import Path

import duckdb
import pytest

from ingestion.publish import STORAGE_VERSION, publish

OLD_DUCKDB_SPEC = "duckdb==1.4.*"

# The BI contract (shared/contract/indicators.md, "Serving tables"): the columns each
# serving table must carry at least.
CONTRACT_COLUMNS = {
    "marts.indicator_values": [
        "region_code", "region_name", "region_level", "parent_code", "period_type", "period_end",
        "year", "month", "indicator_code", "value", "unit", "yoy_pct", "yoy_abs", "rank_in_parent",
        "settings_hash", "data_vintage",
    ],
    "marts.region_indicators_annual": [
        "region_code", "region_name", "region_level", "parent_code", "year", "grants_total",
        "invention_in_force", "high_value_per_10k", "pledge_amount_100m_cny",
    ],
    "marts.target_tracking": [
        "region_code", "indicator_code", "target_year", "comparator", "target_value", "actual_value",
        "actual_period_end", "progress_pct", "status",
    ],
    "marts.reconciliation": ["computed_value", "reported_value", "diff_pct", "source"],
    "marts.indicator_catalog": ["indicator_code", "name_zh", "kind", "unit"],
}  # fmt: skip


def _cache_dir() -> Path:
    base = os.environ.get("IPIND_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "ipind"
    )
    return Path(base)


@pytest.fixture(scope="session")
def old_duckdb_python() -> Path:
    """A Python with duckdb 1.4 (installed once into the cache, reused afterwards)."""
    env_dir = _cache_dir() / "duckdb-1.4-venv"
    python = env_dir / "bin" / "python"
    probe = [str(python), "-c", "import duckdb, sys; sys.stdout.write(duckdb.__version__)"]
    ok = python.exists() and subprocess.run(probe, capture_output=True, text=True).stdout.startswith("1.4.")
    if not ok:
        shutil.rmtree(env_dir, ignore_errors=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
        install = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", OLD_DUCKDB_SPEC],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert install.returncode == 0, install.stdout[-2000:] + install.stderr[-2000:]
    version = subprocess.run(probe, capture_output=True, text=True, check=True).stdout
    assert version.startswith("1.4."), version
    return python


def _run_old(python: Path, script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), "-c", textwrap.dedent(script), *args], capture_output=True, text=True, timeout=300
    )


READ_EVERY_TABLE = """
    import json, sys
    import duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    con.execute("set enable_progress_bar = false")
    out = {"version": duckdb.__version__, "tables": {}, "columns": {}}
    for schema, table in con.execute(
        "select table_schema, table_name from information_schema.tables order by 1, 2"
    ).fetchall():
        name = f"{schema}.{table}"
        # count(r) takes every column of every row (r is the whole row as a struct).
        sql = f'select count(*), count(r) from "{schema}"."{table}" as r'
        rows, whole_rows = con.execute(sql).fetchall()[0]
        assert rows == whole_rows, name
        out["tables"][name] = rows
        described = con.execute(f'select * from "{schema}"."{table}" limit 0').description
        out["columns"][name] = [d[0] for d in described]
    out["value_sum"] = con.execute("select sum(value) from marts.indicator_values").fetchall()[0][0]
    try:
        con.execute("create table marts.written_by_a_reader (x integer)")
        out["write"] = "allowed"
    except duckdb.Error as exc:
        out["write"] = type(exc).__name__
    print(json.dumps(out))
"""


def test_duckdb_14_reads_every_serving_table(synthetic_warehouse: Path, old_duckdb_python: Path) -> None:
    serving = synthetic_warehouse / "serving.duckdb"
    result = _run_old(old_duckdb_python, READ_EVERY_TABLE, str(serving))
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout)
    assert seen["version"].startswith("1.4.")

    # Every table the current client sees, with the same row counts.
    con = duckdb.connect(str(serving), read_only=True)
    try:
        expected = {
            f"{schema}.{table}": con.execute(f'select count(*) from "{schema}"."{table}"').fetchall()[0][0]
            for schema, table in con.execute(
                "select table_schema, table_name from information_schema.tables order by 1, 2"
            ).fetchall()
        }
        value_sum = con.execute("select sum(value) from marts.indicator_values").fetchall()[0][0]
    finally:
        con.close()
    assert seen["tables"] == expected
    assert seen["value_sum"] == pytest.approx(value_sum)
    assert {schema for schema, _ in (name.split(".") for name in expected)} == {"marts", "core"}
    for table, columns in CONTRACT_COLUMNS.items():
        assert table in seen["tables"], f"{table} missing from serving.duckdb"
        assert seen["tables"][table] > 0, f"{table} is empty"
        missing = set(columns) - set(seen["columns"][table])
        assert not missing, f"{table} lacks contract columns {sorted(missing)}"
    # Read-only: a BI connection cannot change the published file.
    assert seen["write"] != "allowed"


def test_duckdb_14_refuses_the_default_storage_of_duckdb_2(tmp_path: Path, old_duckdb_python: Path) -> None:
    """Why publish pins STORAGE_VERSION: the same data in 2.0's default format is unreadable to 1.4."""
    assert STORAGE_VERSION == "v1.0.0"
    default_file = tmp_path / "default.duckdb"
    pinned_file = tmp_path / "pinned.duckdb"
    con = duckdb.connect()
    try:
        con.execute(f"attach '{default_file}' as d")
        con.execute(f"attach '{pinned_file}' as p (storage_version '{STORAGE_VERSION}')")
        for db in ("d", "p"):
            con.execute(f"create table {db}.t as select 42 as answer")
        con.execute("detach d")
        con.execute("detach p")
    finally:
        con.close()
    script = """
        import sys, duckdb
        try:
            con = duckdb.connect(sys.argv[1], read_only=True)
            print(con.execute("select answer from t").fetchall()[0][0])
        except duckdb.Error as exc:
            print("ERROR", exc)
    """
    default = _run_old(old_duckdb_python, script, str(default_file))
    pinned = _run_old(old_duckdb_python, script, str(pinned_file))
    assert default.stdout.startswith("ERROR") and "version" in default.stdout, default.stdout + default.stderr
    assert pinned.stdout.strip() == "42", pinned.stdout + pinned.stderr


# A reader process: opens serving.duckdb read-only, answers "read" on stdin with the current
# figure over the same connection, "quit" ends it.
READER = """
    import sys, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    con.execute("set enable_progress_bar = false")
    sql = sys.argv[2]
    print("ready", con.execute(sql).fetchall()[0][0], flush=True)
    for line in sys.stdin:
        if line.strip() == "quit":
            break
        print("value", con.execute(sql).fetchall()[0][0], flush=True)
    con.close()
"""

FIGURE = (
    "select sum(value) from marts.indicator_values"
    " where region_code = '420000' and region_level = 'province' and period_type = 'year'"
)


def _open_reader(python: Path, serving: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(python), "-c", textwrap.dedent(READER), str(serving), FIGURE],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _answer(reader: subprocess.Popen[str], prefix: str) -> float:
    assert reader.stdout is not None
    line = reader.stdout.readline()
    assert line.startswith(prefix), line + (reader.stderr.read() if reader.poll() is not None else "")
    return float(line.split()[1])


def test_reader_keeps_its_snapshot_during_a_publish(
    synthetic_warehouse: Path, old_duckdb_python: Path, tmp_path: Path
) -> None:
    warehouse = tmp_path / "star.duckdb"
    shutil.copy(synthetic_warehouse / "star.duckdb", warehouse)
    serving = tmp_path / "serving.duckdb"
    publish(warehouse, serving, tmp_path / "parquet")

    reader = _open_reader(old_duckdb_python, serving)
    try:
        before = _answer(reader, "ready")
        assert before > 0

        # The pipeline changes the marts and publishes while the reader holds the file open.
        con = duckdb.connect(str(warehouse))
        try:
            con.execute(
                "update marts.indicator_values set value = value + 1000"
                " where region_code = '420000' and region_level = 'province' and period_type = 'year'"
            )
            changed_rows = con.execute(
                "select count(*) from marts.indicator_values"
                " where region_code = '420000' and region_level = 'province' and period_type = 'year'"
                " and value is not null"
            ).fetchall()[0][0]
        finally:
            con.close()
        assert changed_rows > 0
        publish(warehouse, serving, tmp_path / "parquet")

        # The open reader still reads its snapshot, over the same connection, consistently.
        assert reader.stdin is not None
        reader.stdin.write("read\n")
        reader.stdin.flush()
        assert _answer(reader, "value") == pytest.approx(before)

        # A new open sees the new publication.
        fresh = _open_reader(old_duckdb_python, serving)
        try:
            after = _answer(fresh, "ready")
        finally:
            fresh.communicate("quit\n", timeout=60)
        assert after == pytest.approx(before + 1000 * changed_rows)
    finally:
        reader.communicate("quit\n", timeout=60)
    assert reader.returncode == 0, reader.stderr
    # The publish left no temporary file behind beside the served one.
    assert sorted(p.name for p in tmp_path.glob(".serving.duckdb.*.tmp*")) == []
