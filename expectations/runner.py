"""Run the expectation suites against the DuckDB warehouse with GX's SQL path.

Plain Python, no Dagster: the integrator wraps `validate` in a blocking asset check and
turns `summarise(results)` into check metadata.

How a validation runs
- `gx_duckdb.apply()` adapts GX to DuckDB once per process.
- The table catalog is read first, so suites are built against the columns that exist; a
  missing table yields a skipped, successful result.
- One ephemeral GX context and one SQL datasource (`duckdb:///<file>`, read-only by default)
  per call. The process must not hold another connection to the file (DuckDB refuses a
  second configuration and duckdb-engine always sets its own): `WarehouseInUseError`. Every
  suite validates a *query asset* `select * from <table> [where <partition_filter>]` with a
  whole-table batch definition: GX's table-asset partitioners only split by date parts,
  whereas a query asset takes any where clause (a window on the feed's date column, or
  `_ingest_hash in (...)` for the batches just loaded). The filter never leaves DuckDB:
  nothing is pulled into pandas.
- result_format SUMMARY with 5 sample values. The checkpoints have no actions: the GX Data
  Docs site under `data_docs_dir` (when one is given) is built once per gate, after every
  suite (a build per suite cost ~0.35 s each); a failure to render it is logged, and the
  results stand without their pages.
- The datasource's engines and connections are closed and disposed before returning, so the
  next process (dbt) can open the file read-write.
"""

from __future__ import annotations

import contextlib
import logging
import time
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import great_expectations as gx
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)

from expectations import gx_duckdb
from expectations.suites import (
    SAMPLE_SIZE,
    SUITES,
    GateSettings,
    Severity,
    TableInfo,
    jsonable_row,
)
from ingestion import duckdb_budget

logger = logging.getLogger(__name__)

DOCS_SITE = "ipind"
DATASOURCE = "ipind_duckdb"
RESULT_FORMAT: dict[str, Any] = {
    "result_format": "SUMMARY",
    "partial_unexpected_count": SAMPLE_SIZE,
}
PartitionFilter = str | Mapping[str, str] | None


@dataclass
class Failure:
    check: str
    expectation_type: str
    column: str | None
    severity: Severity
    unexpected_count: int | None
    unexpected_percent: float | None
    sample: list[Any]
    observed_value: Any = None
    description: str | None = None
    exception: str | None = None

    def line(self) -> str:
        count = "" if self.unexpected_count is None else f" {self.unexpected_count} unexpected"
        pct = "" if self.unexpected_percent is None else f" ({self.unexpected_percent:.3g}%)"
        extra = f" sample {self.sample}" if self.sample else ""
        if self.exception:
            extra += f" exception: {self.exception}"
        elif self.unexpected_count is None and self.observed_value is not None:
            extra += f" observed {self.observed_value}"
        if self.description:
            extra += f" — {self.description}"
        return f"[{self.severity}] {self.check} ({self.expectation_type}){count}{pct}{extra}"


@dataclass
class SuiteResult:
    suite: str
    table: str
    success: bool
    """No failed expectation of severity `error` (and the validation ran)."""
    evaluated: int
    failures: list[Failure]
    elapsed_seconds: float
    data_docs_path: Path | None = None
    row_count: int | None = None
    """Rows in the validated batch: pass it back as `GateSettings.previous_row_counts`."""
    partition_filter: str | None = None
    checks: list[str] = field(default_factory=list)
    """Ids of the checks evaluated."""
    skipped_checks: list[str] = field(default_factory=list)
    """Checks not built because a column or companion table is missing."""
    skipped_reason: str | None = None
    """Set when the whole suite was skipped (its table does not exist)."""
    error: str | None = None
    """Set when the validation itself could not run; `success` is then False."""

    @property
    def errors(self) -> list[Failure]:
        return [f for f in self.failures if f.severity == "error"]

    @property
    def warnings(self) -> list[Failure]:
        return [f for f in self.failures if f.severity == "warning"]

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["data_docs_path"] = str(self.data_docs_path) if self.data_docs_path else None
        return out


# -- partition filters ----------------------------------------------------------------------
def ingest_hash_filter(hashes: Iterable[str]) -> str:
    """A partition filter selecting the given batches (`_ingest_hash in (...)`)."""
    values = ", ".join("'" + h.replace("'", "''") + "'" for h in hashes)
    return f"_ingest_hash in ({values})" if values else "false"


