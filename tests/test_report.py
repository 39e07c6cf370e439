"""The HTML indicator report against a real serving.duckdb from the synthetic pipeline.

Expected values are queried from the serving marts in each test, never copied into it, so a
change in the synthetic data or the marts cannot leave the report test silently stale.
"""

from __future__ import annotations

import html
import os
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, AssetSpec, materialize

from orchestration.assets.report import BOUNDARIES_ENV, REPORT_KEY, ReportResource, indicator_report
from orchestration.report_html import (
    RANKING_INDICATORS,
    format_value,
    load_report_data,
    read_boundaries,
    render_report,
    report_markdown,
    wkt_to_geometry,
)
from orchestration.resources import WarehouseResource

from .conftest import SHARED_REFERENCE

BOUNDARIES = SHARED_REFERENCE / "prefecture_boundaries_hubei_hunan.csv"
HUBEI = "420000"


@pytest.fixture(scope="module")
def serving_db(request: pytest.FixtureRequest) -> Path:
    """The session's synthetic serving.duckdb (IPIND_TEST_SERVING_DB reuses a file while iterating)."""
    reuse = os.environ.get("IPIND_TEST_SERVING_DB")
    if reuse:
        return Path(reuse)
    warehouse: Path = request.getfixturevalue("synthetic_warehouse")
    return warehouse / "serving.duckdb"


