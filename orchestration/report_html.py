"""The self-contained HTML indicator report, rendered from serving.duckdb.

Pure rendering with no Dagster import, so the Dagster asset, a script or a test produce the
same file from the same serving database. The report reads only the serving tables of the BI
contract (read-only, like any BI client, so it never blocks the pipeline) and embeds
plotly.js and every chart's data: an IP office can mail the file or open it on a machine
without network access. For each province it shows the targets with progress bars
(marts.target_tracking), the yearly trend (marts.region_indicators_annual), the prefecture
rankings (marts.indicator_values) and, when the user supplies a boundaries file
(region_code, name, wkt), a choropleth of the prefectures.
"""

from __future__ import annotations

import csv
import html
import json
import math
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from orchestration.report_cli import MAIN_INDICATORS

# Chinese names and units, used when the serving file has no marts.indicator_catalog yet
# (older files; the seed is published there) and for the codes tracked from `reported`
# figures, which the catalog does not hold.
FALLBACK_CATALOG: dict[str, tuple[str, str]] = {
    "grants_total": ("专利授权量", "件"),
    "grants_invention": ("发明专利授权量", "件"),
    "grants_utility_model": ("实用新型专利授权量", "件"),
    "grants_design": ("外观设计专利授权量", "件"),
    "invention_in_force": ("发明专利有效量", "件"),
    "invention_in_force_per_10k": ("万人发明专利拥有量", "件/万人"),
    "high_value_in_force": ("高价值发明专利拥有量", "件"),
    "high_value_per_10k": ("每万人高价值发明专利拥有量", "件/万人"),
    "hv_sei": ("高价值发明专利：战略性新兴产业", "件"),
    "hv_overseas_family": ("高价值发明专利：海外同族授权", "件"),
    "hv_maintained_10y": ("高价值发明专利：维持年限超过10年", "件"),
    "hv_pledge": ("高价值发明专利：质押融资", "件"),
    "hv_award": ("高价值发明专利：获得国家科学技术奖或中国专利奖", "件"),
    "pct_applications": ("PCT国际专利申请量", "件"),
    "transfers": ("专利转让次数", "次"),
    "licenses": ("专利许可次数", "次"),
    "transfer_license_total": ("专利转让许可次数", "次"),
    "univ_to_sme_transfer_license": ("高校和科研机构向中小企业转让许可次数", "次"),
    "pledge_amount_100m_cny": ("知识产权(专利)质押融资金额", "亿元"),
    "pledge_count": ("质押登记笔数", "笔"),
    "pledged_patents": ("质押专利件数", "件"),
    "inclusive_pledge_enterprises": ("普惠性质押贷款惠及企业数", "家"),
    "patent_product_filings": ("专利产品备案数", "件"),
    "patent_intensive_industry_gdp_share_pct": ("专利密集型产业增加值占GDP比重", "%"),
    "patent_tech_contract_value_100m_cny": ("涉及专利的技术合同成交额", "亿元"),
}

# The headline indicators offices steer by (the ones `ipind show` prints); the rest stay in
# the key-indicator table.
TREND_INDICATORS = MAIN_INDICATORS
RANKING_INDICATORS = (
    "invention_in_force_per_10k",
    "high_value_per_10k",
    "invention_in_force",
    "grants_total",
    "pct_applications",
    "transfer_license_total",
    "pledge_amount_100m_cny",
)

STATUS_LABELS = {
    "met": ("已完成", "#2e7d32"),
    "on_track": ("进展顺利", "#00838f"),
    "at_risk": ("有风险", "#ef6c00"),
    "missed": ("未完成", "#c62828"),
    "no_data": ("无数据", "#757575"),
}

# plotly.js draws a geo subplot only after loading a base-map topojson from its CDN, even
# when every base layer is hidden and the shapes come from our own GeoJSON. An empty
# topology registered up front keeps the map drawable offline.
_OFFLINE_GEO_ASSETS = (
    "<script>window.PlotlyGeoAssets = window.PlotlyGeoAssets || {topojson: {}};"
    + "".join(
        f'window.PlotlyGeoAssets.topojson["{name}"] = {{"type": "Topology", "objects": {{}}, "arcs": []}};'
        for name in ("world_110m", "world_50m", "asia_110m", "asia_50m")
    )
    + "</script>"
)


