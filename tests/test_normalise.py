"""The contract's rules as applied by `ingestion.normalise`, on real DuckDB relations."""

from __future__ import annotations

import datetime as dt
import json
import time
from decimal import Decimal
from typing import Any

import duckdb
import pandas as pd
import pytest

from ingestion import normalise as N
from ingestion.loader import load_feed
from ingestion.schema import FEEDS, raw_table_ddl

Rows = list[dict[str, Any]]


def _register(con: duckdb.DuckDBPyConnection, rows: Rows, name: str = "landed") -> str:
    frame = pd.DataFrame(rows, dtype=object)
    frame["_source"] = "test.csv"
    frame["_row"] = range(1, len(frame) + 1)
    con.register(name, frame)
    return name


def _dicts(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def run(feed: str, rows: Rows, con: duckdb.DuckDBPyConnection | None = None):
    """(valid rows as dicts, quarantine rows as dicts) for `rows` landed as text."""
    con = con or duckdb.connect()
    valid_sql, quarantine_sql = N.normalise(con, feed, _register(con, rows))
    valid, quarantined = _dicts(con, valid_sql), _dicts(con, quarantine_sql)
    assert len(valid) + len(quarantined) == len(rows)  # never a row lost or doubled
    return valid, quarantined


def grant(**kw: Any) -> dict[str, Any]:
    row = {
        "application_number": "201710601862.3",
        "patent_type": "invention",
        "filing_date": "2017-08-01",
        "grant_date": "2019-03-05",
        "patentee_region_code": "420100",
    }
    row.update(kw)
    return row


def _failure(q: dict[str, Any]) -> tuple[str, str]:
    return q["field"], q["reason"]


# ----------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-03-05", dt.date(2021, 3, 5)),
        ("2021/3/5", dt.date(2021, 3, 5)),
        ("2021年3月5日", dt.date(2021, 3, 5)),
        ("2021.03.05", dt.date(2021, 3, 5)),
        ("2021-03-05 00:00:00", dt.date(2021, 3, 5)),
        ("20210305", dt.date(2021, 3, 5)),
        ("44260", dt.date(2021, 3, 5)),  # Excel serial as text
        ("44260.75", dt.date(2021, 3, 5)),  # serial with a time fraction
        (" 2021-03-05\u3000", dt.date(2021, 3, 5)),
    ],
)
def test_date_formats(text: str, expected: dt.date) -> None:
    valid, _ = run("grants", [grant(filing_date="2020-01-01", grant_date=text)])
    assert valid[0]["grant_date"] == expected


def test_excel_serial_as_number_column() -> None:
    con = duckdb.connect()
    con.execute(
        "create table landed as select '201710601862.3' as application_number,"
        " 'invention' as patent_type, 42948.0::double as filing_date, 44260 as grant_date,"
        " 'x' as _source, 1 as _row"
    )
    valid_sql, _ = N.normalise(con, "grants", "landed")
    row = con.execute(f"select filing_date, grant_date from ({valid_sql})").fetchone()
    assert row == (dt.date(2017, 8, 1), dt.date(2021, 3, 5))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2021-02-30", N.R_DATE),
        ("not a date", N.R_DATE),
        ("3/5/2021", N.R_DATE),
        ("2021", N.R_DATE),  # a year, not Excel serial 2021 (1905-07-13)
        ("", N.R_REQUIRED),
    ],
)
def test_bad_required_date_quarantined(text: str, reason: str) -> None:
    _, q = run("grants", [grant(grant_date=text)])
    assert _failure(q[0]) == ("grant_date", reason)


def test_bad_optional_date_quarantined_but_empty_allowed() -> None:
    valid, q = run("grants", [grant(priority_date=""), grant(priority_date="someday")])
    assert valid[0]["priority_date"] is None
    assert _failure(q[0]) == ("priority_date", N.R_DATE)


def test_grant_before_filing_rejected() -> None:
    valid, q = run("grants", [grant(filing_date="2019-03-06"), grant(filing_date="2019-03-05")])
    assert len(valid) == 1  # the same day is fine
    assert _failure(q[0]) == ("grant_date", N.R_GRANT_BEFORE_FILING)
    assert q[0]["_row"] == 1 and q[0]["_source"] == "test.csv"


