"""Expectation suites as code: one per raw feed and one per core table.

A suite is built at validation time from what the table really has (`TableInfo`): a check
whose columns or companion tables are missing is skipped and listed, never an error, so the
core suites survive dbt models that gain or lose columns. Every check has a stable id
(`"<suite>:<rule>"`, e.g. `raw.grants:patent_type.in_set`) and a severity:

- `error`   blocks (GX severity `critical`);
- `warning` is reported only (GX severity `warning`).

`GateSettings.severity_overrides` maps check ids to another severity.

Decisions (see also the runner's docstring):
- Keys: not null is an error everywhere. Uniqueness is a *warning* on raw (raw keeps the
  history of every batch, newer batches supersede older ones in staging; validate a new
  batch alone with `partition_filter` to make it meaningful) and an *error* on core.
- Raw pledges legitimately repeat `pledge_id` (a cancellation record keeps the pledge id), so
  raw uniqueness there is on (pledge_id, status).
- Closed enumerations on required columns (patent_type, event_type, kind, status,
  region_level) are errors; holder types and license_type are warnings.
- Region codes: 6 digits is an error (core facts may also carry `-1`, dim_region's unknown
  member); fact codes must exist in `core.dim_region` (error). Every core column named
  `region_code` or `*_region_code` is checked.
- Dates in [min_date, today + 1 year] and grant_date >= filing_date are errors; a legal event
  dated before its patent's grant and a pledge cancelled before its registration are
  warnings (core only); holding spans need valid_to > valid_from (error).
- Orphans (legal events, transfers, pledged patents with no known grant) are warnings whose
  observed value is the orphan count.
- Quarantine share of the latest load above `quarantine_share_max` (1 %) is an error.
- Row count below `(1 - row_drop_max)` x the previous load's count (passed in by the caller)
  is an error; with no previous count the check still runs (min 0) to report the count.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, ClassVar, Literal

import great_expectations as gx
from great_expectations.constants import MAX_RESULT_RECORDS
from great_expectations.expectations.core.unexpected_rows_expectation import (
    UnexpectedRowsExpectation,
)
from great_expectations.expectations.expectation import Expectation
from great_expectations.expectations.metadata_types import FailureSeverity
from great_expectations.expectations.registry import get_metric_kwargs
from great_expectations.validator.metric_configuration import MetricConfiguration

from ingestion.schema import (
    EVENT_TYPES,
    FEEDS,
    HOLDER_TYPES,
    LICENSE_TYPES,
    PATENT_TYPES,
    PLEDGE_STATUSES,
    REGION_ROLES,
    TRANSFER_KINDS,
)

Severity = Literal["error", "warning"]
ERROR: Severity = "error"
WARNING: Severity = "warning"
GX_SEVERITY: dict[str, FailureSeverity] = {
    ERROR: FailureSeverity.CRITICAL,
    WARNING: FailureSeverity.WARNING,
}

MIN_DATE = date(1985, 1, 1)
REGION_CODE_REGEX = r"^[0-9]{6}$"
UNKNOWN_REGION_CODE = "-1"  # core.dim_region's unknown member, used by facts for no region
CORE_REGION_CODE_REGEX = r"^([0-9]{6}|-1)$"
APPLICATION_NUMBER_REGEX = r"^([0-9]{8}|[0-9]{12})\.[0-9X]$"
PCT_NUMBER_REGEX = r"^PCT/[A-Z]{2}[0-9]{4}/[0-9]{6}$"
REGION_LEVELS = ("province", "prefecture", "county", "unknown")
HOLDER_TYPE_COLUMNS = (
    "patentee_type",
    "holder_type",
    "from_type",
    "to_type",
    "pledgor_type",
    "applicant_type",
)
SAMPLE_SIZE = 5


@dataclass(frozen=True)
class GateSettings:
    """Thresholds and inputs of the gate; every field has the contract's default."""

    quarantine_share_max: float = 0.01
    """Fail when quarantined / (raw + quarantined) rows of the latest load exceed this."""
    row_drop_max: float = 0.5
    """Fail when the row count dropped by more than this share versus `previous_row_counts`."""
    previous_row_counts: Mapping[str, int] = field(default_factory=dict)
    """Suite name -> row count of the previous validation (`SuiteResult.row_count`, or the
    `<suite>.row_count` metadata of the last check): compared with the validated batch, so
    pass a count taken with the same kind of partition filter (or none)."""
    ingest_hashes: Sequence[str] | None = None
    """Batches the quarantine share is computed over; default: the latest load, i.e. the rows
    of raw.<feed> and raw.<feed>_quarantine with the newest `_loaded_at` (one `load_feed` call).
    The share ignores `partition_filter` (the quarantine has no date columns)."""
    min_date: date = MIN_DATE
    max_date: date | None = None
    """Latest acceptable date; default today + 1 year."""
    severity_overrides: Mapping[str, Severity] = field(default_factory=dict)
    """Check id (e.g. `raw.grants:application_number.unique`) -> severity."""
    read_only: bool = True
    """Open the DuckDB file read-only (another process may read it at the same time)."""

    def upper_date(self) -> date:
        if self.max_date is not None:
            return self.max_date
        today = date.today()
        try:
            return today.replace(year=today.year + 1)
        except ValueError:  # 29 February
            return today + timedelta(days=365)


