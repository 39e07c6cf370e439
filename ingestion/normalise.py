"""Landed rows -> typed raw rows plus quarantine rows, in DuckDB SQL for every source alike.

A landed relation has the feed's canonical column names (any subset, any type: text from
files and APIs, typed DATE/INTEGER/DECIMAL from the synthetic generator) plus `_source`,
`_row` and `_extra`. `normalise` returns two SELECTs over it:

* the rows that keep every contract rule (../shared/contract/feeds.md), typed and in the
  column order of `raw.<feed>` without `_loaded_at`/`_ingest_hash` (the loader adds them):
  feed columns, then per `REGION_ROLES` role `<role>_region_match`, `_region_match_level`,
  `_region_confidence`, then `_extra, _source, _row`;
* the other rows as quarantine rows `_source, _row, field, reason, record`: one per bad
  input row, naming the FIRST failing field (in column order) and the rule, with `record` the
  JSON of the row as it arrived.

Every input row lands in exactly one of the two, so valid + quarantined = input, always.

Why SQL and not pandas: the synthetic source lands tens of millions of rows, so every rule
is a vectorised expression, and the SQL is generated per input column type (a DATE column
from the generator is used as is; only text goes through the date parsers).

Rejected (quarantined) - the contract's (reject) rules plus "a row that cannot be parsed":
* a required column (schema.py `required=True`) missing or empty;
* any date that is present but unparseable, or outside 1900..2100;
* application numbers (grants key, legal_events/transfers reference, every pledge number)
  that are malformed or fail the check character; a pledge with no number;
* unknown patent_type, event_type, kind, pledge status (these drive indicator logic:
  guessing is worse; an unknown status used to pass here and stop the run at the raw gate);
* grant_date before filing_date; amount_10k_cny not > 0 or unparseable;
* a malformed PCT number, a region code that is not 6 digits, an unparseable
  overseas_family_grants (or negative), an unparseable to_is_sme.

Kept as given (normalised when recognised): holder types (patentee/from/to/pledgor/
applicant `_type`), license_type (unknown values stay as text for dbt tests to flag), and
ipc codes that do not look like IPC (design patents carry Locarno classes). Defaults:
patentee/applicant country `CN`, overseas_family_grants 0, pledge status `registered`
when empty (a pledge register without a status column lists registrations), legal event_id = md5 of
`application_number|event_date|event_type` when absent.

Region codes: an empty code with an address is resolved from the DISTINCT addresses of the
batch by `ingestion.address` (quhua) in Python, cached in a connection-local temp table and
joined - never per row. Old codes are kept as given: dbt's dim_region maps them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from ingestion.address import resolve_many, resolver_version
from ingestion.schema import (
    EVENT_TYPES,
    FEEDS,
    HOLDER_TYPES,
    LICENSE_TYPES,
    PATENT_TYPES,
    PLEDGE_STATUSES,
    REGION_ROLES,
    TRANSFER_KINDS,
    UNPARSED_COLUMN,
    Feed,
)

# Cache of resolved addresses (address key -> region), shared by every batch and run; kept
# in the warehouse so a rerun resolves nothing again. See `address_table`.
ADDRESS_TABLE = "ingest_cache.address_resolution"
ADDRESS_TEMP_TABLE = "_ipind_address_resolution"

# Whitespace trimmed from every text value (ASCII, ideographic space, no-break space).
_WS = " \t\r\n\u3000\u00a0"
_WS_RE = r"[\s\x{3000}\x{00a0}]+"  # the same for RE2 (its \s is ASCII only)

# Reasons name the rule; they are constant strings so the loader can count them.
R_REQUIRED = "required value missing"
R_DATE = "unparseable date (accepted: YYYY-MM-DD, YYYY/M/D, YYYY年M月D日, YYYYMMDD, 5-digit Excel serial)"
R_DATE_RANGE = "date outside 1900-01-01..2100-12-31"
R_APPNO_FORMAT = "application number malformed (8 or 12 digits + check character, CN/ZL allowed)"
R_APPNO_CHECK = "application number check character mismatch"
R_PLEDGE_NONE = "no application number (at least one required)"
R_PLEDGE_BAD = "an application number is malformed or fails its check character"
R_GRANT_BEFORE_FILING = "grant_date before filing_date"
R_AMOUNT_POSITIVE = "amount_10k_cny must be > 0"
R_NUMBER = "unparseable number"
R_INT_NEGATIVE = "must be a non-negative integer"
R_BOOL = "unparseable boolean (accepted: 是/否, true/false, yes/no, 1/0)"
R_REGION_CODE = "region code must be 6 digits (GB/T 2260)"
R_PCT = "PCT application number malformed (expected PCT/CN2021/123456)"
R_UNPARSED = (
    "line cannot be split into the header's fields"
    " (CSV: more fields than the header; JSON Lines: not a JSON object)"
)


def _enum_reason(column: str, values: dict[str, str]) -> str:
    return f"unknown {column} (expected {' / '.join(values)} or {' / '.join(values.values())})"


def _key(value: str) -> str:
    """Lookup key for enum values; mirrored in SQL by `_enum_key_sql`."""
    return re.sub(r"[\s\-]+", "_", value.strip().lower())


def _enum_map(canonical: dict[str, str], synonyms: dict[str, tuple[str, ...]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for english, chinese in canonical.items():
        for v in (english, chinese, *synonyms.get(english, ())):
            out[_key(v)] = english
    return out


PATENT_TYPE_MAP = _enum_map(
    PATENT_TYPES,
    {
        "invention": ("发明专利", "发明授权", "invention patent"),
        "utility_model": ("实用新型专利", "utility", "utility model"),
        "design": ("外观设计专利", "外观", "industrial design"),
    },
)
EVENT_TYPE_MAP = _enum_map(
    EVENT_TYPES,
    {
        "lapse_nonpayment": ("未缴年费专利权终止", "年费终止", "专利权的终止", "未缴年费"),
        "invalidated": ("专利权全部无效", "全部无效", "无效宣告", "invalidation"),
        "abandoned": ("放弃专利权", "专利权的主动放弃", "主动放弃", "避免重复授权放弃"),
        "restored": ("专利权的恢复", "权利恢复", "恢复权利"),
    },
)
KIND_MAP = _enum_map(
    TRANSFER_KINDS,
    {
        "assignment": ("专利权转让", "专利申请权转让", "权利转移", "transfer"),
        "license": ("专利实施许可", "实施许可", "licence", "许可备案"),
    },
)
LICENSE_TYPE_MAP = _enum_map(
    LICENSE_TYPES,
    {
        "exclusive": ("独占许可", "独占实施许可"),
        "sole": ("排他许可", "排他实施许可"),
        "ordinary": ("普通许可", "普通实施许可"),
        "open": ("开放许可实施",),
    },
)
PLEDGE_STATUS_MAP = _enum_map(
    PLEDGE_STATUSES,
    {"registered": ("设立", "质押登记", "生效"), "cancelled": ("注销登记", "canceled")},
)
HOLDER_TYPE_MAP = _enum_map(
    {t: t for t in HOLDER_TYPES},
    {
        "enterprise": ("企业", "公司", "企业法人"),
        "university": ("大专院校", "高校", "高等院校", "大学"),
        "research_institute": ("科研单位", "科研院所", "科研机构", "研究所"),
        "individual": ("个人", "自然人"),
        "government": ("机关团体", "政府机关", "机关"),
        "other": ("其他",),
    },
)
COUNTRY_MAP = {
    _key(k): v
    for k, v in {
        "中国": "CN",
        "中华人民共和国": "CN",
        "中国香港": "HK",
        "香港": "HK",
        "中国澳门": "MO",
        "澳门": "MO",
        "中国台湾": "TW",
        "台湾": "TW",
        "美国": "US",
        "日本": "JP",
        "韩国": "KR",
        "德国": "DE",
        "法国": "FR",
        "英国": "GB",
    }.items()
}
BOOL_TRUE = ("是", "true", "t", "yes", "y", "1", "1.0")
BOOL_FALSE = ("否", "false", "f", "no", "n", "0", "0.0")


# ----------------------------------------------------------------------------- SQL helpers


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _kind(duck_type: str | None) -> str:
    """Classify a landed column's DuckDB type; drives which SQL is generated for it."""
    if duck_type is None:
        return "absent"
    t = duck_type.upper()
    if t == "DATE":
        return "date"
    if t.startswith("TIMESTAMP"):
        return "timestamp"
    if t == "BOOLEAN":
        return "bool"
    if t in {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"} or t in {
        "UTINYINT",
        "USMALLINT",
        "UINTEGER",
        "UBIGINT",
        "UHUGEINT",
    }:
        return "int"
    if t in {"FLOAT", "DOUBLE", "REAL"} or t.startswith("DECIMAL"):
        return "float"
    if t == "NULL":
        return "absent"
    return "text"


