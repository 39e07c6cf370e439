"""The Parquet copy of the served tables, rewriting only the months that changed.

Rewriting every table was most of a monthly run's publish (~30 s of CPU at scale 10, for a
month's ~1 M changed rows among 90 M). dbt's windowed models log in star.duckdb which months
they rebuild (`publish.changed_windows`, written by the `delete_window` macro before it
deletes) and on which column (`publish.month_columns`): such a table is exported as a
folder, `<schema>/<table>/`, of one file with the rows dated before a cutoff
(`before-YYYY-MM.parquet`, undated rows too) and one file per month from the cutoff on
(`YYYY-MM.parquet`). When the table is written whole, the cutoff leaves its newest
REFRESH_MONTHS months (up to the current month) as files of their own, so the daily refresh's
months fall after it. The next export rewrites only the logged months when they all fall on or after the
cutoff and hard-links the other files from the previous export. Anything else rewrites the
table whole: a whole-table rebuild, a month before the cutoff, a changed schema or month
column, no previous export, a kept file whose size differs from what was written, or a
star whose rows per file (counted on the month column alone) differ from the export's.
Other tables are one file each, `<schema>/<table>.parquet`, rewritten every time.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from ingestion.durable import sync_and_uncache
from ingestion.months import REFRESH_MONTHS, add_months, next_month

log = logging.getLogger(__name__)

CHANGES_TABLE = "publish.changed_windows"
MONTH_COLUMNS_TABLE = "publish.month_columns"
MANIFEST = "_manifest.json"
LAYOUT = 2


@dataclass(frozen=True)
class ChangedWindow:
    """Months of the table's month column (publish.month_columns) that dbt rebuilt."""

    min_date: date | None  # None: the table was rebuilt whole
    max_date: date | None


@dataclass
class Changes:
    """What dbt logged in the star: the pending windows, and each folder table's column."""

    windows: dict[str, list[ChangedWindow]]
    month_columns: dict[str, str]


def read_changes(con: duckdb.DuckDBPyConnection) -> Changes:
    """What dbt logged since the last export, by `schema.table` (nothing before the first log)."""
    tables = {
        name
        for (name,) in con.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
            " where table_catalog = current_database() and table_schema = 'publish'"
        ).fetchall()
    }
    changes = Changes(windows={}, month_columns={})
    if CHANGES_TABLE in tables:
        rows = con.execute(
            f"select table_schema || '.' || table_name, min_date, max_date from {CHANGES_TABLE}"
        ).fetchall()
        for name, min_date, max_date in rows:
            changes.windows.setdefault(name, []).append(ChangedWindow(min_date, max_date))
    if MONTH_COLUMNS_TABLE in tables:
        rows = con.execute(
            f"select table_schema || '.' || table_name, month_column from {MONTH_COLUMNS_TABLE}"
        ).fetchall()
        changes.month_columns = dict(rows)
    return changes


def forget_changes(con: duckdb.DuckDBPyConnection, changes: Changes) -> None:
    """After the export they describe is in place: the next one starts from it."""
    if changes.windows:
        con.execute(f"delete from {CHANGES_TABLE}")


def export(
    con: duckdb.DuckDBPyConnection,
    served: list[tuple[str, str]],
    staging: Path,
    previous: Path,
    changes: Changes,
) -> dict[str, str]:
    """Write the export of `served` to `staging`, reusing `previous` where nothing changed.

    Returns what was written for each table: "whole", or "k of n files" for a folder.
    """
    staging.mkdir(parents=True)
    before = _read_manifest(previous)
    manifest: dict[str, dict] = {}
    written: dict[str, str] = {}
    for schema, table in served:
        name = f"{schema}.{table}"
        (staging / schema).mkdir(exist_ok=True)
        column = changes.month_columns.get(name) or before.get(name, {}).get("month_column")
        folder = _Folder(con, schema, table, column, staging / schema / table) if column else None
        if folder is None or column not in (column_name for column_name, _ in folder.columns):
            _copy(con, f'"{schema}"."{table}"', staging / schema / f"{table}.parquet")
            written[name] = "whole"
            continue
        entry, summary = folder.export(
            before.get(name), previous / schema / table, changes.windows.get(name, [])
        )
        manifest[name] = entry
        written[name] = summary
    (staging / MANIFEST).write_text(json.dumps({"layout": LAYOUT, "tables": manifest}, indent=1))
    sync_and_uncache(staging / MANIFEST)
    return written


