"""Pull one partition window of a feed from a paginated HTTP API into a `Batch`.

The contract (shared/contract/feeds.md, "HTTP API sources") asks every HTTP source to fetch
one half-open window [date_from, date_to) at a time, to honour `Retry-After`, to retry
server errors and timeouts with backoff, and to fail the run with a clear error -- writing
nothing partial -- once retries are spent. This module does exactly that and nothing else:
plain `requests`, no orchestration imports, so it can be unit-tested against the local
reference API (`ingestion.api_server`) and called from any asset or CLI.

Why the window is all-or-nothing: the loader replaces a batch by its content hash, so a
half-fetched window would be loaded as a "new version" of the data and silently drop the
records of the pages that never arrived. `fetch_window` therefore returns a complete batch
or raises `HttpSourceError`; it never returns what it had so far.

Secrets: the bearer token is read from the environment variable named in the config at call
time, sent only in the `Authorization` header (never in a URL, so it cannot reach access
logs or urllib3's debug log), never to another origin, and scrubbed from every message.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import logging
import math
import os
import random
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import pandas
import requests
from requests.auth import AuthBase

from ingestion.batch import Batch
from ingestion.months import next_month
from ingestion.schema import FEEDS, Feed, normalise_header

log = logging.getLogger(__name__)

PAGINATION_STYLES: tuple[str, ...] = ("page", "offset", "cursor", "next-link")
_PAGINATION_ALIASES = {"next_link": "next-link", "nextlink": "next-link", "next": "next-link"}
# Conventional places a JSON API puts the records of a page, tried in order when the config
# does not name one.
_RECORD_FIELDS: tuple[str, ...] = ("data", "items", "records", "results")
# Query parameter names whose values are masked in messages and in `Batch.source`.
_SECRET_HINTS = ("token", "key", "secret", "passw", "signature", "sig", "auth", "credential")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Config keys that would put a secret in a file: refused with a pointer to `token_env`.
_FORBIDDEN_KEYS = {"token", "bearer", "api_key", "apikey", "password", "authorization", "headers"}


class HttpSourceError(RuntimeError):
    """A window could not be fetched completely; nothing of it may be written.

    The message names the feed, the URL (query secrets masked), the page and the last
    status, and never contains the token.
    """


@dataclass(frozen=True)
class HttpFeedConfig:
    """How to reach one feed's API. Built by `load_http_config` from the `http:` section.

    `token_env` is the *name* of the environment variable that holds the bearer token (None:
    the API needs no auth); the token itself never appears in config. `field_map` maps source
    field names to canonical column names; source fields that already carry a canonical name
    or an accepted Chinese header are mapped without an entry; everything else goes to
    `_extra`. The remaining fields name the query parameters and response fields of the
    four pagination styles, so most APIs fit without code.
    """

    base_url: str
    path: str = ""
    token_env: str | None = None
    page_size: int = 500
    pagination: str = "page"
    field_map: Mapping[str, str] = field(default_factory=dict)
    timeout: tuple[float, float] = (5.0, 30.0)  # (connect, read) seconds
    max_retries: int = 5  # retries per page after the first attempt
    backoff_base: float = 0.5  # first backoff in seconds; doubles per retry, with jitter
    backoff_max: float = 30.0  # cap of one backoff sleep
    retry_after_max: float = 300.0  # a longer Retry-After fails at once instead of sleeping
    date_from_param: str = "date_from"
    date_to_param: str = "date_to"
    window_end_inclusive: bool = False  # True: the API's date_to is inclusive, send to - 1 day
    records_field: str | None = None  # dotted path to the record list; None: auto-detect
    page_param: str = "page"
    page_size_param: str = "page_size"
    first_page: int = 1
    offset_param: str = "offset"
    limit_param: str = "limit"
    cursor_param: str = "cursor"
    next_cursor_field: str = "next_cursor"
    next_field: str = "next"
    has_more_field: str = "has_more"
    extra_params: Mapping[str, str] = field(default_factory=dict)
    max_pages: int = 100_000  # guard against an API that never ends

    def __post_init__(self) -> None:
        style = _PAGINATION_ALIASES.get(self.pagination, self.pagination)
        if style not in PAGINATION_STYLES:
            raise ValueError(
                f"pagination must be one of {', '.join(PAGINATION_STYLES)}, got {self.pagination!r}"
            )
        object.__setattr__(self, "pagination", style)
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("base_url must be an absolute http(s) URL")
        if parts.username or parts.password:
            raise ValueError("base_url must not contain credentials; use token_env")
        if self.token_env is not None and not _ENV_NAME.match(self.token_env):
            # Do not echo the value: a pasted token is the likely mistake.
            raise ValueError(
                "token_env must be the name of an environment variable"
                " (letters, digits, underscore), not a token"
            )
        object.__setattr__(self, "timeout", _timeout(self.timeout))
        for name in ("page_size", "max_pages"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be at least 1")
        for name in ("max_retries", "backoff_base", "backoff_max", "retry_after_max"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        for name in self.extra_params:
            if _is_secret_name(name):
                raise ValueError(
                    f"extra_params must not carry secrets ({name!r}); the token goes in token_env"
                )
        object.__setattr__(self, "field_map", dict(self.field_map))
        object.__setattr__(self, "extra_params", {k: str(v) for k, v in self.extra_params.items()})

    @property
    def url(self) -> str:
        """The endpoint: base_url joined with path (path may be absolute or relative)."""
        if not self.path:
            return self.base_url
        return self.base_url.rstrip("/") + "/" + self.path.lstrip("/")

    def check_field_map(self, feed: Feed) -> None:
        """Fail early on a mapping to a column the contract does not have (typos)."""
        unknown = sorted({v for v in self.field_map.values() if v not in feed.column_names})
        if unknown:
            raise ValueError(
                f"{feed.name}: field_map maps to unknown columns {unknown};"
                f" valid: {', '.join(feed.column_names)}"
            )


def _timeout(value: Any) -> tuple[float, float]:
    if isinstance(value, int | float):
        pair = (float(value), float(value))
    elif isinstance(value, Mapping):
        pair = (float(value["connect"]), float(value["read"]))
    else:
        connect, read = value
        pair = (float(connect), float(read))
    if min(pair) <= 0:
        raise ValueError("timeout must be positive")
    return pair


def _is_secret_name(name: str) -> bool:
    lowered = name.lower()
    return any(hint in lowered for hint in _SECRET_HINTS)


def load_http_config(mapping: Mapping[str, Any] | None) -> dict[str, HttpFeedConfig]:
    """Build per-feed configs from the `http:` section of ipind.yaml (see docs/http_sources.md).

    Accepts `{defaults: {...}, feeds: {grants: {...}, ...}}` or, without `feeds`, every key
    other than `defaults` as a feed. Unknown keys are errors (a typo would otherwise silently
    fall back to a default), and so are keys that would hold a secret.
    """
    if not mapping:
        return {}
    defaults = dict(mapping.get("defaults") or {})
    if "feeds" in mapping:
        extra = set(mapping) - {"defaults", "feeds"}
        if extra:
            raise ValueError(f"http: unknown keys {sorted(extra)} (expected defaults, feeds)")
        feeds = dict(mapping["feeds"] or {})
    else:
        feeds = {k: v for k, v in mapping.items() if k != "defaults"}
    allowed = {f.name for f in fields(HttpFeedConfig)}
    out: dict[str, HttpFeedConfig] = {}
    for name, spec in feeds.items():
        if name not in FEEDS:
            raise ValueError(f"http: unknown feed {name!r}; feeds are {', '.join(FEEDS)}")
        merged = {**defaults, **dict(spec or {})}
        forbidden = sorted(k for k in merged if str(k).lower() in _FORBIDDEN_KEYS)
        if forbidden:
            raise ValueError(
                f"http.{name}: {forbidden} would put a secret in config; set token_env to the"
                " name of an environment variable holding the token instead"
            )
        unknown = sorted(set(merged) - allowed)
        if unknown:
            raise ValueError(f"http.{name}: unknown keys {unknown}; allowed: {sorted(allowed)}")
        if "base_url" not in merged:
            raise ValueError(f"http.{name}: base_url is required")
        try:
            config = HttpFeedConfig(**merged)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"http.{name}: {exc}") from None
        config.check_field_map(FEEDS[name])
        out[name] = config
    return out


# --------------------------------------------------------------------------- helpers


def safe_url(url: str, params: Mapping[str, Any] | None = None) -> str:
    """The URL with query parameters appended and any secret-looking value masked."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if params:
        query += [(k, str(v)) for k, v in params.items()]
    masked = [(k, "***" if _is_secret_name(k) else v) for k, v in query]
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(masked), ""))