def _as_text(x: str, kind: str) -> str:
    """SQL turning the staged value `x` (already trimmed text when kind is text) into text.

    Integral floats lose their `.0` (Excel writes 420100 as 420100.0)."""
    if kind == "text":
        return x
    if kind == "float":
        return (
            f"case when {x} = trunc({x}) then cast(cast({x} as hugeint) as varchar)"
            f" else cast({x} as varchar) end"
        )
    if kind == "date":
        return f"strftime({x}, '%Y-%m-%d')"
    if kind == "absent":
        return "null::varchar"
    return f"cast({x} as varchar)"


def _enum_key_sql(x: str) -> str:
    return rf"lower(regexp_replace({x}, '[\s\-]+', '_', 'g'))"


def _map_sql(x: str, mapping: dict[str, str]) -> str:
    whens = " ".join(f"when {_lit(k)} then {_lit(v)}" for k, v in mapping.items())
    return f"(case {_enum_key_sql(x)} {whens} end)"


def _date_from_text_sql(x: str) -> str:
    """Text -> DATE for every accepted spelling; NULL when unparseable."""
    ymd = r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T].*)?$"
    return (
        "(case"
        f" when regexp_matches({x}, {_lit(ymd)}) then"
        f" try_strptime(regexp_replace({x}, {_lit(ymd)}, '\\1-\\2-\\3'), '%Y-%m-%d')::date"
        rf" when regexp_full_match({x}, '\d{{8}}') then try_strptime({x}, '%Y%m%d')::date"
        # Excel serials of five digits (1927-05-18 on): a bare year such as 2021 is not a date
        rf" when regexp_full_match({x}, '\d{{5}}(\.\d+)?')"
        f" then date '1899-12-30' + cast(floor(cast({x} as double)) as integer)"
        " end)"
    )


