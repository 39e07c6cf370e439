"""Landing-folder reader on real files in temporary folders (encodings, formats, safety)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingestion.archive import archive_file
from ingestion.files import RefusedFile, read_landing, read_landing_file, sha256_file
from ingestion.loader import load_feed
from ingestion.pipeline import ingest_files_reference

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture()
def landing(tmp_path: Path) -> Path:
    d = tmp_path / "landing"
    d.mkdir()
    return d


def _only_batch(read, feed: str):
    assert not read.refused, read.refused
    (batch,) = read.feeds[feed]
    return batch


def test_gbk_csv_with_chinese_headers(landing: Path) -> None:
    shutil.copy(FIXTURES / "grants_gbk.csv", landing / "grants_2021.csv")
    batch = _only_batch(read_landing(landing), "grants")
    f = batch.frame
    assert batch.source == "grants_2021.csv"
    assert batch.ingest_hash == sha256_file(landing / "grants_2021.csv")
    assert f["application_number"].tolist() == ["CN201710601862.3", "95115608X"]
    assert f["patent_type"].tolist() == ["发明", "实用新型"]
    assert f["patentee_region_code"].tolist() == ["0420100", ""]  # text: leading zero kept
    assert f["patentee_address"].tolist()[1] == "湖北省京山县新市镇"
    assert f["_row"].tolist() == [1, 2]
    assert json.loads(f["_extra"][0]) == {"代理机构": "某某专利代理事务所"}
    assert f["_source"].tolist() == ["grants_2021.csv"] * 2


def test_utf8_bom_csv_first_header_recognised(landing: Path) -> None:
    text = "\ufeffapplication_number,event_date,event_type\n201710601862.3,2021-01-05,放弃\n"
    (landing / "legal_events.csv").write_bytes(text.encode("utf-8"))
    f = _only_batch(read_landing(landing), "legal_events").frame
    assert list(f.columns[:3]) == ["application_number", "event_date", "event_type"]
    assert f["_extra"].isna().all()


def test_csv_quoted_newline_and_trailing_blank_lines(landing: Path) -> None:
    text = (
        "pledge_id,pledgee_name,amount_10k_cny,application_numbers\n"
        'P1,"中国银行\n武汉分行",100,201710601862.3\n'
        "P2,,50,95115608.X\n"
        ",,,\n\n\n"
    )
    (landing / "pledges.csv").write_text(text, encoding="utf-8")
    f = _only_batch(read_landing(landing), "pledges").frame
    assert f["pledge_id"].tolist()[:2] == ["P1", "P2"]
    assert f["pledgee_name"][0] == "中国银行\n武汉分行"
    # `,,,` is a data row of empties (normalise quarantines it: nothing is dropped silently)
    assert len(f) == 3 and f["_row"].tolist() == [1, 2, 3]


def test_xlsx_merged_two_row_header_and_excel_values(landing: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["转让方", None, None, "登记号", "申请号", "类型", "登记日", "序列日"])
    ws.append(["名称", "类型", "地址代码", None, None, None, None, None])
    ws.merge_cells("A1:C1")  # group header over three sub-headers
    for col in "DEFGH":
        ws.merge_cells(f"{col}1:{col}2")  # single headers spanning both header rows
    ws.append(
        [
            "武汉大学",
            "大专院校",
            420100.0,
            "R1",
            "201710601862.3",
            "转让",
            dt.datetime(2021, 3, 5),
            44260,
        ]
    )
    ws.append([None, None, None, None, None, None, None, None])
    ws.append(
        [
            "华中科技大学",
            "大专院校",
            420111,
            "R2",
            "95115608.X",
            "许可",
            dt.date(2020, 1, 2),
            44261.0,
        ]
    )
    wb.save(landing / "transfers_q1.xlsx")

    f = _only_batch(read_landing(landing), "transfers").frame
    assert f["from_name"].tolist() == ["武汉大学", "华中科技大学"]
    assert f["from_type"].tolist() == ["大专院校", "大专院校"]
    assert f["from_region_code"].tolist() == ["420100", "420111"]  # not 420100.0
    assert f["record_id"].tolist() == ["R1", "R2"]
    assert f["registration_date"].tolist() == ["2021-03-05", "2020-01-02"]
    assert f["_row"].tolist() == [1, 3]  # the blank row is skipped, numbering kept
    assert json.loads(f["_extra"][0]) == {"序列日": "44260"}  # serial stays text


def test_xlsx_title_row_above_header(landing: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2021年法律状态清单", None, None])
    ws.merge_cells("A1:C1")
    ws.append(["申请号", "法律状态公告日", "法律状态"])
    ws.append(["201710601862.3", 44260, "恢复"])
    wb.save(landing / "legal_events.xlsx")
    f = _only_batch(read_landing(landing), "legal_events").frame
    assert f[["application_number", "event_date", "event_type"]].values.tolist() == [
        ["201710601862.3", "44260", "恢复"]
    ]


def test_json_array_and_json_lines(landing: Path) -> None:
    records = [
        {
            "pct_application_number": "pct/cn2021/123456",
            "filing_date": "2021-05-06",
            "note": {"a": 1},
        },
        {
            "国际申请号": "PCT/CN2021/000001",
            "国际申请日": "2021/5/7",
            "applicant_region_code": 420100,
        },
    ]
    (landing / "pct_array.json").write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    lines = "\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n\n"
    (landing / "pct_lines.json").write_text(lines, encoding="utf-8")
    (landing / "pct_more.jsonl").write_text(lines, encoding="utf-8")
    (landing / "pct_more2.ndjson").write_text(lines, encoding="utf-8")
    read = read_landing(landing)
    assert not read.refused
    assert [b.source for b in read.feeds["pct"]] == [
        "pct_array.json",
        "pct_lines.json",
        "pct_more.jsonl",
        "pct_more2.ndjson",
    ]
    for batch in read.feeds["pct"]:
        f = batch.frame
        assert f["pct_application_number"].tolist() == ["pct/cn2021/123456", "PCT/CN2021/000001"]
        assert f["filing_date"].tolist() == ["2021-05-06", "2021/5/7"]
        assert f["applicant_region_code"].tolist() == ["", "420100"]
        assert json.loads(f["_extra"][0]) == {"note": '{"a": 1}'}
        assert f["_row"].tolist() == [1, 2]


def test_parquet_typed_columns_become_text(landing: Path) -> None:
    table = pa.table(
        {
            "申请号": ["201710601862.3"],
            "filing_date": pa.array([dt.date(2017, 8, 1)]),
            "grant_date": pa.array([dt.datetime(2019, 3, 5)]),
            "patentee_region_code": pa.array([420100.0]),
            "overseas_family_grants": pa.array([2], pa.int32()),
        }
    )
    pq.write_table(table, landing / "grants.parquet")
    f = _only_batch(read_landing(landing), "grants").frame
    assert f.loc[0, "application_number"] == "201710601862.3"
    assert f.loc[0, "filing_date"] == "2017-08-01"
    assert f.loc[0, "grant_date"] == "2019-03-05"
    assert f.loc[0, "patentee_region_code"] == "420100"
    assert f.loc[0, "overseas_family_grants"] == "2"


def test_empty_file_is_an_empty_batch(landing: Path) -> None:
    (landing / "grants_empty.csv").write_bytes(b"")
    (landing / "legal_events_header_only.csv").write_text("申请号,事件日期,事件类型\n", encoding="utf-8")
    read = read_landing(landing)
    assert not read.refused
    assert len(read.feeds["grants"][0].frame) == 0
    assert len(read.feeds["legal_events"][0].frame) == 0
    assert "application_number" in read.feeds["legal_events"][0].frame.columns


def test_oversize_file_refused_with_its_name(landing: Path) -> None:
    (landing / "grants_big.csv").write_text("application_number\n" + "1\n" * 100, encoding="utf-8")
    (landing / "grants_small.csv").write_text("application_number\n1\n", encoding="utf-8")
    read = read_landing(landing, max_file_bytes=50)
    assert [b.source for b in read.feeds["grants"]] == ["grants_small.csv"]
    (problem,) = read.refused
    assert problem.file == "grants_big.csv"
    assert "over the limit of 50 bytes" in problem.reason


def test_symlinks_and_escapes_refused(tmp_path: Path, landing: Path) -> None:
    outside = tmp_path / "secret.csv"
    outside.write_text("application_number\n201710601862.3\n", encoding="utf-8")
    os.symlink(outside, landing / "grants_link.csv")
    os.symlink(tmp_path, landing / "linked_dir")
    read = read_landing(landing)
    assert not read.feeds
    assert {p.file for p in read.refused} == {"grants_link.csv", "linked_dir"}
    assert all("symbolic link" in p.reason for p in read.refused)
    with pytest.raises(RefusedFile, match="escapes"):
        read_landing_file(landing, "../secret.csv")
    with pytest.raises(RefusedFile, match="absolute"):
        read_landing_file(landing, outside)
    with pytest.raises(RefusedFile, match="symbolic link"):
        read_landing_file(landing, "grants_link.csv")


def test_unknown_names_and_extensions_refused_others_read(landing: Path) -> None:
    (landing / "notes.csv").write_text("a\n1\n", encoding="utf-8")
    (landing / "grants.txt").write_text("a\n1\n", encoding="utf-8")
    (landing / "grants_bad.json").write_text("[1, 2]", encoding="utf-8")
    (landing / ".hidden.csv").write_text("a\n1\n", encoding="utf-8")
    (landing / "sub").mkdir()
    (landing / "sub" / "pledges_2021.csv").write_text("质押登记号\nP1\n", encoding="utf-8")
    read = read_landing(landing)
    reasons = {p.file: p.reason for p in read.refused}
    assert set(reasons) == {"notes.csv", "grants.txt", "grants_bad.json"}
    assert "no feed or reference" in reasons["notes.csv"]
    assert "unsupported extension" in reasons["grants.txt"]
    assert "JSON records must be objects" in reasons["grants_bad.json"]
    assert read.feeds["pledges"][0].source == "sub/pledges_2021.csv"


def test_reference_files_canonical_text(landing: Path) -> None:
    (landing / "regions.csv").write_text(
        "区划代码,名称,级别,上级代码,备注\n420100,武汉市,prefecture,420000,x\n", encoding="utf-8"
    )
    (landing / "population.csv").write_text(
        "region_code,year,resident_population\n420100,2021,13648900\n", encoding="utf-8"
    )
    read = read_landing(landing)
    assert list(read.reference["regions"].columns) == [
        "region_code",
        "name",
        "level",
        "parent_code",
    ]
    assert read.reference["regions"].iloc[0].tolist() == [
        "420100",
        "武汉市",
        "prefecture",
        "420000",
    ]
    assert read.reference["population"].iloc[0].tolist() == ["420100", "2021", "13648900"]


def test_an_unreadable_reference_file_stops_the_load_with_its_name(tmp_path: Path, landing: Path) -> None:
    """Falling back to the built-in regions would compute every indicator with the data the
    user replaced; a stray file of no known kind does not stop it."""
    (landing / "regions.xlsx").write_bytes(b"not a workbook")
    (landing / "notes.csv").write_text("a\n1\n", encoding="utf-8")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    try:
        with pytest.raises(ValueError, match=r"regions\.xlsx: unreadable \.xlsx file") as refused:
            ingest_files_reference(con, landing, max_file_bytes=1 << 20)
        assert "notes.csv" not in str(refused.value)
        (landing / "regions.xlsx").unlink()
        assert ingest_files_reference(con, landing, max_file_bytes=1 << 20).reference_rows["regions"] > 3000
        # a stray copy beside the reference files is reported, not fatal
        (landing / "population.csv.bak").write_text("x\n", encoding="utf-8")
        report = ingest_files_reference(con, landing, max_file_bytes=1 << 20)
        assert [file for file, _ in report.refused_files] == ["population.csv.bak"]
    finally:
        con.close()


def test_archive_is_content_addressed_and_idempotent(tmp_path: Path, landing: Path) -> None:
    src = landing / "grants.csv"
    src.write_text("application_number\n201710601862.3\n", encoding="utf-8")
    digest = sha256_file(src)
    first = archive_file(src, tmp_path / "archive")
    again = archive_file(src, tmp_path / "archive")
    assert first == again == tmp_path / "archive" / digest[:2] / f"{digest}.csv"
    assert first.read_bytes() == src.read_bytes()
    assert [p.name for p in (tmp_path / "archive").rglob("*") if p.is_file()] == [first.name]


def test_read_files_load_end_to_end(landing: Path) -> None:
    """The reader's batches are complete landed relations for loader.load_feed."""
    shutil.copy(FIXTURES / "grants_gbk.csv", landing / "grants.csv")
    batch = _only_batch(read_landing(landing), "grants")
    con = duckdb.connect()
    con.register("landed_grants", batch.frame)
    stats = load_feed(con, "grants", {batch.ingest_hash: "landed_grants"})
    assert (stats.rows_loaded, stats.rows_quarantined) == (1, 1)
    assert con.execute("select field, _source, _row from raw.grants_quarantine").fetchall() == [
        ("patentee_region_code", "grants.csv", 1)  # 0420100 is not a 6-digit code
    ]
    row = con.execute(
        "select application_number, patent_type, filing_date, patentee_region_code,"
        " patentee_region_match, _extra from raw.grants"
    ).fetchone()
    assert row[:5] == ("95115608.X", "utility_model", dt.date(1995, 3, 5), "420882", "address")
    assert json.loads(row[5]) == {"代理机构": ""}
    assert isinstance(pd.DataFrame(), pd.DataFrame)


