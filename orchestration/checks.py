"""Great Expectations gates as blocking Dagster asset checks.

A failed error-severity expectation fails its check with severity ERROR, so nothing
downstream of the checked table runs in that run: raw feeds gate staging/core, the core
tables gate the marts, and serving (downstream of the marts) stays as it was. Warnings are
reported in the metadata and do not block. Each layer is validated in one GX session (one
context, one engine) because GX's start-up, not the queries, dominates on small tables.
"""

import json
from collections.abc import Iterator
from pathlib import Path

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckKey,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MetadataValue,
    multi_asset_check,
)

from expectations.suites import CORE_SUITES, RAW_SUITES, SUITES, GateSettings
from orchestration.partitions import window_from_tags
from orchestration.resources import WarehouseResource


def check_name(suite: str) -> str:
    return "gx_" + suite.replace(".", "_")


def _spec(suite: str) -> AssetCheckSpec:
    schema, table = suite.split(".", 1)
    layer = "staging and core" if schema == "raw" else "the marts"
    return AssetCheckSpec(
        name=check_name(suite),
        asset=AssetKey([schema, table]),
        blocking=True,
        description=f"Great Expectations suite {suite}: the contract's rules; errors block {layer}.",
    )


def _gate(
    context: AssetCheckExecutionContext, warehouse: WarehouseResource, suites: list[str], database: Path
) -> Iterator[AssetCheckResult]:
    from expectations.runner import date_window_filter, summarise, validate

    selected = {key.name for key in context.selected_asset_check_keys}
    wanted = [s for s in suites if check_name(s) in selected]
    window = window_from_tags(dict(context.run.tags))
    partition_filter = None
    if window is not None:
        # Only the months this run loaded: older partitions were validated when they arrived.
        partition_filter = {
            suite: date_window_filter(suite, *window) for suite in wanted if SUITES[suite].date_column
        }
    counts_file = warehouse.root / "gate_row_counts.json"
    previous = json.loads(counts_file.read_text()) if counts_file.exists() else {}
    results = validate(
        database,
        wanted,
        partition_filter=partition_filter,
        # A window's rows are not comparable with a full table's count; a table without a
        # date column is validated whole even in a partition run, so it still is compared.
        settings=GateSettings(
            previous_row_counts={
                s: previous[s] for s in wanted if s in previous and s not in (partition_filter or {})
            }
        ),
        data_docs_dir=warehouse.root / "data_docs",
    )
    # The next validation compares against these counts (a drop of more than half fails);
    # only full validations record them.
    if window is None:
        previous.update({r.suite: r.row_count for r in results if r.row_count is not None})
        counts_file.write_text(json.dumps(previous, indent=1, sort_keys=True))
    for result in results:
        summary = summarise([result])
        metadata: dict = {k: v for k, v in summary.items() if v is not None and k != "failures_md"}
        metadata["failures"] = MetadataValue.md(summary["failures_md"])
        if result.data_docs_path is not None:
            metadata["data_docs"] = MetadataValue.url(result.data_docs_path.as_uri())
        if result.error:
            context.log.error(f"{result.suite}: {result.error}")
        for failure in result.failures:
            log = context.log.error if failure.severity == "error" else context.log.warning
            log(f"{result.suite} ({result.table}): {failure.line()}")
        schema, table = result.suite.split(".", 1)
        yield AssetCheckResult(
            asset_key=AssetKey([schema, table]),
            check_name=check_name(result.suite),
            passed=result.success,
            severity=AssetCheckSeverity.ERROR,
            metadata=metadata,
        )


@multi_asset_check(specs=[_spec(s) for s in RAW_SUITES], name="gx_raw_gate", can_subset=True)
def gx_raw_gate(context: AssetCheckExecutionContext, warehouse: WarehouseResource):
    """The raw feeds against their contract before anything reads them."""
    yield from _gate(context, warehouse, RAW_SUITES, warehouse.database_path)


@multi_asset_check(specs=[_spec(s) for s in CORE_SUITES], name="gx_core_gate", can_subset=True)
def gx_core_gate(context: AssetCheckExecutionContext, warehouse: WarehouseResource):
    """The star schema before the marts are computed from it."""
    # dbt builds the star in its own file (dbt_project/profiles.yml).
    yield from _gate(context, warehouse, CORE_SUITES, warehouse.star_path)


CHECK_KEYS = [AssetCheckKey(_spec(s).asset_key, check_name(s)) for s in RAW_SUITES + CORE_SUITES]