def _check_char_sql(body: str) -> str:
    """Check character of an 8- or 12-digit body: weights 2..9,2..5, sum mod 11, 10 -> X."""
    weights = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
    terms = [f"(ascii(substr({body}, {i + 1}, 1)) - 48) * {w}" for i, w in enumerate(weights)]
    tail = " + ".join(terms[8:])
    s = f"({' + '.join(terms[:8])} + case when length({body}) = 12 then {tail} else 0 end)"
    return f"substr('0123456789X', ({s}) % 11 + 1, 1)"


_APPNO_RE = r"^(\d{12}|\d{8})\.?([0-9X])$"


def _appno_parts_sql(x: str) -> str:
    """Text -> struct(b := body digits, c := check char); both '' when malformed.

    Upper-cases, drops whitespace and a CN/ZL prefix, turns a full-width dot into a dot.
    Kept separate from `_appno_from_parts` so the regex runs once per value."""
    clean = (
        f"regexp_replace(regexp_replace(replace(upper({x}), '．', '.'), '{_WS_RE}', '', 'g'),"
        " '^(CN|ZL)+', '')"
    )
    # Most numbers arrive already normalised: one match instead of three regex passes.
    return (
        rf"(case when regexp_full_match({x}, '(\d{{12}}|\d{{8}})\.[0-9X]')"
        f" then struct_pack(b := left({x}, length({x}) - 2), c := right({x}, 1))"
        f" else regexp_extract({clean}, {_lit(_APPNO_RE)}, ['b', 'c']) end)"
    )


def _appno_from_parts(p: str) -> str:
    """Normalised `202110123456.7` form, NULL if malformed or the check character is wrong."""
    return f"(case when {p}.b <> '' and {_check_char_sql(p + '.b')} = {p}.c then {p}.b || '.' || {p}.c end)"