@dataclass(frozen=True)
class TableInfo:
    """What the database holds, looked up by the runner before a suite is built."""

    table: str
    columns: frozenset[str]
    tables: frozenset[str]
    """Every `schema.table` (and view) in the database."""


@dataclass(frozen=True)
class Check:
    id: str
    severity: Severity
    expectation: Expectation


@dataclass
class BuiltSuite:
    name: str
    table: str
    checks: list[Check]
    skipped: list[str]
    """Check ids not built because a column or a companion table is missing."""

    def expectation_suite(self) -> gx.ExpectationSuite:
        return gx.ExpectationSuite(name=self.name, expectations=[c.expectation for c in self.checks])


ROWS_METRIC = "unexpected_rows_query.table"
ROW_COUNT_METRIC = "unexpected_rows_query.row_count"


class ExpectQueryToReturnNoRows(UnexpectedRowsExpectation):
    """GX's `UnexpectedRowsExpectation` that runs its query once when it finds few rows, and
    reports up to 5 of the rows under SUMMARY.

    GX runs the query twice, for the rows (the first MAX_RESULT_RECORDS) and for their count:
    an orphan check against every grant cost ~0.5 s each time at scale 10. Fewer rows than
    that cap are their own count; only a query that fills it is counted again. GX only
    returns the rows with result_format COMPLETE; they are fetched anyway, so keeping a few
    costs nothing.
    """

    metric_dependencies: ClassVar[tuple[str, ...]] = (ROWS_METRIC,)

    def _validate(
        self,
        metrics: dict[str, Any],
        runtime_configuration: dict[str, Any] | None = None,
        execution_engine: Any = None,
    ) -> Any:
        rows = metrics.get(ROWS_METRIC) or []
        if len(rows) < MAX_RESULT_RECORDS:
            count = len(rows)
        else:
            kwargs = get_metric_kwargs(ROW_COUNT_METRIC, self.configuration, runtime_configuration)
            config = MetricConfiguration(
                ROW_COUNT_METRIC, kwargs["metric_domain_kwargs"], kwargs["metric_value_kwargs"]
            )
            count = execution_engine.resolve_metrics([config], metrics)[config.id]
        result = super()._validate(
            metrics={**metrics, ROW_COUNT_METRIC: count},
            runtime_configuration=runtime_configuration,
            execution_engine=execution_engine,
        )
        if isinstance(result, dict) and isinstance(result.get("result"), dict):
            details = result["result"].setdefault("details", {})
            details["sample_rows"] = [jsonable_row(r) for r in rows[:SAMPLE_SIZE]]
        return result


def jsonable_row(row: Any) -> Any:
    if isinstance(row, Mapping):
        values = {str(k): _jsonable(v) for k, v in row.items()}
        return next(iter(values.values())) if len(values) == 1 else values
    return _jsonable(row)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    return str(value)


