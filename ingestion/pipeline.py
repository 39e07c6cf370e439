"""One ingestion pass: read a source, load its feeds atomically, replace the reference tables.

Every source ends in the same place: landed relations with canonical columns, loaded by
`loader.load_feed` (normalise -> raw + quarantine), so the rules are applied once, the same
way, whatever the data came from.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from ingestion.loader import LoadStats, ensure_raw_tables, load_feed
from ingestion.reference_load import load_reference
from ingestion.schema import FEEDS

SYNTHETIC_GENERATOR_VERSION = "1"


@dataclass
class IngestReport:
    feeds: dict[str, LoadStats] = field(default_factory=dict)
    reference_rows: dict[str, int] = field(default_factory=dict)
    orphans: dict[str, int] = field(default_factory=dict)
    refused_files: list[tuple[str, str]] = field(default_factory=list)


Window = tuple[date, date] | None


def synthetic_landing(con: duckdb.DuckDBPyConnection, scale: float, seed: int) -> dict[str, str]:
    """The generator's landing tables for (scale, seed), generated once and reused.

    The feeds (partitioned) and the reference data (not partitioned) are separate steps
    that both read the generator's output; the tables stay in `landing_synthetic` with
    the parameters that made them, so a rerun or a later partition skips generation.
    """
    from ingestion import synthetic

    marker = f"{SYNTHETIC_GENERATOR_VERSION}:{seed}:{scale!r}"
    names = [*FEEDS, "population", "awards", "entities"]
    exists = con.execute(
        "select count(*) from information_schema.tables"
        " where table_schema = 'landing_synthetic' and table_name = '_params'"
    ).fetchall()[0][0]
    if exists and con.execute("select max(marker) from landing_synthetic._params").fetchall()[0][0] == marker:
        return {name: f"landing_synthetic.{name}" for name in names}
    relations = synthetic.generate(con, scale=scale, seed=seed)
    con.execute("create or replace table landing_synthetic._params as select ? as marker", [marker])
    return {name: relations[name] for name in names}


def _synthetic_batch(scale: float, seed: int) -> str:
    return hashlib.sha256(f"synthetic:{SYNTHETIC_GENERATOR_VERSION}:{seed}:{scale}".encode()).hexdigest()


def ingest_synthetic_reference(con: duckdb.DuckDBPyConnection, scale: float, seed: int) -> IngestReport:
    from ingestion import reference

    relations = synthetic_landing(con, scale, seed)
    frames: dict[str, pd.DataFrame | None] = {
        "regions": reference.builtin_regions(),
        "sei_ipc": reference.builtin_sei_ipc(),
        "population": con.sql(f"select * from {relations['population']}").df(),
        "awards": con.sql(f"select * from {relations['awards']}").df(),
        "entities": con.sql(f"select * from {relations['entities']}").df(),
        "targets": None,
        "reported": None,
    }
    return IngestReport(reference_rows=load_reference(con, frames))


def ingest_synthetic_feeds(
    con: duckdb.DuckDBPyConnection, scale: float, seed: int, window: Window = None
) -> IngestReport:
    relations = synthetic_landing(con, scale, seed)
    batch = _synthetic_batch(scale, seed)
    report = IngestReport()
    with orphans_rechecked(con, report, window):
        for feed in FEEDS:
            report.feeds[feed] = load_feed(
                con, feed, {batch: relations[feed]}, replace_sources_like="synthetic:%", window=window
            )
    return report


def ingest_files_feeds(
    con: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    max_file_bytes: int,
    archive_dir: Path | None = None,
    window: Window = None,
) -> IngestReport:
    """Load every landing feed file; originals are archived by content hash for replays.

    A batch is one file: its identity is its path and content hash, so the same file loaded
    again replaces itself, a changed file adds a newer version, and identical bytes under
    two names stay two batches.
    """
    from ingestion.files import read_landing

    landing_dir = Path(landing_dir)
    landing = read_landing(landing_dir, max_file_bytes=max_file_bytes, archive_dir=archive_dir, only="feed")
    report = IngestReport(refused_files=[(p.file, p.reason) for p in landing.refused])
    with orphans_rechecked(con, report, window):
        for feed, batches in landing.feeds.items():
            for batch in batches:
                batch.ingest_hash = hashlib.sha256(
                    f"{batch.source}\0{batch.ingest_hash}".encode()
                ).hexdigest()
            report.feeds[feed] = _load_batches(con, feed, batches, window)
    return report


def ingest_files_reference(
    con: duckdb.DuckDBPyConnection, landing_dir: Path, max_file_bytes: int
) -> IngestReport:
    """Reference files from the landing folder; absent (or empty) ones fall back to defaults.

    A reference file that is there but cannot be read stops the step: falling back to the
    defaults would quietly compute every indicator with data the user replaced.
    """
    from ingestion import reference
    from ingestion.files import SUPPORTED_EXTENSIONS, classify, read_landing

    landing = read_landing(Path(landing_dir), max_file_bytes=max_file_bytes, only="reference")
    # Fatal: a reference file of a readable kind that failed. Reported: a stray
    # `population.csv.bak` (the feeds step, which skips reference names, never sees it).
    # Files named like no feed or reference are the feeds step's to report.
    refused = [p for p in landing.refused if (classify(Path(p.file).name) or ("",))[0] == "reference"]
    unreadable = [
        f"{p.file}: {p.reason}" for p in refused if Path(p.file).suffix.lower() in SUPPORTED_EXTENSIONS
    ]
    if unreadable:
        raise ValueError(
            "reference files refused (fix or remove them; an absent file falls back to the "
            "built-in default): " + "; ".join(unreadable)
        )
    supplied = {name: frame for name, frame in landing.reference.items() if len(frame)}
    regions = supplied.get("regions")
    if regions is None:
        regions = reference.builtin_regions()
    population = supplied.get("population")
    if population is None:
        population = reference.builtin_population(regions)
    frames: dict[str, pd.DataFrame | None] = {
        "regions": regions,
        "population": population,
        "sei_ipc": supplied.get("sei_ipc", reference.builtin_sei_ipc()),
        "awards": supplied.get("awards"),
        "entities": supplied.get("entities"),
        "targets": supplied.get("targets"),
        "reported": supplied.get("reported"),
    }
    return IngestReport(
        reference_rows=load_reference(con, frames), refused_files=[(p.file, p.reason) for p in refused]
    )


def ingest_files(
    con: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    max_file_bytes: int,
    archive_dir: Path | None = None,
) -> IngestReport:
    report = ingest_files_feeds(con, landing_dir, max_file_bytes, archive_dir)
    reference = ingest_files_reference(con, landing_dir, max_file_bytes)
    report.reference_rows = reference.reference_rows
    report.refused_files += reference.refused_files
    return report


def ingest_http_feeds(
    con: duckdb.DuckDBPyConnection, config: dict, date_from: str | date, date_to: str | date
) -> IngestReport:
    """Fetch every configured feed one calendar month at a time; any failed window raises
    before anything is written, so a run never leaves a partial window behind."""
    from ingestion.http_source import fetch_windows, load_http_config

    configs = load_http_config(config)
    report = IngestReport()
    fetched = {feed: fetch_windows(cfg, feed, date_from, date_to) for feed, cfg in configs.items()}
    with orphans_rechecked(con, report, window=None):
        for feed, batches in fetched.items():
            report.feeds[feed] = _load_batches(con, feed, batches)
    return report


def ingest_builtin_reference(con: duckdb.DuckDBPyConnection) -> IngestReport:
    from ingestion import reference

    regions = reference.builtin_regions()
    frames: dict[str, pd.DataFrame | None] = {
        "regions": regions,
        "population": reference.builtin_population(regions),
        "sei_ipc": reference.builtin_sei_ipc(),
    }
    return IngestReport(reference_rows=load_reference(con, frames))


def _load_batches(
    con: duckdb.DuckDBPyConnection, feed: str, batches: list, window: Window = None
) -> LoadStats:
    names: dict[str, str] = {}
    for i, batch in enumerate(batches):
        name = f"_landed_{feed}_{i}"
        con.register(name, batch.frame)
        names[batch.ingest_hash] = name
    try:
        return load_feed(con, feed, names, window=window)
    finally:
        for name in names.values():
            con.unregister(name)


ORPHAN_REASON = "orphan: no grant with this application_number (kept in raw, re-checked on every load)"
_CANDIDATES = "__orphan_candidates"
_ORPHAN_NUMBERS = "__orphan_numbers"
_PENDING = "_orphan_check_pending"  # in raw
_WINDOW_GRANTS = "select application_number from raw.grants where grant_date >= $1 and grant_date < $2"


@contextmanager
def orphans_rechecked(con: duckdb.DuckDBPyConnection, report: IngestReport, window: Window) -> Iterator[None]:
    """Load the feeds inside this block; the orphan listing is recomputed after it.

    A load of a partition window changes raw rows dated in it only, so only events whose
    application number is among the window's grants (before and after the load), the
    window's events, or the orphans listed before, can change status: those are checked
    again, not every event against every grant (3.6 s of a scale-10 month run). Each feed
    commits on its own, so a block that failed after some feeds leaves a listing no window
    would mend: raw.`_PENDING`, committed before the loads and dropped with the new
    listing, makes the next block check every event.
    """
    ensure_raw_tables(con)
    unfinished = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'raw' and table_name = ?",
        [_PENDING],
    ).fetchall()[0][0]
    if unfinished:
        window = None
    con.execute(f"create table if not exists raw.{_PENDING} as select current_timestamp as started_at")
    if window is not None:
        con.execute(
            f"""
            create or replace temp table {_CANDIDATES} as
            {_WINDOW_GRANTS}
            union
            select json_extract_string(record, '$.application_number')
            from raw.legal_events_quarantine where reason = $3
            """,
            [*window, ORPHAN_REASON],
        )
    yield
    report.orphans = _refresh_orphans(con, window)


def _refresh_orphans(con: duckdb.DuckDBPyConnection, window: Window) -> dict[str, int]:
    """Re-check legal events against the grants now known; list the orphans in quarantine.

    With a window, only the candidates `orphans_rechecked` collected, and the window's
    grants and events, are checked; every listed orphan is among them.
    """
    orphan = "not exists (select 1 from raw.grants as g where g.application_number = e.application_number)"
    if window is not None:
        con.execute(
            f"""
            insert into {_CANDIDATES}
            {_WINDOW_GRANTS}
            union
            select application_number from raw.legal_events where event_date >= $1 and event_date < $2
            """,
            list(window),
        )
        # The candidates that have no grant (usually none): the events are then scanned once
        # against this small set, where an anti join would hash every grant.
        con.execute(
            f"""
            create or replace temp table {_ORPHAN_NUMBERS} as
            select application_number from {_CANDIDATES}
            except
            select application_number from raw.grants
            where application_number in (select application_number from {_CANDIDATES})
            """
        )
        orphan = f"e.application_number in (select application_number from {_ORPHAN_NUMBERS})"
    con.execute("begin transaction")
    try:
        con.execute("delete from raw.legal_events_quarantine where reason = ?", [ORPHAN_REASON])
        con.execute(f"drop table if exists raw.{_PENDING}")
        con.execute(
            f"""
            insert into raw.legal_events_quarantine
            select e._source, e._row, 'application_number', ?,
                to_json(struct_pack(event_id := e.event_id,
                    application_number := e.application_number,
                    event_date := e.event_date, event_type := e.event_type))::varchar,
                e._loaded_at, e._ingest_hash
            from raw.legal_events as e
            where {orphan}
            """,
            [ORPHAN_REASON],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    if window is not None:
        con.execute(f"drop table if exists {_CANDIDATES}")
        con.execute(f"drop table if exists {_ORPHAN_NUMBERS}")
    n = con.execute(
        "select count(*) from raw.legal_events_quarantine where reason = ?", [ORPHAN_REASON]
    ).fetchall()[0][0]
    return {"legal_events": n}