# ----------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("given", "normalised"),
    [
        ("201710601862.3", "201710601862.3"),  # the contract's examples
        ("95115608.X", "95115608.X"),
        ("202110123456.7", "202110123456.7"),
        ("97101765.4", "97101765.4"),
        ("2017106018623", "201710601862.3"),  # missing dot
        ("CN201710601862.3", "201710601862.3"),
        ("ZL 2017 1060 1862.3", "201710601862.3"),
        ("cn95115608x", "95115608.X"),
        ("ZL95115608．X", "95115608.X"),  # full-width dot
    ],
)
def test_application_number_accepted_and_normalised(given: str, normalised: str) -> None:
    valid, _ = run("grants", [grant(application_number=given)])
    assert valid[0]["application_number"] == normalised


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("201710601862.4", N.R_APPNO_CHECK),  # wrong check character
        ("95115608.1", N.R_APPNO_CHECK),
        ("2017106018", N.R_APPNO_FORMAT),
        ("CN12345678901234", N.R_APPNO_FORMAT),
        ("", N.R_REQUIRED),
    ],
)
def test_application_number_rejected(given: str, reason: str) -> None:
    _, q = run("grants", [grant(application_number=given)])
    assert _failure(q[0]) == ("application_number", reason)


def test_referenced_application_numbers_checked_in_other_feeds() -> None:
    ev = {"event_date": "2021-01-01", "event_type": "放弃"}
    valid, q = run(
        "legal_events",
        [
            {"application_number": "CN2017106018623", **ev},
            {"application_number": "201710601862.9", **ev},
        ],
    )
    assert valid[0]["application_number"] == "201710601862.3"
    assert _failure(q[0]) == ("application_number", N.R_APPNO_CHECK)


def pledge(**kw: Any) -> dict[str, Any]:
    row = {
        "pledge_id": "P1",
        "registration_date": "2021-06-01",
        "pledgor_region_code": "420100",
        "amount_10k_cny": "500",
        "application_numbers": "201710601862.3",
    }
    row.update(kw)
    return row


def test_pledge_numbers_normalised_and_one_bad_one_rejects() -> None:
    valid, q = run(
        "pledges",
        [
            pledge(application_numbers="CN2017106018623；95115608X; "),
            pledge(application_numbers="201710601862.3;95115608.1"),
            pledge(application_numbers=" ; "),
        ],
    )
    assert valid[0]["application_numbers"] == "201710601862.3;95115608.X"
    assert [_failure(x) for x in q] == [
        ("application_numbers", N.R_PLEDGE_BAD),
        ("application_numbers", N.R_PLEDGE_NONE),
    ]


@pytest.mark.parametrize(
    ("amount", "reason"),
    [
        ("-5", N.R_AMOUNT_POSITIVE),
        ("0", N.R_AMOUNT_POSITIVE),
        ("lots", N.R_NUMBER),
        ("", N.R_REQUIRED),
    ],
)
def test_amount_must_be_positive(amount: str, reason: str) -> None:
    _, q = run("pledges", [pledge(amount_10k_cny=amount)])
    assert _failure(q[0]) == ("amount_10k_cny", reason)


def test_amount_text_forms() -> None:
    valid, _ = run("pledges", [pledge(amount_10k_cny="1,234.5"), pledge(amount_10k_cny="800万元")])
    assert [v["amount_10k_cny"] for v in valid] == [1234.5, 800]


# ----------------------------------------------------------------------------- enums and text


def test_chinese_enums_mapped() -> None:
    valid, _ = run(
        "grants",
        [
            grant(patent_type="发明", patentee_type="大专院校"),
            grant(patent_type="实用新型", patentee_type="企业"),
            grant(patent_type="外观设计", patentee_type="something new"),
        ],
    )
    assert [v["patent_type"] for v in valid] == ["invention", "utility_model", "design"]
    assert [v["patentee_type"] for v in valid] == ["university", "enterprise", "something new"]