@pytest.mark.parametrize(
    ("name", "text", "bad_line"),
    [
        (
            "grants.csv",
            "申请号,专利类型,申请日,授权日\n"
            "201710601862.3,发明,2017-03-01,2020-05-06\n"
            "95115608.X,实用新型,1995-03-05,1996-01-02,stray,fields\n"
            "\n"
            "201710601862.3,发明,2017-03-01,2020-05-07\n",
            "95115608.X,实用新型,1995-03-05,1996-01-02,stray,fields",
        ),
        (
            "grants.jsonl",
            '{"application_number": "201710601862.3", "patent_type": "invention",'
            ' "filing_date": "2017-03-01", "grant_date": "2020-05-06"}\n'
            '{"application_number": "95115608.X", "patent_type": \n'
            '{"application_number": "201710601862.3", "patent_type": "invention",'
            ' "filing_date": "2017-03-01", "grant_date": "2020-05-07"}\n',
            '{"application_number": "95115608.X", "patent_type": ',
        ),
    ],
    ids=["csv line with more fields than the header", "json lines line that is not json"],
)
def test_a_line_that_cannot_be_split_is_quarantined_and_the_rest_load(
    landing: Path, name: str, text: str, bad_line: str
) -> None:
    """feeds.md: a row that cannot be parsed goes to quarantine with its row number; the
    file's other rows still load (the whole file used to be refused)."""
    (landing / name).write_text(text, encoding="utf-8")
    batch = _only_batch(read_landing(landing), "grants")
    con = duckdb.connect()
    con.register("landed_grants", batch.frame)
    stats = load_feed(con, "grants", {batch.ingest_hash: "landed_grants"})
    assert (stats.rows_loaded, stats.rows_quarantined) == (2, 1)
    assert con.execute("select _row from raw.grants order by _row").fetchall() == [(1,), (3,)]
    (field, reason, row, record) = con.execute(
        "select field, reason, _row, record from raw.grants_quarantine"
    ).fetchone()
    assert (field, row) == ("(line)", 2)
    assert "cannot be split into the header's fields" in reason
    assert json.loads(record)["_line"] == bad_line


