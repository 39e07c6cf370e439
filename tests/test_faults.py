"""The platform's promises under faults, on real files, real DuckDB files and real processes.

Every test checks the one promise that matters most: no row is lost or duplicated. Behaviour
already proven elsewhere is not repeated here (see docs/reliability.md for the full table):
test_files.py (oversize and symlink/`..` refusal in the reader), test_normalise.py (each
contract rule on its own), test_http_source.py / test_api_server.py (HTTP faults).
"""

from __future__ import annotations

import ctypes
import hashlib
import mmap
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import jinja2
import pytest

from ingestion import files
from ingestion.pipeline import ORPHAN_REASON, ingest_files
from ingestion.publish import publish

ROOT = Path(__file__).resolve().parent.parent
DBT_DIR = ROOT / "dbt_project"
BIG = 10**9  # max_file_bytes that never refuses
WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
GRANT_HEADER = "application_number,patent_type,title,filing_date,grant_date,patentee_region_code\n"


# ----------------------------------------------------------------------------- helpers


def appno(i: int, year: int = 2017, wrong_check: bool = False) -> str:
    """A post-2003 application number with its check character (or a wrong one)."""
    digits = f"{year}1{i:07d}"
    check = sum(int(d) * w for d, w in zip(digits, WEIGHTS, strict=True)) % 11
    if wrong_check:
        check = (check + 1) % 11
    return f"{digits}.{'X' if check == 10 else check}"


def grants_csv(path: Path, ids: range | list[int], tag: str = "v1") -> None:
    lines = [f"{appno(i)},invention,title {i} {tag},2017-08-01,2019-03-05,420100\n" for i in ids]
    path.write_text(GRANT_HEADER + "".join(lines), encoding="utf-8")


def events_csv(path: Path, ids: range | list[int]) -> None:
    lines = [f"{appno(i)},2020-01-0{1 + i % 9},lapse_nonpayment\n" for i in ids]
    path.write_text("application_number,event_date,event_type\n" + "".join(lines), encoding="utf-8")


def batch_hash(source: str, data: bytes) -> str:
    """The `_ingest_hash` ingest_files stamps on a file's rows: its path and content."""
    return hashlib.sha256(f"{source}\0{hashlib.sha256(data).hexdigest()}".encode()).hexdigest()