_IPC_CODE = r"[A-H]\d{2}[A-Z] [1-9]\d{0,3}/\d{2,6}"
_IPC_LIST = rf"{_IPC_CODE}(;{_IPC_CODE})*"


def _ipc_sql(x: str) -> str:
    """`h01l21/02`, `H01L 0021/02 (2006.01)`, `H01L0021020000` -> `H01L 21/02`; else as given."""
    c = rf"regexp_replace(regexp_replace(upper({x}), '[(（].*$', ''), '{_WS_RE}', '', 'g')"
    slash = r"^([A-H]\d{2}[A-Z])0*(\d{1,4})/(\d{1,6})$"
    packed = r"^([A-H]\d{2}[A-Z])(\d{4})(\d{6})$"
    sg = f"rtrim(regexp_extract({c}, {_lit(packed)}, 3), '0')"
    canonical = r"^[A-H]\d{2}[A-Z] [1-9]\d{0,3}/\d{2,6}$"
    return (
        "(case"
        f" when regexp_matches({x}, {_lit(canonical)}) then {x}"
        f" when regexp_matches({c}, {_lit(slash)})"
        f" then regexp_replace({c}, {_lit(slash)}, '\\1 \\2/\\3')"
        f" when regexp_matches({c}, {_lit(packed)}) then regexp_extract({c}, {_lit(packed)}, 1)"
        f" || ' ' || cast(cast(regexp_extract({c}, {_lit(packed)}, 2) as integer) as varchar)"
        f" || '/' || case when length({sg}) < 2 then rpad({sg}, 2, '0') else {sg} end"
        f" else nullif({c}, '') end)"
    )


def _split_sql(x: str) -> str:
    """`;`-separated list (also `；` `,` `，` `、`), trimmed, empties dropped."""
    return (
        f"list_filter(list_transform(string_split_regex({x}, '[;；,，、]'),"
        f" lambda a: trim(a, {_lit(_WS)})), lambda a: a <> '')"
    )


# ----------------------------------------------------------------------------- column plans


@dataclass
class _Plan:
    """How one canonical column is staged (`t`), valued (`v`) and checked."""

    stage: str  # SQL over the landed row -> staged value (trimmed text or typed)
    value: str  # SQL over staged (and prep) columns -> final typed value
    checks: list[tuple[str, str]] = field(default_factory=list)  # (condition, reason)
    prep: str | None = None  # optional SQL over staged columns, computed once, as `__p_<col>`


def _t(col: str) -> str:
    return _q(f"__t_{col}")


def _p(col: str) -> str:
    return _q(f"__p_{col}")


def _v(col: str, alias: str = "") -> str:
    return (f"{alias}." if alias else "") + _q(f"__v_{col}")


