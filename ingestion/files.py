"""Landing-folder reader: every supported file -> a `Batch` of text columns with canonical names.

The contract's file-drop layout (../shared/contract/feeds.md): names start with the feed
name (`grants*.csv`, `legal_events*.xlsx`, ...) or name a reference file (`regions.csv`,
...), in CSV (UTF-8 with or without BOM, GBK/GB18030), XLSX, JSON (array or JSON Lines),
JSON Lines and Parquet. Headers may be English or Chinese, in any order; unknown columns are
kept per row in `_extra` (JSON) so nothing the sender gave us is lost.

Everything is read as text (`0420100` stays `0420100`, `420100` is not `420100.0`) because
typing is `ingestion.normalise`'s job, in SQL, the same way for every source; only Excel
date cells become ISO text here (openpyxl already decoded them).

Why the reader refuses instead of reading: a landing folder is written by other parties, so
symlinks and paths resolving outside it are refused (they could expose any file on the
machine), as are non-regular files (a FIFO would hang the run) and files over
`max_file_bytes`. A refused or unreadable file is reported in `LandingRead.refused` with a
reason naming it; it never aborts the other files, and never becomes a silent empty batch.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import stat
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd

from ingestion.archive import archive_bytes
from ingestion.batch import Batch
from ingestion.schema import FEEDS, REFERENCE, UNPARSED_COLUMN, normalise_header

SUPPORTED_EXTENSIONS = (".csv", ".xlsx", ".json", ".jsonl", ".ndjson", ".parquet")
DEFAULT_MAX_FILE_BYTES = 2_000_000_000

# Headers seen in CNIPA exports and bank/agency spreadsheets that schema.py does not list.
# Kept here so readers can learn new spellings without touching the shared contract module.
EXTRA_FEED_ALIASES: dict[str, dict[str, str]] = {
    "grants": {
        "申请(专利)号": "application_number",
        "公开(公告)号": "publication_number",
        "授权公告日期": "grant_date",
        "ipc主分类号": "ipc_main",
        "ipc分类号": "ipc_all",
        "第一专利权人": "patentee_name",
        "专利权人国别": "patentee_country",
        "专利权人地址代码": "patentee_region_code",
    },
    "legal_events": {"法律状态类型": "event_type", "法律状态日期": "event_date"},
    "transfers": {
        "让与人": "from_name",
        "许可人": "from_name",
        "受让人": "to_name",
        "被许可人": "to_name",
        "让与人地址": "from_address",
        "受让人地址": "to_address",
        "许可方": "from_name",
        "被许可方": "to_name",
        "许可种类": "license_type",
    },
    "pledges": {"质押金额(万元)": "amount_10k_cny", "质押登记日": "registration_date"},
    "pct": {"pct国际申请号": "pct_application_number", "ipc主分类号": "ipc_main"},
}
REFERENCE_ALIASES: dict[str, dict[str, str]] = {
    "regions": {
        "区划代码": "region_code",
        "行政区划代码": "region_code",
        "代码": "region_code",
        "名称": "name",
        "区划名称": "name",
        "级别": "level",
        "上级代码": "parent_code",
        "生效日期": "valid_from",
        "失效日期": "valid_to",
    },
    "population": {
        "区划代码": "region_code",
        "行政区划代码": "region_code",
        "年份": "year",
        "年度": "year",
        "常住人口": "resident_population",
    },
    "awards": {"申请号": "application_number", "专利号": "application_number", "年份": "year"},
    "entities": {"名称": "name", "是否中小企业": "is_sme", "是否高新技术企业": "is_high_tech"},
}


@dataclass(frozen=True)
class FileProblem:
    """A landing file that was not read, and why (names the file; shown to operators)."""

    file: str
    reason: str


@dataclass
class LandingRead:
    """Everything read from one landing folder."""

    feeds: dict[str, list[Batch]] = field(default_factory=dict)  # only feeds with files
    reference: dict[str, pd.DataFrame] = field(default_factory=dict)  # only files present
    refused: list[FileProblem] = field(default_factory=list)


class RefusedFile(Exception):
    """Raised for a file that must not or cannot be read; `reason` names the rule."""

    def __init__(self, file: str, reason: str) -> None:
        super().__init__(f"{file}: {reason}")
        self.file = file
        self.reason = reason


# ----------------------------------------------------------------------------- names


def _header_key(header: object) -> str:
    """NFKC (full-width brackets -> ASCII) then schema's normalisation (spaces, case, BOM)."""
    return normalise_header(unicodedata.normalize("NFKC", str(header)))


