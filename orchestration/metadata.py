"""Markdown metadata for the Dagster UI: a preview of the first rows and a chart of the marts.

The UI renders Markdown but strips `data:` images, so the chart is drawn with block
characters: readable in the asset page, no files to serve.
"""

from __future__ import annotations

import duckdb

PREVIEW_ROWS = 5
BAR_WIDTH = 30


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value).replace("|", "\\|")


def preview_markdown(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> str:
    cursor = con.execute(f'select * from "{schema}"."{table}" limit {PREVIEW_ROWS}')
    columns = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def prefecture_chart_markdown(
    con: duckdb.DuckDBPyConnection,
    province: str = "420000",
    indicators: tuple[str, ...] = ("invention_in_force_per_10k", "high_value_per_10k"),
) -> str:
    """Bars of the province's prefectures for the latest complete year."""
    parts = []
    for indicator in indicators:
        rows = con.execute(
            """
            select region_name, value, year
            from marts.indicator_values
            where parent_code = ? and region_level = 'prefecture' and period_type = 'year'
                and indicator_code = ?
                and year = (select max(year) from marts.indicator_values where period_type = 'year')
            order by value desc nulls last
            """,
            [province, indicator],
        ).fetchall()
        if not rows:
            continue
        top = max((r[1] or 0) for r in rows) or 1
        parts.append(f"**{indicator}**, {rows[0][2]}\n\n```")
        for name, value, _ in rows:
            bar = "█" * round((value or 0) / top * BAR_WIDTH)
            parts.append(f"{name:<12} {bar} {value or 0:,.2f}")
        parts.append("```")
    return "\n".join(parts) or "no data"