def _plan_column(feed: Feed, col: str, typ: str, required: bool, kind: str) -> _Plan:
    t, v = _t(col), _v(col)
    src = _q(col)
    if kind == "text":
        # trim() with a character set costs ~0.2 us a value; most values have no space at
        # either end, and an anchored match is cheaper than the trim it avoids.
        text_src = f"cast({src} as varchar)"
        stage = (
            f"(case when regexp_matches({text_src}, '^{_WS_RE}|{_WS_RE}$')"
            f" then nullif(trim({text_src}, {_lit(_WS)}), '') else nullif({text_src}, '') end)"
        )
    elif kind == "absent":
        stage = "null::varchar"
    else:
        stage = src
    text = _as_text(t, kind)
    present = f"{t} is not null"
    checks: list[tuple[str, str]] = []
    if required:
        checks.append((f"{t} is null", R_REQUIRED))

    if typ == "DATE":
        if kind == "date":
            value = t
        elif kind == "timestamp":
            value = f"cast({t} as date)"
        else:
            value = _date_from_text_sql(text)
        checks += [
            (f"{present} and {v} is null", R_DATE),
            (f"{v} < date '1900-01-01' or {v} > date '2100-12-31'", R_DATE_RANGE),
        ]
    elif typ == "INTEGER":  # overseas_family_grants
        if kind == "int":
            num = f"cast({t} as bigint)"
        elif kind == "float":
            num = f"case when {t} = trunc({t}) then cast({t} as bigint) end"
        else:
            num = (
                rf"case when regexp_full_match({text}, '[+-]?\d+(\.0*)?')"
                rf" then try_cast(regexp_replace({text}, '\.0*$', '') as bigint) end"
            )
        value = f"coalesce(try_cast({num} as integer), case when {t} is null then 0 end)"
        checks += [(f"{present} and {v} is null", R_NUMBER), (f"{v} < 0", R_INT_NEGATIVE)]
    elif typ.startswith("DECIMAL"):  # amount_10k_cny
        if kind in {"int", "float"}:
            value = f"try_cast({t} as {typ})"
        else:
            value = rf"try_cast(regexp_replace({text}, '[,，\s万元¥￥]', '', 'g') as {typ})"
        checks += [(f"{present} and {v} is null", R_NUMBER), (f"{v} <= 0", R_AMOUNT_POSITIVE)]
    elif typ == "BOOLEAN":  # to_is_sme
        if kind == "bool":
            value = t
        else:
            trues = ", ".join(_lit(b) for b in BOOL_TRUE)
            falses = ", ".join(_lit(b) for b in BOOL_FALSE)
            low = f"lower({text})"
            value = f"(case when {low} in ({trues}) then true when {low} in ({falses}) then false end)"
        checks.append((f"{present} and {v} is null", R_BOOL))
    else:
        value, more = _plan_text(feed, col, text, t, v)
        checks += more
    prep = None
    if col == "application_number" and typ == "VARCHAR":
        prep = _appno_parts_sql(text)
    elif col == "application_numbers":
        parts = f"list_transform({_split_sql(text)}, lambda a: {_appno_parts_sql('a')})"
        prep = f"list_transform({parts}, lambda p: {_appno_from_parts('p')})"
    return _Plan(stage=stage, value=value, checks=checks, prep=prep)


def _plan_text(feed: Feed, col: str, text: str, t: str, v: str) -> tuple[str, list[tuple[str, str]]]:
    present = f"{t} is not null"
    if col == "application_number":
        p = _p(col)
        return _appno_from_parts(p), [
            (f"{present} and {p}.b = ''", R_APPNO_FORMAT),
            (f"{present} and {v} is null", R_APPNO_CHECK),
        ]
    if col == "application_numbers":
        p = _p(col)  # list of normalised numbers, NULL for a bad one
        value = (
            f"(case when len({p}) > 0 and len(list_filter({p}, lambda a: a is null)) = 0"
            f" then array_to_string({p}, ';') end)"
        )
        return value, [
            (f"{present} and len({p}) = 0", R_PLEDGE_NONE),
            (f"{present} and {v} is null", R_PLEDGE_BAD),
        ]
    if col == "pct_application_number":
        c = rf"replace(regexp_replace(upper({text}), '{_WS_RE}', '', 'g'), '／', '/')"
        slash = r"^PCT/[A-Z]{2}(\d{2}|\d{4})/\d{5,6}$"
        packed = r"^PCT([A-Z]{2}\d{4})(\d{6})$"
        value = (
            f"(case when regexp_matches({c}, {_lit(slash)}) then {c}"
            f" when regexp_matches({c}, {_lit(packed)}) then"
            f" regexp_replace({c}, {_lit(packed)}, 'PCT/\\1/\\2') end)"
        )
        return value, [(f"{present} and {v} is null", R_PCT)]
    if col == "patent_type":
        return _map_sql(text, PATENT_TYPE_MAP), [
            (f"{present} and {v} is null", _enum_reason(col, PATENT_TYPES))
        ]
    if col == "event_type":
        return _map_sql(text, EVENT_TYPE_MAP), [
            (f"{present} and {v} is null", _enum_reason(col, EVENT_TYPES))
        ]
    if col == "kind":
        return _map_sql(text, KIND_MAP), [(f"{present} and {v} is null", _enum_reason(col, TRANSFER_KINDS))]
    if col == "license_type":
        return f"coalesce({_map_sql(text, LICENSE_TYPE_MAP)}, {text})", []
    if col == "status":  # empty: a register that lists registrations only
        return f"case when {present} then {_map_sql(text, PLEDGE_STATUS_MAP)} else 'registered' end", [
            (f"{present} and {v} is null", _enum_reason(col, PLEDGE_STATUSES))
        ]
    if col.endswith("_type"):  # holder types
        return f"coalesce({_map_sql(text, HOLDER_TYPE_MAP)}, {text})", []
    if col.endswith("_country"):
        return f"coalesce({_map_sql(text, COUNTRY_MAP)}, upper({text}), 'CN')", []
    if col == "receiving_office":
        return f"coalesce({_map_sql(text, COUNTRY_MAP)}, upper({text}))", []
    if col.endswith("_region_code"):
        c = rf"regexp_replace({text}, '\.0+$', '')"
        value = (
            rf"(case when regexp_full_match({c}, '\d{{6}}') then {c}"
            rf" when regexp_full_match({c}, '\d{{6}}0{{6}}') then substr({c}, 1, 6) end)"
        )
        return value, [(f"{present} and {v} is null", R_REGION_CODE)]
    if col == "ipc_main":
        return _ipc_sql(text), []
    if col == "ipc_all":
        # A list already in canonical form is kept as is: splitting every list to rewrite
        # codes that need no rewriting was the costliest rule of a grants load. NULL is
        # answered first: left to the list branch, the 7 % of grants without one cost a
        # third of the whole parse (measured on 4 M rows: 10.5 s -> 7 s).
        return (
            f"(case when {text} is null then null"
            f" when regexp_full_match({text}, {_lit(_IPC_LIST)}) then {text}"
            f" else nullif(array_to_string(list_transform({_split_sql(text)},"
            f" lambda a: {_ipc_sql('a')}), ';'), '') end)",
            [],
        )
    if col == "publication_number":
        return rf"regexp_replace(upper({text}), '{_WS_RE}', '', 'g')", []
    if col == "event_id":
        synth = (
            f"md5(coalesce({_v('application_number')}, '') || '|'"
            f" || coalesce(strftime({_v('event_date')}, '%Y-%m-%d'), '') || '|'"
            f" || coalesce({_v('event_type')}, ''))"
        )
        return f"coalesce({text}, {synth})", []
    return text, []


