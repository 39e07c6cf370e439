"""A small local reference API that serves feed records the way real patent APIs do -- and fails
the way they do.

Why it exists: the HTTP source (`ingestion.http_source`) must be tested against real sockets,
real pagination and real faults (rate limits, 5xx bursts, resets, slow and truncated
responses, pages that repeat or change between retries), and a demo needs an API to pull from
without network access. Standard library only (`http.server`), so it starts in milliseconds
inside a test and from `python -m ingestion.api_server`.

Routes (GET):
    /page/<feed>?page=N&page_size=S          {"data", "page", "page_size", "total", "has_more"}
    /offset/<feed>?offset=K&limit=S          {"data", "offset", "limit", "total"}
    /cursor/<feed>?cursor=C&page_size=S      {"data", "next_cursor"}
    /next/<feed>?page_size=S                 {"data", "next"}  (+ Link: <...>; rel="next")
    /<feed>?pagination=page|offset|cursor|next   the server's default style without the param
    any path configured in `routes` (path -> (feed, style))
    /health
Every data route takes the window `date_from` / `date_to` (ISO dates, half-open) on the feed's
date column (`schema.FEEDS[feed].date_column`). Records are ordered by (date, key).

Control (no auth, never faulted): GET/POST/DELETE /_control/faults, GET /_control/log,
POST /_control/reset. The same is available from Python on `ApiServer`.
"""

from __future__ import annotations

import argparse
import base64
import bisect
import hmac
import json
import logging
import os
import re
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from ingestion.schema import FEEDS, REGION_ROLES, RESOLUTION_SUFFIXES

log = logging.getLogger(__name__)

STYLES: tuple[str, ...] = ("page", "offset", "cursor", "next")
FAULT_KINDS: tuple[str, ...] = ("status", "slow", "reset", "truncate", "duplicate", "mutate")
_TABLE_NAME = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)?$")
_LOOSE_DATE = re.compile(r"^\s*(\d{4})\D(\d{1,2})\D(\d{1,2})")


@dataclass
class Fault:
    """One injected misbehaviour, matched against each data request.

    kind:
      status    answer `status` (429, 500, 502, 503, ...) with `Retry-After: retry_after` if set
      slow      sleep `delay` seconds before answering (trips the client's read timeout)
      reset     close the socket with a TCP RST instead of answering
      truncate  send only the first half of the JSON body (Content-Length matches the half)
      duplicate serve page `page` twice: its records are repeated right after it, shifting
                later pages (what offset pagination sees when rows are inserted upstream)
      mutate    every serving of page `page` (failed attempts included) sets `field` on its
                records to a new revision number, so the content changes between retries
    `feed`, `style` and `page` (1-based, at the request's page size) narrow the match; None
    matches all. `after` lets that many matching requests through first (fail from the
    third window on, say). `times` is how many matching requests a status/slow/reset/truncate
    fault then affects (None: all, until cleared); duplicate and mutate stay until cleared.
    """

    kind: str
    feed: str | None = None
    style: str | None = None
    page: int | None = None
    times: int | None = 1
    status: int = 503
    retry_after: str | None = None
    delay: float = 1.0
    field: str = "revision"
    after: int = 0
    served: int = 0  # how many requests it has affected (mutate: the revision counter)
    passed: int = 0  # how many matching requests it let through because of `after`

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {FAULT_KINDS}, got {self.kind!r}")
        if self.style is not None and self.style not in STYLES:
            raise ValueError(f"fault style must be one of {STYLES}, got {self.style!r}")

    @property
    def persistent(self) -> bool:
        return self.kind in ("duplicate", "mutate")

    def matches(self, feed: str, style: str, page: int) -> bool:
        return (
            (self.feed is None or self.feed == feed)
            and (self.style is None or self.style == style)
            # A duplicate's page is the page it repeats, which later requests see shifted.
            and (self.page is None or self.page == page or self.kind == "duplicate")
        )

    @property
    def spent(self) -> bool:
        return not self.persistent and self.times is not None and self.served >= self.times