def _scrub(text: str, token: str | None) -> str:
    if token and len(token) >= 4:
        text = text.replace(token, "***")
    return text


def _retry_after_seconds(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def _backoff(config: HttpFeedConfig, attempt: int) -> float:
    """Exponential backoff with "equal jitter": between half and all of the capped delay.

    Jitter keeps parallel partition runs from retrying in lockstep; the floor keeps the wait
    from collapsing to zero, which would hammer a struggling server.
    """
    ceiling = min(config.backoff_max, config.backoff_base * (2**attempt))
    return random.uniform(ceiling / 2, ceiling)


def _as_date(value: date | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _text(value: Any) -> str | None:
    """A JSON value as the text the loader casts: files and APIs both land text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, list) and all(
        not isinstance(v, dict | list) for v in value
    ):  # e.g. ipc_all or application_numbers as a JSON array: the contract's `;` list
        items = [t for t in (_text(v) for v in value) if t is not None]
        return ";".join(items) if items else None
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _canonical_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


# --------------------------------------------------------------------------- fetching


class _BearerAuth(AuthBase):
    """Bearer auth as a requests auth object.

    Passing it as `auth=` (rather than a header) stops requests from replacing it with
    ~/.netrc credentials, and requests drops it on a redirect to another host.
    """

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "_BearerAuth(***)"


@dataclass
class _Page:
    number: int  # 1-based request ordinal within the window
    url: str  # absolute URL without the query
    params: dict[str, str] | None


class _WindowFetch:
    """State of one window's fetch: the session, the token and the error context."""

    def __init__(
        self,
        config: HttpFeedConfig,
        feed: Feed,
        session: requests.Session,
        token: str | None,
        window: dict[str, str],
    ) -> None:
        self.config = config
        self.feed = feed
        self.session = session
        self.token = token
        self.auth = _BearerAuth(token) if token else None
        self.window = window
        self.origin = _origin(config.url)

    def error(self, message: str) -> HttpSourceError:
        return HttpSourceError(_scrub(f"{self.feed.name}: {message}", self.token))

    def get(self, page: _Page) -> tuple[Any, requests.Response]:
        """GET one page, retrying what a retry can fix; return its parsed JSON."""
        cfg = self.config
        where = f"page {page.number} of {safe_url(page.url, page.params)}"
        last = "no response"
        attempts = cfg.max_retries + 1
        for attempt in range(attempts):
            wait: float | None = None
            try:
                resp = self.session.get(page.url, params=page.params, auth=self.auth, timeout=cfg.timeout)
            except requests.Timeout as exc:
                last = f"timeout ({type(exc).__name__})"
            except (
                requests.ConnectionError,
                requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError,
            ) as exc:
                last = f"connection error ({type(exc).__name__}: {str(exc)[:200]})"
            else:
                status = resp.status_code
                if 200 <= status < 300:
                    try:
                        return resp.json(), resp
                    except ValueError:
                        last = f"HTTP {status} with invalid JSON ({len(resp.content)} bytes)"
                elif status in (401, 403):
                    raise self._auth_error(status, where)
                elif status in (408, 429) or status >= 500:
                    last = f"HTTP {status}"
                    wait = _retry_after_seconds(resp.headers.get("Retry-After"))
                    if wait is not None and wait > cfg.retry_after_max:
                        raise self.error(
                            f"{where}: HTTP {status} asks to retry after {wait:.0f} s, more than"
                            f" retry_after_max ({cfg.retry_after_max:.0f} s); nothing written"
                        )
                else:
                    body = " ".join(resp.text[:200].split())
                    raise self.error(f"{where}: HTTP {status} (not retryable): {body}; nothing written")
            if attempt + 1 == attempts:
                break
            delay = wait if wait is not None else _backoff(cfg, attempt)
            log.warning(
                "%s",
                _scrub(
                    f"{self.feed.name}: {where}: {last}; retry {attempt + 1}/{cfg.max_retries}"
                    f" in {delay:.2f} s",
                    self.token,
                ),
            )
            time.sleep(delay)
        raise self.error(
            f"{where}: giving up after {attempts} attempts, last: {last}; nothing written for this window"
        )

    def _auth_error(self, status: int, where: str) -> HttpSourceError:
        if self.config.token_env is None:
            hint = "no token is configured (set token_env to the variable holding one)"
        else:
            var = self.config.token_env
            hint = f"the token in environment variable {var} was rejected; check {var}"
        return self.error(f"{where}: HTTP {status}: {hint}; nothing written")

    def records(self, payload: Any, page: _Page) -> list[dict[str, Any]]:
        """The page's record list, wherever the API puts it."""
        found: Any = None
        if self.config.records_field:
            found = payload
            for part in self.config.records_field.split("."):
                found = found.get(part) if isinstance(found, dict) else None
        elif isinstance(payload, list):
            found = payload
        elif isinstance(payload, dict):
            for name in _RECORD_FIELDS:
                if isinstance(payload.get(name), list):
                    found = payload[name]
                    break
        if not isinstance(found, list) or not all(isinstance(r, dict) for r in found):
            expected = self.config.records_field or " or ".join(_RECORD_FIELDS)
            raise self.error(
                f"page {page.number} of {safe_url(page.url, page.params)}: expected a list of"
                f" records under {expected!r}; set records_field; nothing written"
            )
        return found

    def pages(self) -> Iterator[list[dict[str, Any]]]:
        """Yield each page's records, following the configured pagination style."""
        cfg = self.config
        base = {**cfg.extra_params, **self.window}
        style = cfg.pagination
        number = 0
        position = cfg.first_page if style == "page" else 0  # page number or offset
        cursor: str | None = None
        seen: set[str] = set()
        next_url: str | None = None
        while True:
            number += 1
            if number > cfg.max_pages:
                raise self.error(
                    f"{safe_url(cfg.url, self.window)}: more than max_pages ({cfg.max_pages})"
                    " pages; nothing written"
                )
            if style == "page":
                params = {
                    **base,
                    cfg.page_param: str(position),
                    cfg.page_size_param: str(cfg.page_size),
                }
                page = _Page(number, cfg.url, params)
            elif style == "offset":
                params = {
                    **base,
                    cfg.offset_param: str(position),
                    cfg.limit_param: str(cfg.page_size),
                }
                page = _Page(number, cfg.url, params)
            elif style == "cursor":
                params = {**base, cfg.page_size_param: str(cfg.page_size)}
                if cursor is not None:
                    params[cfg.cursor_param] = cursor
                page = _Page(number, cfg.url, params)
            elif next_url is None:  # next-link, first page
                page = _Page(number, cfg.url, {**base, cfg.page_size_param: str(cfg.page_size)})
            else:
                page = _Page(number, next_url, None)
            payload, resp = self.get(page)
            recs = self.records(payload, page)
            yield recs
            meta = payload if isinstance(payload, dict) else {}
            if style in ("page", "offset"):
                # An empty page is the only end signal every API gives; a short page is not
                # (servers cap page sizes), so stopping on one could lose records.
                if not recs or meta.get(cfg.has_more_field) is False:
                    return
                position += 1 if style == "page" else len(recs)
            elif style == "cursor":
                nxt = meta.get(cfg.next_cursor_field)
                if nxt in (None, ""):
                    return
                cursor = str(nxt)
                if cursor in seen:
                    raise self.error(f"cursor repeats at page {number}; nothing written")
                seen.add(cursor)
            else:
                link = meta.get(cfg.next_field) or resp.links.get("next", {}).get("url")
                if not link:
                    return
                next_url = urljoin(resp.url, str(link))
                if _origin(next_url) != self.origin:
                    raise self.error(
                        f"page {number}: next link leads to another origin"
                        f" ({_origin(next_url)}); refusing to send the token there"
                    )
                if next_url in seen:
                    raise self.error(f"next link repeats at page {number}; nothing written")
                seen.add(next_url)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{parts.hostname}:{port}"


def _read_token(config: HttpFeedConfig, feed: str) -> str | None:
    if config.token_env is None:
        return None
    token = os.environ.get(config.token_env, "").strip()
    if not token:
        raise HttpSourceError(
            f"{feed}: environment variable {config.token_env} is not set or empty; it must hold"
            f" the bearer token for {safe_url(config.url)}"
        )
    return token


class _Mapper:
    """Source record -> (canonical text values, unmapped fields) for one feed."""

    def __init__(self, feed: Feed, field_map: Mapping[str, str]) -> None:
        self.columns = feed.column_names
        self.explicit = dict(field_map)
        self.aliases = feed.alias_map()

    def __call__(self, record: Mapping[str, Any]) -> tuple[dict[str, str | None], dict[str, Any]]:
        out: dict[str, str | None] = {}
        rest: dict[str, Any] = {}
        pending: list[tuple[str, Any]] = []
        # Explicit mappings win over names recognised as canonical or Chinese headers.
        for key, value in record.items():
            target = self.explicit.get(key)
            if target is not None and out.get(target) is None:
                out[target] = _text(value)
            else:
                pending.append((key, value))
        for key, value in pending:
            target = None if key in self.explicit else self.aliases.get(normalise_header(key))
            if target is not None and out.get(target) is None:
                out[target] = _text(value)
            else:
                rest[key] = value
        return {c: out.get(c) for c in self.columns}, rest


def fetch_window(
    config: HttpFeedConfig,
    feed: str,
    date_from: date | str,
    date_to: date | str,
    session: requests.Session | None = None,
) -> Batch:
    """Fetch every page of one feed's window [date_from, date_to) and return one `Batch`.

    Records repeated across pages (offset drift, a repeated page) are de-duplicated by the
    feed's key, the last version seen winning at the position of the first; records without
    a key are de-duplicated on their whole content. `_row` numbers the unique records from 1.
    `ingest_hash` is the sha256 of the sorted canonical records, so the same data gives the
    same hash whatever the page order or size: reloading it replaces rather than duplicates.

    Raises HttpSourceError (and returns nothing) when the token variable is missing, the
    token is rejected, a page fails after its retries, or the API misbehaves in a way a retry
    cannot fix. Pass a `session` to share connections across windows; one is created (and
    closed) otherwise.
    """
    if feed not in FEEDS:
        raise ValueError(f"unknown feed {feed!r}; feeds are {', '.join(FEEDS)}")
    spec = FEEDS[feed]
    config.check_field_map(spec)
    start, end = _as_date(date_from), _as_date(date_to)
    if end <= start:
        raise ValueError(f"{feed}: empty window [{start}, {end})")
    sent_end = end - timedelta(days=1) if config.window_end_inclusive else end
    window = {config.date_from_param: start.isoformat(), config.date_to_param: sent_end.isoformat()}
    source = safe_url(config.url, window)
    token = _read_token(config, feed)
    own_session = session is None
    http = session if session is not None else requests.Session()
    fetch = _WindowFetch(config, spec, http, token, window)
    mapper = _Mapper(spec, config.field_map)
    unique: dict[str, tuple[dict[str, str | None], dict[str, Any], int]] = {}
    received = pages = 0
    started = time.monotonic()
    try:
        for records in fetch.pages():
            pages += 1
            for record in records:
                received += 1
                values, rest = mapper(record)
                key = values.get(spec.key)
                ident = f"k:{key}" if key else "c:" + _canonical_json([values, rest])
                unique[ident] = (values, rest, pages)
    finally:
        if own_session:
            http.close()
    frame, ingest_hash = _frame(spec, list(unique.values()), source)
    log.info(
        "%s: %d records (%d unique) in %d pages from %s in %.2f s",
        feed,
        received,
        len(unique),
        pages,
        source,
        time.monotonic() - started,
    )
    return Batch(feed=feed, source=source, ingest_hash=ingest_hash, frame=frame)


def _frame(
    feed: Feed, rows: list[tuple[dict[str, str | None], dict[str, Any], int]], source: str
) -> tuple[pandas.DataFrame, str]:
    """The landed frame and its hash.

    All canonical columns as text, then `_row`, `_extra` and `_source` -- the same shape as
    the file reader's, so the frame is a complete landed relation for `loader.load_feed`.
    `_source` is the window's URL and the page the record came from (the last page, for a
    key repeated across pages), `_row` its place among the window's distinct records.
    The hash leaves out `_row` and `_source`: it identifies the data, not how it was paged.
    """
    columns = feed.column_names
    extras = [_canonical_json(rest) if rest else None for _, rest, _ in rows]
    data: dict[str, Any] = {
        c: pandas.Series([values[c] for values, _, _ in rows], dtype="str") for c in columns
    }
    data["_row"] = pandas.Series(range(1, len(rows) + 1), dtype="int64")
    data["_extra"] = pandas.Series(extras, dtype="str")
    data["_source"] = pandas.Series([f"{source} page {page}" for _, _, page in rows], dtype="str")
    frame = pandas.DataFrame(data, columns=[*columns, "_row", "_extra", "_source"])
    canonical = sorted(
        _canonical_json([[values[c] for c in columns], extra])
        for (values, _, _), extra in zip(rows, extras, strict=True)
    )
    digest = hashlib.sha256()
    digest.update(_canonical_json([feed.name, columns]).encode())
    for line in canonical:
        digest.update(b"\n" + line.encode())
    return frame, digest.hexdigest()


def month_windows(date_from: date | str, date_to: date | str) -> list[tuple[date, date]]:
    """Split [date_from, date_to) into calendar-month windows (the partition grain).

    The first and last windows are clipped to the range, so a range that does not start on
    the first of a month still maps each record to exactly one window.
    """
    start, end = _as_date(date_from), _as_date(date_to)
    out: list[tuple[date, date]] = []
    cursor = start
    while cursor < end:
        month_end = next_month(cursor)
        out.append((cursor, min(month_end, end)))
        cursor = month_end
    return out


def fetch_windows(
    config: HttpFeedConfig,
    feed: str,
    date_from: date | str,
    date_to: date | str,
    session: requests.Session | None = None,
) -> list[Batch]:
    """Fetch a date range month by month over one session: one `Batch` per month.

    All or nothing across the range too: if any month fails, HttpSourceError propagates and
    no batch is returned, so a caller that loads after fetching writes nothing. Monthly
    windows keep each request set small and give each month its own `source`, which lets a
    later refetch of one month replace exactly that month.
    """
    own_session = session is None
    http = session if session is not None else requests.Session()
    try:
        return [
            fetch_window(config, feed, start, end, session=http)
            for start, end in month_windows(date_from, date_to)
        ]
    finally:
        if own_session:
            http.close()
