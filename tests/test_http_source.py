"""The HTTP source against the reference API over real sockets on 127.0.0.1.

Why real sockets: the failure modes the contract names (rate limits, 5xx bursts, resets,
read timeouts, truncated bodies) live in the transport, and a mocked session would only
test the mock. Backoff is kept to milliseconds so the whole file runs in a few seconds.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import duckdb
import pytest
import requests

from ingestion.api_server import ApiServer, Fault
from ingestion.batch import Batch
from ingestion.http_source import (
    HttpFeedConfig,
    HttpSourceError,
    _retry_after_seconds,
    _text,
    fetch_window,
    fetch_windows,
    load_http_config,
    month_windows,
    safe_url,
)
from ingestion.loader import load_feed
from ingestion.schema import FEEDS

TOKEN = "tok-3f9a7c1e5b2d4a6f8e0c"  # what the server expects
TOKEN_ENV = "IPIND_TEST_API_TOKEN"
FROM, TO = date(2021, 1, 1), date(2021, 2, 1)
STYLES = {"page": "/page/grants", "offset": "/offset/grants", "cursor": "/cursor/grants"}
STYLES["next-link"] = "/next/grants"


def _grants() -> list[dict[str, Any]]:
    """70 grants from mid-December 2020 to mid-February 2021: the window cuts both ends."""
    start = date(2020, 12, 20)
    out = []
    for i in range(70):
        out.append(
            {
                "application_number": f"2020101{i:05d}.X",
                "patent_type": "invention",
                "title": f"专利 {i}",
                "filing_date": "2020-01-02",
                "grant_date": (start + timedelta(days=i)).isoformat(),
                "overseas_family_grants": i % 3,
                "source_system": "ref",
            }
        )
    return out


GRANTS = _grants()
IN_WINDOW = [r for r in GRANTS if FROM.isoformat() <= r["grant_date"] < TO.isoformat()]


@pytest.fixture(autouse=True)
def _no_proxy_for_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy set in the environment must not swallow requests to the local test server."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[ApiServer]:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    with ApiServer({"grants": GRANTS}, token=TOKEN) as server:
        yield server


def config(api: ApiServer, style: str = "page", **overrides: Any) -> HttpFeedConfig:
    options: dict[str, Any] = {
        "base_url": api.url,
        "path": STYLES[style],
        "token_env": TOKEN_ENV,
        "page_size": 7,
        "pagination": style,
        "timeout": (2.0, 0.5),
        "max_retries": 4,
        "backoff_base": 0.005,
        "backoff_max": 0.02,
        **overrides,
    }
    return HttpFeedConfig(**options)


def keys(batch: Batch) -> list[str]:
    return list(batch.frame["application_number"])


def assert_exact_window(batch: Batch) -> None:
    got = keys(batch)
    assert len(got) == len(set(got)), "duplicates in the batch"
    assert sorted(got) == sorted(r["application_number"] for r in IN_WINDOW)
    assert list(batch.frame["_row"]) == list(range(1, len(got) + 1))


def data_requests(api: ApiServer, page: int | None = None) -> list[dict[str, Any]]:
    return [e for e in api.requests if page is None or e["page"] == page]


# --------------------------------------------------------------------------- pagination


@pytest.mark.parametrize("style", list(STYLES))
@pytest.mark.parametrize("page_size", [1, 7, 31, 500])
def test_every_pagination_style_returns_exactly_the_window(
    api: ApiServer, style: str, page_size: int
) -> None:
    batch = fetch_window(config(api, style, page_size=page_size), "grants", FROM, TO)
    assert_exact_window(batch)
    assert batch.feed == "grants"
    assert batch.source == f"{api.url}{STYLES[style]}?date_from=2021-01-01&date_to=2021-02-01"
    # One keep-alive connection for the whole window: the session is reused.
    assert api.connections == 1


def test_batch_frame_is_text_with_lineage_columns(api: ApiServer) -> None:
    batch = fetch_window(config(api, page_size=7), "grants", "2021-01-01", "2021-02-01")
    frame = batch.frame
    assert list(frame.columns) == [*FEEDS["grants"].column_names, "_row", "_extra", "_source"]
    # feeds.md: quarantine rows name the source page; the record order is the pages' order
    pages = -(-len(frame) // 7)
    assert list(frame["_source"]) == [f"{batch.source} page {1 + i // 7}" for i in range(len(frame))]
    assert frame["_source"].iloc[-1] == f"{batch.source} page {pages}"
    first = frame.iloc[0]
    assert first["overseas_family_grants"] in {"0", "1", "2"}  # text, like a file
    assert json.loads(first["_extra"]) == {"source_system": "ref"}
    assert frame["ipc_main"].isna().all()  # absent columns are null, not the string "None"
    con = duckdb.connect()
    con.register("landed", frame)
    types = dict(con.execute("select column_name, column_type from (describe landed)").fetchall())
    assert {types[c] for c in FEEDS["grants"].column_names} == {"VARCHAR"}
    assert types["_row"] == "BIGINT"


def test_same_data_gives_same_hash_whatever_the_paging(api: ApiServer) -> None:
    hashes = {
        fetch_window(config(api, style, page_size=size), "grants", FROM, TO).ingest_hash
        for style in STYLES
        for size in (3, 50)
    }
    assert len(hashes) == 1
    changed = [dict(r) for r in GRANTS]
    changed[20]["title"] = "corrected"
    api.set_records("grants", changed)
    assert fetch_window(config(api), "grants", FROM, TO).ingest_hash not in hashes


def test_empty_window_gives_an_empty_batch(api: ApiServer) -> None:
    batch = fetch_window(config(api, "cursor"), "grants", "2030-01-01", "2030-02-01")
    assert batch.frame.empty
    assert list(batch.frame.columns)[-3:] == ["_row", "_extra", "_source"]


def test_field_map_renames_source_fields_and_keeps_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    records = [{**r, "专利权人": "武汉大学", "ipc_all": ["H01L 21/02", "G06F 17/30"]} for r in GRANTS]
    rename = {"grants": {"application_number": "appNo", "grant_date": "pubDate"}}
    with ApiServer({"grants": records}, token=TOKEN, rename=rename) as server:
        cfg = config(
            server,
            "offset",
            field_map={"appNo": "application_number", "pubDate": "grant_date"},
        )
        batch = fetch_window(cfg, "grants", FROM, TO)
    assert_exact_window(batch)
    row = batch.frame.iloc[0]
    assert row["grant_date"].startswith("2021-01")
    assert row["patentee_name"] == "武汉大学"  # Chinese header recognised without a mapping
    assert row["ipc_all"] == "H01L 21/02;G06F 17/30"  # JSON list -> the contract's `;` list
    assert json.loads(row["_extra"]) == {"source_system": "ref"}


def test_window_end_inclusive_sends_the_day_before(api: ApiServer) -> None:
    batch = fetch_window(config(api, window_end_inclusive=True), "grants", FROM, TO)
    assert "date_to=2021-01-31" in batch.source
    assert max(batch.frame["grant_date"]) == "2021-01-30"  # the server's window is half-open


# --------------------------------------------------------------------------- retries


def test_429_retry_after_seconds_is_honoured(api: ApiServer) -> None:
    api.add_fault(Fault("status", page=2, status=429, retry_after="0.4", times=2))
    batch = fetch_window(config(api), "grants", FROM, TO)
    assert_exact_window(batch)
    page2 = data_requests(api, page=2)
    assert [e["outcome"] for e in page2] == ["status", "status", "ok"]
    gaps = [b["t"] - a["t"] for a, b in zip(page2, page2[1:], strict=False)]
    assert all(gap >= 0.4 for gap in gaps), gaps
    assert all(gap < 1.5 for gap in gaps), gaps  # and not the exponential backoff's worth


def test_429_retry_after_http_date_is_honoured(api: ApiServer) -> None:
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
    api.add_fault(Fault("status", page=1, status=429, retry_after=format_datetime(when, True)))
    batch = fetch_window(config(api), "grants", FROM, TO)
    assert_exact_window(batch)
    first, second = data_requests(api, page=1)[:2]
    assert second["t"] - first["t"] >= 0.9  # the date has whole-second resolution


def test_retry_after_beyond_the_cap_fails_at_once(api: ApiServer) -> None:
    api.add_fault(Fault("status", page=1, status=429, retry_after="3600"))
    started = time.monotonic()
    with pytest.raises(HttpSourceError, match="3600"):
        fetch_window(config(api, retry_after_max=5), "grants", FROM, TO)
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_burst_then_success(api: ApiServer, status: int) -> None:
    api.add_fault(Fault("status", page=3, status=status, times=3))
    batch = fetch_window(config(api, "cursor"), "grants", FROM, TO)
    assert_exact_window(batch)
    assert [e["outcome"] for e in data_requests(api, page=3)] == ["status"] * 3 + ["ok"]


def test_connection_reset_is_retried(api: ApiServer) -> None:
    api.add_fault(Fault("reset", page=2, times=2))
    batch = fetch_window(config(api, "offset"), "grants", FROM, TO)
    assert_exact_window(batch)
    assert [e["outcome"] for e in data_requests(api, page=2)] == ["reset", "reset", "ok"]


def test_read_timeout_is_retried(api: ApiServer) -> None:
    api.add_fault(Fault("slow", page=2, delay=2.0))
    started = time.monotonic()
    batch = fetch_window(config(api, "next-link", timeout=(2.0, 0.3)), "grants", FROM, TO)
    assert_exact_window(batch)
    assert [e["outcome"] for e in data_requests(api, page=2)] == ["slow", "ok"]
    assert time.monotonic() - started < 1.5  # gave up on the slow answer, did not wait it out


def test_truncated_json_is_retried(api: ApiServer) -> None:
    api.add_fault(Fault("truncate", page=1, times=2))
    batch = fetch_window(config(api, "page"), "grants", FROM, TO)
    assert_exact_window(batch)
    assert [e["outcome"] for e in data_requests(api, page=1)] == ["truncate", "truncate", "ok"]


@pytest.mark.parametrize("style", list(STYLES))
def test_duplicated_page_is_deduplicated(api: ApiServer, style: str) -> None:
    api.add_fault(Fault("duplicate", page=2))
    batch = fetch_window(config(api, style), "grants", FROM, TO)
    assert_exact_window(batch)
    assert sum(e.get("records", 0) for e in api.requests) == len(IN_WINDOW) + 7


def test_records_without_a_key_are_deduplicated_on_content(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    events = [
        {
            "application_number": f"2020101{i:05d}.X",
            "event_date": f"2021-01-{1 + i % 28:02d}",
            "event_type": "abandoned",
        }
        for i in range(20)
    ]
    with ApiServer({"legal_events": events}, token=TOKEN) as server:
        server.add_fault(Fault("duplicate", page=1))
        cfg = config(server, "offset", path="/offset/legal_events", page_size=5)
        batch = fetch_window(cfg, "legal_events", FROM, TO)
        assert sum(e.get("records", 0) for e in server.requests) == 25
    assert len(batch.frame) == 20
    assert batch.frame["event_id"].isna().all()


def test_page_changing_between_retries_yields_one_consistent_version(api: ApiServer) -> None:
    # Page 2 changes on every serving; the first serving is truncated, so the client must
    # not mix its half-read version 1 with version 2.
    api.add_fault(Fault("mutate", page=2))
    api.add_fault(Fault("truncate", page=2, times=1))
    batch = fetch_window(config(api), "grants", FROM, TO)
    assert_exact_window(batch)
    revisions = [json.loads(x).get("revision") for x in batch.frame["_extra"]]
    assert revisions[7:14] == [2] * 7
    assert set(revisions[:7] + revisions[14:]) == {None}


def test_repeated_page_that_changed_keeps_the_last_version(api: ApiServer) -> None:
    # Page 2 is served again as page 3; only its first serving is marked, so the batch shows
    # which copy won: the last one seen, at the position of the first.
    api.add_fault(Fault("duplicate", page=2))
    api.add_fault(Fault("mutate", page=2))
    batch = fetch_window(config(api), "grants", FROM, TO)
    assert_exact_window(batch)
    revisions = [json.loads(x).get("revision") for x in batch.frame["_extra"]]
    assert revisions == [None] * len(IN_WINDOW)
    assert keys(batch) == sorted(keys(batch))  # positions kept: the server's order


# --------------------------------------------------------------------------- failures


def test_exhausted_retries_raise_and_return_no_batch(api: ApiServer) -> None:
    api.add_fault(Fault("status", page=2, status=503, times=None))
    result: Batch | None = None
    with pytest.raises(HttpSourceError) as info:
        result = fetch_window(config(api, max_retries=2), "grants", FROM, TO)
    assert result is None
    message = str(info.value)
    assert message.startswith("grants: page 2 of ")
    assert f"{api.url}/page/grants?" in message
    assert "HTTP 503" in message and "3 attempts" in message and "nothing written" in message
    assert len(data_requests(api, page=2)) == 3


def test_exhausted_retries_on_timeouts_name_the_timeout(api: ApiServer) -> None:
    api.add_fault(Fault("slow", page=1, delay=2.0, times=None))
    with pytest.raises(HttpSourceError, match="timeout"):
        fetch_window(config(api, max_retries=1, timeout=(1.0, 0.2)), "grants", FROM, TO)


def test_client_error_is_not_retried(api: ApiServer) -> None:
    cfg = config(api, path="/page/no_such_feed")
    with pytest.raises(HttpSourceError, match="HTTP 404"):
        fetch_window(cfg, "grants", FROM, TO)


def test_max_pages_guards_against_endless_apis(api: ApiServer) -> None:
    with pytest.raises(HttpSourceError, match="max_pages"):
        fetch_window(config(api, page_size=1, max_pages=3), "grants", FROM, TO)


def test_missing_token_variable_is_named(api: ApiServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_ENV)
    with pytest.raises(HttpSourceError, match=TOKEN_ENV) as info:
        fetch_window(config(api), "grants", FROM, TO)
    assert "not set" in str(info.value)
    assert api.requests == []  # failed before any request


def _chain(exc: BaseException) -> str:
    text = []
    seen: BaseException | None = exc
    while seen is not None:
        text += [str(seen), repr(seen), repr(seen.args)]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(text)


def test_rejected_token_names_the_variable_and_never_leaks(
    api: ApiServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "wrong-Zq81xYk2Lm0pQ7vB"
    monkeypatch.setenv(TOKEN_ENV, wrong)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(HttpSourceError) as info:
        fetch_window(config(api), "grants", FROM, TO)
    assert TOKEN_ENV in str(info.value) and "401" in str(info.value)
    assert len(api.requests) == 1  # a rejected token is not retried
    everything = _chain(info.value) + caplog.text
    everything += "".join(repr(r.args) + str(r.msg) for r in caplog.records)
    assert wrong not in everything
    assert TOKEN not in everything


def test_token_never_logged_while_retrying(api: ApiServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    api.add_fault(Fault("status", status=503, times=2))
    api.add_fault(Fault("reset", times=1))
    fetch_window(config(api), "grants", FROM, TO)
    assert "retry" in caplog.text  # the retries were logged...
    assert TOKEN not in caplog.text  # ...without the token
    assert all(TOKEN not in repr(r.args) for r in caplog.records)


def test_no_auth_configured_and_401_explains(api: ApiServer) -> None:
    with pytest.raises(HttpSourceError, match="no token is configured"):
        fetch_window(config(api, token_env=None), "grants", FROM, TO)


def test_caller_session_is_reused_and_left_open(api: ApiServer) -> None:
    with requests.Session() as session:
        for month in (1, 2):
            fetch_window(
                config(api),
                "grants",
                date(2021, month, 1),
                date(2021, month + 1, 1),
                session=session,
            )
        assert api.connections == 1


def test_bad_window_and_feed_are_rejected(api: ApiServer) -> None:
    with pytest.raises(ValueError, match="empty window"):
        fetch_window(config(api), "grants", TO, FROM)
    with pytest.raises(ValueError, match="unknown feed"):
        fetch_window(config(api), "nope", FROM, TO)


# --------------------------------------------------------------------------- config


EXAMPLE = {
    "defaults": {
        "base_url": "https://api.example.org/v2",
        "token_env": "IPIND_API_TOKEN",
        "page_size": 500,
        "timeout": [5, 60],
        "max_retries": 6,
    },
    "feeds": {
        "grants": {
            "path": "grants",
            "pagination": "cursor",
            "field_map": {"appNo": "application_number", "pubDate": "grant_date"},
        },
        "legal_events": {"path": "/legal-events", "pagination": "next_link"},
        "pledges": {
            "path": "pledges",
            "pagination": "offset",
            "timeout": {"connect": 3, "read": 9},
        },
    },
}


def test_load_http_config_reads_the_documented_example() -> None:
    configs = load_http_config(EXAMPLE)
    assert set(configs) == {"grants", "legal_events", "pledges"}
    grants = configs["grants"]
    assert grants.url == "https://api.example.org/v2/grants"
    assert grants.pagination == "cursor" and grants.page_size == 500 and grants.max_retries == 6
    assert grants.timeout == (5.0, 60.0)
    assert configs["legal_events"].pagination == "next-link"
    assert configs["pledges"].timeout == (3.0, 9.0)
    flat = load_http_config({"grants": {"base_url": "http://127.0.0.1:1", "path": "/g"}})
    assert flat["grants"].pagination == "page" and flat["grants"].token_env is None
    assert load_http_config(None) == {}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"grants": {"base_url": "http://h", "token": "abc"}}, "token_env"),
        ({"grants": {"base_url": "http://h", "page_sise": 5}}, "unknown keys"),
        ({"grants": {"base_url": "http://h", "field_map": {"x": "no_such"}}}, "no_such"),
        ({"grants": {"base_url": "http://h", "pagination": "scroll"}}, "pagination"),
        ({"patents": {"base_url": "http://h"}}, "unknown feed"),
        ({"grants": {"path": "/g"}}, "base_url is required"),
        ({"grants": {"base_url": "http://u:p@h"}}, "credentials"),
        ({"grants": {"base_url": "http://h", "extra_params": {"api_key": "x"}}}, "secrets"),
    ],
)
def test_load_http_config_rejects_mistakes(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_http_config(spec)


def test_a_token_pasted_into_token_env_is_not_echoed() -> None:
    pasted = "eyJhbGciOi.JIUzI1NiJ9-secret"
    with pytest.raises(ValueError) as info:
        load_http_config({"grants": {"base_url": "http://h", "token_env": pasted}})
    assert pasted not in str(info.value)


# --------------------------------------------------------------------------- helpers


def test_retry_after_parsing() -> None:
    assert _retry_after_seconds("3") == 3.0
    assert _retry_after_seconds("0.25") == 0.25
    assert _retry_after_seconds("-5") == 0.0
    assert _retry_after_seconds(None) is None
    assert _retry_after_seconds("soon") is None
    past = format_datetime(datetime(2000, 1, 1, tzinfo=UTC), True)
    assert _retry_after_seconds(past) == 0.0
    future = format_datetime(datetime.now(UTC) + timedelta(seconds=30), True)
    wait = _retry_after_seconds(future)
    assert wait is not None and 28 <= wait <= 30


def test_text_conversion_matches_what_files_land() -> None:
    assert _text(None) is None and _text("  ") is None
    assert _text(True) == "true" and _text(3) == "3" and _text(3.0) == "3" and _text(2.5) == "2.5"
    assert _text(["a", "b"]) == "a;b" and _text([]) is None
    assert _text({"b": 1, "a": "中"}) == '{"a": "中", "b": 1}'
    assert _text("0420100") == "0420100"  # codes stay strings


def test_safe_url_masks_secret_parameters() -> None:
    url = safe_url("http://user:pw@h:8080/x?api_key=abc&page=2", {"access_token": "t", "a": "1"})
    assert url == "http://h:8080/x?api_key=%2A%2A%2A&page=2&access_token=%2A%2A%2A&a=1"


# --------------------------------------------------------------------------- odd servers


@contextmanager
def fixed_reply(payload: dict[str, Any]) -> Iterator[str]:
    """A server that answers every GET with the same JSON: cursors and links that loop."""
    body = json.dumps(payload).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        thread.join()
        httpd.server_close()


RECORD = {"application_number": "201710601862.3", "grant_date": "2021-01-05"}


@pytest.mark.parametrize(
    ("pagination", "payload", "message"),
    [
        ("cursor", {"data": [RECORD], "next_cursor": "same"}, "cursor repeats"),
        ("next-link", {"data": [RECORD], "next": "/x?page=2"}, "next link repeats"),
        ("next-link", {"data": [RECORD], "next": "http://example.invalid/x"}, "another origin"),
        ("page", {"result": "nothing here"}, "records_field"),
    ],
)
def test_misbehaving_pagination_fails_instead_of_looping(
    pagination: str, payload: dict[str, Any], message: str
) -> None:
    with fixed_reply(payload) as url:
        cfg = HttpFeedConfig(base_url=url, path="/x", pagination=pagination, max_pages=10)
        with pytest.raises(HttpSourceError, match=message):
            fetch_window(cfg, "grants", FROM, TO)


def test_records_field_finds_nested_lists() -> None:
    with fixed_reply({"result": {"rows": [RECORD]}, "has_more": False}) as url:
        cfg = HttpFeedConfig(base_url=url, path="/x", records_field="result.rows")
        batch = fetch_window(cfg, "grants", FROM, TO)
    assert keys(batch) == ["201710601862.3"]


# --------------------------------------------------------------------------- loading


def test_a_fetched_window_loads_and_reloads_idempotently(api: ApiServer) -> None:
    batch = fetch_window(config(api), "grants", FROM, TO)
    con = duckdb.connect()
    for _ in range(2):
        con.register("landed_grants", batch.frame)
        stats = load_feed(con, "grants", {batch.ingest_hash: "landed_grants"})
        assert stats.rows_read == len(batch.frame)
    counted = con.execute(
        "select (select count(*) from raw.grants) + (select count(*) from raw.grants_quarantine)"
    ).fetchone()
    assert counted == (len(batch.frame),)


def test_month_windows_cover_the_range_once() -> None:
    assert month_windows("2020-11-15", "2021-02-10") == [
        (date(2020, 11, 15), date(2020, 12, 1)),
        (date(2020, 12, 1), date(2021, 1, 1)),
        (date(2021, 1, 1), date(2021, 2, 1)),
        (date(2021, 2, 1), date(2021, 2, 10)),
    ]
    assert month_windows("2021-01-01", "2021-01-01") == []


def test_fetch_windows_splits_by_month_over_one_connection(api: ApiServer) -> None:
    batches = fetch_windows(config(api, "cursor"), "grants", "2020-12-01", "2021-03-01")
    assert [b.source.split("?")[1] for b in batches] == [
        "date_from=2020-12-01&date_to=2021-01-01",
        "date_from=2021-01-01&date_to=2021-02-01",
        "date_from=2021-02-01&date_to=2021-03-01",
    ]
    got = [n for b in batches for n in keys(b)]
    assert sorted(got) == sorted(r["application_number"] for r in GRANTS)
    assert api.connections == 1


def test_fetch_windows_returns_nothing_when_one_month_fails(api: ApiServer) -> None:
    # December and January succeed, February keeps failing: no partial list comes back.
    api.add_fault(Fault("status", status=503, times=None, after=2))
    result: list[Batch] | None = None
    with pytest.raises(HttpSourceError, match="date_from=2021-02-01"):
        result = fetch_windows(
            config(api, page_size=500, max_retries=1), "grants", "2020-12-01", "2021-03-01"
        )
    assert result is None
    assert [e["outcome"] for e in api.requests] == ["ok", "ok", "status", "status"]
