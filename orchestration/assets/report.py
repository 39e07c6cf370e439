"""The HTML indicator report, rebuilt whenever serving.duckdb is published.

It reads the published serving file (never the working database), so the report always
matches what BI tools see, and a report failure can never hold back the pipeline's
publication. Rendering lives in `orchestration.report_html` (no Dagster), this module only
wires it into the asset graph and puts a preview on the asset page. (No `from __future__ import
annotations` here: Dagster inspects the `context` annotation at definition time.)
"""

import os
from pathlib import Path

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AutomationCondition,
    ConfigurableResource,
    MaterializeResult,
    MetadataValue,
    asset,
)
from pydantic import Field

from orchestration.report_html import load_report_data, report_markdown, write_report
from orchestration.resources import WarehouseResource

BOUNDARIES_ENV = "IPIND_BOUNDARIES"
REPORT_KEY = AssetKey(["reports", "indicator_report"])


class ReportResource(ConfigurableResource):
    """Options of the HTML report; `boundaries` is the only one, and it is optional.

    A resource rather than asset config so it is set like every other ipind setting
    (`--set boundaries=…`, ipind.yaml, launchpad) and a scheduled run needs no run config.
    """

    boundaries: str = Field(
        default="",
        description="Prefecture boundaries file (CSV: region_code, name, wkt) drawn as the report's "
        f"choropleth. Empty: ${BOUNDARIES_ENV}, else the report has no map.",
    )

    def boundaries_path(self) -> Path | None:
        value = self.boundaries or os.environ.get(BOUNDARIES_ENV, "")
        if not value:
            return None
        path = Path(value).expanduser()
        if not path.is_file():
            # Refuse rather than silently drop the map the user asked for.
            raise FileNotFoundError(f"boundaries file {path} does not exist")
        return path


@asset(
    key=REPORT_KEY,
    deps=[AssetKey(["serving", "serving_duckdb"])],
    group_name="reports",
    kinds={"python", "html"},
    owners=["team:data-engineering"],
    # Like serving_duckdb, follow each publication when automation is on, so the report
    # never describes an older serving file than the one BI tools read.
    automation_condition=AutomationCondition.eager(),
    description="Self-contained HTML report (plotly.js embedded, opens offline) per province: targets "
    "with progress bars, yearly trends, prefecture rankings and, with a boundaries file, a "
    "prefecture choropleth. Written to warehouse/reports/indicator_report.html.",
)
def indicator_report(
    context: AssetExecutionContext, warehouse: WarehouseResource, report: ReportResource
) -> MaterializeResult:
    """Render the report from the just-published serving.duckdb."""
    boundaries = report.boundaries_path()
    data = load_report_data(warehouse.serving_path)
    out = write_report(
        data,
        warehouse.root / "reports" / "indicator_report.html",
        boundaries,
        source_name=warehouse.serving_path.name,
    )
    preview, chart = report_markdown(data)
    targets = [t for p in data.provinces for t in p.targets]
    context.log.info(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB, map: {boundaries is not None})")
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(str(out)),
            "url": MetadataValue.url(out.as_uri()),
            "size_mb": round(out.stat().st_size / 1e6, 2),
            "provinces": MetadataValue.json([f"{p.code} {p.name}" for p in data.provinces]),
            "latest_year": data.latest_year or 0,
            "targets": len(targets),
            "targets_met": sum(1 for t in targets if t["status"] == "met"),
            "has_map": boundaries is not None,
            "boundaries": MetadataValue.path(str(boundaries)) if boundaries else "none",
            "preview": MetadataValue.md(preview),
            "chart": MetadataValue.md(chart),
        }
    )