@pytest.mark.parametrize(
    ("feed", "row", "column"),
    [
        ("grants", grant(patent_type="其他"), "patent_type"),
        (
            "legal_events",
            {
                "application_number": "201710601862.3",
                "event_date": "2021-01-01",
                "event_type": "变更",
            },
            "event_type",
        ),
        (
            "transfers",
            {
                "record_id": "R1",
                "application_number": "201710601862.3",
                "kind": "赠与",
                "registration_date": "2021-01-01",
            },
            "kind",
        ),
        (
            "pledges",
            {
                "pledge_id": "P1",
                "registration_date": "2021-01-01",
                "amount_10k_cny": "100",
                "application_numbers": "201710601862.3",
                "status": "变更",
            },
            "status",
        ),
    ],
)
def test_unknown_reject_enums_quarantined(feed: str, row: dict[str, Any], column: str) -> None:
    _, q = run(feed, [row])
    assert q[0]["field"] == column and q[0]["reason"].startswith(f"unknown {column}")


def test_transfer_values() -> None:
    base = {"application_number": "201710601862.3", "registration_date": "2021-01-01"}
    valid, q = run(
        "transfers",
        [
            {**base, "record_id": "R1", "kind": "转让", "to_is_sme": "是", "from_type": "科研单位"},
            {**base, "record_id": "R2", "kind": "许可", "license_type": "独占", "to_is_sme": "0"},
            {
                **base,
                "record_id": "R3",
                "kind": "license",
                "license_type": "开放许可",
                "to_is_sme": "",
            },
            {**base, "record_id": "R4", "kind": "license", "to_is_sme": "maybe"},
        ],
    )
    assert [(v["kind"], v["license_type"], v["to_is_sme"]) for v in valid] == [
        ("assignment", None, True),
        ("license", "exclusive", False),
        ("license", "open", None),
    ]
    assert valid[0]["from_type"] == "research_institute"
    assert _failure(q[0]) == ("to_is_sme", N.R_BOOL)


def test_codes_ipc_country_defaults() -> None:
    valid, q = run(
        "grants",
        [
            grant(
                patentee_region_code="420100.0",
                ipc_main="h01l21/02",
                ipc_all="H01L0021020000; g06f 17/30 (2006.01)",
            ),
            grant(
                patentee_region_code="420100000000",
                ipc_main="H01L 21/02",
                ipc_all=None,
                patentee_country="香港",
            ),
            grant(patentee_region_code="0420100"),
        ],
    )
    assert [v["patentee_region_code"] for v in valid] == ["420100", "420100"]
    assert valid[0]["ipc_main"] == "H01L 21/02"
    assert [v["ipc_all"] for v in valid] == ["H01L 21/02;G06F 17/30", None]
    assert [v["patentee_country"] for v in valid] == ["CN", "HK"]
    assert [v["overseas_family_grants"] for v in valid] == [0, 0]
    assert [v["patentee_region_match"] for v in valid] == ["code", "code"]
    assert _failure(q[0]) == ("patentee_region_code", N.R_REGION_CODE)


def test_pct_number_upper_cased_and_checked() -> None:
    valid, q = run(
        "pct",
        [
            {"pct_application_number": "pct/cn2021/123456", "filing_date": "2021-05-06"},
            {"pct_application_number": "PCTCN2021123457", "filing_date": "2021-05-06"},
            {"pct_application_number": "CN2021/1", "filing_date": "2021-05-06"},
        ],
    )
    assert [v["pct_application_number"] for v in valid] == [
        "PCT/CN2021/123456",
        "PCT/CN2021/123457",
    ]
    assert [v["applicant_country"] for v in valid] == ["CN", "CN"]
    assert _failure(q[0]) == ("pct_application_number", N.R_PCT)


def test_event_id_synthesised_when_absent() -> None:
    rows = [
        {
            "application_number": "201710601862.3",
            "event_date": "2021/1/5",
            "event_type": "未缴年费终止",
        },
        {
            "event_id": "E9",
            "application_number": "201710601862.3",
            "event_date": "2021-01-05",
            "event_type": "恢复",
        },
    ]
    valid, _ = run("legal_events", rows)
    import hashlib

    expected = hashlib.md5(b"201710601862.3|2021-01-05|lapse_nonpayment").hexdigest()
    assert [v["event_id"] for v in valid] == [expected, "E9"]
    assert [v["event_type"] for v in valid] == ["lapse_nonpayment", "restored"]


