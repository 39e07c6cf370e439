"""Secrets stay in the environment, configuration never becomes SQL, BI readers stay read-only.

Already proven elsewhere (not repeated): the HTTP source never puts a token in an exception
or a log line, refuses `token:` keys in config and never sends the token to another origin
(test_http_source.py); the landing reader refuses symlinks and `..` (test_files.py).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest
import yaml

from ingestion.api_server import ApiServer
from ingestion.loader import load_feed
from ingestion.publish import publish
from orchestration.config import ConfigError, build_run_config
from orchestration.resources import IndicatorSettings, WarehouseResource
from tests.conftest import ipind
from tests.test_faults import READER_SCRIPT, appno, make_star, python

ROOT = Path(__file__).resolve().parent.parent
RIGHT_TOKEN = "right-Pq7Zt3Vw9Xk1Lm5N"
WRONG_TOKEN = "wrong-Hs2Jd8Fq4Rb6Yc0E"
TOKEN_ENV = "IPIND_SECURITY_TEST_TOKEN"
INJECTION = "1GB'; drop table x; --"


# ----------------------------------------------------------------------------- secrets


def _files_containing(root: Path, needle: bytes) -> list[str]:
    hits = []
    for path in root.rglob("*"):
        if path.is_file() and needle in path.read_bytes():
            hits.append(str(path.relative_to(root)))
    return hits


def test_rejected_token_appears_nowhere_after_a_full_http_run(tmp_path: Path) -> None:
    """`ipind run --source http` with ipind.yaml's `http:` section and a wrong token in the
    environment: the run fails naming the variable, and the token is in no output, no log,
    no run record, no metadata and no file the run wrote."""
    grants = [
        {
            "application_number": appno(i),
            "patent_type": "invention",
            "filing_date": "2019-05-01",
            "grant_date": "2021-01-15",
            "patentee_region_code": "420100",
        }
        for i in range(3)
    ]
    workdir, warehouse = tmp_path / "work", tmp_path / "warehouse"
    workdir.mkdir()
    with ApiServer({"grants": grants}, token=RIGHT_TOKEN) as api:
        config = {
            "http": {
                "defaults": {"base_url": api.url, "token_env": TOKEN_ENV, "max_retries": 0},
                "feeds": {"grants": {"path": "/page/grants"}},
            },
            "http_date_from": "2021-01-01",
            "http_date_to": "2021-02-01",
        }
        (workdir / "ipind.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
        result = ipind(
            "run", "--source", "http", warehouse=warehouse, env={TOKEN_ENV: WRONG_TOKEN}, cwd=workdir
        )
        assert len(api.requests) == 1  # the token was sent (and rejected), once
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    assert f"the token in environment variable {TOKEN_ENV} was rejected" in result.stderr
    assert WRONG_TOKEN not in output and RIGHT_TOKEN not in output
    # Dagster's run and event storage, compute logs, the warehouse: nothing holds it.
    assert _files_containing(warehouse, WRONG_TOKEN.encode()) == []
    assert _files_containing(workdir, WRONG_TOKEN.encode()) == []


# ----------------------------------------------------------------------------- config -> SQL


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("duckdb_memory_limit", INJECTION, "must be a size"),
        ("duckdb_memory_limit", "6GB; select 1", "must be a size"),
        ("attribution", "current_holder' or 1=1 --", "must be one of current_holder, holder_at_grant"),
        ("pct_basis", "origin'", "must be one of"),
        ("population_basis", "x", "must be one of"),
        ("source", "files; rm -rf /", "must be one of"),
        ("seed", "42; drop table x", "expects a number"),
        ("duckdb_threads", "2; drop table x", "expects a number"),
        ("scale", "nan", "finite"),
        ("high_value_pledge_threshold_10k_cny", "inf", "finite"),
    ],
)
def test_settings_that_reach_sql_are_validated_before_a_run(key: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        build_run_config({key: value})
    assert repr(key) in str(info.value)


def test_valid_settings_pass_typed() -> None:
    config = build_run_config(
        {"duckdb_memory_limit": "1.5GB", "duckdb_threads": "4", "attribution": "holder_at_grant", "seed": 7}
    )
    assert config["resources"]["warehouse"]["config"] == {"duckdb_memory_limit": "1.5GB", "duckdb_threads": 4}
    assert config["resources"]["settings"]["config"] == {"attribution": "holder_at_grant"}
    assert config["resources"]["source"]["config"] == {"seed": 7}


def test_injected_memory_limit_on_the_command_line_exits_before_touching_anything(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    result = ipind("run", "--set", f"duckdb_memory_limit={INJECTION}", warehouse=warehouse)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "ipind: setting 'duckdb_memory_limit' must be a size" in result.stderr
    assert "Traceback" not in result.stderr
    assert not warehouse.exists()


def test_resource_refuses_injection_given_in_the_launchpad(tmp_path: Path) -> None:
    """The launchpad bypasses build_run_config: the resource checks again before `set`."""
    db = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(db))
    con.execute("create table x as select 1 as a")
    con.close()
    with pytest.raises(ValueError, match="invalid DuckDB setting value"):
        WarehouseResource(warehouse_dir=str(tmp_path), duckdb_memory_limit=INJECTION).connect()
    with pytest.raises(Exception, match="attribution"):
        IndicatorSettings(attribution="current_holder' or 1=1 --")  # type: ignore[arg-type]
    check = python(
        "import duckdb,sys; print(duckdb.connect(sys.argv[1]).sql('select a from x').fetchall())", str(db)
    )
    out, _ = check.communicate(timeout=60)
    assert out.strip() == "[(1,)]"  # table x is still there


def test_refused_setting_leaves_the_warehouse_unlocked(tmp_path: Path) -> None:
    duckdb.connect(str(tmp_path / "warehouse.duckdb")).close()
    with pytest.raises(ValueError) as info:
        WarehouseResource(warehouse_dir=str(tmp_path), duckdb_memory_limit=INJECTION).connect()
    other = python(
        "import duckdb,sys; duckdb.connect(sys.argv[1]).close()", str(tmp_path / "warehouse.duckdb")
    )
    _, err = other.communicate(timeout=60)
    del info
    assert other.returncode == 0, err[-500:]


def test_load_feed_refuses_a_feed_name_that_is_not_a_feed() -> None:
    """Feed names become table names in the loader's SQL: anything else is refused up front."""
    con = duckdb.connect()
    con.execute("create table landed as select 'x' as application_number, 'a.csv' as _source, 1 as _row")
    load_feed(con, "grants", {"h": "landed"})
    evil = "grants where _source like ? or true --"
    with pytest.raises(ValueError, match="unknown feed"):
        load_feed(con, evil, {"h2": "landed"}, replace_sources_like="%")
    assert con.execute("select count(*) from raw.grants_quarantine").fetchall() == [(1,)]