@dataclass
class _Catalog:
    names: dict[str, tuple[str, str]]

    def name(self, code: str) -> str:
        return self.names.get(code, (code, ""))[0]

    def unit(self, code: str) -> str:
        return self.names.get(code, ("", ""))[1]

    def label(self, code: str) -> str:
        """Chinese name beside the code, as offices read both."""
        name = self.name(code)
        return code if name == code else f"{name} ({code})"


@dataclass
class _Province:
    code: str
    name: str
    targets: list[dict[str, Any]] = field(default_factory=list)
    annual: list[dict[str, Any]] = field(default_factory=list)
    key_values: list[dict[str, Any]] = field(default_factory=list)
    prefectures: list[dict[str, Any]] = field(default_factory=list)


def format_value(value: object) -> str:
    """How every number appears in the report (tests format the marts' values the same way)."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "–"
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"
    return str(value)


def _fmt_pct(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{float(value):+.1f}%"  # type: ignore[arg-type]


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] = ()) -> list[dict[str, Any]]:
    cursor = con.execute(sql, list(params))
    columns = [d[0] for d in cursor.description or ()]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _by(column: str, rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """`rows` grouped by the value of `column`, in their order."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(str(row[column]), []).append(row)
    return grouped


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchall()[0][0]
    )


def load_catalog(con: duckdb.DuckDBPyConnection) -> _Catalog:
    """marts.indicator_catalog when published, the built-in names for whatever it lacks."""
    names = dict(FALLBACK_CATALOG)
    if _has_table(con, "marts", "indicator_catalog"):
        for row in _rows(con, "select * from marts.indicator_catalog"):
            code = str(row["indicator_code"])
            fallback = names.get(code, (code, ""))
            names[code] = (str(row.get("name_zh") or fallback[0]), str(row.get("unit") or fallback[1]))
    return _Catalog(names)


# ----------------------------------------------------------------------------- boundaries


_COORD = re.compile(
    r"(-?[\d.]+(?:[eE][-+]?\d+)?)\s+(-?[\d.]+(?:[eE][-+]?\d+)?)(?:\s+-?[\d.]+(?:[eE][-+]?\d+)?)*"
)
_WKT = re.compile(r"^\s*(MULTIPOLYGON|POLYGON)\s*(?:ZM|Z|M)?\s*(\(.*\))\s*$", re.IGNORECASE | re.DOTALL)


def wkt_to_geometry(wkt: str) -> dict[str, Any] | None:
    """GeoJSON geometry of a WKT POLYGON or MULTIPOLYGON (None for EMPTY).

    A dozen lines instead of shapely: the boundaries are plain (multi)polygons, and every
    dependency added to the platform has to install offline on every machine. Rings are
    rewound clockwise (holes counter-clockwise) because plotly.js draws through d3-geo, which
    treats a counter-clockwise exterior as "the whole globe except this shape".
    """
    match = _WKT.match(wkt)
    if not match:
        if re.match(r"^\s*(MULTI)?POLYGON\s*(Z|M|ZM)?\s*EMPTY\s*$", wkt, re.IGNORECASE):
            return None
        raise ValueError(f"not a WKT POLYGON/MULTIPOLYGON: {wkt[:60]!r}")
    kind, body = match.group(1).upper(), match.group(2)
    as_json = _COORD.sub(r"[\1,\2]", body).replace("(", "[").replace(")", "]")
    coordinates = json.loads(as_json)
    polygons = coordinates if kind == "MULTIPOLYGON" else [coordinates]
    polygons = [[_wound(ring, exterior=i == 0) for i, ring in enumerate(poly)] for poly in polygons]
    if kind == "MULTIPOLYGON":
        return {"type": "MultiPolygon", "coordinates": polygons}
    return {"type": "Polygon", "coordinates": polygons[0]}


def _wound(ring: list[list[float]], exterior: bool) -> list[list[float]]:
    area2 = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False))
    clockwise = area2 < 0
    return ring if clockwise == exterior else ring[::-1]


def read_boundaries(path: Path) -> dict[str, Any]:
    """GeoJSON FeatureCollection of a boundaries file (region_code, name, wkt), read in place."""
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # a prefecture's WKT runs to ~100 kB
    features = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"region_code", "wkt"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: boundaries file lacks column(s) {sorted(missing)}")
        for row in reader:
            geometry = wkt_to_geometry(row["wkt"])
            if geometry is None:
                continue
            code = row["region_code"].strip()
            features.append(
                {
                    "type": "Feature",
                    "id": code,
                    "properties": {"region_code": code, "name": (row.get("name") or "").strip()},
                    "geometry": geometry,
                }
            )
    return {"type": "FeatureCollection", "features": features}