def date_window_filter(suite: str, start: date, end: date) -> str:
    """A partition filter on the suite's date column: `start <= column < end`."""
    column = SUITES[suite].date_column
    if column is None:
        raise ValueError(f"suite {suite} has no date column to partition on")
    return f"{column} >= date '{start.isoformat()}' and {column} < date '{end.isoformat()}'"


def _log_progress(result: SuiteResult) -> None:
    """One line as each suite ends: the gate's results reach Dagster only after the last."""
    if result.error:
        outcome = f"not validated ({result.error})"
    elif result.skipped_reason:
        outcome = f"skipped ({result.skipped_reason})"
    else:
        errors, warnings = len(result.errors), len(result.warnings)
        outcome = "passed" if not errors else f"{errors} errors"
        outcome += f", {warnings} warnings" if warnings else ""
    rows = "?" if result.row_count is None else result.row_count
    logger.info(
        "%s: %s, %d expectations on %s rows in %.1f s",
        result.suite,
        outcome,
        result.evaluated,
        rows,
        result.elapsed_seconds,
    )


# -- the run --------------------------------------------------------------------------------
def validate(
    db_path: Path,
    suite_names: Sequence[str],
    *,
    partition_filter: PartitionFilter = None,
    settings: GateSettings | None = None,
    data_docs_dir: Path | None = None,
) -> list[SuiteResult]:
    """Validate the named suites (see `suites.SUITE_NAMES`) against the DuckDB file.

    `partition_filter` is a SQL boolean expression over the table's columns, for every suite
    (str) or per suite name (mapping; suites absent from it see the whole table).
    """
    settings = settings or GateSettings()
    unknown = [n for n in suite_names if n not in SUITES]
    if unknown:
        raise KeyError(f"unknown suites {unknown}; known: {', '.join(SUITES)}")
    db_path = Path(db_path).resolve()
    if not db_path.exists():
        raise FileNotFoundError(db_path)
    gx_duckdb.apply()
    context = _context(data_docs_dir)
    datasource = _open_datasource(context, db_path, settings.read_only)
    results: list[SuiteResult] = []
    try:
        catalog = _catalog(datasource)
        validated = []
        for name in suite_names:
            where = partition_filter.get(name) if isinstance(partition_filter, Mapping) else partition_filter
            validated.append(
                _validate_one(context, datasource, name, catalog, where, settings, data_docs_dir)
            )
            _log_progress(validated[-1][0])
        docs_built = data_docs_dir is not None and _build_data_docs(context, data_docs_dir)
        for result, identifier in validated:
            docs = _docs_path(context, identifier) if docs_built and identifier is not None else None
            results.append(replace(result, data_docs_path=docs))
    finally:
        gx_duckdb.dispose(datasource)
        with contextlib.suppress(Exception):
            context.data_sources.delete(DATASOURCE)
    return results


def _build_data_docs(context: Any, data_docs_dir: Path) -> bool:
    """Once for the gate: built after each suite, the site (index included) was rendered
    seven times per gate, ~0.35 s each whatever the data size. The results stand without
    their pages when rendering fails (a full disk, permissions)."""
    try:
        context.build_data_docs(site_names=[DOCS_SITE])
    except Exception:
        logger.warning("Data Docs could not be written to %s", data_docs_dir, exc_info=True)
        return False
    return True


class WarehouseInUseError(RuntimeError):
    """The DuckDB file cannot be opened: this process holds another connection to it, or
    another process writes it."""


def _open_datasource(context: Any, db_path: Path, read_only: bool) -> Any:
    try:
        return context.data_sources.add_sql(
            name=DATASOURCE,
            connection_string=f"duckdb:///{db_path}",
            kwargs={"connect_args": {"read_only": read_only, "config": duckdb_budget.config()}},
        )
    except Exception as exc:
        chain = _chain(exc)
        if "different configuration" in chain:
            # DuckDB shares an open database only between connections of one configuration,
            # and duckdb-engine always sets its own (a user agent): GX cannot join it.
            raise WarehouseInUseError(
                f"{db_path} is open in this process; close that connection before validating"
            ) from exc
        if "lock" in chain.lower():
            raise WarehouseInUseError(f"{db_path} is locked by another process (a writer): {chain}") from exc
        raise