class _Builder:
    def __init__(self, name: str, info: TableInfo, settings: GateSettings) -> None:
        self.name = name
        self.info = info
        self.settings = settings
        self.checks: list[Check] = []
        self.skipped: list[str] = []

    # -- plumbing -------------------------------------------------------------------------
    def add(
        self,
        rule: str,
        severity: Severity,
        factory: Callable[..., Expectation],
        columns: Sequence[str] = (),
        tables: Sequence[str] = (),
        description: str | None = None,
        **kwargs: Any,
    ) -> None:
        check_id = f"{self.name}:{rule}"
        if any(c not in self.info.columns for c in columns) or any(t not in self.info.tables for t in tables):
            self.skipped.append(check_id)
            return
        sev = self.settings.severity_overrides.get(check_id, severity)
        expectation = factory(
            **kwargs,
            severity=GX_SEVERITY[sev],
            meta={"check": check_id, "severity": sev},
            description=description,
            catch_exceptions=True,
        )
        self.checks.append(Check(check_id, sev, expectation))

    def has(self, column: str) -> bool:
        return column in self.info.columns

    # -- column rules ---------------------------------------------------------------------
    def not_null(self, column: str, severity: Severity = ERROR) -> None:
        self.add(
            f"{column}.not_null",
            severity,
            gx.expectations.ExpectColumnValuesToNotBeNull,
            [column],
            column=column,
        )

    def unique(self, column: str, severity: Severity) -> None:
        self.add(
            f"{column}.unique",
            severity,
            gx.expectations.ExpectColumnValuesToBeUnique,
            [column],
            column=column,
        )

    def key(self, column: str, unique_severity: Severity) -> None:
        self.not_null(column)
        self.unique(column, unique_severity)

    def in_set(self, column: str, values: Sequence[str], severity: Severity = ERROR) -> None:
        self.add(
            f"{column}.in_set",
            severity,
            gx.expectations.ExpectColumnValuesToBeInSet,
            [column],
            column=column,
            value_set=list(values),
        )

    def regex(self, column: str, rule: str, pattern: str, severity: Severity) -> None:
        self.add(
            f"{column}.{rule}",
            severity,
            gx.expectations.ExpectColumnValuesToMatchRegex,
            [column],
            column=column,
            regex=pattern,
        )

    def date(self, column: str, required: bool = True) -> None:
        if required:
            self.not_null(column)
        self.add(
            f"{column}.in_range",
            ERROR,
            gx.expectations.ExpectColumnValuesToBeBetween,
            [column],
            column=column,
            min_value=self.settings.min_date,
            max_value=self.settings.upper_date(),
        )

    def positive(self, column: str) -> None:
        self.not_null(column)
        self.add(
            f"{column}.positive",
            ERROR,
            gx.expectations.ExpectColumnValuesToBeBetween,
            [column],
            column=column,
            min_value=0,
            strict_min=True,
        )

    def ordered(self, later: str, earlier: str, *, strict: bool = False, severity: Severity = ERROR) -> None:
        op = "after" if strict else "not_before"
        self.add(
            f"{later}.{op}.{earlier}",
            severity,
            gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB,
            [later, earlier],
            column_A=later,
            column_B=earlier,
            or_equal=not strict,
            ignore_row_if="either_value_is_missing",
        )

    def region_codes(self, columns: Sequence[str], in_dim_region: bool) -> None:
        """Raw codes are 6 digits; core codes 6 digits or the unknown member, in dim_region."""
        pattern = CORE_REGION_CODE_REGEX if in_dim_region else REGION_CODE_REGEX
        for column in columns:
            self.regex(column, "six_digits", pattern, ERROR)
            if in_dim_region:
                self.sql(
                    f"{column}.in_dim_region",
                    ERROR,
                    f"select b.{column} from (select * from {{batch}}) as b"
                    f" anti join core.dim_region as r on r.region_code = b.{column}"
                    f" where b.{column} is not null",
                    f"{column} values missing from core.dim_region",
                    columns=[column],
                    tables=["core.dim_region"],
                )

    def holder_types(self) -> None:
        for column in HOLDER_TYPE_COLUMNS:
            if self.has(column):
                self.in_set(column, HOLDER_TYPES, WARNING)

    # -- table rules ----------------------------------------------------------------------
    def sql(
        self,
        rule: str,
        severity: Severity,
        query: str,
        description: str,
        columns: Sequence[str] = (),
        tables: Sequence[str] = (),
    ) -> None:
        """A query whose rows are the failures. Lookups in other tables are DuckDB `anti
        join`s, not `not exists`: the correlated subquery over GX's batch is decorrelated by
        materialising every column of the batch (region codes of fct_grant at scale 10:
        3.9 s, against 0.04 s as an anti join)."""
        self.add(
            rule,
            severity,
            ExpectQueryToReturnNoRows,
            columns,
            tables,
            description=description,
            unexpected_rows_query=query,
        )

    def row_count(self) -> None:
        previous = self.settings.previous_row_counts.get(self.name)
        if previous is None:
            minimum, description = 0, "row count (no previous count given)"
        else:
            minimum = math.ceil(previous * (1 - self.settings.row_drop_max))
            description = (
                f"row count not collapsing: previous {previous}, at most"
                f" {self.settings.row_drop_max:.0%} drop allowed"
            )
        self.add(
            "row_count",
            ERROR,
            gx.expectations.ExpectTableRowCountToBeBetween,
            description=description,
            min_value=minimum,
        )

    def quarantine_share(self, feed: str) -> None:
        raw, quarantine = f"raw.{feed}", f"raw.{feed}_quarantine"
        share_max = float(self.settings.quarantine_share_max)
        if self.settings.ingest_hashes is not None:
            values = ", ".join(_sql_literal(h) for h in self.settings.ingest_hashes)
            hashes = (
                f"select unnest([{values}]) as _ingest_hash"
                if values
                else "select null::varchar as _ingest_hash where false"
            )
            scope = "the given ingest hashes"
        else:
            hashes = (
                f"select distinct _ingest_hash from (select _ingest_hash, _loaded_at from {raw}"
                f" union all select _ingest_hash, _loaded_at from {quarantine})"
                f" where _loaded_at = (select max(_loaded_at) from (select _loaded_at from {raw}"
                f" union all select _loaded_at from {quarantine}))"
            )
            scope = "the latest load"
        query = (
            f"with hashes as ({hashes}),"
            f" counts as (select"
            f" (select count(*) from {raw} where _ingest_hash in (select _ingest_hash from hashes))"
            f" as raw_rows,"
            f" (select count(*) from {quarantine}"
            f" where _ingest_hash in (select _ingest_hash from hashes)) as quarantined_rows)"
            f" select quarantined_rows, raw_rows,"
            f" round(quarantined_rows / nullif(raw_rows + quarantined_rows, 0), 6)"
            f" as quarantine_share,"
            f" {share_max}::double as quarantine_share_max, batch.batch_rows"
            f" from counts, (select count(*) as batch_rows from {{batch}}) as batch"
            f" where quarantined_rows > {share_max} * (raw_rows + quarantined_rows)"
        )
        self.sql(
            "quarantine_share",
            ERROR,
            query,
            f"quarantined rows over {scope} at most {share_max:.2%} of rows read",
            columns=["_ingest_hash", "_loaded_at"],
            tables=[raw, quarantine],
        )

    def orphans(self, column: str, grants: str, *, split: bool = False, key: str | None = None) -> None:
        """`key`: a column both tables derive from the application number (the star's
        BIGINT patent_key), matched instead of the text: 4x faster against 26 M grants."""
        if split:  # `;`-separated application numbers (raw pledges)
            query = (
                f"select p.application_number from (select distinct"
                f" trim(unnest(string_split(b.{column}, ';'))) as application_number"
                f" from (select * from {{batch}}) as b) as p"
                f" anti join {grants} as g on g.application_number = p.application_number"
                f" where p.application_number <> ''"
            )
            what = "pledged patents"
        else:
            match = f"g.{key} = b.{key}" if key else f"g.application_number = b.{column}"
            query = (
                f"select b.{column} from (select * from {{batch}}) as b"
                f" anti join {grants} as g on {match}"
                f" where b.{column} is not null"
            )
            what = "rows"
        self.sql(
            "orphans",
            WARNING,
            query,
            f"{what} whose {column} matches no grant in {grants} (count = orphans)",
            columns=[column, key] if key else [column],
            tables=[grants],
        )

    def build(self, table: str) -> BuiltSuite:
        return BuiltSuite(self.name, table, self.checks, self.skipped)