# ----------------------------------------------------------------------------- data


def _load_provinces(con: duckdb.DuckDBPyConnection) -> tuple[list[_Province], int | None, dict[str, str]]:
    provinces = [
        _Province(code=str(r["region_code"]), name=str(r["region_name"]))
        for r in _rows(
            con,
            "select distinct region_code, region_name from marts.region_indicators_annual"
            " where region_level = 'province' order by region_code",
        )
    ]
    latest_year = con.execute(
        "select max(year) from marts.indicator_values where period_type = 'year'"
    ).fetchall()[0][0]
    # A code named at two levels (仙桃 as county and prefecture) keeps its higher-level name.
    region_names = {
        str(r["region_code"]): str(r["region_name"])
        for r in _rows(
            con,
            "select region_code, arg_min(region_name, case region_level when 'province' then 1"
            " when 'prefecture' then 2 else 3 end) as region_name"
            " from marts.region_indicators_annual group by region_code",
        )
    }
    targets = _rows(
        con, "select * from marts.target_tracking order by region_code, indicator_code, target_year"
    )
    # One query per kind for every province, grouped here: three queries a province read
    # the marts 93 times at national scale.
    annual = _by(
        "region_code",
        _rows(
            con,
            "select * from marts.region_indicators_annual where region_level = 'province'"
            " order by region_code, year",
        ),
    )
    key_values: dict[str, list[dict[str, Any]]] = {}
    prefectures: dict[str, list[dict[str, Any]]] = {}
    if latest_year is not None:
        key_values = _by(
            "region_code",
            _rows(
                con,
                "select region_code, indicator_code, value, unit, yoy_pct, yoy_abs"
                " from marts.indicator_values"
                " where region_level = 'province' and period_type = 'year' and year = ?",
                [latest_year],
            ),
        )
        prefectures = _by(
            "parent_code",
            _rows(
                con,
                "select parent_code, region_code, region_name, indicator_code, value, unit, yoy_pct,"
                " rank_in_parent from marts.indicator_values"
                " where region_level = 'prefecture' and period_type = 'year' and year = ?",
                [latest_year],
            ),
        )
    for province in provinces:
        prefix = province.code[:2]
        province.targets = [t for t in targets if str(t["region_code"]).startswith(prefix)]
        province.annual = annual.get(province.code, [])
        province.key_values = key_values.get(province.code, [])
        province.prefectures = prefectures.get(province.code, [])
    return provinces, latest_year, region_names


