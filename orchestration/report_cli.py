"""Terminal tables read from serving.duckdb (always read-only, like any BI client)."""

from __future__ import annotations

from pathlib import Path

import duckdb

MAIN_INDICATORS = (
    "grants_total",
    "grants_invention",
    "invention_in_force",
    "invention_in_force_per_10k",
    "high_value_per_10k",
    "pct_applications",
    "transfer_license_total",
    "pledge_amount_100m_cny",
)


def _table(rows: list[tuple], headers: list[str]) -> str:
    cells = [[_fmt(v) for v in row] for row in rows]
    widths = [max([_width(h), *(_width(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    lines = ["  ".join(_pad(h, w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(_pad(c, w) for c, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(lines)


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if value.is_integer():
            return f"{value:,.0f}"
        return f"{value:,.2f}"
    return str(value)


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def show_indicators(serving: Path, region: str, year: int | None, level: str | None) -> int:
    if not serving.exists():
        print(f"ipind: {serving} does not exist yet; run `ipind run` first")
        return 1
    con = duckdb.connect(str(serving), read_only=True)
    try:
        if year is None:
            year = con.execute(
                "select max(year) from marts.indicator_values where period_type = 'year'"
            ).fetchall()[0][0]
        codes = ", ".join(f"'{c}'" for c in MAIN_INDICATORS)
        region_filter = "(v.region_code = ? or v.parent_code = ?)"
        params: list[object] = [year, region, region]
        if level:
            region_filter += " and v.region_level = ?"
            params.append(level)
        pivot = ", ".join(
            f"max(case when v.indicator_code = '{c}' then v.value end)" for c in MAIN_INDICATORS
        )
        rows = con.execute(
            f"""
            select v.region_code, v.region_name, v.region_level, {pivot}
            from marts.indicator_values as v
            where v.period_type = 'year' and v.year = ? and {region_filter}
                and v.indicator_code in ({codes})
            group by 1, 2, 3
            order by case v.region_level when 'province' then 0 when 'prefecture' then 1 else 2 end,
                v.region_code
            """,
            params,
        ).fetchall()
    finally:
        con.close()
    print(f"Indicators for {region}, {year} (year):")
    print(_table(rows, ["code", "name", "level", *MAIN_INDICATORS]))
    return 0


def print_summary(serving: Path, run_id: str) -> None:
    con = duckdb.connect(str(serving), read_only=True)
    try:
        year = con.execute(
            "select max(year) from marts.indicator_values where period_type = 'year'"
        ).fetchall()[0][0]
        statuses = con.execute(
            "select status, count(*) from marts.target_tracking group by 1 order by 1"
        ).fetchall()
    finally:
        con.close()
    print(f"Run {run_id} succeeded; published {serving}")
    print("Targets: " + ", ".join(f"{s} {n}" for s, n in statuses))
    show_indicators(serving, "420000", year, None)