def _sql_literal(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


# -- raw suites -----------------------------------------------------------------------------
def _raw_region_columns(feed: str) -> list[str]:
    return [f"{role}_region_code" for role in REGION_ROLES[feed]]


def _raw_common_tail(b: _Builder, feed: str) -> None:
    b.holder_types()
    b.region_codes(_raw_region_columns(feed), in_dim_region=False)
    b.quarantine_share(feed)
    b.row_count()


def _raw_grants(b: _Builder) -> None:
    b.key("application_number", WARNING)
    b.regex("application_number", "format", APPLICATION_NUMBER_REGEX, WARNING)
    b.not_null("patent_type")
    b.in_set("patent_type", list(PATENT_TYPES))
    b.date("filing_date")
    b.date("grant_date")
    b.ordered("grant_date", "filing_date")
    _raw_common_tail(b, "grants")


def _raw_legal_events(b: _Builder) -> None:
    b.key("event_id", WARNING)
    b.not_null("application_number")
    b.date("event_date")
    b.not_null("event_type")
    b.in_set("event_type", list(EVENT_TYPES))
    b.orphans("application_number", "raw.grants")
    _raw_common_tail(b, "legal_events")


def _raw_transfers(b: _Builder) -> None:
    b.key("record_id", WARNING)
    b.not_null("application_number")
    b.not_null("kind")
    b.in_set("kind", list(TRANSFER_KINDS))
    b.in_set("license_type", list(LICENSE_TYPES), WARNING)
    b.date("registration_date")
    b.orphans("application_number", "raw.grants")
    _raw_common_tail(b, "transfers")


def _raw_pledges(b: _Builder) -> None:
    b.not_null("pledge_id")
    b.add(
        "pledge_id.status.unique",
        WARNING,
        gx.expectations.ExpectCompoundColumnsToBeUnique,
        ["pledge_id", "status"],
        column_list=["pledge_id", "status"],
    )
    b.date("registration_date")
    b.positive("amount_10k_cny")
    b.not_null("application_numbers")
    b.regex("application_numbers", "non_empty", r"[0-9]", ERROR)
    b.in_set("status", list(PLEDGE_STATUSES))
    b.orphans("application_numbers", "raw.grants", split=True)
    _raw_common_tail(b, "pledges")


def _raw_pct(b: _Builder) -> None:
    b.key("pct_application_number", WARNING)
    b.regex("pct_application_number", "format", PCT_NUMBER_REGEX, WARNING)
    b.date("filing_date")
    _raw_common_tail(b, "pct")


# -- core suites ----------------------------------------------------------------------------
def _fact_region_columns(b: _Builder) -> list[str]:
    return sorted(c for c in b.info.columns if c == "region_code" or c.endswith("_region_code"))


def _core_tail(b: _Builder) -> None:
    b.holder_types()
    b.region_codes(_fact_region_columns(b), in_dim_region=True)
    b.row_count()


def _core_fct_grant(b: _Builder) -> None:
    b.key("grant_key", ERROR)
    b.not_null("application_number")
    b.not_null("patent_type")
    b.in_set("patent_type", list(PATENT_TYPES))
    b.date("filing_date")
    b.date("grant_date")
    b.ordered("grant_date", "filing_date")
    _core_tail(b)


def _core_dim_patent(b: _Builder) -> None:
    b.key("application_number", ERROR)
    b.in_set("patent_type", list(PATENT_TYPES))
    b.row_count()


def _core_dim_region(b: _Builder) -> None:
    b.key("region_code", ERROR)
    b.not_null("region_level")
    b.in_set("region_level", REGION_LEVELS)
    b.row_count()


def _core_fct_legal_event(b: _Builder) -> None:
    b.key("event_id", ERROR)
    b.not_null("application_number")
    b.date("event_date")
    b.not_null("event_type")
    b.in_set("event_type", list(EVENT_TYPES))
    b.orphans("application_number", "core.fct_grant", key="patent_key")
    b.sql(
        "event_date.not_before.grant_date",
        WARNING,
        "select e.application_number, e.event_date, g.grant_date"
        " from (select * from {batch}) as e"
        " join core.fct_grant as g on g.patent_key = e.patent_key"
        " where e.event_date < g.grant_date",
        "legal events dated before their patent's grant",
        columns=["application_number", "event_date", "patent_key"],
        tables=["core.fct_grant"],
    )
    _core_tail(b)


def _core_fct_transfer(b: _Builder) -> None:
    b.key("record_id", ERROR)
    b.not_null("application_number")
    b.not_null("kind")
    b.in_set("kind", list(TRANSFER_KINDS))
    b.in_set("license_type", list(LICENSE_TYPES), WARNING)
    b.date("registration_date")
    b.orphans("application_number", "core.fct_grant", key="patent_key")
    _core_tail(b)


def _core_fct_pledge(b: _Builder) -> None:
    b.key("pledge_id", ERROR)
    b.date("registration_date")
    b.positive("amount_10k_cny")
    b.in_set("status", list(PLEDGE_STATUSES))
    b.ordered("cancelled_date", "registration_date", severity=WARNING)
    _core_tail(b)


def _core_bridge_pledge_patent(b: _Builder) -> None:
    b.not_null("pledge_id")
    b.not_null("application_number")
    b.add(
        "pledge_id.application_number.unique",
        ERROR,
        gx.expectations.ExpectCompoundColumnsToBeUnique,
        ["pledge_id", "application_number"],
        column_list=["pledge_id", "application_number"],
    )
    b.sql(
        "pledge_id.in_fct_pledge",
        ERROR,
        "select b.pledge_id from (select * from {batch}) as b"
        " anti join core.fct_pledge as p on p.pledge_id = b.pledge_id"
        " where b.pledge_id is not null",
        "bridge rows whose pledge_id is missing from core.fct_pledge",
        columns=["pledge_id"],
        tables=["core.fct_pledge"],
    )
    b.orphans("application_number", "core.fct_grant", key="patent_key")
    b.row_count()


def _core_fct_pct_application(b: _Builder) -> None:
    b.key("pct_application_number", ERROR)
    b.date("filing_date")
    _core_tail(b)


def _core_fct_patent_holding(b: _Builder) -> None:
    b.key("holding_key", ERROR)
    b.not_null("application_number")
    b.not_null("valid_from")
    b.ordered("valid_to", "valid_from", strict=True)
    _core_tail(b)


@dataclass(frozen=True)
class SuiteDef:
    name: str
    table: str
    layer: Literal["raw", "core"]
    date_column: str | None
    rules: Callable[[_Builder], None]

    def build(self, info: TableInfo, settings: GateSettings | None = None) -> BuiltSuite:
        builder = _Builder(self.name, info, settings or GateSettings())
        self.rules(builder)
        return builder.build(self.table)


def _raw(feed: str, rules: Callable[[_Builder], None]) -> SuiteDef:
    return SuiteDef(f"raw.{feed}", f"raw.{feed}", "raw", FEEDS[feed].date_column, rules)


def _core(table: str, date_column: str | None, rules: Callable[[_Builder], None]) -> SuiteDef:
    return SuiteDef(f"core.{table}", f"core.{table}", "core", date_column, rules)


SUITES: dict[str, SuiteDef] = {
    s.name: s
    for s in (
        _raw("grants", _raw_grants),
        _raw("legal_events", _raw_legal_events),
        _raw("transfers", _raw_transfers),
        _raw("pledges", _raw_pledges),
        _raw("pct", _raw_pct),
        _core("fct_grant", "grant_date", _core_fct_grant),
        # Incremental on grant_date like fct_grant: a partition run validates its window.
        _core("dim_patent", "grant_date", _core_dim_patent),
        _core("dim_region", None, _core_dim_region),
        _core("fct_legal_event", "event_date", _core_fct_legal_event),
        _core("fct_transfer", "registration_date", _core_fct_transfer),
        _core("fct_pledge", "registration_date", _core_fct_pledge),
        _core("bridge_pledge_patent", None, _core_bridge_pledge_patent),
        _core("fct_pct_application", "filing_date", _core_fct_pct_application),
        _core("fct_patent_holding", "valid_from", _core_fct_patent_holding),
    )
}
RAW_SUITES: list[str] = [n for n, s in SUITES.items() if s.layer == "raw"]
CORE_SUITES: list[str] = [n for n, s in SUITES.items() if s.layer == "core"]
SUITE_NAMES: list[str] = list(SUITES)


def build_suite(name: str, info: TableInfo, settings: GateSettings | None = None) -> BuiltSuite:
    """The suite `name` for a table with the columns and companion tables in `info`."""
    try:
        spec = SUITES[name]
    except KeyError:
        raise KeyError(f"unknown suite {name!r}; known: {', '.join(SUITES)}") from None
    return spec.build(info, settings)