def _pivot_prefectures(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One dict per prefecture: code, name and {indicator: (value, rank, yoy)}."""
    by_code: dict[str, dict[str, Any]] = {}
    for r in rows:
        entry = by_code.setdefault(
            str(r["region_code"]), {"code": str(r["region_code"]), "name": r["region_name"], "values": {}}
        )
        entry["values"][r["indicator_code"]] = (r["value"], r["rank_in_parent"], r["yoy_pct"])
    first = RANKING_INDICATORS[0]

    def order(entry: dict[str, Any]) -> tuple[float, str]:
        rank = entry["values"].get(first, (None, None, None))[1]
        return (rank if rank is not None else math.inf, entry["code"])

    return sorted(by_code.values(), key=order)


# ----------------------------------------------------------------------------- html parts


class _Charts:
    """Figure divs; the first one carries plotly.js so the file works without network."""

    def __init__(self) -> None:
        self.count = 0

    def div(self, fig: go.Figure, chart_id: str, height: int, top: int = 60) -> str:
        fig.update_layout(
            height=height, margin={"l": 50, "r": 30, "t": top, "b": 40}, template="plotly_white"
        )
        body = fig.to_html(
            full_html=False,
            include_plotlyjs=self.count == 0,
            div_id=f"chart-{chart_id}",
            config={"displaylogo": False, "responsive": True},
        )
        self.count += 1
        return f'<div class="chart" data-chart="{_esc(chart_id)}">{body}</div>'


def _targets_html(province: _Province, catalog: _Catalog, region_names: dict[str, str]) -> str:
    if not province.targets:
        return '<p class="empty">无目标 (no targets for this province)</p>'
    rows = []
    for t in province.targets:
        code = str(t["indicator_code"])
        comparator = str(t["comparator"])
        target_value = format_value(t["target_value"])
        if comparator == "growth>=":
            target_text = f"增长 ≥ {target_value}%"  # a percentage: no unit after it
            actual_text = _fmt_pct(t["actual_value"])
        elif comparator == "cumulative>=":
            year_from = t.get("year_from")
            span = f" ({year_from}–{t['target_year']})" if year_from is not None else ""
            target_text = f"累计 ≥ {target_value}{span}"
            actual_text = format_value(t["actual_value"])
        else:
            target_text = f"{'≥' if comparator == '>=' else '>'} {target_value}"
            actual_text = format_value(t["actual_value"])
        unit = "" if comparator == "growth>=" else catalog.unit(code)
        progress = t["progress_pct"]
        width = 0.0 if progress is None else max(0.0, min(100.0, float(progress)))
        progress_text = "–" if progress is None else f"{float(progress):.1f}%"
        status = str(t["status"])
        label, colour = STATUS_LABELS.get(status, (status, "#757575"))
        region = str(t["region_code"])
        period = t["actual_period_end"]
        rows.append(
            "<tr>"
            f"<td>{_esc(region_names.get(region, region))}<br><span class='code'>{_esc(region)}</span></td>"
            f"<td>{_esc(catalog.name(code))}<br><span class='code'>{_esc(code)}</span></td>"
            f"<td>{_esc(t['target_year'])}</td>"
            f"<td>{_esc(target_text)} <span class='unit'>{_esc(unit)}</span></td>"
            f"<td class='num'>{_esc(actual_text)}"
            f"<br><span class='code'>{_esc(period if period is not None else '')}</span></td>"
            f"<td><div class='progress' role='progressbar' aria-valuemin='0' aria-valuemax='100'"
            f" aria-valuenow='{width:.1f}' data-status='{_esc(status)}' title='{_esc(progress_text)}'>"
            f"<div class='bar' style='width:{width:.1f}%;background:{colour}'></div></div>"
            f"<span class='pct'>{_esc(progress_text)}</span></td>"
            f"<td><span class='status' style='background:{colour}'>{_esc(label)}</span>"
            f"<br><span class='code'>{_esc(status)}</span></td>"
            "</tr>"
        )
    return (
        "<table class='targets'><thead><tr><th>地区 region</th><th>指标 indicator</th><th>年份 year</th>"
        "<th>目标 target</th><th>实际 actual</th><th>进度 progress</th><th>状态 status</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _key_values_html(province: _Province, catalog: _Catalog, year: int | None) -> str:
    if not province.key_values:
        return '<p class="empty">无数据 (no complete year yet)</p>'
    order = {code: i for i, code in enumerate(catalog.names)}
    rows = sorted(province.key_values, key=lambda r: order.get(str(r["indicator_code"]), len(order)))
    body = "".join(
        "<tr>"
        f"<td>{_esc(catalog.name(str(r['indicator_code'])))}</td>"
        f"<td class='code'>{_esc(r['indicator_code'])}</td>"
        f"<td class='num'>{_esc(format_value(r['value']))}</td>"
        f"<td class='unit'>{_esc(r['unit'] or catalog.unit(str(r['indicator_code'])))}</td>"
        f"<td class='num'>{_esc(_fmt_pct(r['yoy_pct']))}</td>"
        "</tr>"
        for r in rows
    )
    return (
        f"<table class='key-values'><thead><tr><th>指标</th><th>code</th><th>{_esc(year)}</th>"
        f"<th>单位</th><th>同比 yoy</th></tr></thead><tbody>{body}</tbody></table>"
    )


def _trend_figure(province: _Province, catalog: _Catalog) -> go.Figure | None:
    codes = [c for c in TREND_INDICATORS if province.annual and c in province.annual[0]]
    if not codes:
        return None
    cols = 4
    nrows = math.ceil(len(codes) / cols)
    fig = make_subplots(
        rows=nrows,
        cols=cols,
        subplot_titles=[f"{catalog.name(c)}<br><sup>{c} · {catalog.unit(c)}</sup>" for c in codes],
        vertical_spacing=0.18,
        horizontal_spacing=0.06,
    )
    years = [r["year"] for r in province.annual]
    for i, code in enumerate(codes):
        fig.add_trace(
            go.Scatter(
                x=years,
                y=[r[code] for r in province.annual],
                mode="lines+markers",
                name=catalog.name(code),
                hovertemplate=f"{catalog.name(code)} %{{x}}: %{{y:,.2f}}<extra></extra>",
            ),
            row=i // cols + 1,
            col=i % cols + 1,
        )
    fig.update_layout(showlegend=False, title=f"{province.name} 年度趋势 (annual trend)")
    fig.update_annotations(font_size=12)
    return fig


def _ranking_html(prefectures: list[dict[str, Any]], catalog: _Catalog) -> str:
    if not prefectures:
        return '<p class="empty">无地市数据 (no prefecture rows)</p>'
    head = "".join(
        f"<th>{_esc(catalog.name(c))}<br><span class='code'>{_esc(c)}</span></th>" for c in RANKING_INDICATORS
    )
    body = []
    for p in prefectures:
        cells = []
        for code in RANKING_INDICATORS:
            value, rank, _ = p["values"].get(code, (None, None, None))
            rank_text = f"<span class='rank'>#{rank}</span>" if rank is not None else ""
            cells.append(f"<td class='num'>{_esc(format_value(value))} {rank_text}</td>")
        body.append(
            f"<tr data-region='{_esc(p['code'])}'><td>{_esc(p['name'])}"
            f"<br><span class='code'>{_esc(p['code'])}</span></td>{''.join(cells)}</tr>"
        )
    return (
        f"<table class='ranking'><thead><tr><th>地市 prefecture</th>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _ranking_figure(province: _Province, prefectures: list[dict[str, Any]], catalog: _Catalog) -> go.Figure:
    code = RANKING_INDICATORS[0]
    ranked = [p for p in prefectures if p["values"].get(code, (None,))[0] is not None]
    ranked.sort(key=lambda p: p["values"][code][0])
    fig = go.Figure(
        go.Bar(
            x=[p["values"][code][0] for p in ranked],
            y=[p["name"] for p in ranked],
            orientation="h",
            marker_color="#1565c0",
            hovertemplate="%{y}: %{x:,.2f}<extra></extra>",
        )
    )
    fig.update_layout(title=f"{province.name} 地市{catalog.name(code)} ({code}, {catalog.unit(code)})")
    return fig


def _map_figure(
    province: _Province, prefectures: list[dict[str, Any]], boundaries: dict[str, Any], catalog: _Catalog
) -> go.Figure | None:
    codes = {p["code"] for p in prefectures}
    features = [f for f in boundaries["features"] if f["properties"]["region_code"] in codes]
    if not features:
        return None
    geojson = {"type": "FeatureCollection", "features": features}
    drawn = [p for p in prefectures if p["code"] in {f["properties"]["region_code"] for f in features}]
    locations = [p["code"] for p in drawn]

    def z_of(code: str) -> list[float | None]:
        return [p["values"].get(code, (None,))[0] for p in drawn]

    first = RANKING_INDICATORS[0]
    fig = go.Figure(
        go.Choropleth(
            geojson=geojson,
            locations=locations,
            z=z_of(first),
            featureidkey="properties.region_code",
            text=[p["name"] for p in drawn],
            colorscale="Blues",
            marker_line_color="#ffffff",
            marker_line_width=0.8,
            colorbar_title_text=catalog.unit(first),
            hovertemplate="%{text} (%{location}): %{z:,.2f}<extra></extra>",
        )
    )
    buttons = [
        {
            "label": f"{catalog.name(code)} ({code})",
            "method": "update",
            "args": [
                {"z": [z_of(code)], "colorbar.title.text": catalog.unit(code)},
                {"title.text": f"{province.name} 地市{catalog.name(code)} ({code})"},
            ],
        }
        for code in RANKING_INDICATORS
    ]
    labels = [_label_point(f["geometry"]) for f in features]
    fig.add_trace(
        go.Scattergeo(
            lon=[lon for lon, _ in labels],
            lat=[lat for _, lat in labels],
            text=[f["properties"]["name"] or f["properties"]["region_code"] for f in features],
            mode="text",
            textfont={"size": 11, "color": "#263238", "shadow": "1px 1px 2px #ffffff, -1px -1px 2px #ffffff"},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    fig.update_geos(fitbounds="locations", visible=False)
    fig.update_layout(
        title={"text": f"{province.name} 地市{catalog.name(first)} ({first})", "y": 0.98, "yanchor": "top"},
        updatemenus=[{"buttons": buttons, "x": 0, "xanchor": "left", "y": 1.04, "yanchor": "bottom"}],
    )
    return fig


def _label_point(geometry: dict[str, Any]) -> tuple[float, float]:
    """Where a prefecture's name goes: the vertex mean of its largest ring (good enough for labels)."""
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    ring = max((poly[0] for poly in polygons), key=len)
    return sum(x for x, _ in ring) / len(ring), sum(y for _, y in ring) / len(ring)


_CSS = """
body{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei","Microsoft YaHei","PingFang SC",sans-serif;
 margin:0;color:#212121;background:#fafafa}
header{background:#0d47a1;color:#fff;padding:16px 28px}
header h1{margin:0 0 6px;font-size:24px} header p{margin:2px 0;font-size:13px;opacity:.9}
nav{padding:8px 28px;background:#e3f2fd} nav a{margin-right:18px;color:#0d47a1;font-weight:600}
main{padding:0 28px 40px}
section.province{background:#fff;margin:22px 0;padding:6px 22px 18px;border-radius:6px;
 box-shadow:0 1px 3px rgba(0,0,0,.12)}
h2{border-bottom:2px solid #0d47a1;padding-bottom:6px} h3{color:#0d47a1;margin-top:26px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{border-bottom:1px solid #e0e0e0;padding:5px 9px;text-align:left;vertical-align:top}
th{background:#f5f5f5} td.num{text-align:right;white-space:nowrap}
.code{color:#757575;font-size:11px;font-family:monospace} .unit{color:#757575;font-size:12px}
.rank{color:#0d47a1;font-size:11px}
.progress{display:inline-block;width:180px;height:12px;background:#eceff1;border-radius:6px;
 overflow:hidden;vertical-align:middle}
.progress .bar{height:100%} .pct{margin-left:8px;font-size:12px}
.status{color:#fff;border-radius:10px;padding:1px 8px;font-size:12px;white-space:nowrap}
.empty{color:#757575}
"""


@dataclass
class ReportData:
    """Everything the report shows, read in one read-only session on the serving file."""

    catalog: _Catalog
    provinces: list[_Province]
    latest_year: int | None
    region_names: dict[str, str]
    vintage: object
    settings_hash: object


def load_report_data(serving_db: Path) -> ReportData:
    """Read the serving tables once; the connection is closed before any rendering starts."""
    serving_db = Path(serving_db)
    if not serving_db.exists():
        raise FileNotFoundError(f"{serving_db} does not exist: run the pipeline first")
    con = duckdb.connect(str(serving_db), read_only=True)
    try:
        catalog = load_catalog(con)
        provinces, latest_year, region_names = _load_provinces(con)
        vintage, settings = con.execute(
            "select max(data_vintage), any_value(settings_hash) from marts.indicator_values"
        ).fetchall()[0]
    finally:
        con.close()
    return ReportData(catalog, provinces, latest_year, region_names, vintage, settings)


def _text_bar(percent: float | None, width: int = 20) -> str:
    if percent is None:
        return "░" * width
    filled = round(max(0.0, min(100.0, percent)) / 100 * width)
    return "█" * filled + "░" * (width - filled)


def report_markdown(data: ReportData) -> tuple[str, str]:
    """(preview, chart) Markdown for the Dagster asset page.

    The Dagster UI strips data: URLs from Markdown images, so the chart is drawn with block
    characters: it renders in the UI, in run logs and in any Markdown viewer alike.
    """
    catalog = data.catalog
    preview = [
        f"**Indicator report**, latest complete year {data.latest_year}, data vintage {data.vintage}",
        "",
    ]
    preview += ["| 地区 | 指标 | 年份 | 目标 | 实际 | 进度 | 状态 |", "|---|---|---|---|---|---|---|"]
    for province in data.provinces:
        for t in province.targets:
            code = str(t["indicator_code"])
            region = str(t["region_code"])
            progress = t["progress_pct"]
            preview.append(
                f"| {data.region_names.get(region, region)} | {catalog.name(code)} `{code}`"
                f" | {t['target_year']}"
                f" | {t['comparator']} {format_value(t['target_value'])} | {format_value(t['actual_value'])}"
                f" | {_text_bar(progress, 10)} {'–' if progress is None else f'{float(progress):.1f}%'}"
                f" | {STATUS_LABELS.get(str(t['status']), (t['status'],))[0]} |"
            )
    code = RANKING_INDICATORS[0]
    chart = [
        f"**{catalog.name(code)}** (`{code}`, {catalog.unit(code)}), {data.latest_year}, by prefecture",
        "",
    ]
    for province in data.provinces:
        prefectures = [
            p
            for p in _pivot_prefectures(province.prefectures)
            if p["values"].get(code, (None,))[0] is not None
        ]
        if not prefectures:
            continue
        top = max(float(p["values"][code][0]) for p in prefectures) or 1.0
        chart += [f"**{province.name}**", "", "| 地市 | | 值 |", "|---|---|---:|"]
        chart += [
            f"| {p['name']} | `{_text_bar(float(p['values'][code][0]) / top * 100, 24)}`"
            f" | {format_value(p['values'][code][0])} |"
            for p in prefectures
        ]
        chart.append("")
    return "\n".join(preview), "\n".join(chart)


def render_report(serving_db: Path, out_path: Path, boundaries: Path | None = None) -> Path:
    """Write the report for every province in `serving_db` to `out_path` and return it.

    The file is written next to its destination and renamed over it, so a browser or a mail
    client never picks up half a report.
    """
    return write_report(load_report_data(serving_db), out_path, boundaries, source_name=Path(serving_db).name)


def write_report(
    data: ReportData, out_path: Path, boundaries: Path | None = None, source_name: str = ""
) -> Path:
    """Render already loaded report data (the Dagster asset reuses it for its Markdown)."""
    catalog, provinces, latest_year, region_names = (
        data.catalog,
        data.provinces,
        data.latest_year,
        data.region_names,
    )
    geo = read_boundaries(Path(boundaries)) if boundaries is not None else None

    charts = _Charts()
    sections = []
    for province in provinces:
        prefectures = _pivot_prefectures(province.prefectures)
        parts = [
            f"<section class='province' id='p-{_esc(province.code)}' data-region='{_esc(province.code)}'>",
            f"<h2>{_esc(province.name)} <span class='code'>{_esc(province.code)}</span></h2>",
            "<h3>目标跟踪 Targets</h3>",
            _targets_html(province, catalog, region_names),
            f"<h3>关键指标 Key indicators, {_esc(latest_year)}</h3>",
            _key_values_html(province, catalog, latest_year),
            "<h3>年度趋势 Trends</h3>",
        ]
        trend = _trend_figure(province, catalog)
        parts.append(
            charts.div(trend, f"trend-{province.code}", 600, top=100)
            if trend
            else "<p class='empty'>无数据</p>"
        )
        parts.append(f"<h3>地市排名 Prefecture rankings, {_esc(latest_year)}</h3>")
        parts.append(_ranking_html(prefectures, catalog))
        if prefectures:
            parts.append(
                charts.div(
                    _ranking_figure(province, prefectures, catalog),
                    f"ranking-{province.code}",
                    120 + 26 * len(prefectures),
                )
            )
        if geo is not None:
            figure = _map_figure(province, prefectures, geo, catalog)
            parts.append("<h3>地图 Map</h3>")
            parts.append(
                charts.div(figure, f"map-{province.code}", 660, top=110)
                if figure
                else "<p class='empty'>边界文件中无该省地市 (no boundaries for these prefectures)</p>"
            )
        parts.append("</section>")
        sections.append("".join(parts))

    nav = "".join(f"<a href='#p-{_esc(p.code)}'>{_esc(p.name)}</a>" for p in provinces)
    document = (
        "<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>知识产权指标报告 IP indicator report</title>"
        f"<style>{_CSS}</style>{_OFFLINE_GEO_ASSETS}</head><body>"
        "<header><h1>知识产权指标报告 IP indicator report</h1>"
        f"<p>数据截至 data vintage: {_esc(data.vintage)}"
        f" · 最近完整年度 latest complete year: {_esc(latest_year)}"
        f" · settings_hash: {_esc(data.settings_hash)}</p>"
        f"<p>来源 source: {_esc(source_name)}"
        f"{' · 边界 boundaries: ' + _esc(Path(boundaries).name) if boundaries is not None else ''}</p>"
        f"</header><nav>{nav}</nav><main>{''.join(sections)}</main></body></html>"
    )
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.tmp")
    tmp.write_text(document, encoding="utf-8")
    tmp.replace(out_path)
    return out_path