def test_publish_escapes_paths(tmp_path: Path) -> None:
    """Paths are the one thing publish must put in SQL text (ATTACH, COPY): quotes are escaped."""
    root = tmp_path / "o'brien's warehouse"
    root.mkdir()
    make_star(root / "star.duckdb", version=1, rows=10)
    result = publish(root / "star.duckdb", root / "serving.duckdb", root / "parquet")
    assert result.tables["marts.indicator_values"] == 10
    assert (root / "parquet" / "marts" / "indicator_values.parquet").exists()


# ----------------------------------------------------------------------------- BI read-only


@pytest.fixture()
def served(tmp_path: Path) -> Path:
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    make_star(warehouse / "star.duckdb", version=1, rows=5)
    publish(warehouse / "star.duckdb", warehouse / "serving.duckdb", warehouse / "parquet")
    return warehouse


def _listing(warehouse: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in warehouse.iterdir() if p.is_file()}


def test_show_works_while_a_bi_tool_holds_serving_open(served: Path) -> None:
    reader = python(READER_SCRIPT, str(served / "serving.duckdb"))
    assert reader.stdout.readline().strip() == "(1, 5)"
    before, content = _listing(served), (served / "serving.duckdb").read_bytes()
    try:
        result = ipind("show", "--region", "420000", warehouse=served)
        assert result.returncode == 0, result.stderr[-2000:]
        assert "湖北省" in result.stdout and "420101" in result.stdout
        # A value that would change the query if it were pasted in: bound, so it matches nothing.
        injected = ipind("show", "--region", "420000' or '1'='1", warehouse=served)
        assert injected.returncode == 0, injected.stderr[-2000:]
        assert "湖北省" not in injected.stdout and "420101" not in injected.stdout
    finally:
        out, err = reader.communicate("\n", timeout=60)
    assert reader.returncode == 0 and out.strip().endswith("(1, 5)"), err
    # show opened it read-only: no byte, size, mtime or WAL changed or created.
    assert _listing(served) == before
    assert (served / "serving.duckdb").read_bytes() == content


def test_show_without_serving_creates_nothing(tmp_path: Path) -> None:
    result = ipind("show", warehouse=tmp_path / "nowhere")
    assert result.returncode == 1
    assert "does not exist yet" in result.stdout
    assert not (tmp_path / "nowhere").exists()


def test_no_secret_in_the_environment_leaks_into_the_dagster_run_config() -> None:
    """Run config carries the *name* of the token variable, never a value from it."""
    os.environ[TOKEN_ENV] = WRONG_TOKEN
    try:
        config = build_run_config(
            {"http": {"grants": {"base_url": "http://127.0.0.1:1", "token_env": TOKEN_ENV}}}
        )
    finally:
        del os.environ[TOKEN_ENV]
    text = repr(config)
    assert TOKEN_ENV in text and WRONG_TOKEN not in text