# ----------------------------------------------------------------------------- addresses


# A house number and what follows it (building, room) never changes the region, but makes
# nearly every address distinct: the resolver sees the address without it (13x fewer
# distinct values on the synthetic feeds).
_HOUSE_NUMBER_RE = r"[0-9０-９]+[号號弄栋幢室].*$"


def _address_key_sql(address: str) -> str:
    return f"nullif(trim(regexp_replace({address}, {_lit(_HOUSE_NUMBER_RE)}, ''), {_lit(_WS)}), '')"


def address_table(con: duckdb.DuckDBPyConnection) -> str:
    """The resolution cache: persistent `ADDRESS_TABLE` (keyed by resolver version, so reruns
    and later batches never resolve an address twice), or a temp table on a read-only
    connection."""
    cols = (
        "(address varchar, resolver varchar, region_code varchar, level varchar,"
        " confidence double, status varchar, primary key (address, resolver))"
    )
    try:
        con.execute(f"create schema if not exists {ADDRESS_TABLE.split('.')[0]}")
        con.execute(f"create table if not exists {ADDRESS_TABLE} {cols}")
        return ADDRESS_TABLE
    except duckdb.Error:
        con.execute(f"create temp table if not exists {ADDRESS_TEMP_TABLE} {cols}")
        return ADDRESS_TEMP_TABLE


