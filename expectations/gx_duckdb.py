"""The small adaptation that makes GX 1.x's SQL path work on DuckDB through duckdb-engine.

GX has no DuckDB dialect. Two things go wrong out of the box (see ../shared/pitfalls.md):

1. GX reads a query's result after its connection has been returned to the pool, and the
   rollback on return drops DuckDB's pending result: every metric fails with
   `MetricResolutionError: list index out of range` (GX issues #10738, #11579). GX already
   keeps one persisted connection (and a `StaticPool`) for the dialects listed in
   `sqlalchemy_execution_engine._PERSISTED_CONNECTION_DIALECTS` (sqlite, mssql, ...): we add
   `duckdb` to that tuple.
2. `get_dialect_regex_expression` knows no DuckDB and returns None, so regex expectations
   raise `NotImplementedError`: we answer with DuckDB's `regexp_matches` (a search, like
   Python's `re.search`, which is what GX's regex expectations mean) for the duckdb dialect
   and defer to GX for every other dialect.

`apply()` is idempotent and fails loudly (`GXAdaptationError`) if a GX upgrade removed what it
relies on; `tests/test_gx_duckdb.py` checks the same. `dispose()` releases every engine and
connection GX opened for a datasource, so another process (dbt) can take DuckDB's file lock.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

DUCKDB_DIALECT = "duckdb"

_SQLA_ENGINE_MODULE = "great_expectations.execution_engine.sqlalchemy_execution_engine"
_REGEX_UTIL_MODULE = "great_expectations.expectations.metrics.util"
# Modules that bind `get_dialect_regex_expression` by name at import time.
_REGEX_USER_MODULES = (
    "great_expectations.expectations.metrics.column_map_metrics.column_values_match_regex",
    "great_expectations.expectations.metrics.column_map_metrics.column_values_not_match_regex",
    "great_expectations.expectations.metrics.column_map_metrics.column_values_match_regex_list",
    "great_expectations.expectations.metrics.column_map_metrics.column_values_not_match_regex_list",
)
_REGEX_FN = "get_dialect_regex_expression"
_PERSISTED = "_PERSISTED_CONNECTION_DIALECTS"


class GXAdaptationError(RuntimeError):
    """GX no longer has what the DuckDB adaptation relies on: revisit expectations/gx_duckdb.py."""


class _DialectName(str):
    """A dialect name that quacks like a `GXSqlDialect` member (GX reads `.value`)."""

    __slots__ = ()

    @property
    def value(self) -> str:
        return str(self)


_applied = False


def _is_duckdb(dialect: Any) -> bool:
    name = getattr(dialect, "name", None)
    if name is None:
        name = getattr(getattr(dialect, "dialect", None), "name", None)
    return isinstance(name, str) and name.lower() == DUCKDB_DIALECT


def _duckdb_regex(original: Callable[..., Any]) -> Callable[..., Any]:
    def get_dialect_regex_expression(column: Any, regex: str, dialect: Any, positive: bool = True) -> Any:
        if _is_duckdb(dialect):
            expr = sa.func.regexp_matches(column, sa.literal(regex))
            return expr if positive else sa.not_(expr)
        return original(column, regex, dialect, positive)

    get_dialect_regex_expression.__wrapped__ = original  # type: ignore[attr-defined]
    get_dialect_regex_expression._ipind_duckdb = True  # type: ignore[attr-defined]
    return get_dialect_regex_expression


def check_gx_internals() -> None:
    """Raise `GXAdaptationError` unless GX still has the internals `apply()` patches."""
    engine_mod = importlib.import_module(_SQLA_ENGINE_MODULE)
    persisted = getattr(engine_mod, _PERSISTED, None)
    if not isinstance(persisted, tuple) or not all(hasattr(d, "value") for d in persisted):
        raise GXAdaptationError(f"{_SQLA_ENGINE_MODULE}.{_PERSISTED} is gone or changed shape")
    engine_cls = getattr(engine_mod, "SqlAlchemyExecutionEngine", None)
    get_connection = getattr(engine_cls, "get_connection", None)
    if get_connection is None or _PERSISTED not in inspect.getsource(get_connection):
        raise GXAdaptationError(f"SqlAlchemyExecutionEngine.get_connection ignores {_PERSISTED}")
    if not hasattr(engine_mod, "_dialect_requires_persisted_connection"):
        raise GXAdaptationError("_dialect_requires_persisted_connection is gone (StaticPool)")
    util = importlib.import_module(_REGEX_UTIL_MODULE)
    if not callable(getattr(util, _REGEX_FN, None)):
        raise GXAdaptationError(f"{_REGEX_UTIL_MODULE}.{_REGEX_FN} is gone")
    for name in _REGEX_USER_MODULES:
        try:
            mod = importlib.import_module(name)
        except ImportError as exc:
            raise GXAdaptationError(f"{name} is gone") from exc
        if not callable(getattr(mod, _REGEX_FN, None)):
            raise GXAdaptationError(f"{name} no longer imports {_REGEX_FN}")


def apply() -> None:
    """Patch GX for DuckDB. Idempotent; safe to call before every validation."""
    global _applied
    if _applied:
        return
    check_gx_internals()
    engine_mod = importlib.import_module(_SQLA_ENGINE_MODULE)
    persisted: tuple[Any, ...] = getattr(engine_mod, _PERSISTED)
    if DUCKDB_DIALECT not in [str(getattr(d, "value", d)) for d in persisted]:
        setattr(engine_mod, _PERSISTED, (*persisted, _DialectName(DUCKDB_DIALECT)))
    util = importlib.import_module(_REGEX_UTIL_MODULE)
    current = getattr(util, _REGEX_FN)
    patched = current if getattr(current, "_ipind_duckdb", False) else _duckdb_regex(current)
    setattr(util, _REGEX_FN, patched)
    for name in _REGEX_USER_MODULES:
        setattr(importlib.import_module(name), _REGEX_FN, patched)
    _applied = True


def is_applied() -> bool:
    engine_mod = importlib.import_module(_SQLA_ENGINE_MODULE)
    persisted = getattr(engine_mod, _PERSISTED, ())
    util = importlib.import_module(_REGEX_UTIL_MODULE)
    return DUCKDB_DIALECT in [str(getattr(d, "value", d)) for d in persisted] and bool(
        getattr(getattr(util, _REGEX_FN, None), "_ipind_duckdb", False)
    )


def dispose(datasource: Any) -> None:
    """Close the connections and dispose the engines GX opened for a fluent SQL datasource.

    GX has no close step of its own: the execution engine keeps its persisted connection and
    the datasource keeps a second engine (used for reflection). Both hold DuckDB's file lock.
    """
    execution_engine = getattr(datasource, "_execution_engine", None)
    engines: list[Any] = []
    if execution_engine is not None:
        connection = getattr(execution_engine, "_connection", None)
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close()
            execution_engine._connection = None
        engines.append(getattr(execution_engine, "engine", None))
        engines.append(getattr(execution_engine, "engine_backup", None))
        execution_engine._inspector = None
    engines.append(getattr(datasource, "_engine", None))
    for engine in engines:
        if isinstance(engine, sa.engine.Connection):
            with contextlib.suppress(Exception):
                engine.close()
        elif isinstance(engine, sa.engine.Engine):
            with contextlib.suppress(Exception):
                engine.dispose()
    with contextlib.suppress(Exception):
        datasource._engine = None
    with contextlib.suppress(Exception):
        datasource._execution_engine = None