def _read_manifest(previous: Path) -> dict[str, dict]:
    try:
        manifest = json.loads((previous / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(manifest, dict) or manifest.get("layout") != LAYOUT:
        return {}
    tables = manifest.get("tables")
    return tables if isinstance(tables, dict) else {}


class _Folder:
    """One table exported as a base file and month files on its month column.

    The manifest entry holds, per file, [rows, bytes] as written.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, schema: str, table: str, column: str, target: Path):
        self.con, self.column, self.target = con, column, target
        self.relation = f'"{schema}"."{table}"'
        self.name = f"{schema}.{table}"
        self.columns = [
            [column_name, column_type]
            for column_name, column_type, *_ in con.execute(f"describe {self.relation}").fetchall()
        ]

    def export(self, before: dict | None, previous: Path, logged: list[ChangedWindow]) -> tuple[dict, str]:
        self.target.mkdir()
        rows_by_month = self._rows_by_month()
        if before is not None and self._can_reuse(before, logged):
            cutoff = date.fromisoformat(before["cutoff"])
            months = self._changed_months(cutoff, logged, rows_by_month, before["files"])
            files = self._rewrite_months(before["files"], previous, months)
            if files is not None and _rows(files) == _expected_rows(rows_by_month, cutoff):
                entry = {**before, "files": files}
                return entry, f"{len(months)} of {len(files)} files"
            log.warning("%s: its Parquet files no longer matched the table; rewriting it whole", self.name)
            for path in self.target.iterdir():
                path.unlink()
        cutoff = _cutoff(rows_by_month)
        files = self._write_whole(cutoff, rows_by_month)
        entry = {
            "month_column": self.column,
            "cutoff": cutoff.isoformat(),
            "columns": self.columns,
            "files": files,
        }
        return entry, "whole"

    def _can_reuse(self, before: dict, logged: list[ChangedWindow]) -> bool:
        if before.get("month_column") != self.column or before.get("columns") != self.columns:
            return False
        cutoff = date.fromisoformat(before["cutoff"])
        return all(
            window.min_date is not None and window.max_date is not None and window.min_date >= cutoff
            for window in logged
        )

    def _changed_months(
        self, cutoff: date, logged: list[ChangedWindow], rows_by_month: dict[date | None, int], files: dict
    ) -> list[date]:
        """The months a logged window touches that have rows now or had a file before (a
        window open to 2100 names 900 months; only these can change)."""
        windows = [(w.min_date, w.max_date) for w in logged]  # _can_reuse refused open ones
        candidates = {month for month in rows_by_month if month is not None and month >= cutoff}
        candidates |= {
            date.fromisoformat(name[:7] + "-01") for name in files if not name.startswith("before-")
        }
        return sorted(
            month
            for month in candidates
            if any(start < next_month(month) and month < end for start, end in windows)
        )

    def _rewrite_months(self, kept: dict, previous: Path, months: list[date]) -> dict[str, list[int]] | None:
        """Link the unchanged files, write the changed months; None when a kept file is not
        the one written (its size differs) or is gone."""
        changed = {_month_file(month) for month in months}
        files: dict[str, list[int]] = {}
        for file_name, (rows, size) in kept.items():
            if file_name in changed:
                continue
            try:
                if (previous / file_name).stat().st_size != size:
                    return None
                os.link(previous / file_name, self.target / file_name)
            except OSError:
                return None
            files[file_name] = [rows, size]
        for month in months:
            self._write(_month_file(month), month, next_month(month), files)
        return files

    def _rows_by_month(self) -> dict[date | None, int]:
        """Rows per month as the star has them now, from the month column alone."""
        return dict(
            self.con.execute(
                f"select date_trunc('month', \"{self.column}\")::date, count(*)"
                f" from {self.relation} group by 1"
            ).fetchall()
        )

    def _write_whole(self, cutoff: date, rows_by_month: dict[date | None, int]) -> dict[str, list[int]]:
        files: dict[str, list[int]] = {}
        self._write(_base_file(cutoff), None, cutoff, files, keep_empty=True)
        for month in sorted(m for m in rows_by_month if m is not None and m >= cutoff):
            self._write(_month_file(month), month, next_month(month), files)
        return files

    def _write(
        self,
        file_name: str,
        start: date | None,
        end: date,
        files: dict[str, list[int]],
        keep_empty: bool = False,
    ) -> None:
        """Rows dated in [start, end) (start None: before end, or undated) to `file_name`."""
        column = f'"{self.column}"'
        where = f"{column} < ? or {column} is null" if start is None else f"{column} >= ? and {column} < ?"
        params = [end] if start is None else [start, end]
        path = self.target / file_name
        rows = _copy(self.con, f"(select * from {self.relation} where {where})", path, params)
        if rows or keep_empty:
            files[file_name] = [rows, path.stat().st_size]
        else:
            path.unlink()


def _expected_rows(rows_by_month: dict[date | None, int], cutoff: date) -> dict[str, int]:
    expected = {_base_file(cutoff): 0}
    for month, rows in rows_by_month.items():
        if month is None or month < cutoff:
            expected[_base_file(cutoff)] += rows
        else:
            expected[_month_file(month)] = rows
    return expected


def _rows(files: dict[str, list[int]]) -> dict[str, int]:
    return {file_name: rows for file_name, (rows, _) in files.items()}


def _cutoff(rows_by_month: dict[date | None, int]) -> date:
    dated = [month for month in rows_by_month if month is not None]
    current = date.today().replace(day=1)
    newest = min(max(dated), current) if dated else current
    return add_months(newest, 1 - REFRESH_MONTHS)


def _copy(con: duckdb.DuckDBPyConnection, relation: str, path: Path, params: list | None = None) -> int:
    """Write `relation` to `path`, on disk and out of the page cache (ingestion/durable.py)."""
    target = str(path).replace("'", "''")
    rows = con.execute(f"copy {relation} to '{target}' (format parquet)", params or []).fetchall()[0][0]
    sync_and_uncache(path)
    return rows


def _base_file(cutoff: date) -> str:
    return f"before-{cutoff:%Y-%m}.parquet"


def _month_file(month: date) -> str:
    return f"{month:%Y-%m}.parquet"