def _chain(exc: BaseException | None) -> str:
    parts = []
    while exc is not None:
        parts.append(str(exc))
        exc = exc.__cause__ or exc.__context__
    return " | ".join(parts)


def _catalog(datasource: Any) -> dict[str, frozenset[str]]:
    """`schema.table` -> columns, through the datasource's own engine (same configuration)."""
    with datasource.get_engine().connect() as con:
        rows = con.exec_driver_sql(
            "select table_schema || '.' || table_name, column_name"
            " from information_schema.columns where table_catalog = current_database()"
        ).fetchall()
    tables: dict[str, set[str]] = {}
    for table, column in rows:
        tables.setdefault(table, set()).add(column)
    return {t: frozenset(c) for t, c in tables.items()}


def _context(data_docs_dir: Path | None) -> Any:
    sites: dict[str, Any] = {}
    if data_docs_dir is not None:
        data_docs_dir = Path(data_docs_dir).resolve()
        data_docs_dir.mkdir(parents=True, exist_ok=True)
        sites[DOCS_SITE] = {
            "class_name": "SiteBuilder",
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(data_docs_dir),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        data_docs_sites=sites,
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def _validate_one(
    context: Any,
    datasource: Any,
    name: str,
    catalog: Mapping[str, frozenset[str]],
    where: str | None,
    settings: GateSettings,
    data_docs_dir: Path | None,
) -> tuple[SuiteResult, Any]:
    """The suite's result, and the identifier of its stored validation (for Data Docs)."""
    started = time.perf_counter()
    spec = SUITES[name]
    columns = catalog.get(spec.table)
    if columns is None:
        return _not_validated(
            name, spec.table, started, where, skipped_reason=f"table {spec.table} does not exist"
        )
    built = spec.build(TableInfo(spec.table, columns, frozenset(catalog)), settings)
    try:
        query = f"select * from {spec.table}" + (f" where ({where})" if where else "")
        asset = datasource.add_query_asset(name=name, query=query)
        batch_definition = asset.add_batch_definition_whole_table("batch")
        identifier: Any = None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            if data_docs_dir is None:
                # No Data Docs: validate the batch directly, skipping GX's stores.
                validation = batch_definition.get_batch().validate(
                    built.expectation_suite(), result_format=RESULT_FORMAT
                )
            else:
                identifier, validation = _run_checkpoint(context, name, batch_definition, built)
    except Exception as exc:  # the gate fails closed
        return _not_validated(
            name,
            spec.table,
            started,
            where,
            skipped_checks=built.skipped,
            error=f"{type(exc).__name__}: {exc}",
        )
    failures: list[Failure] = []
    row_count: int | None = None
    for result in validation.results:
        config = result.expectation_config
        meta = config.meta or {}
        if meta.get("check", "").endswith(":row_count"):
            observed = (result.result or {}).get("observed_value")
            row_count = observed if isinstance(observed, int) else None
        if not result.success:
            failures.append(_failure(result))
    suite_result = SuiteResult(
        suite=name,
        table=spec.table,
        success=not any(f.severity == "error" for f in failures),
        evaluated=int(validation.statistics.get("evaluated_expectations", len(validation.results))),
        failures=failures,
        elapsed_seconds=time.perf_counter() - started,
        row_count=row_count,
        partition_filter=where,
        checks=[c.id for c in built.checks],
        skipped_checks=built.skipped,
    )
    return suite_result, identifier


def _not_validated(
    name: str, table: str, started: float, where: str | None, **outcome: Any
) -> tuple[SuiteResult, None]:
    """A suite that evaluated nothing: skipped (its table is missing) or failed closed
    (`error` set), with no stored validation to link."""
    result = SuiteResult(
        suite=name,
        table=table,
        success="error" not in outcome,
        evaluated=0,
        failures=[],
        elapsed_seconds=time.perf_counter() - started,
        partition_filter=where,
        **outcome,
    )
    return result, None


def _run_checkpoint(context: Any, name: str, batch_definition: Any, built: Any) -> Any:
    """Validate through a checkpoint, which keeps the result in the context's store for the
    Data Docs `validate` builds at the end."""
    suite = context.suites.add(built.expectation_suite())
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
    )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name=name,
            validation_definitions=[definition],
            result_format=RESULT_FORMAT,
        )
    )
    ((identifier, validation),) = checkpoint.run().run_results.items()
    return identifier, validation


