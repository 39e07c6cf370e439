"""The raw layer: the five feeds (monthly partitions) and the reference data."""

import json
from pathlib import Path

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    BackfillPolicy,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)

from ingestion.pipeline import (
    IngestReport,
    ingest_builtin_reference,
    ingest_files_feeds,
    ingest_files_reference,
    ingest_http_feeds,
    ingest_synthetic_feeds,
    ingest_synthetic_reference,
)
from ingestion.schema import FEEDS, REFERENCE
from orchestration.metadata import preview_markdown
from orchestration.partitions import monthly, window_from_tags
from orchestration.resources import SourceResource, WarehouseResource

FEED_KEYS = {feed: AssetKey(["raw", feed]) for feed in FEEDS}
REFERENCE_KEYS = {name: AssetKey(["raw", name]) for name in REFERENCE}
OWNERS = ["team:data-engineering"]

_FEED_DESCRIPTIONS = {
    "grants": "Granted patents (专利授权), partitioned by grant_date; every version kept, "
    "rejected rows in raw.grants_quarantine.",
    "legal_events": "Legal-status events (法律状态), partitioned by event_date; orphans listed in "
    "raw.legal_events_quarantine.",
    "transfers": "Assignments and licenses (转让/许可), partitioned by registration_date.",
    "pledges": "Pledge registrations and cancellations (质押登记/注销), partitioned by registration_date.",
    "pct": "PCT international applications (PCT 国际申请), partitioned by filing_date.",
}


@multi_asset(
    specs=[
        AssetSpec(
            key,
            description=_FEED_DESCRIPTIONS[feed],
            group_name="ingestion",
            kinds={"duckdb", "python"},
            owners=OWNERS,
        )
        for feed, key in FEED_KEYS.items()
    ],
    name="ingest_feeds",
    partitions_def=monthly,
    backfill_policy=BackfillPolicy.single_run(),
    pool="duckdb_writer",
)
def ingest_feeds(context: AssetExecutionContext, source: SourceResource, warehouse: WarehouseResource):
    """Load the partition window of every feed: atomic per feed, idempotent per input."""
    window = window_from_tags(dict(context.run.tags))
    context.log.info(f"loading {source.kind} feeds for window {window or 'all dates'}")
    con = warehouse.connect()
    try:
        if source.kind == "synthetic":
            report = ingest_synthetic_feeds(con, source.scale, source.seed, window)
        elif source.kind == "files":
            report = ingest_files_feeds(
                con,
                Path(source.landing_dir),
                source.max_file_mb * 1024 * 1024,
                archive_dir=warehouse.root / "archive",
                window=window,
            )
        else:
            date_from, date_to = window or (source.http_date_from, source.http_date_to)
            report = ingest_http_feeds(con, json.loads(source.http_config or "{}"), date_from, date_to)
        counts = _counts(con, FEED_KEYS)
        previews = {feed: preview_markdown(con, "raw", feed) for feed in FEED_KEYS}
    finally:
        con.close()
    _log_refused(context, report)
    for feed, key in FEED_KEYS.items():
        metadata = _feed_metadata(report, feed, counts[feed])
        metadata["preview"] = MetadataValue.md(previews[feed])
        yield MaterializeResult(asset_key=key, metadata=metadata)


@multi_asset(
    specs=[
        AssetSpec(
            key,
            description=f"Reference data `{name}` (user file or built-in default).",
            group_name="ingestion",
            kinds={"duckdb", "python"},
            owners=OWNERS,
        )
        for name, key in REFERENCE_KEYS.items()
    ],
    name="ingest_reference",
    pool="duckdb_writer",
)
def ingest_reference(context: AssetExecutionContext, source: SourceResource, warehouse: WarehouseResource):
    """Replace the reference tables from the source, or from the built-in defaults."""
    con = warehouse.connect()
    try:
        if source.kind == "synthetic":
            report = ingest_synthetic_reference(con, source.scale, source.seed)
        elif source.kind == "files":
            report = ingest_files_reference(con, Path(source.landing_dir), source.max_file_mb * 1024 * 1024)
        else:
            report = ingest_builtin_reference(con)
        previews = {name: preview_markdown(con, "raw", name) for name in REFERENCE_KEYS}
    finally:
        con.close()
    _log_refused(context, report)
    for name, key in REFERENCE_KEYS.items():
        yield MaterializeResult(
            asset_key=key,
            metadata={
                "dagster/row_count": report.reference_rows.get(name, 0),
                "preview": MetadataValue.md(previews[name]),
            },
        )


def _log_refused(context: AssetExecutionContext, report: IngestReport) -> None:
    for file, reason in report.refused_files:
        context.log.error(f"refused {file}: {reason}")


def _counts(con, keys: dict[str, AssetKey]) -> dict[str, int]:  # noqa: ANN001 - duckdb connection
    return {name: con.execute(f"select count(*) from raw.{name}").fetchall()[0][0] for name in keys}


def _feed_metadata(report: IngestReport, feed: str, total_rows: int) -> dict:
    metadata: dict = {"dagster/row_count": total_rows}
    stats = report.feeds.get(feed)
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
    return metadata
