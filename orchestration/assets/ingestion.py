"""The raw layer: one step loads the five feeds and the reference data from the chosen source."""

import json
from pathlib import Path

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)

from ingestion.pipeline import IngestReport, ingest_files, ingest_http, ingest_synthetic
from ingestion.schema import FEEDS, REFERENCE
from orchestration.resources import SourceResource, WarehouseResource

FEED_KEYS = {feed: AssetKey(["raw", feed]) for feed in FEEDS}
REFERENCE_KEYS = {name: AssetKey(["raw", name]) for name in REFERENCE}

_FEED_DESCRIPTIONS = {
    "grants": "Granted patents (专利授权) as loaded, every version kept; bad rows in raw.grants_quarantine.",
    "legal_events": "Legal-status events (法律状态); orphans listed in raw.legal_events_quarantine.",
    "transfers": "Assignments and licenses (转让/许可) as loaded.",
    "pledges": "Pledge registrations and cancellations (质押登记/注销) as loaded.",
    "pct": "PCT international applications (PCT 国际申请) as loaded.",
}


def _specs() -> list[AssetSpec]:
    specs = [
        AssetSpec(
            key,
            description=_FEED_DESCRIPTIONS[feed],
            group_name="ingestion",
            kinds={"duckdb", "python"},
            owners=["team:data-engineering"],
        )
        for feed, key in FEED_KEYS.items()
    ]
    specs += [
        AssetSpec(
            key,
            description=f"Reference data `{name}` (user file or built-in default).",
            group_name="ingestion",
            kinds={"duckdb", "python"},
            owners=["team:data-engineering"],
        )
        for name, key in REFERENCE_KEYS.items()
    ]
    return specs


@multi_asset(specs=_specs(), name="ingest", pool="duckdb_writer")
def ingest(context: AssetExecutionContext, source: SourceResource, warehouse: WarehouseResource):
    """Read the configured source and load it: atomic per feed, idempotent per input."""
    con = warehouse.connect()
    try:
        if source.kind == "synthetic":
            report = ingest_synthetic(con, scale=source.scale, seed=source.seed)
        elif source.kind == "files":
            report = ingest_files(
                con,
                Path(source.landing_dir),
                source.max_file_mb * 1024 * 1024,
                archive_dir=warehouse.root / "archive",
            )
        else:
            report = ingest_http(
                con, json.loads(source.http_config or "{}"), source.http_date_from, source.http_date_to
            )
        counts = {
            name: con.execute(f"select count(*) from raw.{name}").fetchall()[0][0]
            for name in {**FEED_KEYS, **REFERENCE_KEYS}
        }
    finally:
        con.close()
    for problem in report.refused_files:
        context.log.error(f"refused {problem[0]}: {problem[1]}")
    yield from _results(report, counts)


def _results(report: IngestReport, counts: dict[str, int]):
    for feed, key in FEED_KEYS.items():
        stats = report.feeds.get(feed)
        metadata: dict = {"dagster/row_count": counts[feed]}
        if stats is not None:
            metadata |= {
                "rows_read": stats.rows_read,
                "rows_loaded": stats.rows_loaded,
                "rows_quarantined": stats.rows_quarantined,
                "quarantine_share": round(stats.quarantine_share, 6),
                "top_reasons": MetadataValue.md(
                    "\n".join(f"- {n} × {r}" for r, n in stats.top_reasons) or "none"
                ),
            }
        if feed in report.orphans:
            metadata["orphans"] = report.orphans[feed]
        yield MaterializeResult(asset_key=key, metadata=metadata)
    for name, key in REFERENCE_KEYS.items():
        yield MaterializeResult(asset_key=key, metadata={"dagster/row_count": counts[name]})
