"""Atomic, idempotent loads of landed batches into `raw.<feed>` and `raw.<feed>_quarantine`.

A batch is identified by the content hash of its input (`_ingest_hash`): loading the same
input again replaces exactly its own rows, so reruns never duplicate; a changed file is a
new batch, and staging keeps the newest version of each key while raw keeps the history.
Everything for one feed happens in one DuckDB transaction: a crash leaves the previous state.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import duckdb

from ingestion.normalise import normalise
from ingestion.schema import FEEDS, quarantine_table_ddl, raw_table_ddl

log = logging.getLogger(__name__)


@dataclass
class LoadStats:
    feed: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    batches: int = 0
    top_reasons: list[tuple[str, int]] = field(default_factory=list)

    @property
    def quarantine_share(self) -> float:
        return self.rows_quarantined / self.rows_read if self.rows_read else 0.0


def ensure_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists raw")
    for name, spec in FEEDS.items():
        con.execute(raw_table_ddl(spec, f"raw.{name}"))
        con.execute(quarantine_table_ddl(f"raw.{name}_quarantine"))


def load_feed(
    con: duckdb.DuckDBPyConnection,
    feed: str,
    landed: dict[str, str],
    replace_sources_like: str | None = None,
    window: tuple[date, date] | None = None,
) -> LoadStats:
    """Load landed relations (ingest_hash -> relation name) of one feed in one transaction.

    `replace_sources_like` also removes earlier batches whose `_source` matches the pattern
    (the synthetic generator replaces its whole output; files keep their history).
    `window` (half-open [start, end) on the feed's record date) loads one partition range:
    only valid rows dated inside it are replaced and inserted, so loading a month touches
    nothing else; quarantined rows, which may have no usable date, are replaced per batch.
    """
    if feed not in FEEDS:  # it names tables in the SQL below: never let anything else through
        raise ValueError(f"unknown feed {feed!r}; feeds are {', '.join(FEEDS)}")
    ensure_raw_tables(con)
    stats = LoadStats(feed=feed)
    loaded_at = datetime.now(UTC).replace(tzinfo=None)
    reasons: Counter[str] = Counter()
    date_column = FEEDS[feed].date_column
    in_window = "true"
    window_params: list[date] = []
    if window is not None:
        in_window = f'"{date_column}" >= ? and "{date_column}" < ?'
        window_params = [window[0], window[1]]
    con.execute("begin transaction")
    try:
        if replace_sources_like is not None:
            con.execute(
                f"delete from raw.{feed} where _source like ? and {in_window}",
                [replace_sources_like, *window_params],
            )
            # The batches loaded now replace their own quarantine rows below (only the window's).
            con.execute(
                f"delete from raw.{feed}_quarantine where _source like ?"
                f" and _ingest_hash not in (select unnest(?::varchar[]))",
                [replace_sources_like, list(landed)],
            )
        for ingest_hash, relation in landed.items():
            relation, rows_in_window = _window_prefilter(con, feed, relation, ingest_hash, window)
            con.execute(
                f"delete from raw.{feed} where _ingest_hash = ? and {in_window}",
                [ingest_hash, *window_params],
            )
            con.execute(
                f"delete from raw.{feed}_quarantine where _ingest_hash = ? and {rows_in_window}",
                [ingest_hash],
            )
            loaded = quarantined = 0
            started = time.perf_counter()
            chunks = _chunks(con, feed, relation)
            for part, chunk in enumerate(chunks, start=1):
                if len(chunks) > 1:
                    read = loaded + quarantined
                    log.info("%s: part %d of %d, %d rows read so far", feed, part, len(chunks), read)
                valid_sql, quarantine_sql = normalise(con, feed, chunk)
                loaded += con.execute(
                    f"insert into raw.{feed} select *, ?::timestamp, ? from ({valid_sql}) where {in_window}",
                    [loaded_at, ingest_hash, *window_params],
                ).fetchall()[0][0]
                quarantined += con.execute(
                    f"insert into raw.{feed}_quarantine"
                    f" select _source, _row, field, reason, record, ?::timestamp, ?"
                    f" from ({quarantine_sql})",
                    [loaded_at, ingest_hash],
                ).fetchall()[0][0]
            if relation != landed[ingest_hash]:  # the window's copy: free its memory now
                con.execute(f"drop table if exists {relation}")
            log.info(
                "%s: %d rows loaded, %d quarantined in %.1f s",
                feed,
                loaded,
                quarantined,
                time.perf_counter() - started,
            )
            for reason, n in con.execute(
                f"select reason, count(*) from raw.{feed}_quarantine where _ingest_hash = ? group by 1",
                [ingest_hash],
            ).fetchall():
                reasons[reason] += n
            stats.rows_loaded += loaded
            stats.rows_quarantined += quarantined
            stats.batches += 1
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    stats.rows_read = stats.rows_loaded + stats.rows_quarantined
    stats.top_reasons = reasons.most_common(5)
    return stats


# Rows normalised at a time: the parsed rows of a chunk stay in memory (a national-scale
# batch, 34 M grants, spilled gigabytes to disk when parsed whole).
CHUNK_ROWS = 4_000_000
_INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UINTEGER", "UBIGINT"}


def _chunks(con: duckdb.DuckDBPyConnection, feed: str, relation: str) -> list[str]:
    """Views that split `relation` by `_row` into parts of about CHUNK_ROWS rows (or itself)."""
    types = {name: typ for name, typ, *_ in con.execute(f"describe {relation}").fetchall()}
    if types.get("_row") not in _INTEGER_TYPES:
        return [relation]
    low, high, rows = con.execute(f"select min(_row), max(_row), count(*) from {relation}").fetchall()[0]
    if rows <= CHUNK_ROWS or low is None:
        return [relation]
    parts = math.ceil(rows / CHUNK_ROWS)
    step = math.ceil((high - low + 1) / parts)
    views = []
    for i in range(parts):
        start, end = low + i * step, low + (i + 1) * step
        if i == 0:
            where = f"_row is null or _row < {end}"
        elif i == parts - 1:
            where = f"_row >= {start}"
        else:
            where = f"_row >= {start} and _row < {end}"
        view = f"__chunk_{feed}_{i}"
        con.execute(f"create or replace temp view {view} as select * from {relation} where {where}")
        views.append(view)
    return views


def _window_prefilter(
    con: duckdb.DuckDBPyConnection,
    feed: str,
    relation: str,
    ingest_hash: str,
    window: tuple[date, date] | None,
) -> tuple[str, str]:
    """(relation to normalise, quarantine rows it replaces) for a load of `window`.

    When the landed date column is already typed (the generator, Parquet), rows dated outside
    the window are left out before the normaliser parses anything, so a one-month load costs
    a month, not the whole batch. Rows with no date still go through (they may belong to the
    quarantine), and only the quarantine rows of the rows read are replaced, found by `_row`.
    The whole batch is normalised, as before, when a row cannot be placed that way: a text
    date (it has to be parsed to be placed), a missing `_row`, or a batch never loaded
    before (its rows outside the window have no quarantine rows yet, and the loader has just
    removed those of the batch it replaces).
    """
    if window is None:
        return relation, "true"
    column = FEEDS[feed].date_column
    types = {name: typ for name, typ, *_ in con.execute(f"describe {relation}").fetchall()}
    if types.get(column) not in {"DATE", "TIMESTAMP"} or "_row" not in types:
        return relation, "true"
    placeable = con.execute(
        f"select not exists (select 1 from {relation} where _row is null)"
        f" and (exists (select 1 from raw.{feed} where _ingest_hash = $1)"
        f" or exists (select 1 from raw.{feed}_quarantine where _ingest_hash = $1))",
        [ingest_hash],
    ).fetchall()[0][0]
    if not placeable:
        return relation, "true"
    start, end = (day.isoformat() for day in window)
    # Two filters DuckDB pushes into the scan, not one `is null or …` it applies after reading
    # every column of every landed row; and a table, not a view, which the parse read the
    # same way. A month of grants at scale 10: 3.2 s to parse through the view, 0.5 s now.
    rows = f"__window_{feed}"
    con.execute(
        f"create or replace temp table {rows} as"
        f" select * from {relation} where \"{column}\" >= date '{start}' and \"{column}\" < date '{end}'"
        f' union all select * from {relation} where "{column}" is null'
    )
    return rows, f"_row in (select _row from {rows})"