def _alias_map(target: str) -> dict[str, str]:
    if target in FEEDS:
        out = {_header_key(k): v for k, v in FEEDS[target].alias_map().items()}
        out.update({_header_key(k): v for k, v in EXTRA_FEED_ALIASES.get(target, {}).items()})
        return out
    out = {_header_key(name): name for name, _ in REFERENCE[target]}
    out.update({_header_key(k): v for k, v in REFERENCE_ALIASES.get(target, {}).items()})
    return out


def classify(filename: str) -> tuple[str, str] | None:
    """('feed'|'reference', name) for a landing file name, None when it names neither."""
    stem = filename.lower().split(".", 1)[0]
    for feed in FEEDS:
        if stem.startswith(feed):
            return "feed", feed
    for ref in REFERENCE:
        if stem.startswith(ref):
            return "reference", ref
    return None


# ----------------------------------------------------------------------------- cell text


def cell_text(value: Any) -> str:
    """Any cell value -> the text the sender meant (Excel dates ISO, 420100.0 -> 420100)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, list) and not any(isinstance(v, dict | list) for v in value):
        # a JSON array of scalars (ipc_all, application_numbers): the contract's `;` list,
        # as the HTTP source writes it
        return ";".join(text for text in map(cell_text, value) if text)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


# ----------------------------------------------------------------------------- readers
# Each reader returns (headers, rows as a DataFrame of text with positional columns,
# 1-based data-row numbers). Empty input returns no headers and no rows.

Table = tuple[list[str], pd.DataFrame, list[int]]

# A line that cannot be split into the header's fields (a CSV line with more fields than the
# header, a JSON Lines line that is not a JSON object) travels as a row under this header,
# its text as the value and every other cell empty: the loader quarantines it with the
# line, and the file's other rows load (one bad line used to refuse the whole file).
UNPARSED_HEADER = "\x00unparsed"


def _empty() -> Table:
    return [], pd.DataFrame(), []


def _read_csv(data: bytes) -> Table:
    last_error: Exception | None = None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            raw = pd.read_csv(
                io.BytesIO(data),
                header=None,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=True,
                encoding=encoding,
                encoding_errors="strict",
                quoting=csv.QUOTE_MINIMAL,
            )
            break
        except pd.errors.EmptyDataError:
            return _empty()
        except pd.errors.ParserError as exc:
            if "Expected" not in str(exc):  # not a wide line (an unclosed quote): refuse the file
                raise
            return _read_csv_line_by_line(_decode_text(data))
        except UnicodeDecodeError as exc:
            last_error = exc
    else:
        raise ValueError(f"not UTF-8 nor GB18030 text ({last_error})")
    if raw.empty:
        return _empty()
    headers = [str(h) for h in raw.iloc[0].tolist()]
    body = raw.iloc[1:].reset_index(drop=True).fillna("")
    body.columns = range(len(headers))
    return headers, body, list(range(1, len(body) + 1))


def _read_csv_line_by_line(text: str) -> Table:
    """The slow path, for a file with a line of more fields than its header: such lines
    become unparsed rows (their fields written back as one CSV line), the others read as
    pandas reads them (short lines padded, empty lines skipped). Strict: an unclosed quote
    refuses the file rather than swallowing the lines after it."""
    lines = [
        row
        for row in csv.reader(io.StringIO(text), strict=True)
        if row and not (len(row) == 1 and not row[0].strip())
    ]
    if not lines:
        return _empty()
    headers, rows = lines[0], lines[1:]
    width = len(headers)
    cells = [row + [""] * (width - len(row)) if len(row) <= width else [""] * width for row in rows]
    unparsed = [_csv_line(row) if len(row) > width else "" for row in rows]
    body = pd.DataFrame([[*c, u] for c, u in zip(cells, unparsed, strict=True)], dtype=object)
    return [*headers, UNPARSED_HEADER], body, list(range(1, len(rows) + 1))


def _csv_line(row: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(row)
    return out.getvalue()


def _decode_text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _records_table(records: Sequence[Any], rownums: list[int]) -> Table:
    headers: dict[str, None] = {}
    for rec in records:
        if not isinstance(rec, dict):
            raise ValueError("JSON records must be objects")
        headers.update(dict.fromkeys(str(k) for k in rec))
    names = list(headers)
    columns = {i: [cell_text(rec.get(name)) for rec in records] for i, name in enumerate(names)}
    return names, pd.DataFrame(columns, dtype=object), rownums


def _read_json(data: bytes, lines_only: bool) -> Table:
    text = _decode_text(data)
    stripped = text.strip()
    if not stripped:
        return _empty()
    if not lines_only and stripped.startswith("["):
        records = json.loads(stripped)
        if not isinstance(records, list):
            raise ValueError("JSON must be an array of objects or JSON Lines")
        return _records_table(records, list(range(1, len(records) + 1)))
    # "\n" only: str.splitlines() also splits on U+2028 and others, which JSON allows in strings
    lines = [line for line in text.split("\n") if line.strip()]
    records: list[Any] = []
    unparsed: list[str] = []
    for line in lines:
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            record = None
        good = isinstance(record, dict)
        records.append(record if good else {})
        unparsed.append("" if good else line)
    if lines and all(unparsed):  # not JSON Lines at all (one pretty-printed object, say)
        raise ValueError("JSON must be an array of objects or JSON Lines")
    headers, body, rownums = _records_table(records, list(range(1, len(records) + 1)))
    if any(unparsed):
        body[len(headers)] = unparsed
        headers = [*headers, UNPARSED_HEADER]
    return headers, body, rownums


def _read_parquet(data: bytes) -> Table:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(pa.BufferReader(data))
    columns: dict[int, list[str]] = {}
    for i, col in enumerate(table.columns):
        typ = col.type
        if pa.types.is_nested(typ) or pa.types.is_binary(typ):
            columns[i] = [cell_text(v) for v in col.to_pylist()]
            continue
        if pa.types.is_timestamp(typ) or pa.types.is_date64(typ):
            values = [cell_text(v) for v in col.to_pylist()]
        else:
            values = pc.fill_null(pc.cast(col, pa.string()), "").to_pylist()
        columns[i] = values
    headers = [str(n) for n in table.column_names]
    return headers, pd.DataFrame(columns, dtype=object), list(range(1, table.num_rows + 1))


def _merged_values(ws: Any) -> dict[tuple[int, int], Any]:
    """(row, col) -> value of the merged range covering that cell (top-left's value)."""
    out: dict[tuple[int, int], Any] = {}
    for rng in ws.merged_cells.ranges:
        value = ws.cell(rng.min_row, rng.min_col).value
        for r in range(rng.min_row, rng.max_row + 1):
            for c in range(rng.min_col, rng.max_col + 1):
                out[(r, c)] = value
    return out


def _read_xlsx(data: bytes) -> Table:
    """First sheet; merged cells forward-filled; a merged header block may span rows."""
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=False, data_only=True)
    try:
        ws = wb.worksheets[0]
        merged = _merged_values(ws)
        width = ws.max_column or 0
        rows = list(ws.iter_rows(values_only=True))
    finally:
        wb.close()

    def value(r: int, c: int) -> Any:  # 1-based
        if (r, c) in merged:
            return merged[(r, c)]
        row = rows[r - 1]
        return row[c - 1] if c - 1 < len(row) else None

    def filled(r: int) -> list[str]:
        return [cell_text(value(r, c)).strip() for c in range(1, width + 1)]

    # Skip blank rows and a title row (one value merged across the whole width) above the header.
    first = 1
    while first <= len(rows):
        raw_cells = [cell_text(v).strip() for v in rows[first - 1]]
        distinct = {v for v in filled(first) if v}
        if not distinct or (width > 1 and len(distinct) == 1 and sum(map(bool, raw_cells)) <= 1):
            first += 1
            continue
        break
    if first > len(rows):
        return _empty()
    # A merged range starting on the header row and spanning rows makes a multi-row header.
    last = first
    for rng in ws.merged_cells.ranges:
        if rng.min_row == first:
            last = max(last, rng.max_row)
    levels = [filled(r) for r in range(first, last + 1)]
    headers: list[str] = []
    for c in range(width):
        parts: list[str] = []
        for level in levels:
            if level[c] and (not parts or parts[-1] != level[c]):
                parts.append(level[c])
        headers.append("\x1f".join(parts))  # joined later: whole, then last, then first part
    data: dict[int, list[str]] = {c: [] for c in range(width)}
    rownums: list[int] = []
    for r in range(last + 1, len(rows) + 1):
        cells = [cell_text(value(r, c)) for c in range(1, width + 1)]
        if not any(v.strip() for v in cells):
            continue
        for c, v in enumerate(cells):
            data[c].append(v)
        rownums.append(r - last)
    return headers, pd.DataFrame(data, dtype=object), rownums


