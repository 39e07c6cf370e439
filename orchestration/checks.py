"""Great Expectations gates as blocking Dagster asset checks.

A failed error-severity expectation fails the check with severity ERROR, so nothing
downstream of the checked table runs in that run: raw feeds gate staging/core, the core
facts gate the marts, and serving (downstream of the marts) stays as it was.
"""

from __future__ import annotations

import time

from dagster import AssetCheckResult, AssetCheckSeverity, AssetKey, MetadataValue, asset_check

from orchestration.assets.ingestion import FEED_KEYS
from orchestration.resources import WarehouseResource

CORE_TABLES = ("fct_grant",)


def _gate(warehouse: WarehouseResource, suite: str) -> AssetCheckResult:
    from expectations.runner import summarise, validate

    started = time.perf_counter()
    results = validate(
        warehouse.database_path, [suite], data_docs_dir=warehouse.root / "data_docs"
    )
    summary = summarise(results)
    passed = all(r.success for r in results)
    metadata = {k: v for k, v in summary.items() if isinstance(v, (int, float, str, bool))}
    metadata["gate_seconds"] = round(time.perf_counter() - started, 3)
    failures = [f for r in results for f in r.failures]
    if failures:
        metadata["failures"] = MetadataValue.md(
            "\n".join(
                f"- **{f.severity}** `{f.expectation_type}` on `{f.column}`: "
                f"{f.unexpected_count} unexpected, e.g. {f.sample_values}"
                for f in failures
            )
        )
    docs = [r.data_docs_path for r in results if getattr(r, "data_docs_path", None)]
    if docs:
        metadata["data_docs"] = MetadataValue.url(f"file://{docs[0]}")
    return AssetCheckResult(passed=passed, severity=AssetCheckSeverity.ERROR, metadata=metadata)


def _raw_check(feed: str):
    @asset_check(
        asset=FEED_KEYS[feed],
        name=f"gx_raw_{feed}",
        blocking=True,
        description=f"Great Expectations suite raw.{feed}: contract rules; errors block staging.",
    )
    def _check(warehouse: WarehouseResource) -> AssetCheckResult:
        return _gate(warehouse, f"raw.{feed}")

    return _check


def _core_check(table: str):
    @asset_check(
        asset=AssetKey(["core", table]),
        name=f"gx_core_{table}",
        blocking=True,
        description=f"Great Expectations suite core.{table}: keys, enumerations, regions; errors block the marts.",
    )
    def _check(warehouse: WarehouseResource) -> AssetCheckResult:
        return _gate(warehouse, f"core.{table}")

    return _check


raw_checks = [_raw_check(feed) for feed in FEED_KEYS]
core_checks = [_core_check(table) for table in CORE_TABLES]