def _failure(result: Any) -> Failure:
    config = result.expectation_config
    meta = config.meta or {}
    kwargs = config.kwargs or {}
    res: dict[str, Any] = dict(result.result or {})
    severity: Severity = meta.get("severity") or (
        "warning" if str(getattr(config, "severity", "critical")).endswith("warning") else "error"
    )
    if "column" in kwargs:
        column = kwargs["column"]
    elif "column_list" in kwargs:
        column = ",".join(kwargs["column_list"])
    elif "column_A" in kwargs:
        column = f"{kwargs['column_A']},{kwargs['column_B']}"
    else:
        column = None
    samples = list(res.get("partial_unexpected_list") or (res.get("details") or {}).get("sample_rows") or [])
    unexpected = res.get("unexpected_count")
    if unexpected is None and config.type.endswith("rows"):
        unexpected = res.get("observed_value")
    return Failure(
        check=meta.get("check", config.type),
        expectation_type=config.type,
        column=column,
        severity=severity,
        unexpected_count=unexpected if isinstance(unexpected, int) else None,
        unexpected_percent=res.get("unexpected_percent"),
        sample=[jsonable_row(v) for v in samples[:SAMPLE_SIZE]],
        observed_value=res.get("observed_value"),
        description=config.description,
        exception=_exception_message(result.exception_info),
    )


def _exception_message(info: Any) -> str | None:
    if not info:
        return None
    if isinstance(info, Mapping) and "raised_exception" in info:
        return str(info.get("exception_message")) if info.get("raised_exception") else None
    if isinstance(info, Mapping):
        for value in info.values():
            if isinstance(value, Mapping) and value.get("raised_exception"):
                return str(value.get("exception_message"))
    return None


def _docs_path(context: Any, identifier: Any) -> Path | None:
    with contextlib.suppress(Exception):
        sites = context.get_docs_sites_urls(resource_identifier=identifier, site_name=DOCS_SITE)
        for site in sites:
            url = site.get("site_url")
            if url:
                return Path(unquote(urlparse(url).path))
    return None


# -- metadata for Dagster -------------------------------------------------------------------
def summarise(results: Sequence[SuiteResult]) -> dict[str, Any]:
    """Flat metadata (str / int / float / bool / None values) for a Dagster check result."""
    failures = [f for r in results for f in r.failures]
    out: dict[str, Any] = {
        "passed": all(r.success for r in results),
        "suites": ", ".join(r.suite for r in results),
        "expectations_evaluated": sum(r.evaluated for r in results),
        "failed_errors": sum(len(r.errors) for r in results),
        "failed_warnings": sum(len(r.warnings) for r in results),
        "unexpected_total": sum(f.unexpected_count or 0 for f in failures),
        "seconds": round(sum(r.elapsed_seconds for r in results), 3),
    }
    for r in results:
        p = r.suite
        out[f"{p}.passed"] = r.success
        out[f"{p}.evaluated"] = r.evaluated
        out[f"{p}.row_count"] = r.row_count
        out[f"{p}.seconds"] = round(r.elapsed_seconds, 3)
        if r.data_docs_path is not None:
            out[f"{p}.data_docs"] = r.data_docs_path.as_uri()
        if r.skipped_reason:
            out[f"{p}.skipped"] = r.skipped_reason
        if r.error:
            out[f"{p}.error"] = r.error
        for f in r.failures:
            key = f"{f.check}"
            out[f"{key}.severity"] = f.severity
            out[f"{key}.unexpected_count"] = f.unexpected_count
            if f.unexpected_percent is not None:
                out[f"{key}.unexpected_percent"] = round(float(f.unexpected_percent), 4)
            if f.sample:
                out[f"{key}.sample"] = ", ".join(str(s) for s in f.sample)
            if f.exception:
                out[f"{key}.exception"] = f.exception
    out["failures_md"] = "\n".join(f"- {r.suite}: {f.line()}" for r in results for f in r.failures) or "none"
    return out