def test_a_reference_file_with_a_line_that_cannot_be_split_is_refused(landing: Path) -> None:
    (landing / "awards.csv").write_text(
        "application_number,award,year\n201710601862.3,china_patent_award,2020,extra\n", encoding="utf-8"
    )
    read = read_landing(landing)
    assert [(p.file, p.reason) for p in read.refused] == [
        ("awards.csv", "unreadable .csv file: row 1 cannot be split into the header's fields")
    ]


def test_a_json_array_of_scalars_is_the_contracts_semicolon_list(landing: Path) -> None:
    """As the HTTP source writes it: `["a", "b"]` in application_numbers is `a;b`."""
    record = {
        "pledge_id": "P1",
        "registration_date": "2021-05-06",
        "amount_10k_cny": 100,
        "application_numbers": ["201710601862.3", "95115608.X"],
        "note": [{"a": 1}],
    }
    (landing / "pledges.json").write_text(json.dumps([record]), encoding="utf-8")
    frame = _only_batch(read_landing(landing), "pledges").frame
    assert frame["application_numbers"].tolist() == ["201710601862.3;95115608.X"]
    assert json.loads(frame["_extra"][0]) == {"note": '[{"a": 1}]'}


def test_an_unclosed_quote_refuses_the_file_instead_of_swallowing_lines(landing: Path) -> None:
    (landing / "grants.csv").write_text(
        '申请号,专利类型,申请日\n201710601862.3,发明,"2017-03-01\n95115608.X,实用新型,1995-03-05,extra\n',
        encoding="utf-8",
    )
    read = read_landing(landing)
    assert [p.file for p in read.refused] == ["grants.csv"]
    assert "grants" not in read.feeds


def test_json_lines_split_on_newlines_only_and_a_pretty_printed_object_is_refused(landing: Path) -> None:
    record = {"application_number": "201710601862.3", "title": "a\u2028b"}
    (landing / "grants.jsonl").write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    (landing / "grants_pretty.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
    read = read_landing(landing)
    assert [p.file for p in read.refused] == ["grants_pretty.json"]
    (batch,) = read.feeds["grants"]
    assert batch.frame["title"].tolist() == ["a\u2028b"]