def test_quarantine_record_is_the_row_as_it_arrived() -> None:
    con = duckdb.connect()
    frame = pd.DataFrame([grant(grant_date="2019-13-01", title=" 一种方法 ")], dtype=object)
    frame["_source"] = "grants.csv"
    frame["_row"] = 7
    frame["_extra"] = json.dumps({"代理机构": "某所"}, ensure_ascii=False)
    con.register("landed", frame)
    _, quarantine_sql = N.normalise(con, "grants", "landed")
    (q,) = _dicts(con, quarantine_sql)
    assert (q["_source"], q["_row"], q["field"]) == ("grants.csv", 7, "grant_date")
    record = json.loads(q["record"])
    assert record["grant_date"] == "2019-13-01" and record["title"] == " 一种方法 "
    assert record["_extra"] == {"代理机构": "某所"}


# ----------------------------------------------------------------------------- addresses


def test_address_only_rows_resolved_with_level_and_confidence() -> None:
    con = duckdb.connect()
    rows = [
        grant(patentee_region_code="", patentee_address="湖北省京山县新市镇"),
        grant(patentee_region_code="", patentee_address="湖北省武汉市东湖新技术开发区高新大道666号"),
        grant(patentee_region_code="", patentee_address="湖北省京山县新市镇"),
        grant(patentee_region_code="", patentee_address="某某路1号"),
        grant(patentee_region_code="", patentee_address="", patentee_country="US"),
        grant(patentee_region_code="420821", patentee_address="湖北省武汉市洪山区"),  # old code kept
        grant(patentee_region_code="", patentee_address="湖北省武汉市洪山区", patentee_country="US"),
    ]
    valid, _ = run("grants", rows, con)
    got = [
        (
            v["patentee_region_code"],
            v["patentee_region_match"],
            v["patentee_region_match_level"],
            v["patentee_region_confidence"],
        )
        for v in valid
    ]
    assert got[0] == ("420882", "address", "county", 1.0)
    assert got[1] == ("420100", "address", "prefecture", 0.8)  # prefecture only: keeps 420100
    assert got[2] == got[0]
    assert got[3] == (None, "none", None, None)
    assert got[4][:3] == (None, "none", None)
    assert got[5][:2] == ("420821", "code")
    assert got[6][:2] == (None, "none")  # foreign holder: address not resolved
    # resolved once per DISTINCT address, cached on the connection
    cached = con.execute(f"select address from {N.ADDRESS_TABLE} order by 1").fetchall()
    assert len(cached) == 3


def test_transfer_roles_resolved_independently() -> None:
    rows = [
        {
            "record_id": "R1",
            "application_number": "201710601862.3",
            "kind": "转让",
            "registration_date": "2021-01-01",
            "from_address": "湖北省仙桃市",
            "to_region_code": "110108",
            "to_address": "湖北省",
        }
    ]
    valid, _ = run("transfers", rows)
    v = valid[0]
    assert (v["from_region_code"], v["from_region_match"], v["from_region_match_level"]) == (
        "429004",
        "address",
        "county",
    )
    assert (v["to_region_code"], v["to_region_match"]) == ("110108", "code")


# ----------------------------------------------------------------------------- shape


MINIMAL: dict[str, dict[str, Any]] = {
    "grants": grant(patentee_address="湖北省仙桃市", patentee_region_code=""),
    "legal_events": {
        "application_number": "201710601862.3",
        "event_date": "2021-01-05",
        "event_type": "放弃",
    },
    "transfers": {
        "record_id": "R1",
        "application_number": "201710601862.3",
        "kind": "转让",
        "registration_date": "2021-01-01",
        "from_address": "湖北省仙桃市",
    },
    "pledges": pledge(pledgor_region_code="", pledgor_address="湖北省武汉市"),
    "pct": {"pct_application_number": "PCT/CN2021/123456", "filing_date": "2021-05-06"},
}


@pytest.mark.parametrize("feed", list(FEEDS))
def test_output_matches_raw_table_and_loads(feed: str) -> None:
    con = duckdb.connect()
    name = _register(con, [MINIMAL[feed], {**MINIMAL[feed], FEEDS[feed].date_column: "bad"}])
    valid_sql, quarantine_sql = N.normalise(con, feed, name)
    con.execute(raw_table_ddl(FEEDS[feed], "expected"))
    expected = [r[0] for r in con.execute("describe expected").fetchall()][:-2]  # minus loader's
    assert [r[0] for r in con.execute(f"describe ({valid_sql})").fetchall()] == expected
    assert [r[0] for r in con.execute(f"describe ({quarantine_sql})").fetchall()] == [
        "_source",
        "_row",
        "field",
        "reason",
        "record",
    ]
    stats = load_feed(con, feed, {"h1": name})
    again = load_feed(con, feed, {"h1": name})  # a rerun replaces, never duplicates
    assert (stats.rows_loaded, stats.rows_quarantined) == (1, 1)
    assert con.execute(f"select count(*) from raw.{feed}").fetchone() == (1,)
    assert again.rows_read == 2