def parse_fault(spec: str | Mapping[str, Any] | Fault) -> Fault:
    """A fault from a Fault, a dict, or JSON text (the CLI's and control endpoint's form)."""
    if isinstance(spec, Fault):
        return spec
    if isinstance(spec, str):
        spec = json.loads(spec)
    if not isinstance(spec, Mapping):
        raise ValueError("a fault is a JSON object")
    return Fault(**{k: v for k, v in spec.items() if k not in ("served", "passed")})


def _record_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            match = _LOOSE_DATE.match(value)
            if match:
                try:
                    return date(*(int(g) for g in match.groups()))
                except ValueError:
                    return None
    return None


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)  # exact: the client lands text anyway
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


class _FeedData:
    """One feed's records sorted by (date, key), with the dates for bisecting a window."""

    def __init__(self, feed: str, records: Sequence[Mapping[str, Any]]) -> None:
        spec = FEEDS[feed]
        keyed = []
        undated = []
        for rec in records:
            clean = {str(k): _json_value(v) for k, v in rec.items()}
            when = _record_date(rec.get(spec.date_column))
            sort_key = str(clean.get(spec.key) or "")
            if when is None:
                undated.append(clean)
            else:
                keyed.append((when, sort_key, clean))
        keyed.sort(key=lambda t: (t[0], t[1]))
        self.dates = [t[0] for t in keyed]
        self.records = [t[2] for t in keyed]
        self.undated = undated

    def window(self, start: date | None, end: date | None) -> list[dict[str, Any]]:
        if start is None and end is None:
            return self.records + self.undated
        lo = bisect.bisect_left(self.dates, start) if start else 0
        hi = bisect.bisect_left(self.dates, end) if end else len(self.dates)
        return self.records[lo:hi]