def _resolve_addresses(con: duckdb.DuckDBPyConnection, distinct_sql: str, table: str) -> int:
    """Resolve the address keys `distinct_sql` yields that `table` lacks for this resolver.

    Returns how many distinct keys the batch needs (cached or not): 0 means the valid
    SELECT can skip the join altogether (the usual case for coded synthetic data)."""
    rows = con.execute(
        f"select d.address, c.address is not null from (select distinct address"
        f" from ({distinct_sql}) where address is not null) d"
        f" left join {table} c on c.address = d.address and c.resolver = ?",
        [resolver_version()],
    ).fetchall()
    todo = [address for address, cached in rows if not cached]
    if not todo:
        return len(rows)
    resolved = resolve_many(todo)
    frame = pd.DataFrame(
        {
            "address": list(resolved),
            "region_code": [r.region_code for r in resolved.values()],
            "level": [r.level for r in resolved.values()],
            "confidence": [r.confidence for r in resolved.values()],
            "status": [r.status for r in resolved.values()],
        }
    ).astype({"address": "object", "region_code": "object", "level": "object", "status": "object"})
    name = "_ipind_address_batch"
    con.register(name, frame)
    try:
        con.execute(
            f"insert into {table} select address::varchar, ?, region_code::varchar,"
            f" level::varchar, confidence::double, status::varchar from {name}",
            [resolver_version()],
        )
    finally:
        con.unregister(name)
    return len(rows)


# ----------------------------------------------------------------------------- normalise


def _landed_types(con: duckdb.DuckDBPyConnection, landed: str) -> dict[str, str]:
    return {row[0]: row[1] for row in con.execute(f"describe {landed}").fetchall()}


# Holder countries whose addresses quhua can place (HK/MO/TW at province level); others are
# not resolved at all, so a foreign address can never land in a Chinese county.
_RESOLVABLE_COUNTRIES = ("CN", "HK", "MO", "TW")


def _needs_address(role: str, country_col: Callable[[str], str | None], alias: str = "") -> str:
    """Condition under which a role's region comes from its address (CN/HK/MO/TW holders)."""
    cond = f"{_v(role + '_region_code', alias)} is null and {_v(role + '_address', alias)} is not null"
    country = country_col(role)
    if country:
        cond += f" and {_v(country, alias)} in ({', '.join(_lit(c) for c in _RESOLVABLE_COUNTRIES)})"
    return cond