def _read_table(path: Path, data: bytes) -> Table:
    """Parse the bytes read once from `path` (its name only tells the format)."""
    ext = path.suffix.lower()
    if not data:
        return _empty()
    if ext == ".csv":
        return _read_csv(data)
    if ext == ".xlsx":
        return _read_xlsx(data)
    if ext == ".json":
        return _read_json(data, lines_only=False)
    if ext in (".jsonl", ".ndjson"):
        return _read_json(data, lines_only=True)
    if ext == ".parquet":
        return _read_parquet(data)
    raise ValueError(f"unsupported extension {ext!r}")


# ----------------------------------------------------------------------------- canonical


def _header_candidates(header: str) -> list[str]:
    parts = [p for p in header.split("\x1f") if p]
    cands = ["".join(parts)]
    if len(parts) > 1:
        cands += [parts[-1], parts[0]]
    return cands


def canonical_frame(
    target: str, headers: list[str], body: pd.DataFrame, rownums: list[int], keep_extra: bool
) -> pd.DataFrame:
    """Rename to canonical columns; the rest into `_extra` (JSON per row) when keep_extra.

    When several headers name the same column (`申请号` and `专利号`, or JSON records that
    spell a key differently), the first non-empty value per row wins; a differing non-empty
    value of a later one is kept in `_extra`, so nothing the sender gave is lost."""
    aliases = _alias_map(target)
    canonical: dict[str, list[int]] = {}
    extra: dict[str, int] = {}
    unparsed_at = headers.index(UNPARSED_HEADER) if UNPARSED_HEADER in headers else None
    for i, header in enumerate(headers):
        if i == unparsed_at:
            continue
        keys = map(_header_key, _header_candidates(header))
        name = next((aliases[k] for k in keys if k in aliases), None)
        display = "".join(header.split("\x1f")).strip() or f"column_{i + 1}"
        if name is not None:
            canonical.setdefault(name, []).append(i)
        elif display.startswith("column_") and not body[i].astype(str).str.strip().any():
            continue  # an unnamed, empty trailing column (spreadsheet residue)
        else:
            while display in extra:
                display += "_"
            extra[display] = i
    columns: dict[str, list[str]] = {}
    extras: list[dict[str, str]] = [{} for _ in rownums]
    for name, idx in canonical.items():
        values = body[idx[0]].astype(str).tolist()
        for j in idx[1:]:
            shown = "".join(headers[j].split("\x1f")).strip()
            for r, other in enumerate(body[j].astype(str).tolist()):
                if not values[r].strip():
                    values[r] = other
                elif other.strip() and other != values[r]:
                    extras[r][shown] = other
        columns[name] = values
    out = pd.DataFrame(columns, index=range(len(rownums)), dtype=object)
    if not keep_extra:
        # Reference data has no quarantine: a line that cannot be read refuses the file.
        if unparsed_at is not None:
            bad = next((r for r, v in zip(rownums, body[unparsed_at].astype(str), strict=True) if v), None)
            if bad is not None:
                raise ValueError(f"row {bad} cannot be split into the header's fields")
        return out
    out["_row"] = pd.Series(rownums, dtype="int64")
    names = list(extra)
    cols = [body[i].astype(str).tolist() for i in extra.values()]
    for r in range(len(rownums)):
        extras[r].update((n, c[r]) for n, c in zip(names, cols, strict=True))
    out["_extra"] = pd.Series(
        [json.dumps(e, ensure_ascii=False) if e else None for e in extras], dtype=object
    )
    if unparsed_at is not None:
        out[UNPARSED_COLUMN] = pd.Series([v or None for v in body[unparsed_at].astype(str)], dtype=object)
    return out