def test_every_row_lands_once_in_a_mixed_batch() -> None:
    rows = [
        grant(),
        grant(application_number="bad"),
        grant(filing_date="2020-01-01"),
        grant(patent_type=""),
        grant(overseas_family_grants="-1"),
        grant(overseas_family_grants="2.0"),
        {},
    ]
    valid, q = run("grants", rows)
    assert sorted([v["_row"] for v in valid] + [x["_row"] for x in q]) == list(range(1, 8))
    assert len(valid) == 2


# ----------------------------------------------------------------------------- typed input


def test_typed_input_from_the_generator() -> None:
    con = duckdb.connect()
    con.execute(
        """create table landed as select * from (values
        ('201710601862.3', 'invention', date '2017-08-01', date '2019-03-05', 420100, 3,
         'synthetic:1', 1::bigint),
        ('201710601862.3', 'design', date '2019-08-01', date '2019-03-05', 420100, 0,
         'synthetic:1', 2::bigint))
        t(application_number, patent_type, filing_date, grant_date, patentee_region_code,
          overseas_family_grants, _source, _row)"""
    )
    valid_sql, quarantine_sql = N.normalise(con, "grants", "landed")
    valid = con.execute(
        f"select filing_date, patentee_region_code, overseas_family_grants from ({valid_sql})"
    ).fetchall()
    assert valid == [(dt.date(2017, 8, 1), "420100", 3)]
    assert con.execute(f"select field from ({quarantine_sql})").fetchall() == [("grant_date",)]

    con.execute(
        "create table lp as select 'P1' as pledge_id, date '2021-06-01' as registration_date,"
        " 12.5::decimal(18,4) as amount_10k_cny, '201710601862.3' as application_numbers,"
        " true as to_is_sme, 's' as _source, 1 as _row"
    )
    valid_sql, _ = N.normalise(con, "pledges", "lp")
    assert con.execute(f"select amount_10k_cny, status from ({valid_sql})").fetchone() == (
        Decimal("12.5000"),
        "registered",
    )


def test_performance_smoke_one_million_typed_rows() -> None:
    """Synthetic-like typed rows: prints the time; asserts only a generous ceiling."""
    con = duckdb.connect()
    n = 1_000_000
    con.execute(
        f"""create table body as select
            cast(2010 + i % 12 as varchar) || '1'
                || lpad(cast(i % 10000000 as varchar), 7, '0') as b,
            ['invention', 'utility_model', 'design'][1 + i % 3] as patent_type,
            date '2015-01-01' + cast(i % 2000 as integer) as filing_date,
            date '2018-01-01' + cast(i % 2000 as integer) as grant_date,
            'H01L 21/02' as ipc_main, 'H01L 21/02;G06F 17/30' as ipc_all,
            'Company ' || (i % 5000) as patentee_name, 'enterprise' as patentee_type,
            ['420100', '420882', '110108'][1 + i % 3] as patentee_region_code,
            'CN' as patentee_country, cast(i % 3 as integer) as overseas_family_grants,
            'synthetic:1' as _source, i + 1 as _row
        from range({n}) t(i)"""
    )
    con.execute(
        f"create table landed as select b || '.' || {N._check_char_sql('b')} as application_number,"
        " * exclude (b) from body"
    )
    start = time.perf_counter()
    valid_sql, quarantine_sql = N.normalise(con, "grants", "landed")
    con.execute(f"create table out as {valid_sql}")
    quarantined = con.execute(f"select count(*) from ({quarantine_sql})").fetchone()[0]
    elapsed = time.perf_counter() - start
    print(f"\nnormalise: {n:,} typed grants in {elapsed:.2f} s")
    assert con.execute("select count(*) from out").fetchone()[0] == n and quarantined == 0
    assert elapsed < 120  # a hang or a per-row fallback, not a benchmark