@pytest.fixture(scope="module")
def report_with_map(serving_db: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    out = render_report(serving_db, tmp_path_factory.mktemp("report") / "report.html", BOUNDARIES)
    return out.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def report_without_map(serving_db: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    out = render_report(serving_db, tmp_path_factory.mktemp("report") / "report.html")
    return out.read_text(encoding="utf-8")


def _query(serving_db: Path, sql: str, params: list[object] | None = None) -> list[tuple]:
    con = duckdb.connect(str(serving_db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _latest_year(serving_db: Path) -> int:
    return _query(serving_db, "select max(year) from marts.indicator_values where period_type = 'year'")[0][0]


def _section(document: str, region_code: str) -> str:
    match = re.search(rf"<section class='province' id='p-{region_code}'.*?</section>", document, re.DOTALL)
    assert match, f"no section for {region_code}"
    return match.group(0)


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", fragment))


def test_every_province_has_its_section(serving_db: Path, report_with_map: str) -> None:
    provinces = _query(
        serving_db,
        "select distinct region_code, region_name from marts.region_indicators_annual"
        " where region_level = 'province'",
    )
    assert (HUBEI, "湖北省") in provinces
    for code, name in provinces:
        assert name in _section(report_with_map, code)


def test_prefecture_rankings_show_the_marts_values(serving_db: Path, report_with_map: str) -> None:
    year = _latest_year(serving_db)
    rows = _query(
        serving_db,
        "select region_code, region_name, indicator_code, value, rank_in_parent from marts.indicator_values"
        " where region_level = 'prefecture' and parent_code = ? and period_type = 'year' and year = ?"
        " and indicator_code in (select unnest(?::varchar[]))",
        [HUBEI, year, list(RANKING_INDICATORS)],
    )
    prefectures = {code: name for code, name, *_ in rows}
    assert len(prefectures) >= 17  # 12 地级市, 恩施州 and the four province-administered units
    section = _section(report_with_map, HUBEI)
    for code, name, indicator, value, rank in rows:
        row = re.search(rf"<tr data-region='{code}'>.*?</tr>", section, re.DOTALL)
        assert row, f"{name} ({code}) missing from the ranking"
        cells = re.findall(r"<td class='num'>(.*?)</td>", row.group(0))
        cell = _text(cells[RANKING_INDICATORS.index(indicator)])
        assert name in _text(row.group(0))
        assert format_value(value) in cell, (name, indicator, value, cell)
        if rank is not None:
            assert f"#{rank}" in cell


def test_province_key_indicators_match_the_marts(serving_db: Path, report_with_map: str) -> None:
    year = _latest_year(serving_db)
    rows = _query(
        serving_db,
        "select indicator_code, value from marts.indicator_values"
        " where region_code = ? and region_level = 'province' and period_type = 'year' and year = ?",
        [HUBEI, year],
    )
    table = re.search(r"<table class='key-values'>.*?</table>", _section(report_with_map, HUBEI), re.DOTALL)
    assert table
    for code, value in rows:
        row = re.search(rf"<tr><td>[^<]*</td><td class='code'>{code}</td>.*?</tr>", table.group(0))
        assert row, code
        assert format_value(value) in _text(row.group(0))
    # The Chinese names sit beside the codes.
    assert re.search(
        r"<td>万人发明专利拥有量</td><td class='code'>invention_in_force_per_10k</td>", table.group(0)
    )


def test_targets_have_progress_bars(serving_db: Path, report_with_map: str) -> None:
    targets = _query(
        serving_db,
        "select region_code, indicator_code, progress_pct, status, actual_value from marts.target_tracking",
    )
    hubei = [t for t in targets if t[0].startswith("42")]
    assert hubei, "the seeded Hubei targets should be tracked"
    section = _section(report_with_map, HUBEI)
    bars = re.findall(r"role='progressbar'[^>]*aria-valuenow='([\d.]+)' data-status='(\w+)'", section)
    assert len(bars) == len(hubei)
    expected = sorted(
        (f"{max(0.0, min(100.0, p)) if p is not None else 0.0:.1f}", status) for *_, p, status, _ in hubei
    )
    assert sorted(bars) == expected
    for _, code, _, _, actual in hubei:
        assert code in section
        if actual is not None:
            assert format_value(actual) in section or f"{actual:+.1f}%" in section
    assert "发明专利有效量" in section and "invention_in_force" in section


def test_report_is_self_contained(report_with_map: str) -> None:
    # plotly.js is embedded once; nothing is loaded from the network.
    assert report_with_map.count("plotly.js v") == 1
    assert not re.search(r"<script[^>]+src=", report_with_map)
    assert not re.search(r"<link[^>]+href=", report_with_map)
    assert "PlotlyGeoAssets" in report_with_map


def test_map_only_with_boundaries(report_with_map: str, report_without_map: str) -> None:
    assert 'data-chart="map-420000"' in report_with_map
    assert 'data-chart="map-430000"' in report_with_map
    assert '"featureidkey":"properties.region_code"' in report_with_map
    section = _section(report_with_map, HUBEI)
    for code in ("420100", "429021"):  # 武汉市 and 神农架林区 drawn from the file
        assert f'"region_code":"{code}"' in section
    assert 'data-chart="map-' not in report_without_map
    assert '"featureidkey":"properties.region_code"' not in report_without_map  # no choropleth trace
    # Everything else is the same report.
    assert 'data-chart="trend-420000"' in report_without_map
    assert 'data-chart="ranking-420000"' in report_without_map


def test_wkt_parser_rewinds_rings() -> None:
    # Counter-clockwise exterior, clockwise hole: d3-geo wants the opposite.
    geometry = wkt_to_geometry("POLYGON ((0 0, 2 0, 2 2, 0 2, 0 0), (0.5 0.5, 0.5 1, 1 1, 0.5 0.5))")
    assert geometry == {
        "type": "Polygon",
        "coordinates": [
            [[0, 0], [0, 2], [2, 2], [2, 0], [0, 0]],
            [[0.5, 0.5], [1, 1], [0.5, 1], [0.5, 0.5]],
        ],
    }
    multi = wkt_to_geometry("MULTIPOLYGON Z (((1 1 5, 1 2 5, 2 2 5, 1 1 5)), ((3 3 0, 3 4 0, 4 4 0, 3 3 0)))")
    assert multi is not None and multi["type"] == "MultiPolygon" and len(multi["coordinates"]) == 2
    assert multi["coordinates"][0][0][1] == [1, 2]  # Z dropped, already clockwise
    assert wkt_to_geometry("POLYGON EMPTY") is None
    with pytest.raises(ValueError, match="not a WKT"):
        wkt_to_geometry("LINESTRING (0 0, 1 1)")


def test_boundaries_file_read_in_place() -> None:
    collection = read_boundaries(BOUNDARIES)
    names = {f["properties"]["region_code"]: f["properties"]["name"] for f in collection["features"]}
    assert names["420100"] == "武汉市" and names["430100"] == "长沙市"
    assert len(names) == 31


def test_markdown_preview_and_chart(serving_db: Path) -> None:
    preview, chart = report_markdown(load_report_data(serving_db))
    assert "湖北省" in preview and "发明专利有效量 `invention_in_force`" in preview and "█" in preview
    wuhan = _query(
        serving_db,
        "select value from marts.indicator_values where region_code = '420100'"
        " and region_level = 'prefecture' and indicator_code = ? and period_type = 'year' and year = ?",
        [RANKING_INDICATORS[0], _latest_year(serving_db)],
    )[0][0]
    assert re.search(rf"\| 武汉市 \| `[█░]+` \| {re.escape(format_value(wuhan))} \|", chart)


def test_asset_writes_the_report_into_the_warehouse(
    serving_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copyfile(serving_db, tmp_path / "serving.duckdb")
    monkeypatch.setenv(BOUNDARIES_ENV, str(BOUNDARIES))
    result = materialize(
        [AssetSpec(AssetKey(["serving", "serving_duckdb"])), indicator_report],
        selection=[REPORT_KEY],
        resources={"warehouse": WarehouseResource(warehouse_dir=str(tmp_path)), "report": ReportResource()},
    )
    assert result.success
    out = tmp_path / "reports" / "indicator_report.html"
    assert 'data-chart="map-420000"' in out.read_text(encoding="utf-8")
    (materialization,) = result.asset_materializations_for_node("reports__indicator_report")
    metadata = materialization.metadata
    assert metadata["path"].value == str(out)
    assert metadata["has_map"].value is True
    preview, chart = metadata["preview"].value, metadata["chart"].value
    assert isinstance(preview, str) and isinstance(chart, str)
    assert "湖北省" in preview and "█" in chart


def test_asset_refuses_a_missing_boundaries_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="boundaries file"):
        ReportResource(boundaries=str(tmp_path / "nope.csv")).boundaries_path()