# ----------------------------------------------------------------------------- safety


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def check_landing_path(root: Path, path: Path, max_file_bytes: int) -> None:
    """Raise RefusedFile unless `path` is a regular, non-symlinked file inside `root`."""
    rel = path.relative_to(root) if path.is_absolute() else path
    shown = PurePosixPath(*Path(rel).parts).as_posix()
    if path.is_absolute() and not path.is_relative_to(root):
        raise RefusedFile(shown, "path is outside the landing folder")
    if ".." in Path(rel).parts:
        raise RefusedFile(shown, "path escapes the landing folder ('..')")
    current = root
    for part in Path(rel).parts:
        current = current / part
        try:
            st = os.lstat(current)
        except FileNotFoundError as exc:
            raise RefusedFile(shown, "file not found") from exc
        if stat.S_ISLNK(st.st_mode):
            raise RefusedFile(shown, "symbolic link refused (landing files must be regular files)")
    if not current.resolve().is_relative_to(root):
        raise RefusedFile(shown, "path resolves outside the landing folder")
    st = os.lstat(current)
    if not stat.S_ISREG(st.st_mode):
        raise RefusedFile(shown, "not a regular file")
    if st.st_size > max_file_bytes:
        raise RefusedFile(shown, f"file is {st.st_size} bytes, over the limit of {max_file_bytes} bytes")


