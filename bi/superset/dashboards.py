"""The ipind dashboards as code: Superset import bundles (YAML, format v1) built from this file.

Two dashboards read the serving tables of serving.duckdb through duckdb-engine, read-only:

- 省级知识产权指标看板 (provincial, one per province in the file, slug `province-<code>`):
  targets from marts.target_tracking, the latest year's indicators, trends over the years
  from marts.region_indicators_annual / indicator_values, the prefecture ranking.
- 市州知识产权指标看板 (municipal, one per prefecture, slug `prefecture-<code>`): the
  prefecture's indicators and trends, and its counties.

Every object has a stable UUID derived from its name, so re-importing replaces it in place.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import yaml

NS = uuid.UUID("6f1c8a52-4c1e-4a4e-9a53-0d4b1b7b1f00")
DATABASE_NAME = "ipind_serving"
SERVED = {
    "indicator_values": ("marts", "region × period × indicator"),
    "region_indicators_annual": ("marts", "region × year, one column per indicator"),
    "target_tracking": ("marts", "each policy target against its latest actual"),
    "reconciliation": ("marts", "computed figures against the officially published ones"),
    "indicator_catalog": ("marts", "indicator names (zh), kind and unit"),
}
# Virtual datasets (SQL over the serving tables): the indicators with their Chinese names.
VIRTUAL = {
    "indicator_values_named": (
        "marts",
        "select c.name_zh, v.* from marts.indicator_values as v"
        " left join marts.indicator_catalog as c on c.indicator_code = v.indicator_code",
        "marts.indicator_values with name_zh from marts.indicator_catalog",
    ),
}
HEADLINE = [
    "grants_total",
    "grants_invention",
    "invention_in_force",
    "invention_in_force_per_10k",
    "high_value_in_force",
    "high_value_per_10k",
    "pct_applications",
    "transfer_license_total",
    "pledge_amount_100m_cny",
    "inclusive_pledge_enterprises",
]


NUMERIC = {
    "value",
    "yoy_pct",
    "yoy_abs",
    "target_value",
    "actual_value",
    "progress_pct",
    "computed_value",
    "reported_value",
    "diff_pct",
    *HEADLINE,
}


def uid(*parts: object) -> str:
    return str(uuid.uuid5(NS, "/".join(str(p) for p in parts)))


def _dump(obj: dict[str, Any]) -> str:
    return yaml.safe_dump(obj, allow_unicode=True, sort_keys=False)


@dataclass
class Chart:
    key: str
    title: str
    dataset: str
    viz_type: str
    params: dict[str, Any]
    width: int = 6
    height: int = 50
    # The query the chart runs (Superset's chart-data API form); kept with the chart.
    query: dict[str, Any] = field(default_factory=dict)


def _filter(col: str, op: str, val: Any) -> dict[str, Any]:
    clause = {
        "expressionType": "SIMPLE",
        "subject": col,
        "operator": op,
        "comparator": val,
        "clause": "WHERE",
        "isExtra": False,
        "filterOptionName": uid("filter", col, op, json.dumps(val, ensure_ascii=False)),
    }
    return clause


def _metric(col: str, label: str, aggregate: str = "MAX") -> dict[str, Any]:
    return {
        "expressionType": "SIMPLE",
        "column": {"column_name": col},
        "aggregate": aggregate,
        "label": label,
        "optionName": uid("metric", col, aggregate, label),
    }


def _table_chart(
    key: str,
    title: str,
    dataset: str,
    columns: list[str],
    filters: list[dict[str, Any]],
    order: list[tuple[str, bool]],
    width: int = 12,
    row_limit: int = 1000,
) -> Chart:
    params = {
        "viz_type": "table",
        "query_mode": "raw",
        "all_columns": columns,
        "adhoc_filters": filters,
        "order_by_cols": [json.dumps([c, asc]) for c, asc in order],
        "row_limit": row_limit,
        "server_pagination": False,
        "include_search": True,
        "show_cell_bars": False,
        "table_timestamp_format": "%Y-%m-%d",
        # Figures with thousands separators and at most two decimals; codes and years as is.
        "column_config": {c: {"d3NumberFormat": ",.2~f"} for c in columns if c in NUMERIC},
    }
    query = {
        "columns": columns,
        "filters": [{"col": f["subject"], "op": f["operator"], "val": f["comparator"]} for f in filters],
        "orderby": [[c, asc] for c, asc in order],
        "row_limit": row_limit,
    }
    return Chart(key, title, dataset, "table", params, width=width, height=60, query=query)


def _bar_chart(
    key: str, title: str, x: str, filters: list[dict[str, Any]], metric_label: str, width: int = 12
) -> Chart:
    metric = _metric("value", metric_label)
    params = {
        "viz_type": "echarts_timeseries_bar",
        "x_axis": x,
        "metrics": [metric],
        "groupby": [],
        "adhoc_filters": filters,
        "orientation": "horizontal",
        "x_axis_sort": metric_label,
        "x_axis_sort_asc": False,
        "row_limit": 1000,
        "show_value": True,
        "show_legend": False,
        "rich_tooltip": True,
    }
    query = {
        "columns": [x],
        "metrics": [metric],
        "filters": [{"col": f["subject"], "op": f["operator"], "val": f["comparator"]} for f in filters],
        "orderby": [[metric, False]],
        "row_limit": 1000,
    }
    return Chart(key, title, "indicator_values", "echarts_timeseries_bar", params, width=width, query=query)


def _line_chart(key: str, title: str, filters: list[dict[str, Any]], width: int = 6) -> Chart:
    metric = _metric("value", "数值")
    params = {
        "viz_type": "echarts_timeseries_line",
        "x_axis": "year",
        "metrics": [metric],
        "groupby": ["indicator_code"],
        "adhoc_filters": filters,
        "row_limit": 10000,
        "markerEnabled": True,
        "show_legend": True,
        "rich_tooltip": True,
        "x_axis_sort_asc": True,
    }
    query = {
        "columns": ["year", "indicator_code"],
        "metrics": [metric],
        "filters": [{"col": f["subject"], "op": f["operator"], "val": f["comparator"]} for f in filters],
        "orderby": [["year", True]],
        "row_limit": 10000,
    }
    return Chart(key, title, "indicator_values", "echarts_timeseries_line", params, width=width, query=query)


@dataclass
class Dashboard:
    key: str
    title: str
    slug: str
    charts: list[Chart]
    description: str = ""


def provincial(code: str, name: str, latest_year: int) -> Dashboard:
    year = [_filter("period_type", "==", "year")]
    here = [_filter("region_code", "==", code), _filter("region_level", "==", "province")]
    key = f"province-{code}"
    charts = [
        _table_chart(
            f"{key}/headline",
            f"{name} 核心指标（{latest_year}年）",
            "indicator_values_named",
            [
                "name_zh",
                "indicator_code",
                "value",
                "unit",
                "yoy_pct",
                "yoy_abs",
                "period_end",
                "data_vintage",
            ],
            [*here, *year, _filter("year", "==", latest_year)],
            [("indicator_code", True)],
        ),
        _table_chart(
            f"{key}/targets",
            f"{name} 目标进展",
            "target_tracking",
            [
                "indicator_code",
                "target_year",
                "comparator",
                "target_value",
                "actual_value",
                "actual_period_end",
                "progress_pct",
                "status",
            ],
            [_filter("region_code", "==", code)],
            [("target_year", True), ("indicator_code", True)],
        ),
        _line_chart(
            f"{key}/trend-counts",
            f"{name} 授权量与有效量年度趋势（件）",
            [*here, *year, _filter("indicator_code", "IN", ["grants_total", "invention_in_force"])],
        ),
        _line_chart(
            f"{key}/trend-ratios",
            f"{name} 万人发明与高价值发明拥有量（件/万人）",
            [
                *here,
                *year,
                _filter("indicator_code", "IN", ["invention_in_force_per_10k", "high_value_per_10k"]),
            ],
        ),
        _table_chart(
            f"{key}/annual",
            f"{name} 历年指标",
            "region_indicators_annual",
            ["year", *HEADLINE],
            [_filter("region_code", "==", code), _filter("region_level", "==", "province")],
            [("year", False)],
        ),
        _bar_chart(
            f"{key}/ranking",
            f"市州排名：万人发明专利拥有量（{latest_year}年）",
            "region_name",
            [
                _filter("parent_code", "==", code),
                _filter("region_level", "==", "prefecture"),
                *year,
                _filter("year", "==", latest_year),
                _filter("indicator_code", "==", "invention_in_force_per_10k"),
            ],
            "万人发明专利拥有量",
        ),
        _table_chart(
            f"{key}/ranking-table",
            f"市州指标（{latest_year}年）",
            "region_indicators_annual",
            ["region_code", "region_name", *HEADLINE],
            [
                _filter("parent_code", "==", code),
                _filter("region_level", "==", "prefecture"),
                _filter("year", "==", latest_year),
            ],
            [("region_code", True)],
        ),
        _table_chart(
            f"{key}/reconciliation",
            f"{name} 与公开数据核对",
            "reconciliation",
            ["indicator_code", "period_end", "computed_value", "reported_value", "diff_pct", "source"],
            [_filter("region_code", "==", code)],
            [("period_end", False), ("indicator_code", True)],
        ),
    ]
    return Dashboard(key, f"省级知识产权指标看板 · {name}", key, charts)


def municipal(code: str, name: str, province: str, latest_year: int) -> Dashboard:
    year = [_filter("period_type", "==", "year")]
    key = f"prefecture-{code}"
    here = [_filter("region_code", "==", code), _filter("region_level", "==", "prefecture")]
    charts = [
        _table_chart(
            f"{key}/headline",
            f"{name} 核心指标（{latest_year}年）",
            "indicator_values_named",
            ["name_zh", "indicator_code", "value", "unit", "yoy_pct", "rank_in_parent"],
            [*here, *year, _filter("year", "==", latest_year)],
            [("indicator_code", True)],
        ),
        _line_chart(
            f"{key}/trend",
            f"{name} 授权量与有效量年度趋势（件）",
            [*here, *year, _filter("indicator_code", "IN", ["grants_total", "invention_in_force"])],
            width=12,
        ),
        _bar_chart(
            f"{key}/counties-ranking",
            f"县（市、区）：发明专利有效量（{latest_year}年）",
            "region_name",
            [
                _filter("parent_code", "==", code),
                _filter("region_level", "==", "county"),
                *year,
                _filter("year", "==", latest_year),
                _filter("indicator_code", "==", "invention_in_force"),
            ],
            "发明专利有效量",
        ),
        _table_chart(
            f"{key}/counties",
            f"县（市、区）指标（{latest_year}年）",
            "region_indicators_annual",
            ["region_code", "region_name", *HEADLINE],
            [
                _filter("parent_code", "==", code),
                _filter("region_level", "==", "county"),
                _filter("year", "==", latest_year),
            ],
            [("region_code", True)],
        ),
    ]
    return Dashboard(key, f"市州知识产权指标看板 · {province}{name}", key, charts)


def _position(dashboard: Dashboard, chart_ids: dict[str, str]) -> dict[str, Any]:
    position: dict[str, Any] = {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"id": "ROOT_ID", "type": "ROOT", "children": ["GRID_ID"]},
        "GRID_ID": {"id": "GRID_ID", "type": "GRID", "children": [], "parents": ["ROOT_ID"]},
        "HEADER_ID": {"id": "HEADER_ID", "type": "HEADER", "meta": {"text": dashboard.title}},
    }
    rows: list[list[Chart]] = []
    for chart in dashboard.charts:
        if rows and sum(c.width for c in rows[-1]) + chart.width <= 12:
            rows[-1].append(chart)
        else:
            rows.append([chart])
    for n, row in enumerate(rows):
        row_id = f"ROW-{n}"
        position["GRID_ID"]["children"].append(row_id)
        position[row_id] = {
            "id": row_id,
            "type": "ROW",
            "children": [],
            "parents": ["ROOT_ID", "GRID_ID"],
            "meta": {"background": "BACKGROUND_TRANSPARENT"},
        }
        for chart in row:
            chart_id = f"CHART-{uid(chart.key)[:8]}"
            position[row_id]["children"].append(chart_id)
            position[chart_id] = {
                "id": chart_id,
                "type": "CHART",
                "children": [],
                "parents": ["ROOT_ID", "GRID_ID", row_id],
                "meta": {
                    # chartId is replaced by the imported chart's id; uuid names the chart.
                    "chartId": len(position),
                    "uuid": chart_ids[chart.key],
                    "width": chart.width,
                    "height": chart.height,
                    "sliceName": chart.title,
                },
            }
    return position


def bundle(
    serving_uri: str, columns: dict[str, list[tuple[str, str]]], dashboards: list[Dashboard]
) -> dict[str, str]:
    """The import bundle: {path: YAML}, as `superset import-dashboards` reads it from a zip."""
    files: dict[str, str] = {
        "bundle/metadata.yaml": _dump(
            {"version": "1.0.0", "type": "Dashboard", "timestamp": "2026-01-01T00:00:00+00:00"}
        )
    }
    database_uuid = uid("database", DATABASE_NAME)
    files[f"bundle/databases/{DATABASE_NAME}.yaml"] = _dump(
        {
            "database_name": DATABASE_NAME,
            "sqlalchemy_uri": serving_uri,
            "cache_timeout": None,
            "expose_in_sqllab": True,
            "allow_run_async": False,
            "allow_ctas": False,
            "allow_cvas": False,
            "allow_dml": False,
            "allow_file_upload": False,
            "extra": {"allows_virtual_table_explore": True, "engine_params": {}},
            "uuid": database_uuid,
            "version": "1.0.0",
        }
    )
    dataset_ids = {}
    datasets = {table: (schema, None, description) for table, (schema, description) in SERVED.items()}
    datasets |= VIRTUAL
    for table, (schema, sql, description) in datasets.items():
        dataset_ids[table] = uid("dataset", schema, table)
        files[f"bundle/datasets/{DATABASE_NAME}/{table}.yaml"] = _dump(
            {
                "table_name": table,
                "main_dttm_col": None,
                "description": description if sql else f"{schema}.{table}: {description}",
                "default_endpoint": None,
                "offset": 0,
                "cache_timeout": None,
                "schema": schema,
                "catalog": None,
                "sql": sql,
                "params": None,
                "template_params": None,
                "filter_select_enabled": True,
                "fetch_values_predicate": None,
                "extra": None,
                "normalize_columns": False,
                "always_filter_main_dttm": False,
                "uuid": dataset_ids[table],
                "metrics": [
                    {
                        "metric_name": "count",
                        "verbose_name": "COUNT(*)",
                        "metric_type": "count",
                        "expression": "COUNT(*)",
                        "description": None,
                        "d3format": None,
                        "currency": None,
                        "extra": {},
                        "warning_text": None,
                    }
                ],
                "columns": [
                    {
                        "column_name": name,
                        "verbose_name": None,
                        "is_dttm": type_.upper().startswith(("DATE", "TIMESTAMP")),
                        "is_active": True,
                        "type": type_,
                        "advanced_data_type": None,
                        "groupby": True,
                        "filterable": True,
                        "expression": None,
                        "description": None,
                        "python_date_format": None,
                        "extra": {},
                    }
                    for name, type_ in columns[table]
                ],
                "version": "1.0.0",
                "database_uuid": database_uuid,
            }
        )
    for dashboard in dashboards:
        chart_ids = {chart.key: uid("chart", chart.key) for chart in dashboard.charts}
        for chart in dashboard.charts:
            params = {**chart.params, "datasource": f"__{chart.dataset}", "slice_name": chart.title}
            files[f"bundle/charts/{chart.key.replace('/', '_')}.yaml"] = _dump(
                {
                    "slice_name": chart.title,
                    "description": None,
                    "certified_by": None,
                    "certification_details": None,
                    "viz_type": chart.viz_type,
                    "params": params,
                    "query_context": json.dumps(
                        {"queries": [chart.query], "form_data": params}, ensure_ascii=False
                    ),
                    "cache_timeout": None,
                    "uuid": chart_ids[chart.key],
                    "version": "1.0.0",
                    "dataset_uuid": dataset_ids[chart.dataset],
                }
            )
        files[f"bundle/dashboards/{dashboard.key}.yaml"] = _dump(
            {
                "dashboard_title": dashboard.title,
                "description": dashboard.description or None,
                "css": "",
                "slug": dashboard.slug,
                "certified_by": None,
                "certification_details": None,
                "published": True,
                "uuid": uid("dashboard", dashboard.key),
                "position": _position(dashboard, chart_ids),
                "metadata": {
                    "color_scheme": "supersetColors",
                    "refresh_frequency": 0,
                    "expanded_slices": {},
                    "label_colors": {},
                    "timed_refresh_immune_slices": [],
                    "cross_filters_enabled": False,
                    "native_filter_configuration": [],
                    "default_filters": "{}",
                },
                "version": "1.0.0",
            }
        )
    return files