def count(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> int:
    return con.execute(sql, params or []).fetchall()[0][0]


def fingerprint(db: Path) -> dict[str, tuple]:
    """Per raw table: the batches it holds and their row counts (orphan listing left out:
    it is derived, recomputed after every load)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for table in ("grants", "grants_quarantine", "legal_events", "legal_events_quarantine"):
            where = " where reason is distinct from ?" if table.endswith("quarantine") else ""
            out[table] = tuple(
                con.execute(
                    f"select _ingest_hash, count(*), count(distinct _row) from raw.{table}{where}"
                    " group by 1 order by 1",
                    [ORPHAN_REASON] if where else [],
                ).fetchall()
            )
        for ref in ("regions", "population"):
            out[ref] = (count(con, f"select count(*) from raw.{ref}"),)
        return out
    finally:
        con.close()


def staging_sql(model: str) -> str:
    """A dbt staging model rendered with the project's macros (source() -> raw.<table>, ref() of
    another staging model -> that model's SQL as a subquery)."""
    macros = "".join(p.read_text(encoding="utf-8") for p in sorted((DBT_DIR / "macros").glob("*.sql")))
    text = (DBT_DIR / "models" / "staging" / f"{model}.sql").read_text(encoding="utf-8")
    return (
        jinja2.Environment()
        .from_string(macros + text)
        .render(source=lambda s, t: f"{s}.{t}", ref=lambda m: f"({staging_sql(m)})", config=lambda **_: "")
    )


def python(code: str, *args: str, **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


@pytest.fixture()
def landing(tmp_path: Path) -> Path:
    d = tmp_path / "landing"
    d.mkdir()
    return d


# ----------------------------------------------------------------------------- files


def test_file_replaced_while_being_read_keeps_both_versions(
    tmp_path: Path, landing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = landing / "grants.csv"
    grants_csv(target, range(50), "v1")
    v1 = target.read_bytes()
    grants_csv(tmp_path / "v2.csv", range(50), "v2")
    v2 = (tmp_path / "v2.csv").read_bytes()
    real = files._read_table

    def read_then_replace(path: Path, data: bytes):
        out = real(path, data)
        if path.name == "grants.csv" and target.read_bytes() == v1:
            os.replace(tmp_path / "v2.csv", target)  # the sender's atomic rename lands now
        return out

    monkeypatch.setattr(files, "_read_table", read_then_replace)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ingest_files(con, landing, BIG, archive_dir=tmp_path / "archive")
    monkeypatch.undo()
    # The rows read are version 1's: they must carry version 1's identity...
    assert con.execute("select distinct _ingest_hash from raw.grants").fetchall() == [
        (batch_hash("grants.csv", v1),)
    ]
    # ...and a later load of version 2 adds it, keeping version 1 in the raw history.
    ingest_files(con, landing, BIG, archive_dir=tmp_path / "archive")
    assert count(con, "select count(*) from raw.grants") == 100
    archived = {p.read_bytes() for p in (tmp_path / "archive").rglob("*.csv")}
    assert archived == {v1, v2}


def test_file_grown_over_the_limit_is_refused_and_its_rows_stay(tmp_path: Path, landing: Path) -> None:
    grants_csv(landing / "grants.csv", range(10))
    grants_csv(landing / "grants_other.csv", range(100, 105))
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ingest_files(con, landing, max_file_bytes=2_000)
    assert count(con, "select count(*) from raw.grants") == 15
    grants_csv(landing / "grants.csv", range(200), "v2")  # over 2 000 bytes now
    report = ingest_files(con, landing, max_file_bytes=2_000)
    (refusal,) = report.refused_files
    assert refusal[0] == "grants.csv"
    assert "over the limit of 2000 bytes" in refusal[1]
    # The refused version loaded nothing; the version loaded before is kept, not deleted.
    assert con.execute("select _source, count(*) from raw.grants group by 1 order by 1").fetchall() == [
        ("grants.csv", 10),
        ("grants_other.csv", 5),
    ]


# ----------------------------------------------------------------------------- data


def test_every_bad_row_lands_once_with_its_reason(tmp_path: Path, landing: Path) -> None:
    good = f"{appno(1)},invention,ok,2017-08-01,2019-03-05,420100"
    grants = [
        good,  # 1 kept
        f"{appno(2)},invention,old,1899-12-31,2019-03-05,420100",  # 2 date out of range
        f"{appno(3)},invention,future,2017-08-01,2101-01-01,420100",  # 3 date out of range
        f"{appno(4)},invention,early,2019-03-05,2017-08-01,420100",  # 4 grant before filing
        f"{appno(5, wrong_check=True)},invention,check,2017-08-01,2019-03-05,420100",  # 5
        f"{appno(6)},invention,unknown code,2017-08-01,2019-03-05,999999",  # 6 kept, as given
        f"{appno(7)},invention,nowhere,2017-08-01,2019-03-05,",  # 7 kept, unresolved
        f"{appno(8)},invention,feb30,2017-02-30,2019-03-05,420100",  # 8 impossible date
    ]
    (landing / "grants.csv").write_text(
        GRANT_HEADER.replace("\n", ",patentee_address\n")
        + "\n".join(g + (",火星市奥林匹斯山大道1号" if i == 6 else ",") for i, g in enumerate(grants))
        + "\n",
        encoding="utf-8",
    )
    amounts = ["-5", "0", "1e30", "NaN", "abc", "99999999999999", "12.5"]
    (landing / "pledges.csv").write_text(
        "pledge_id,registration_date,pledgor_name,pledgor_region_code,amount_10k_cny,application_numbers\n"
        + "".join(f"P{i},2021-03-01,某公司,420100,{a},{appno(1)}\n" for i, a in enumerate(amounts, 1)),
        encoding="utf-8",
    )
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    report = ingest_files(con, landing, BIG)
    assert (report.feeds["grants"].rows_read, report.feeds["pledges"].rows_read) == (8, 7)

    def outcome(feed: str) -> dict[int, str]:
        rows = con.execute(f"select _row, 'kept' from raw.{feed}").fetchall()
        rows += con.execute(f"select _row, field || ': ' || reason from raw.{feed}_quarantine").fetchall()
        rows_seen = [r for r, _ in rows]
        assert sorted(rows_seen) == sorted(set(rows_seen)), f"{feed}: a row landed twice"
        return dict(rows)

    g = outcome("grants")
    assert sorted(g) == list(range(1, 9))  # every row somewhere, exactly once
    assert g[1] == g[6] == g[7] == "kept"
    assert g[2].startswith("filing_date: date outside 1900")
    assert g[3].startswith("grant_date: date outside")
    assert g[4] == "grant_date: grant_date before filing_date"
    assert g[5] == "application_number: application number check character mismatch"
    assert g[8].startswith("filing_date: unparseable date")
    unknown = con.execute(
        "select patentee_region_code, patentee_region_match from raw.grants"
        " where _row in (6, 7) order by _row"
    ).fetchall()
    assert unknown == [("999999", "code"), (None, "none")]  # kept; dbt maps them to region -1

    p = outcome("pledges")
    assert sorted(p) == list(range(1, 8))
    assert p[1] == p[2] == "amount_10k_cny: amount_10k_cny must be > 0"
    assert p[3] == p[4] == p[5] == "amount_10k_cny: unparseable number"  # overflow, NaN, text
    assert p[6] == p[7] == "kept"  # the contract rejects only <= 0: 99999999999999 万元 is kept
    assert con.execute("select amount_10k_cny::varchar from raw.pledges order by _row").fetchall() == [
        ("99999999999999.0000",),
        ("12.5000",),
    ]
    snapshot = con.execute(
        "select (select count(*) from raw.grants), (select count(*) from raw.grants_quarantine),"
        " (select count(*) from raw.pledges), (select count(*) from raw.pledges_quarantine)"
    ).fetchall()
    ingest_files(con, landing, BIG)  # the same files again: nothing doubles
    assert (
        con.execute(
            "select (select count(*) from raw.grants), (select count(*) from raw.grants_quarantine),"
            " (select count(*) from raw.pledges), (select count(*) from raw.pledges_quarantine)"
        ).fetchall()
        == snapshot
        == [(3, 5, 2, 5)]
    )


def test_duplicate_keys_newer_wins_in_staging_older_kept_in_raw(tmp_path: Path, landing: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    grants_csv(landing / "grants.csv", range(5), "v1")
    ingest_files(con, landing, BIG)
    # A corrected delivery: same keys, new titles, and key 0 twice in the file (last row wins).
    grants_csv(landing / "grants.csv", [0, 1, 2, 3, 4, 0], "v2")
    text = (landing / "grants.csv").read_text(encoding="utf-8").replace("title 0 v2,", "title 0 v2-first,", 1)
    (landing / "grants.csv").write_text(text, encoding="utf-8")
    ingest_files(con, landing, BIG)
    assert count(con, "select count(*) from raw.grants") == 11  # 5 + 6: raw keeps history
    assert con.execute(
        "select title from raw.grants where application_number = ? order by _loaded_at, _row", [appno(0)]
    ).fetchall() == [("title 0 v1",), ("title 0 v2-first",), ("title 0 v2",)]
    staged = con.execute(
        f"select application_number, title from ({staging_sql('stg_raw__grants')}) order by 1"
    ).fetchall()
    assert staged == [(appno(i), f"title {i} v2") for i in range(5)]  # one row per key, newest
    # A reload of the newest version changes nothing.
    ingest_files(con, landing, BIG)
    assert count(con, "select count(*) from raw.grants") == 11


def test_a_key_in_two_files_of_one_load_keeps_the_file_last_in_path_order(
    tmp_path: Path, landing: Path
) -> None:
    """One load stamps every row with one `_loaded_at`: the file names order the versions.
    The later file is given the smaller batch hash, so ordering by hash would fail this."""

    def batch_hash(path: Path) -> str:
        content = hashlib.sha256(path.read_bytes()).hexdigest()
        return hashlib.sha256(f"{path.name}\0{content}".encode()).hexdigest()

    january, february = landing / "grants_2024-01.csv", landing / "grants_2024-02.csv"
    grants_csv(january, [0, 2], "january")
    for attempt in range(64):
        grants_csv(february, [0, 1], f"february {attempt}")
        if batch_hash(february) < batch_hash(january):
            break
    assert batch_hash(february) < batch_hash(january), "no variant reverses the hash order"
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ingest_files(con, landing, BIG)
    staged = con.execute(
        f"select application_number, title from ({staging_sql('stg_raw__grants')}) order by 1"
    ).fetchall()
    assert staged == [
        (appno(0), f"title 0 february {attempt}"),
        (appno(1), f"title 1 february {attempt}"),
        (appno(2), "title 2 january"),
    ]


def test_orphan_events_listed_then_adopted_by_a_later_grant(tmp_path: Path, landing: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    grants_csv(landing / "grants.csv", [1])
    events_csv(landing / "legal_events.csv", [1, 100, 101])
    for _ in range(2):  # the listing is recomputed, never appended
        report = ingest_files(con, landing, BIG)
        assert report.orphans == {"legal_events": 2}
    assert count(con, "select count(*) from raw.legal_events") == 3  # orphans stay in raw
    listed = con.execute(
        "select json_extract_string(record, '$.application_number'), reason"
        " from raw.legal_events_quarantine order by 1"
    ).fetchall()
    assert [a for a, _ in listed] == [appno(100), appno(101)]
    assert all(reason.startswith("orphan:") for _, reason in listed)
    grants_csv(landing / "grants_late.csv", [100])  # the grant arrives later
    report = ingest_files(con, landing, BIG)
    assert report.orphans == {"legal_events": 1}
    assert con.execute(
        "select json_extract_string(record, '$.application_number') from raw.legal_events_quarantine"
    ).fetchall() == [(appno(101),)]
    assert count(con, "select count(*) from raw.legal_events") == 3


def test_same_files_loaded_twice_are_identical(tmp_path: Path, landing: Path) -> None:
    grants_csv(landing / "grants.csv", range(20))
    grants_csv(landing / "grants_copy.csv", range(20))  # same bytes, another name: another batch
    events_csv(landing / "legal_events.csv", range(0, 20, 2))
    db = tmp_path / "w.duckdb"
    for _ in range(3):
        con = duckdb.connect(str(db))
        ingest_files(con, landing, BIG)
        con.close()
        state = fingerprint(db)
        assert [n for _, n, _ in state["grants"]] == [20, 20]
        assert [n for _, n, _ in state["legal_events"]] == [10]
        assert all(n == distinct for t in ("grants", "legal_events") for _, n, distinct in state[t])


# ----------------------------------------------------------------------------- process

LOAD_SCRIPT = """
import sys
from pathlib import Path
import duckdb
from ingestion.pipeline import ingest_files
db, landing, archive = sys.argv[1:4]
con = duckdb.connect(db)
print("ready", flush=True)
ingest_files(con, Path(landing), 10**9, archive_dir=Path(archive))
con.close()
print("done", flush=True)
"""


def _load_in_subprocess(db: Path, landing: Path, archive: Path) -> float:
    """Run a complete load in another process; return its duration from "ready" to exit."""
    proc = python(LOAD_SCRIPT, str(db), str(landing), str(archive))
    assert proc.stdout.readline().strip() == "ready"
    started = time.monotonic()
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0 and "done" in out, err[-3000:]
    return time.monotonic() - started


def test_load_killed_at_random_points_leaves_the_previous_or_the_complete_state(
    tmp_path: Path, landing: Path
) -> None:
    archive = tmp_path / "archive"
    grants_csv(landing / "grants_a.csv", range(20_000))
    events_csv(landing / "legal_events_a.csv", range(0, 20_000, 4))
    db = tmp_path / "w.duckdb"
    _load_in_subprocess(db, landing, archive)
    before = fingerprint(db)
    # The next delivery: a new grants file, a corrected events file.
    grants_csv(landing / "grants_b.csv", range(20_000, 40_000))
    events_csv(landing / "legal_events_a.csv", range(1, 40_000, 4))
    reference = tmp_path / "reference.duckdb"
    shutil.copy(db, reference)
    duration = _load_in_subprocess(reference, landing, tmp_path / "archive_ref")
    complete = fingerprint(reference)
    assert complete != before

    rng = random.Random(20240607)
    delays: list[float] = []
    seen: set[tuple[str, ...]] = set()
    for attempt in range(6):
        proc = python(LOAD_SCRIPT, str(db), str(landing), str(archive))
        assert proc.stdout.readline().strip() == "ready"
        # Anywhere in the load: before, between and during the per-feed transactions.
        delay = rng.uniform(0.0, duration * 1.1) if attempt else duration * 0.5
        delays.append(round(delay, 2))
        time.sleep(delay)
        proc.kill()  # SIGKILL: no cleanup code runs
        proc.communicate(timeout=60)
        state = fingerprint(db)  # opening replays the WAL; it must not fail
        for table, value in state.items():
            assert value in (before[table], complete[table]), (
                f"{table} partial after SIGKILL at {delays[-1]} s (delays {delays})"
            )
        seen.add(tuple("before" if state[t] == before[t] else "complete" for t in ("grants", "legal_events")))
    _load_in_subprocess(db, landing, archive)  # a rerun completes
    assert fingerprint(db) == complete, f"delays {delays}, states seen {seen}"
    print(f"SIGKILL after {delays} s of a {duration:.1f} s load; (grants, legal_events) states seen: {seen}")
    con = duckdb.connect(str(db), read_only=True)
    assert count(con, "select count(*) from raw.legal_events_quarantine") == 0
    con.close()
    # The archive never holds a truncated file under a content hash.
    for path in archive.rglob("*.csv"):
        assert hashlib.sha256(path.read_bytes()).hexdigest() == path.stem, path


TWO_WRITERS_SCRIPT = """
import sys
from pathlib import Path
from ingestion.pipeline import ingest_files
from orchestration.resources import WarehouseResource
warehouse, landing, wait = sys.argv[1:4]
con = WarehouseResource(warehouse_dir=warehouse).connect()
print("connected", flush=True)
if wait == "wait":
    sys.stdin.readline()
ingest_files(con, Path(landing), 10**9)
con.close()
print("done", flush=True)
"""


def test_two_loads_at_once_second_fails_cleanly(tmp_path: Path, landing: Path) -> None:
    grants_csv(landing / "grants.csv", range(2_000))
    events_csv(landing / "legal_events.csv", range(0, 2_000, 3))
    warehouse = tmp_path / "warehouse"
    first = python(TWO_WRITERS_SCRIPT, str(warehouse), str(landing), "wait")
    assert first.stdout.readline().strip() == "connected"
    second = python(TWO_WRITERS_SCRIPT, str(warehouse), str(landing), "go")
    out, err = second.communicate(timeout=120)
    # DuckDB allows one writer: the second load does not wait, it fails at once, naming the
    # file and the process holding it, before touching anything.
    assert second.returncode != 0 and "connected" not in out
    assert "Could not set lock on file" in err and "warehouse.duckdb" in err
    assert f"PID {first.pid}" in err
    out, err = first.communicate("go\n", timeout=120)
    assert first.returncode == 0 and "done" in out, err[-3000:]
    once = fingerprint(warehouse / "warehouse.duckdb")
    assert [n for _, n, _ in once["grants"]] == [2_000]
    # Started again once the first has finished, it succeeds and changes nothing.
    again = python(TWO_WRITERS_SCRIPT, str(warehouse), str(landing), "go")
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err[-3000:]
    assert fingerprint(warehouse / "warehouse.duckdb") == once


STAR_READER_SCRIPT = """
import sys
import duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print(con.execute("select count(*) from marts.indicator_values").fetchall()[0][0], flush=True)
"""


def test_a_loader_connection_reads_the_star_without_locking_it(tmp_path: Path) -> None:
    """The pipeline's connections see core.x and marts.x of star.duckdb as if they lived in
    warehouse.duckdb, and a loader's read-write connection leaves the star to other readers."""
    from orchestration.resources import WarehouseResource

    make_star(tmp_path / "star.duckdb", version=4, rows=7)
    con = WarehouseResource(warehouse_dir=str(tmp_path)).connect()
    try:
        con.execute("create schema raw")
        con.execute("create table raw.grants as select 1 as application_number")
        assert count(con, "select version from core.dim_version") == 4
        assert count(con, "select count(*) from marts.indicator_values") == 7
        assert count(con, "select count(*) from raw.grants") == 1
        reader = python(STAR_READER_SCRIPT, str(tmp_path / "star.duckdb"))
        out, err = reader.communicate(timeout=60)
        assert reader.returncode == 0 and out.strip() == "7", err[-2000:]
    finally:
        con.close()


# ----------------------------------------------------------------------------- publish


def make_star(db: Path, version: int, rows: int = 1_000) -> None:
    """A star.duckdb (storage v1.0.0, as dbt attaches it) with the shapes publish and
    `ipind show` read."""
    con = duckdb.connect()
    con.execute(f"attach '{str(db).replace(chr(39), chr(39) * 2)}' as star (storage_version 'v1.0.0')")
    con.execute("use star")
    con.execute("create schema if not exists marts")
    con.execute("create schema if not exists core")
    con.execute(
        """
        create or replace table marts.indicator_values as
        select case when i = 0 then '420000' else (420100 + i)::varchar end as region_code,
            case when i = 0 then '湖北省' else '地区' || i end as region_name,
            case when i = 0 then 'province' else 'prefecture' end as region_level,
            case when i = 0 then '000000' else '420000' end as parent_code,
            'grants_total' as indicator_code, 'year' as period_type, 2024 as year,
            (i * 10 + ?)::double as value, md5(i::varchar || ?) as filler
        from range(?) t(i)
        """,
        [version, version, rows],
    )
    con.execute(f"create or replace table core.dim_version as select {version} as version")
    con.close()


def leftovers(folder: Path) -> list[str]:
    """Hidden files publish may leave: none but its (empty, permanent) lock file."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") and not p.name.endswith("-lock"))


READER_SCRIPT = """
import sys
import duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
q = "select (select version from core.dim_version), (select count(*) from marts.indicator_values)"
print(con.execute(q).fetchall()[0], flush=True)
sys.stdin.readline()
print(con.execute(q).fetchall()[0], flush=True)
"""


def test_bi_reader_keeps_its_snapshot_during_publish(tmp_path: Path) -> None:
    wh, serving, parquet = tmp_path / "star.duckdb", tmp_path / "serving.duckdb", tmp_path / "parquet"
    make_star(wh, version=1, rows=100)
    publish(wh, serving, parquet)
    reader = python(READER_SCRIPT, str(serving))
    assert reader.stdout.readline().strip() == "(1, 100)"
    make_star(wh, version=2, rows=200)
    result = publish(wh, serving, parquet)  # not blocked by the reader's open file
    assert result.tables == {"core.dim_version": 1, "marts.indicator_values": 200}
    out, err = reader.communicate("\n", timeout=60)
    assert reader.returncode == 0, err
    assert out.strip() == "(1, 100)"  # the open connection still reads the old file whole
    fresh = python(READER_SCRIPT, str(serving))
    out, _ = fresh.communicate("\n", timeout=60)
    assert out.split("\n")[0] == "(2, 200)"  # the next open sees the new file
    assert leftovers(tmp_path) == []
    assert duckdb.sql(f"select count(*) from '{parquet}/marts/indicator_values.parquet'").fetchall() == [
        (200,)
    ]


def resident_share(path: Path) -> float:
    """Share of `path`'s pages in the page cache (mincore(2) on a shared read-only map)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [
        ctypes.c_void_p,
        ctypes.c_size_t,
        ctypes.c_int,
        ctypes.c_int,
        ctypes.c_int,
        ctypes.c_long,
    ]
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_ubyte)]
    libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    size = path.stat().st_size
    pages = (size + mmap.PAGESIZE - 1) // mmap.PAGESIZE
    vector = (ctypes.c_ubyte * pages)()
    fd = os.open(path, os.O_RDONLY)
    try:
        address = libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
        assert address not in (None, ctypes.c_void_p(-1).value), os.strerror(ctypes.get_errno())
        try:
            assert libc.mincore(address, size, vector) == 0, os.strerror(ctypes.get_errno())
        finally:
            libc.munmap(address, size)
    finally:
        os.close(fd)
    return sum(page & 1 for page in vector) / pages


def test_publish_leaves_what_it_wrote_out_of_the_page_cache() -> None:
    """The serving copy and the Parquet export are for other processes: once on disk they
    leave the page cache to the working files, which stay cached (the control). Run in the
    clone's own folder, on the file system of its default warehouse/ (pytest's /tmp may be
    tmpfs, which keeps every page whatever the hint)."""
    with tempfile.TemporaryDirectory(dir=ROOT, prefix=".page-cache-test-") as folder:
        star, serving, parquet = (
            Path(folder) / name for name in ("star.duckdb", "serving.duckdb", "parquet")
        )
        make_star(star, version=1, rows=200_000)
        publish(star, serving, parquet)
        assert resident_share(star) > 0.5  # the measurement sees cached pages
        assert resident_share(serving) < 0.05
        exported = [path for path in parquet.rglob("*") if path.is_file()]
        assert exported
        assert max(resident_share(path) for path in exported) < 0.05


def test_publish_serves_only_the_tables_of_core_and_marts(tmp_path: Path) -> None:
    """Whatever else dbt leaves in star.duckdb (a view pointing into warehouse.duckdb, a
    scratch schema) reaches neither the serving file nor the Parquet export."""
    star, serving, parquet = tmp_path / "star.duckdb", tmp_path / "serving.duckdb", tmp_path / "parquet"
    make_star(star, version=1, rows=10)
    con = duckdb.connect()
    con.execute(f"attach '{star}' as star")
    con.execute("create schema star.scratch")
    con.execute("create table star.scratch.leftover as select 1 as x")
    con.execute("create view star.marts.a_view as select * from star.core.dim_version")
    con.close()

    result = publish(star, serving, parquet)

    served = {"core.dim_version", "marts.indicator_values"}
    assert set(result.tables) == served
    con = duckdb.connect(str(serving), read_only=True)
    listed = con.execute("select table_schema || '.' || table_name from information_schema.tables").fetchall()
    con.close()
    assert {name for (name,) in listed} == served
    exported = {f"{p.parent.name}.{p.stem}" for p in parquet.rglob("*.parquet")}
    assert exported == served
    exported_rows = duckdb.sql(f"select count(*) from '{parquet}/marts/indicator_values.parquet'")
    assert exported_rows.fetchall() == [(10,)]


def test_publish_refuses_a_star_in_a_format_bi_readers_cannot_open(tmp_path: Path) -> None:
    """publish copies star.duckdb byte for byte, so the file must already be in v1.0.0."""
    star, serving = tmp_path / "star.duckdb", tmp_path / "serving.duckdb"
    con = duckdb.connect(str(star))  # DuckDB 2.0's default storage
    con.execute("create schema marts")
    con.execute("create table marts.indicator_values as select 1 as value")
    con.close()
    with pytest.raises(RuntimeError, match=r"star\.duckdb is in storage version v2"):
        publish(star, serving, tmp_path / "parquet")
    assert not serving.exists()
    assert leftovers(tmp_path) == []


FULL_DISK_SCRIPT = """
import resource, signal, sys
from pathlib import Path
from ingestion.publish import publish
wh, serving, parquet, limit = sys.argv[1:5]
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails with EFBIG instead of killing us
resource.setrlimit(resource.RLIMIT_FSIZE, (int(limit), resource.RLIM_INFINITY))
try:
    publish(Path(wh), Path(serving), Path(parquet))
except Exception as exc:
    print("failed:", type(exc).__name__, str(exc)[:300], flush=True)
    sys.exit(3)
print("published", flush=True)
"""


def test_full_disk_while_publishing_keeps_the_old_serving_file(tmp_path: Path) -> None:
    wh, serving, parquet = tmp_path / "star.duckdb", tmp_path / "serving.duckdb", tmp_path / "parquet"
    make_star(wh, version=1, rows=100)
    publish(wh, serving, parquet)
    old = serving.read_bytes()
    old_parquet = {p: p.read_bytes() for p in parquet.rglob("*.parquet")}
    make_star(wh, version=2, rows=300_000)  # several MB: does not fit under the limit
    proc = python(FULL_DISK_SCRIPT, str(wh), str(serving), str(parquet), str(512 * 1024))
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 3, out + err[-3000:]
    assert "failed:" in out
    assert serving.read_bytes() == old  # byte-identical
    assert {p: p.read_bytes() for p in parquet.rglob("*.parquet")} == old_parquet
    assert leftovers(tmp_path) == []  # no temp file, WAL or parquet staging left behind
    # With room again, the same publish succeeds.
    publish(wh, serving, parquet)
    con = duckdb.connect(str(serving), read_only=True)
    assert count(con, "select version from core.dim_version") == 2
    con.close()


PUBLISH_SCRIPT = """
import sys
from pathlib import Path
from ingestion.publish import publish
publish(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
print("published", flush=True)
"""


def test_publish_killed_midway_keeps_serving_and_the_next_publish_cleans_up(tmp_path: Path) -> None:
    wh, serving, parquet = tmp_path / "star.duckdb", tmp_path / "serving.duckdb", tmp_path / "parquet"
    make_star(wh, version=1, rows=100)
    publish(wh, serving, parquet)
    old = serving.read_bytes()
    make_star(wh, version=2, rows=1_000_000)
    proc = python(PUBLISH_SCRIPT, str(wh), str(serving), str(parquet))
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".serving.duckdb.*.tmp")) and proc.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    proc.kill()  # SIGKILL while the new file is being written
    proc.communicate(timeout=60)
    assert serving.read_bytes() == old
    assert leftovers(tmp_path)  # a killed process cleans nothing...
    publish(wh, serving, parquet)  # ...the next publish removes what it left
    assert leftovers(tmp_path) == []
    con = duckdb.connect(str(serving), read_only=True)
    assert count(con, "select version from core.dim_version") == 2
    con.close()


def test_publishes_of_one_serving_file_take_turns(tmp_path: Path) -> None:
    """Two publishes at once: the second waits for the first (publish lock), both succeed,
    and the serving file is one of the two complete versions."""
    wh, serving, parquet = tmp_path / "star.duckdb", tmp_path / "serving.duckdb", tmp_path / "parquet"
    make_star(wh, version=3, rows=300_000)
    procs = [python(PUBLISH_SCRIPT, str(wh), str(serving), str(parquet)) for _ in range(2)]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0 and "published" in out, err[-2000:]
    con = duckdb.connect(str(serving), read_only=True)
    assert count(con, "select count(*) from marts.indicator_values") == 300_000
    con.close()
    assert leftovers(tmp_path) == []