def read_landing_file(
    landing_dir: Path,
    relpath: str | Path,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    archive_dir: Path | None = None,
) -> tuple[str, str, Batch | pd.DataFrame]:
    """Read one landing file given relative to `landing_dir`: ('feed'|'reference', name, data).

    Raises RefusedFile (unsafe, oversize, unknown name, unsupported or unreadable)."""
    root = Path(landing_dir).resolve(strict=True)
    rel = Path(relpath)
    shown = PurePosixPath(*rel.parts).as_posix()
    if rel.is_absolute():
        raise RefusedFile(shown, "absolute path refused (give it relative to the landing folder)")
    check_landing_path(root, rel, max_file_bytes)
    path = root / rel
    kind = classify(path.name)
    if kind is None:
        raise RefusedFile(shown, "name starts with no feed or reference name")
    if path.suffix.lower() not in SUPPORTED_EXTENSIONS:
        raise RefusedFile(shown, f"unsupported extension (use {', '.join(SUPPORTED_EXTENSIONS)})")
    # Read the bytes once, without following a link swapped in after the checks: the rows,
    # their hash and the archived copy all come from these bytes, even if the sender
    # replaces the file meanwhile.
    data = _read_bytes_once(path, shown, max_file_bytes)
    try:
        headers, body, rownums = _read_table(path, data)
    except Exception as exc:  # a broken file is reported, not fatal to the others
        raise RefusedFile(shown, f"unreadable {path.suffix.lower()} file: {exc}") from exc
    what, name = kind
    if what == "reference":
        try:
            return what, name, canonical_frame(name, headers, body, rownums, keep_extra=False)
        except ValueError as exc:
            raise RefusedFile(shown, f"unreadable {path.suffix.lower()} file: {exc}") from exc
    frame = canonical_frame(name, headers, body, rownums, keep_extra=True)
    # `_source` too, so the frame is a complete landed relation for `loader.load_feed`.
    frame.insert(len(frame.columns), "_source", pd.Series([shown] * len(frame), dtype=object))
    digest = hashlib.sha256(data).hexdigest()
    if archive_dir is not None:
        archive_bytes(data, path.suffix, archive_dir)
    return what, name, Batch(feed=name, source=shown, ingest_hash=digest, frame=frame)