def normalise(con: duckdb.DuckDBPyConnection, feed: str, landed: str) -> tuple[str, str]:
    """Return (select_valid_sql, select_quarantine_sql) over the landed relation `landed`.

    Side effect: addresses that need resolving are resolved now and cached in
    `ADDRESS_TABLE` (see `address_table`), which the returned valid SELECT joins; run the
    SQL on `con`.
    """
    spec = FEEDS[feed]
    types = _landed_types(con, landed)
    plans = {
        c.name: _plan_column(spec, c.name, c.type, c.required, _kind(types.get(c.name))) for c in spec.columns
    }
    lineage = {
        "_extra": "_extra" if "_extra" in types else "null::varchar",
        "_source": "_source" if "_source" in types else "null::varchar",
        "_row": "_row" if "_row" in types else "null::bigint",
    }
    staged = ", ".join(f"{p.stage} as {_t(c)}" for c, p in plans.items())
    # event_id's synthesis reads other values, so it is computed one layer later.
    first = {c: p for c, p in plans.items() if c != "event_id"}
    values = ", ".join(f"{p.value} as {_v(c)}" for c, p in first.items())
    preps = "".join(f", {p.prep} as {_p(c)}" for c, p in plans.items() if p.prep)
    later = ""
    if "event_id" in plans:
        later = f", {plans['event_id'].value} as {_v('event_id')}"
    for role in REGION_ROLES[feed]:
        if f"{role}_address" in types:
            later += f", {_address_key_sql(_v(role + '_address'))} as {_q('__k_' + role)}"

    checks: list[tuple[str, str, str]] = []
    for c, p in plans.items():
        checks += [(c, cond, reason) for cond, reason in p.checks]
        if feed == "grants" and c == "grant_date":
            checks.append((c, f"{_v('grant_date')} < {_v('filing_date')}", R_GRANT_BEFORE_FILING))
    if UNPARSED_COLUMN in types:  # a line the reader could not split
        checks.insert(0, ("(line)", f"{_q(UNPARSED_COLUMN)} is not null", R_UNPARSED))
    if checks:
        f_field = " ".join(f"when {cond} then {_lit(c)}" for c, cond, _ in checks)
        f_reason = " ".join(f"when {cond} then {_lit(r)}" for _, cond, r in checks)
        fail = f"case {f_field} end as __fail_field, case {f_reason} end as __fail_reason"
    else:
        fail = "null::varchar as __fail_field, null::varchar as __fail_reason"

    base = (
        f"with __t as (select *, {staged}, {lineage['_extra']} as __extra,"
        f" {lineage['_source']} as __source, {lineage['_row']} as __row from {landed}),"
        f" __p as (select *{preps} from __t),"
        f" __v1 as (select *, {values} from __p),"
        f" __v as (select *{later} from __v1),"
        f" __c as (select *, {fail} from __v)"
    )
    record_parts = [f"{_q(c)} := {_q(c)}" for c in spec.column_names if c in types]
    if "_extra" in types:
        record_parts.append("_extra := try_cast(_extra as json)")
    if UNPARSED_COLUMN in types:
        record_parts.append(f"_line := {_q(UNPARSED_COLUMN)}")
    record = f"to_json(struct_pack({', '.join(record_parts)}))" if record_parts else "'{}'"
    keys = [_q("__k_" + role) for role in REGION_ROLES[feed] if f"{role}_address" in types]
    kept = [*(_v(c) for c in plans), *keys, "__extra", "__source", "__row", "__fail_field", "__fail_reason"]
    # Parse once: the address lookup, the valid insert and the quarantine insert all read
    # the parsed rows, and re-running the parse (regexes over every column) for each of
    # them tripled the cost of a load. Only the parsed values are kept (the input as it
    # arrived only for quarantined rows, as JSON): the whole intermediate row was three
    # times as wide and spilled to disk at national scale.
    parsed = f"__normalised_{feed}"
    con.execute(
        f"create or replace temp table {parsed} as {base} select {', '.join(kept)},"
        f" case when __fail_field is not null then cast({record} as varchar) end as __record from __c"
    )
    base = f"with __c as (select * from {parsed})"

    # --- region resolution
    roles = REGION_ROLES[feed]

    def country_col(role: str) -> str | None:
        name = f"{role}_country"
        return name if name in plans else None

    resolvable = [r for r in roles if f"{r}_address" in types and f"{r}_region_code" in plans]
    joined: list[str] = []
    if resolvable:
        distinct = " union ".join(
            f"select {_q('__k_' + r)} as address from __c where {_needs_address(r, country_col)}"
            for r in resolvable
        )
        table = address_table(con)
        if _resolve_addresses(con, f"{base} {distinct}", table):
            joined = resolvable

    out_cols: list[str] = []
    joins: list[str] = []
    for c in spec.column_names:
        if c.endswith("_region_code") and c[: -len("_region_code")] in joined:
            role = c[: -len("_region_code")]
            out_cols.append(f"coalesce(__c.{_v(c)}, {_q('__r_' + role)}.region_code) as {_q(c)}")
        else:
            out_cols.append(f"__c.{_v(c)} as {_q(c)}")
    for role in roles:
        code = f"__c.{_v(role + '_region_code')}"
        if role in joined:
            r = _q("__r_" + role)
            joins.append(
                f" left join {table} {r} on {r}.address = __c.{_q('__k_' + role)}"
                f" and {r}.resolver = {_lit(resolver_version())}"
                f" and {_needs_address(role, country_col, '__c')}"
            )
            out_cols += [
                f"case when {code} is not null then 'code' when {r}.region_code is not null"
                f" then 'address' else 'none' end as {_q(role + '_region_match')}",
                f"case when {code} is null then {r}.level end as {_q(role + '_region_match_level')}",
                f"case when {code} is null and {r}.region_code is not null then {r}.confidence end"
                f" as {_q(role + '_region_confidence')}",
            ]
        else:
            out_cols += [
                f"case when {code} is not null then 'code' else 'none' end as {_q(role + '_region_match')}",
                f"null::varchar as {_q(role + '_region_match_level')}",
                f"null::double as {_q(role + '_region_confidence')}",
            ]
    out_cols += ["__c.__extra as _extra", "__c.__source as _source", "__c.__row as _row"]
    select_valid = (
        f"{base} select {', '.join(out_cols)} from __c{''.join(joins)} where __c.__fail_field is null"
    )

    select_quarantine = (
        f"{base} select __source as _source, __row as _row, __fail_field as field,"
        f" __fail_reason as reason, __record as record"
        f" from __c where __fail_field is not null"
    )
    return select_valid, select_quarantine