def load_duckdb(
    path: str | os.PathLike[str], tables: Mapping[str, str] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Read each feed's table (default `raw.<feed>`) from a DuckDB file into memory.

    Read once at start (read-only, then closed) so the server never holds the file: DuckDB
    allows one writer per file and the pipeline may want it. Lineage (`_...`) and region
    resolution columns are dropped: an upstream API would not have them. Missing tables are
    skipped.
    """
    import duckdb  # only needed for this data source

    tables = dict(tables or {})
    for table in tables.values():
        if not _TABLE_NAME.match(table):
            raise ValueError(f"invalid table name {table!r}")
    derived = {
        f"{role}{suffix}"
        for roles in REGION_ROLES.values()
        for role in roles
        for suffix, _ in RESOLUTION_SUFFIXES
    }
    out: dict[str, list[dict[str, Any]]] = {}
    con = duckdb.connect(str(path), read_only=True)
    try:
        for feed in FEEDS:
            table = tables.get(feed, f"raw.{feed}")
            try:
                cursor = con.execute(f"select * from {table}")
            except duckdb.CatalogException:
                if feed in tables:
                    raise
                continue
            names = [d[0] for d in cursor.description]
            keep = [i for i, n in enumerate(names) if not n.startswith("_") and n not in derived]
            out[feed] = [{names[i]: row[i] for i in keep} for row in cursor.fetchall()]
    finally:
        con.close()
    return out


class ApiServer:
    """The reference API on 127.0.0.1 (ephemeral port by default), controllable from Python.

    `feeds` maps feed name to a list of record dicts; `db` adds the tables of a DuckDB file.
    `token` (optional) is the bearer token every data request must carry. `rename` maps, per
    feed, canonical field names to the names this API uses, so a client's field_map gets
    exercised. `routes` maps extra paths to (feed, style).
    """

    def __init__(
        self,
        feeds: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
        *,
        db: str | os.PathLike[str] | None = None,
        tables: Mapping[str, str] | None = None,
        token: str | None = None,
        faults: Sequence[Fault | Mapping[str, Any] | str] = (),
        rename: Mapping[str, Mapping[str, str]] | None = None,
        routes: Mapping[str, tuple[str, str]] | None = None,
        default_pagination: str = "page",
        max_page_size: int = 1000,
        host: str = "127.0.0.1",
        port: int = 0,
        control: bool = True,
    ) -> None:
        if default_pagination not in STYLES:
            raise ValueError(f"default_pagination must be one of {STYLES}")
        data: dict[str, Sequence[Mapping[str, Any]]] = {}
        if db is not None:
            data.update(load_duckdb(db, tables))
        data.update(feeds or {})
        for name in data:
            if name not in FEEDS:
                raise ValueError(f"unknown feed {name!r}")
        self._lock = threading.Lock()
        self._data = {name: _FeedData(name, recs) for name, recs in data.items()}
        self._faults: list[Fault] = [parse_fault(f) for f in faults]
        self._log: list[dict[str, Any]] = []
        self.connections = 0
        self.token = token
        self.rename = {f: dict(m) for f, m in (rename or {}).items()}
        self.routes = dict(routes or {})
        self.default_pagination = default_pagination
        self.max_page_size = max_page_size
        self.control = control
        self._stopping = threading.Event()
        self._httpd = ThreadingHTTPServer((host, port), _handler_class(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- lifecycle
    @property
    def url(self) -> str:
        return f"http://{_host_port(self._httpd)}"

    def start(self) -> ApiServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        self._httpd.server_close()

    def serve_forever(self) -> None:
        try:
            self._httpd.serve_forever(poll_interval=0.2)
        finally:
            self._stopping.set()
            self._httpd.server_close()

    def __enter__(self) -> ApiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- runtime control
    def add_fault(self, fault: Fault | Mapping[str, Any] | str) -> Fault:
        parsed = parse_fault(fault)
        with self._lock:
            self._faults.append(parsed)
        return parsed

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def faults(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Every data request: arrival time (monotonic), path, feed, style, page, outcome."""
        with self._lock:
            return [dict(e) for e in self._log]

    def reset(self) -> None:
        with self._lock:
            self._faults.clear()
            self._log.clear()
            self.connections = 0

    def set_records(self, feed: str, records: Sequence[Mapping[str, Any]]) -> None:
        """Replace one feed's data while serving (an upstream correction, say)."""
        if feed not in FEEDS:
            raise ValueError(f"unknown feed {feed!r}")
        prepared = _FeedData(feed, records)
        with self._lock:
            self._data[feed] = prepared

    # -- request handling (called from handler threads)
    def _count_connection(self) -> None:
        with self._lock:
            self.connections += 1

    def _response_faults(self, feed: str, style: str, page: int) -> tuple[Fault | None, list[Fault]]:
        """The first live one-shot fault for this request (consumed) and the content faults."""
        chosen: Fault | None = None
        content: list[Fault] = []
        with self._lock:
            for fault in self._faults:
                if not fault.matches(feed, style, page):
                    continue
                if fault.persistent:
                    if fault.kind == "mutate":
                        fault.served += 1
                    content.append(Fault(**asdict(fault)))  # snapshot of the revision
                elif chosen is None and not fault.spent:
                    if fault.passed < fault.after:
                        fault.passed += 1
                        continue
                    fault.served += 1
                    chosen = fault
        return chosen, content

    def _record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._log.append(entry)


def _host_port(server: socketserver.BaseServer) -> str:
    address = server.server_address
    assert isinstance(address, tuple)  # an INET server: (host, port)
    return f"{address[0]}:{address[1]}"


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    padded = cursor + "=" * (-len(cursor) % 4)
    text = base64.urlsafe_b64decode(padded.encode()).decode()
    if not text.startswith("o:"):
        raise ValueError("bad cursor")
    return int(text[2:])


class _BadRequest(Exception):
    pass


def _handler_class(server: ApiServer) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        api = server

    return Handler


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive, so a client's connection reuse is real and measurable."""

    protocol_version = "HTTP/1.1"
    server_version = "ipind-reference-api/1"
    api: ApiServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without NODELAY, Nagle plus the
        # client's delayed ACK adds ~40 ms to every keep-alive request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.api._count_connection()

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    # -- plumbing
    def _send(self, status: int, body: bytes, headers: Mapping[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _send_json(self, status: int, payload: Any, headers: Mapping[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload, ensure_ascii=False).encode(), headers)

    def _read_body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw) if raw else None

    def _reset(self) -> None:
        """Abort the connection with an RST, as a crashing proxy or load balancer does."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    # -- control
    def _control(self, method: str, path: str) -> None:
        api = self.api
        if path == "/_control/faults":
            if method == "GET":
                self._send_json(200, [asdict(f) for f in api.faults])
            elif method == "POST":
                body = self._read_body()
                items = body if isinstance(body, list) else [body]
                added = [asdict(api.add_fault(item)) for item in items]
                self._send_json(200, added)
            elif method == "DELETE":
                api.clear_faults()
                self._send_json(200, [])
            else:
                self._send_json(405, {"error": "method not allowed"})
        elif path == "/_control/log" and method == "GET":
            self._send_json(200, api.requests)
        elif path == "/_control/reset" and method == "POST":
            api.reset()
            self._send_json(200, {"ok": True})
        else:
            self._send_json(404, {"error": "not found"})

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_GET(self) -> None:
        self._dispatch("GET")

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/") or "/"
        try:
            if path.startswith("/_control/") and self.api.control:
                self._control(method, path)
            elif method != "GET":
                self._send_json(405, {"error": "method not allowed"})
            elif path == "/health":
                self._send_json(200, {"ok": True})
            else:
                self._data(path, parse_qs(parts.query))
        except _BadRequest as exc:
            self._send_json(400, {"error": str(exc)})
        except (ValueError, TypeError) as exc:
            self._send_json(400, {"error": str(exc)})
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # -- data
    def _route(self, path: str, query: Mapping[str, list[str]]) -> tuple[str, str] | None:
        if path in self.api.routes:
            return self.api.routes[path]
        segments = [s for s in path.split("/") if s]
        if len(segments) == 2 and segments[0] in STYLES:
            return segments[1], segments[0]
        if len(segments) == 1:
            style = query.get("pagination", [self.api.default_pagination])[0]
            if style == "next-link":
                style = "next"
            return segments[0], style
        return None

    def _authorised(self) -> bool:
        expected = self.api.token
        if not expected:
            return True
        given = self.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {expected}".encode())

    def _data(self, path: str, query: Mapping[str, list[str]]) -> None:
        api = self.api
        arrived = time.monotonic()
        route = self._route(path, query)
        if route is None or route[0] not in api._data or route[1] not in STYLES:
            self._send_json(404, {"error": f"no such resource: {path}"})
            return
        feed, style = route
        entry: dict[str, Any] = {"t": arrived, "path": path, "feed": feed, "style": style}
        if not self._authorised():
            entry.update(page=None, outcome="401")
            api._record(entry)
            self._send_json(401, {"error": "unauthorized"}, {"WWW-Authenticate": 'Bearer realm="ipind"'})
            return

        def arg(name: str, default: str | None = None) -> str | None:
            return query.get(name, [default])[0]

        def as_int(name: str, default: int) -> int:
            value = arg(name)
            try:
                return int(value) if value is not None else default
            except ValueError:
                raise _BadRequest(f"{name} must be an integer") from None

        def as_date(name: str) -> date | None:
            value = arg(name)
            if not value:
                return None
            try:
                return date.fromisoformat(value)
            except ValueError:
                raise _BadRequest(f"{name} must be an ISO date") from None

        start_date, end_date = as_date("date_from"), as_date("date_to")
        size_param = "limit" if style == "offset" else "page_size"
        size = max(1, min(as_int(size_param, 100), api.max_page_size))
        if style == "page":
            number = as_int("page", 1)
            if number < 1:
                raise _BadRequest("page starts at 1")
            start = (number - 1) * size
        elif style == "offset":
            start = as_int("offset", 0)
        elif style == "cursor":
            cursor = arg("cursor")
            try:
                start = _decode_cursor(cursor) if cursor else 0
            except (ValueError, UnicodeDecodeError):
                raise _BadRequest("invalid cursor") from None
        else:
            start = as_int("offset", 0)
        if start < 0:
            raise _BadRequest("offset must not be negative")
        page = start // size + 1
        entry["page"] = page
        fault, content = api._response_faults(feed, style, page)
        entry["outcome"] = fault.kind if fault else "ok"
        api._record(entry)

        if fault is not None and fault.kind == "reset":
            self._reset()
            return
        if fault is not None and fault.kind == "status":
            retry = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            self._send_json(fault.status, {"error": f"injected HTTP {fault.status}"}, retry)
            return
        if fault is not None and fault.kind == "slow" and not _sleep(fault.delay, api._stopping):
            return

        with api._lock:
            data = api._data[feed]
        view = data.window(start_date, end_date)
        for dup in (f for f in content if f.kind == "duplicate"):
            p = dup.page or 1
            view = view[: p * size] + view[(p - 1) * size : p * size] + view[p * size :]
        records = [dict(r) for r in view[start : start + size]]
        entry["records"] = len(records)
        for mut in (f for f in content if f.kind == "mutate"):
            for rec in records:
                rec[mut.field] = mut.served
        rename = api.rename.get(feed, {})
        if rename:
            records = [{rename.get(k, k): v for k, v in r.items()} for r in records]
        total = len(view)
        more = start + size < total
        headers: dict[str, str] = {}
        if style == "page":
            payload: dict[str, Any] = {
                "data": records,
                "page": page,
                "page_size": size,
                "total": total,
                "has_more": more,
            }
        elif style == "offset":
            payload = {"data": records, "offset": start, "limit": size, "total": total}
        elif style == "cursor":
            payload = {
                "data": records,
                "next_cursor": _encode_cursor(start + size) if more else None,
            }
        else:
            nxt = None
            if more:
                params = {k: v[0] for k, v in query.items() if k != "offset"}
                params.update(offset=str(start + size), page_size=str(size))
                host = self.headers.get("Host") or _host_port(self.server)
                nxt = f"http://{host}{path}?{urlencode(params)}"
                headers["Link"] = f'<{nxt}>; rel="next"'
            payload = {"data": records, "next": nxt}
        body = json.dumps(payload, ensure_ascii=False).encode()
        if fault is not None and fault.kind == "truncate":
            body = body[: max(1, len(body) // 2)]
        self._send(200, body, headers)


def _sleep(seconds: float, stopping: threading.Event) -> bool:
    """Sleep unless the server stops first; True when the full time passed."""
    return not stopping.wait(seconds)


@contextmanager
def serve(feeds: Mapping[str, Sequence[Mapping[str, Any]]] | None = None, **options: Any) -> Iterator[str]:
    """Run the reference API for the duration of a `with` block and yield its base URL.

    Options are `ApiServer`'s. Control faults at runtime through the `/_control/faults`
    endpoint (see `post_fault`) or use `ApiServer` directly to hold the Python handle.
    """
    with ApiServer(feeds, **options) as server:
        yield server.url


def post_fault(base_url: str, fault: Fault | Mapping[str, Any]) -> dict[str, Any]:
    """Add a fault to a running server through its control endpoint."""
    import requests

    payload = asdict(fault) if isinstance(fault, Fault) else dict(fault)
    resp = requests.post(f"{base_url}/_control/faults", json=payload, timeout=5)
    resp.raise_for_status()
    added: dict[str, Any] = resp.json()[0]
    return added


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ingestion.api_server",
        description="Serve feed records over a paginated JSON API, with fault injection.",
    )
    parser.add_argument("--db", type=Path, help="DuckDB file with raw.<feed> tables")
    parser.add_argument(
        "--table",
        action="append",
        default=[],
        metavar="FEED=SCHEMA.TABLE",
        help="read a feed from another table (repeatable)",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--token-env",
        metavar="NAME",
        help="require the bearer token held in this environment variable",
    )
    parser.add_argument("--default-pagination", choices=STYLES, default="page")
    parser.add_argument("--max-page-size", type=int, default=1000)
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="JSON",
        help='inject a fault, e.g. \'{"kind": "status", "status": 429, "retry_after": "2"}\'',
    )
    args = parser.parse_args(argv)
    tables = {}
    for item in args.table:
        feed, sep, table = item.partition("=")
        if not sep:
            parser.error(f"--table expects FEED=SCHEMA.TABLE, got {item!r}")
        tables[feed] = table
    token = None
    if args.token_env:
        token = os.environ.get(args.token_env)
        if not token:
            parser.error(f"environment variable {args.token_env} is not set")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    server = ApiServer(
        db=args.db,
        tables=tables,
        token=token,
        faults=args.fault,
        default_pagination=args.default_pagination,
        max_page_size=args.max_page_size,
        host=args.host,
        port=args.port,
    )
    counts = ", ".join(f"{f}={len(d.records) + len(d.undated)}" for f, d in server._data.items())
    print(f"serving {counts or 'no feeds'} on {server.url} (Ctrl-C to stop)", flush=True)
    with suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
