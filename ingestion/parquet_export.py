"""The Parquet copy of the served tables, rewriting only the months that changed.

Rewriting every table was most of a monthly run's publish (~30 s of CPU at scale 10, for a
month's ~1 M changed rows among 90 M). dbt's windowed models log in star.duckdb which months
they rebuild (`publish.changed_windows`, written by the `delete_window` macro before it
deletes): such a table is exported as a folder, `<schema>/<table>/`, of one file with the
rows dated before a cutoff (`before-YYYY-MM.parquet`, undated rows too) and one file per
month from the cutoff on (`YYYY-MM.parquet`). The cutoff is TAIL_MONTHS before the newest
month when the table is written whole, so the daily refresh's months fall after it. The
next export rewrites only the logged months when they all fall on or after the cutoff and
hard-links the other files from the previous export. Anything else rewrites the table
whole: a whole-table rebuild, a month before the cutoff, a changed schema or month column,
no previous export, or a file whose row count no longer matches the star (checked for every
file kept, from the month column alone). Other tables are one file each,
`<schema>/<table>.parquet`, rewritten every time.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

log = logging.getLogger(__name__)

CHANGES_TABLE = "publish.changed_windows"
MANIFEST = "_manifest.json"
LAYOUT = 1
# The daily refresh reloads the last three months (orchestration/schedules.py).
TAIL_MONTHS = 3


@dataclass(frozen=True)
class ChangedWindow:
    month_column: str
    min_date: date | None  # None: the table was rebuilt whole
    max_date: date | None


def read_changes(con: duckdb.DuckDBPyConnection) -> dict[str, list[ChangedWindow]]:
    """What dbt logged since the last export, by `schema.table` (nothing before the first log)."""
    exists = con.execute(
        "select count(*) from information_schema.tables"
        " where table_catalog = current_database()"
        " and table_schema = 'publish' and table_name = 'changed_windows'"
    ).fetchall()[0][0]
    if not exists:
        return {}
    changes: dict[str, list[ChangedWindow]] = {}
    rows = con.execute(
        f"select table_schema || '.' || table_name, month_column, min_date, max_date from {CHANGES_TABLE}"
    ).fetchall()
    for name, column, min_date, max_date in rows:
        changes.setdefault(name, []).append(ChangedWindow(column, min_date, max_date))
    return changes


def forget_changes(con: duckdb.DuckDBPyConnection) -> None:
    """After the export they describe is in place: the next one starts from it."""
    if read_changes(con):
        con.execute(f"delete from {CHANGES_TABLE}")


def export(
    con: duckdb.DuckDBPyConnection,
    served: list[tuple[str, str]],
    staging: Path,
    previous: Path,
    changes: dict[str, list[ChangedWindow]],
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
        logged = changes.get(name, [])
        column = logged[0].month_column if logged else before.get(name, {}).get("month_column")
        folder = _Folder(con, schema, table, column, staging / schema / table) if column else None
        if folder is None or column not in (column_name for column_name, _ in folder.columns):
            _copy(con, f'"{schema}"."{table}"', staging / schema / f"{table}.parquet")
            written[name] = "whole"
            continue
        entry, summary = folder.export(before.get(name), previous / schema / table, logged)
        manifest[name] = entry
        written[name] = summary
    (staging / MANIFEST).write_text(json.dumps({"layout": LAYOUT, "tables": manifest}, indent=1))
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
    """One table exported as a base file and month files on its month column."""

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
        months = self._changed_months(before, logged)
        if months is not None:
            assert before is not None
            files = self._rewrite_months(before, previous, months)
            if files is not None:
                rewritten = sum(1 for month in months if _month_file(month) in files)
                entry = {**before, "files": files}
                return entry, f"{rewritten} of {len(files)} files"
            log.warning("%s: its Parquet files no longer matched the table; rewriting it whole", self.name)
            for path in self.target.iterdir():
                path.unlink()
        cutoff = self._cutoff()
        files = self._write_whole(cutoff)
        entry = {
            "month_column": self.column,
            "cutoff": cutoff.isoformat(),
            "columns": self.columns,
            "files": files,
        }
        return entry, "whole"

    def _changed_months(self, before: dict | None, logged: list[ChangedWindow]) -> list[date] | None:
        """The months to rewrite, or None when the table has to be written whole."""
        if (
            before is None
            or before.get("month_column") != self.column
            or before.get("columns") != self.columns
        ):
            return None
        cutoff = date.fromisoformat(before["cutoff"])
        months: set[date] = set()
        for window in logged:
            if window.month_column != self.column or window.min_date is None or window.max_date is None:
                return None
            if window.min_date < cutoff:
                return None
            month = window.min_date.replace(day=1)
            while month < window.max_date:
                months.add(month)
                month = _next_month(month)
        return sorted(months)

    def _rewrite_months(self, before: dict, previous: Path, months: list[date]) -> dict[str, int] | None:
        """Link the unchanged files, write the changed months; None when a kept file is stale."""
        changed = {_month_file(month) for month in months}
        files: dict[str, int] = {}
        for file_name, rows in before["files"].items():
            if file_name in changed:
                continue
            try:
                os.link(previous / file_name, self.target / file_name)
            except OSError:
                return None
            files[file_name] = rows
        for month in months:
            rows = self._write_month(month)
            if rows:
                files[_month_file(month)] = rows
        if self._counts(date.fromisoformat(before["cutoff"])) != files:
            return None
        return files

    def _cutoff(self) -> date:
        newest = self.con.execute(f'select max("{self.column}") from {self.relation}').fetchall()[0][0]
        return _add_months((newest or date.today()).replace(day=1), 1 - TAIL_MONTHS)

    def _write_whole(self, cutoff: date) -> dict[str, int]:
        base = _base_file(cutoff)
        files = {
            base: _copy(
                self.con,
                f'(select * from {self.relation} where "{self.column}" < ? or "{self.column}" is null)',
                self.target / base,
                [cutoff],
            )
        }
        newest = self.con.execute(f'select max("{self.column}") from {self.relation}').fetchall()[0][0]
        month = cutoff
        while newest is not None and month <= newest:
            rows = self._write_month(month)
            if rows:
                files[_month_file(month)] = rows
            month = _next_month(month)
        return files

    def _write_month(self, month: date) -> int:
        path = self.target / _month_file(month)
        rows = _copy(
            self.con,
            f'(select * from {self.relation} where "{self.column}" >= ? and "{self.column}" < ?)',
            path,
            [month, _next_month(month)],
        )
        if not rows:
            path.unlink()
        return rows

    def _counts(self, cutoff: date) -> dict[str, int]:
        """Rows per file as the star has them now, from the month column alone."""
        counted = self.con.execute(
            f'select case when "{self.column}" >= ? then strftime("{self.column}", \'%Y-%m\') end, count(*)'
            f" from {self.relation} group by 1",
            [cutoff],
        ).fetchall()
        counts = {(f"{month}.parquet" if month else _base_file(cutoff)): rows for month, rows in counted}
        counts.setdefault(_base_file(cutoff), 0)
        return counts


def _copy(con: duckdb.DuckDBPyConnection, relation: str, path: Path, params: list | None = None) -> int:
    target = str(path).replace("'", "''")
    return con.execute(f"copy {relation} to '{target}' (format parquet)", params or []).fetchall()[0][0]


def _base_file(cutoff: date) -> str:
    return f"before-{cutoff:%Y-%m}.parquet"


def _month_file(month: date) -> str:
    return f"{month:%Y-%m}.parquet"


def _next_month(month: date) -> date:
    return _add_months(month, 1)


def _add_months(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
