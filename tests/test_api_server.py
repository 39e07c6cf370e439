"""The reference API itself: windows, pagination payloads, auth, faults, DuckDB source, CLI.

Why test a test server: the HTTP source's tests are only as good as the faults this server
really produces, so each fault is checked here at the wire level with plain requests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
import requests

from ingestion.api_server import ApiServer, Fault, parse_fault, post_fault, serve
from ingestion.schema import FEEDS, raw_table_ddl

ROOT = Path(__file__).resolve().parents[1]
GRANTS = [
    {"application_number": f"A{i:02d}", "grant_date": f"2021-0{1 + i % 3}-{1 + i:02d}"} for i in range(24)
] + [{"application_number": "UNDATED", "grant_date": None}]


@pytest.fixture(autouse=True)
def _no_proxy_for_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy set in the environment must not swallow requests to the local test server."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def api() -> Iterator[ApiServer]:
    with ApiServer({"grants": GRANTS}, max_page_size=10) as server:
        yield server


def get(url: str, **params: Any) -> requests.Response:
    return requests.get(url, params=params, timeout=(2, 2))


def numbers(resp: requests.Response) -> list[str]:
    return [r["application_number"] for r in resp.json()["data"]]


def test_window_is_half_open_on_the_date_column_and_ordered(api: ApiServer) -> None:
    resp = get(f"{api.url}/page/grants", date_from="2021-02-01", date_to="2021-03-01", page_size=10)
    dates = [r["grant_date"] for r in resp.json()["data"]]
    assert dates == sorted(dates)
    assert all("2021-02-01" <= d < "2021-03-01" for d in dates)
    assert len(dates) == sum(1 for r in GRANTS if (r["grant_date"] or "").startswith("2021-02"))
    everything = get(f"{api.url}/offset/grants", limit=100).json()
    assert everything["total"] == len(GRANTS)  # no window: undated records too


def test_page_payload_and_page_size_cap(api: ApiServer) -> None:
    body = get(f"{api.url}/page/grants", page=2, page_size=50).json()
    assert body["page_size"] == 10 and body["page"] == 2  # capped at max_page_size
    assert body["total"] == 25 and body["has_more"] is True
    last = get(f"{api.url}/page/grants", page=3, page_size=10).json()
    assert len(last["data"]) == 5 and last["has_more"] is False
    assert get(f"{api.url}/page/grants", page=4, page_size=10).json()["data"] == []


def test_offset_cursor_and_next_walk_the_same_records(api: ApiServer) -> None:
    expected = numbers(get(f"{api.url}/offset/grants", limit=10))
    expected += numbers(get(f"{api.url}/offset/grants", offset=10, limit=10))
    expected += numbers(get(f"{api.url}/offset/grants", offset=20, limit=10))
    assert len(expected) == 25

    walked, cursor = [], None
    while True:
        body = get(f"{api.url}/cursor/grants", page_size=4, **({"cursor": cursor} if cursor else {}))
        walked += [r["application_number"] for r in body.json()["data"]]
        cursor = body.json()["next_cursor"]
        if cursor is None:
            break
    assert walked == expected

    walked, url = [], f"{api.url}/next/grants?page_size=6&date_from=2021-01-01"
    link_headers = []
    while url:
        resp = requests.get(url, timeout=2)
        walked += numbers(resp)
        link_headers.append(resp.headers.get("Link"))
        url = resp.json()["next"]
        assert url is None or "date_from=2021-01-01" in url  # the window travels along
    assert walked == [n for n in expected if n != "UNDATED"]
    assert link_headers[0] is not None and link_headers[-1] is None


def test_default_style_query_param_and_routes() -> None:
    routes = {"/v1/patents": ("grants", "cursor")}
    with ApiServer({"grants": GRANTS}, routes=routes, default_pagination="offset") as server:
        assert "offset" in get(f"{server.url}/grants").json()
        assert "next_cursor" in get(f"{server.url}/grants", pagination="cursor").json()
        assert "next" in get(f"{server.url}/grants", pagination="next-link").json()
        assert "next_cursor" in get(f"{server.url}/v1/patents").json()


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/page/grants", {"page": "x"}, 400),
        ("/page/grants", {"page": "0"}, 400),
        ("/page/grants", {"date_from": "yesterday"}, 400),
        ("/cursor/grants", {"cursor": "!!"}, 400),
        ("/page/pct", {}, 404),
        ("/scroll/grants", {}, 404),
        ("/a/b/c", {}, 404),
    ],
)
def test_bad_requests(api: ApiServer, path: str, params: dict[str, str], status: int) -> None:
    assert get(api.url + path, **params).status_code == status


def test_bearer_auth() -> None:
    with ApiServer({"grants": GRANTS}, token="right-token") as server:
        url = f"{server.url}/page/grants"
        missing = requests.get(url, timeout=2)
        assert missing.status_code == 401 and "Bearer" in missing.headers["WWW-Authenticate"]
        wrong = requests.get(url, headers={"Authorization": "Bearer wrong"}, timeout=2)
        assert wrong.status_code == 401
        right = requests.get(url, headers={"Authorization": "Bearer right-token"}, timeout=2)
        assert right.status_code == 200
        assert get(f"{server.url}/health").status_code == 200  # health needs no token


def test_status_fault_counts_down_and_sets_retry_after(api: ApiServer) -> None:
    api.add_fault(Fault("status", status=429, retry_after="7", times=2, page=1))
    first = get(f"{api.url}/page/grants")
    assert first.status_code == 429 and first.headers["Retry-After"] == "7"
    assert get(f"{api.url}/page/grants", page=2).status_code == 200  # other page unaffected
    assert get(f"{api.url}/page/grants").status_code == 429
    assert get(f"{api.url}/page/grants").status_code == 200
    assert [e["outcome"] for e in api.requests] == ["status", "ok", "status", "ok"]


def test_reset_fault_aborts_the_connection(api: ApiServer) -> None:
    api.add_fault(Fault("reset"))
    with pytest.raises(requests.ConnectionError):
        get(f"{api.url}/page/grants")
    assert get(f"{api.url}/page/grants").status_code == 200


def test_slow_fault_trips_a_read_timeout(api: ApiServer) -> None:
    api.add_fault(Fault("slow", delay=1.0))
    started = time.monotonic()
    with pytest.raises(requests.ReadTimeout):
        requests.get(f"{api.url}/page/grants", timeout=(1, 0.2))
    assert time.monotonic() - started < 0.9
    assert get(f"{api.url}/page/grants").status_code == 200


def test_truncate_fault_sends_half_a_json_body(api: ApiServer) -> None:
    api.add_fault(Fault("truncate", style="offset"))
    resp = get(f"{api.url}/offset/grants")
    assert resp.status_code == 200
    with pytest.raises(ValueError):
        json.loads(resp.content)
    assert len(resp.content) == int(resp.headers["Content-Length"])
    assert get(f"{api.url}/offset/grants").json()["total"] == 25


def test_duplicate_fault_repeats_a_page_and_shifts_the_rest(api: ApiServer) -> None:
    before = [numbers(get(f"{api.url}/page/grants", page=p, page_size=5)) for p in (1, 2)]
    api.add_fault(Fault("duplicate", page=1))
    after = [numbers(get(f"{api.url}/page/grants", page=p, page_size=5)) for p in (1, 2, 3)]
    assert after == [before[0], before[0], before[1]]
    assert get(f"{api.url}/page/grants", page_size=5).json()["total"] == 30


def test_mutate_fault_changes_content_on_every_serving(api: ApiServer) -> None:
    api.add_fault(Fault("mutate", page=1, field="rev"))
    revs = [get(f"{api.url}/page/grants").json()["data"][0]["rev"] for _ in range(3)]
    assert revs == [1, 2, 3]
    assert "rev" not in get(f"{api.url}/page/grants", page=2).json()["data"][0]


def test_control_endpoint_adds_lists_and_clears_faults(api: ApiServer) -> None:
    added = post_fault(api.url, Fault("status", status=502))
    assert added["status"] == 502
    requests.post(
        f"{api.url}/_control/faults", json=[{"kind": "status", "status": 500}], timeout=2
    ).raise_for_status()
    assert len(requests.get(f"{api.url}/_control/faults", timeout=2).json()) == 2
    assert get(f"{api.url}/page/grants").status_code == 502
    assert get(f"{api.url}/page/grants").status_code == 500
    log = requests.get(f"{api.url}/_control/log", timeout=2).json()
    assert [e["outcome"] for e in log] == ["status", "status"]
    bad = requests.post(f"{api.url}/_control/faults", json={"kind": "explode"}, timeout=2)
    assert bad.status_code == 400
    requests.delete(f"{api.url}/_control/faults", timeout=2).raise_for_status()
    assert api.faults == []
    requests.post(f"{api.url}/_control/reset", timeout=2).raise_for_status()
    assert api.requests == []


def test_faults_given_at_start_and_parsed_from_json() -> None:
    fault = parse_fault('{"kind": "status", "status": 503, "times": 1}')
    assert fault == Fault("status", status=503)
    with serve({"grants": GRANTS}, faults=[fault]) as url:
        assert get(f"{url}/page/grants").status_code == 503
        assert get(f"{url}/page/grants").status_code == 200
    with pytest.raises(ValueError):
        Fault("status", style="scroll")


def test_rename_serves_source_specific_field_names() -> None:
    with serve({"grants": GRANTS}, rename={"grants": {"application_number": "appNo"}}) as url:
        record = get(f"{url}/page/grants").json()["data"][0]
    assert set(record) == {"appNo", "grant_date"}


def _warehouse(path: Path) -> None:
    con = duckdb.connect(str(path))
    con.execute("create schema raw")
    con.execute(raw_table_ddl(FEEDS["pledges"], "raw.pledges"))
    cols = [c.name for c in FEEDS["pledges"].columns]
    row = {
        "pledge_id": "P1",
        "registration_date": "2021-03-04",
        "amount_10k_cny": Decimal("1234.5600"),
        "application_numbers": "201710601862.3",
        "_source": "file.csv",
        "_row": 1,
    }
    names = [*cols, "_source", "_row"]
    con.execute(
        f"insert into raw.pledges ({', '.join(names)}) values ({', '.join('?' * len(names))})",
        [row.get(n) for n in names],
    )
    con.execute("create table main.other_pledges as select * from raw.pledges")
    con.execute("update main.other_pledges set pledge_id = 'P2'")
    con.close()


def test_serves_a_duckdb_file_without_lineage_columns(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    _warehouse(db)
    with serve(db=db) as url:
        body = get(f"{url}/page/pledges", date_from="2021-03-01", date_to="2021-04-01").json()
        assert get(f"{url}/page/grants").status_code == 404  # no such table: not served
    record = body["data"][0]
    assert record["pledge_id"] == "P1"
    assert record["registration_date"] == "2021-03-04"
    assert record["amount_10k_cny"] == "1234.5600"  # decimals exact, as text
    assert not any(k.startswith("_") or k.endswith("_region_match") for k in record)
    with serve(db=db, tables={"pledges": "main.other_pledges"}) as url:
        assert get(f"{url}/page/pledges").json()["data"][0]["pledge_id"] == "P2"
    with pytest.raises(ValueError, match="invalid table"):
        ApiServer(db=db, tables={"pledges": "x; drop table y"})


def test_command_line_entry_serves_a_database(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    _warehouse(db)
    env = {**os.environ, "API_TOKEN_FOR_TEST": "cli-token"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ingestion.api_server",
            "--db",
            str(db),
            "--port",
            "0",
            "--token-env",
            "API_TOKEN_FOR_TEST",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "pledges=1" in line, line
        url = line.split(" on ")[1].split()[0]
        headers = {"Authorization": "Bearer cli-token"}
        resp = requests.get(f"{url}/offset/pledges", headers=headers, timeout=5)
        assert resp.json()["total"] == 1
        assert requests.get(f"{url}/offset/pledges", timeout=5).status_code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
