"""The GX-on-DuckDB adaptation: what it relies on in GX, and that it works.

If a GX upgrade fails these tests, read expectations/gx_duckdb.py: either GX moved what the
adaptation patches (adapt it) or GX now supports DuckDB itself (drop it).
"""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import great_expectations as gx
import pytest
import sqlalchemy as sa
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)
from great_expectations.datasource.fluent.sql_datasource import SQLDatasource
from great_expectations.execution_engine import sqlalchemy_execution_engine as sqla_engine

from expectations import gx_duckdb


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "t.duckdb"
    con = duckdb.connect(str(path))
    con.execute(
        "create table t as select i, case when i % 10 = 0 then 'x' || i else lpad(i::varchar, 6,"
        " '0') end as code from range(100) r(i)"
    )
    con.close()
    return path


def _context() -> object:
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


@pytest.fixture
def datasource(db: Path) -> Iterator[SQLDatasource]:
    gx_duckdb.apply()
    context = _context()
    ds = context.data_sources.add_sql(  # type: ignore[attr-defined]
        "t", connection_string=f"duckdb:///{db}", kwargs={"connect_args": {"read_only": True}}
    )
    try:
        yield ds
    finally:
        gx_duckdb.dispose(ds)


def _validate(ds: SQLDatasource, *expectations: gx.expectations.Expectation) -> list:
    asset = ds.add_query_asset(f"q{len(ds.assets)}", query="select * from t")
    batch = asset.add_batch_definition_whole_table("all").get_batch()
    suite = gx.ExpectationSuite(name="s", expectations=list(expectations))
    return list(batch.validate(suite, result_format="SUMMARY").results)


# -- what the adaptation relies on in GX ------------------------------------------------------
def test_gx_internals_are_still_there() -> None:
    gx_duckdb.check_gx_internals()  # raises GXAdaptationError with the reason
    persisted = sqla_engine._PERSISTED_CONNECTION_DIALECTS
    assert isinstance(persisted, tuple)
    assert "sqlite" in [str(d.value) for d in persisted]
    source = inspect.getsource(sqla_engine.SqlAlchemyExecutionEngine.get_connection)
    assert "_PERSISTED_CONNECTION_DIALECTS" in source and "self._connection" in source
    source = inspect.getsource(sqla_engine._dialect_requires_persisted_connection)
    assert "_PERSISTED_CONNECTION_DIALECTS" in source and ".value" in source
    util = importlib.import_module("great_expectations.expectations.metrics.util")
    params = list(inspect.signature(util.get_dialect_regex_expression).parameters)
    assert params[:4] == ["column", "regex", "dialect", "positive"]
    # dispose() reaches into these private attributes of the fluent SQL datasource
    assert {"_engine", "_execution_engine"} <= set(SQLDatasource.__private_attributes__)
    assert "self._connection" in inspect.getsource(sqla_engine.SqlAlchemyExecutionEngine.__init__)


def test_check_fails_loudly_when_gx_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(sqla_engine, "_PERSISTED_CONNECTION_DIALECTS")
    with pytest.raises(gx_duckdb.GXAdaptationError):
        gx_duckdb.check_gx_internals()


def test_apply_is_idempotent() -> None:
    gx_duckdb.apply()
    gx_duckdb.apply()
    assert gx_duckdb.is_applied()
    names = [str(getattr(d, "value", d)) for d in sqla_engine._PERSISTED_CONNECTION_DIALECTS]
    assert names.count("duckdb") == 1
    util = importlib.import_module("great_expectations.expectations.metrics.util")
    fn = util.get_dialect_regex_expression
    assert getattr(fn, "_ipind_duckdb", False)
    assert not getattr(fn.__wrapped__, "_ipind_duckdb", False)  # wrapped exactly once
    match = importlib.import_module(
        "great_expectations.expectations.metrics.column_map_metrics.column_values_match_regex"
    )
    assert match.get_dialect_regex_expression is fn
    assert sqla_engine._dialect_requires_persisted_connection(connection_string="duckdb:///x")


def test_regex_uses_regexp_matches_for_duckdb_only() -> None:
    gx_duckdb.apply()
    util = importlib.import_module("great_expectations.expectations.metrics.util")
    duck = sa.create_engine("duckdb:///:memory:").dialect
    expr = util.get_dialect_regex_expression(sa.column("c"), "^[0-9]{6}$", duck)
    assert "regexp_matches" in str(expr.compile(dialect=duck))
    negated = util.get_dialect_regex_expression(sa.column("c"), "x", duck, positive=False)
    assert str(negated.compile(dialect=duck)).lower().startswith("not")
    sqlite = importlib.import_module("sqlalchemy.dialects.sqlite")
    other = util.get_dialect_regex_expression(sa.column("c"), "x", sqlite)
    assert other is not None and "regexp_matches" not in str(other)


# -- it works ---------------------------------------------------------------------------------
def test_expectations_run_on_duckdb(datasource: SQLDatasource) -> None:
    results = _validate(
        datasource,
        gx.expectations.ExpectTableRowCountToBeBetween(min_value=100, max_value=100),
        gx.expectations.ExpectColumnValuesToBeUnique(column="i"),
        gx.expectations.ExpectColumnValuesToMatchRegex(column="code", regex=r"^[0-9]{6}$"),
        gx.expectations.ExpectColumnValuesToNotMatchRegex(column="code", regex=r"^x"),
    )
    for r in results:
        assert not (r.exception_info or {}).get("raised_exception"), r.exception_info
    rows, unique, regex, not_regex = results
    assert rows.success and rows.result["observed_value"] == 100
    assert unique.success
    # regexp_matches searches (like re.search): "x10" fails ^[0-9]{6}$; 10 of 100 rows
    assert not regex.success and regex.result["unexpected_count"] == 10
    assert regex.result["partial_unexpected_list"][0].startswith("x")
    assert not not_regex.success and not_regex.result["unexpected_count"] == 10


def test_gx_still_needs_the_adaptation(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the persisted connection GX loses DuckDB's results (GX #10738, #11579).

    When this fails, GX reads DuckDB results correctly by itself: the persisted-connection
    half of expectations/gx_duckdb.py can go.
    """
    gx_duckdb.apply()
    unpatched = tuple(d for d in sqla_engine._PERSISTED_CONNECTION_DIALECTS if str(d.value) != "duckdb")
    monkeypatch.setattr(sqla_engine, "_PERSISTED_CONNECTION_DIALECTS", unpatched)
    context = _context()
    ds = context.data_sources.add_sql(  # type: ignore[attr-defined]
        "raw", connection_string=f"duckdb:///{db}", kwargs={"connect_args": {"read_only": True}}
    )
    try:
        (result,) = _validate(ds, gx.expectations.ExpectTableRowCountToBeBetween(min_value=1))
    finally:
        gx_duckdb.dispose(ds)
    assert not result.success
    assert "index out of range" in str(result.exception_info)


def test_dispose_releases_the_file_lock(datasource: SQLDatasource, db: Path) -> None:
    (result,) = _validate(datasource, gx.expectations.ExpectTableRowCountToBeBetween(min_value=1))
    assert result.success
    gx_duckdb.dispose(datasource)
    gx_duckdb.dispose(datasource)  # idempotent
    code = f"import duckdb; c = duckdb.connect({str(db)!r}); c.execute('create table z(a int)')"
    probe = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert probe.returncode == 0, probe.stderr