def _read_bytes_once(path: Path, shown: str, max_file_bytes: int) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        raise RefusedFile(shown, f"cannot open without following links: {exc.strerror}") from exc
    with os.fdopen(fd, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > max_file_bytes:
            raise RefusedFile(shown, f"file is {size} bytes, over the limit of {max_file_bytes} bytes")
        data = handle.read(max_file_bytes + 1)
    if len(data) > max_file_bytes:
        raise RefusedFile(shown, f"file grew over the limit of {max_file_bytes} bytes while read")
    return data


def _walk(root: Path) -> Iterable[tuple[Path, str | None]]:
    """(relative path, refusal or None) per non-hidden entry, sorted; links never followed."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        keep = []
        for d in sorted(dirnames):
            if d.startswith("."):
                continue
            if (here / d).is_symlink():
                yield (
                    (here / d).relative_to(root),
                    "symbolic link refused (landing files must be regular files)",
                )
            else:
                keep.append(d)
        dirnames[:] = keep
        for f in sorted(filenames):
            if f.startswith(".") or f.startswith("~$"):
                continue  # hidden files and Excel lock files
            yield (here / f).relative_to(root), None


def read_landing(
    landing_dir: Path,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    archive_dir: Path | None = None,
    only: str | None = None,
) -> LandingRead:
    """Read every file in the landing folder (recursively; hidden entries skipped).

    With `archive_dir`, each feed file's bytes, as read, are archived by content hash.
    `only` ('feed' or 'reference') skips the other kind unread: the feed and reference
    steps each read just their own files."""
    root = Path(landing_dir).resolve(strict=True)
    out = LandingRead()
    refs: dict[str, list[pd.DataFrame]] = {}
    for rel, refusal in _walk(root):
        shown = PurePosixPath(*rel.parts).as_posix()
        kind = classify(rel.name)
        if only is not None and kind is not None and kind[0] != only:
            continue
        if refusal:
            out.refused.append(FileProblem(shown, refusal))
            continue
        try:
            what, name, data = read_landing_file(root, rel, max_file_bytes, archive_dir)
        except RefusedFile as exc:
            out.refused.append(FileProblem(exc.file, exc.reason))
            continue
        if what == "feed":
            assert isinstance(data, Batch)
            out.feeds.setdefault(name, []).append(data)
        else:
            assert isinstance(data, pd.DataFrame)
            refs.setdefault(name, []).append(data)
    for name, frames in refs.items():
        out.reference[name] = (
            pd.concat(frames, ignore_index=True).fillna("").astype(str) if len(frames) > 1 else frames[0]
        )
    return out
