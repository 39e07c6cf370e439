"""The code location: every asset, check, job, schedule and sensor of ipind."""

from __future__ import annotations

import sys
from pathlib import Path

from dagster import AssetSelection, Definitions, define_asset_job, in_process_executor

from orchestration import sqlite_event_log
from orchestration.assets.dbt import dbt_core, dbt_marts, exposure_specs
from orchestration.assets.ingestion import ingest_feeds, ingest_reference
from orchestration.assets.report import ReportResource, indicator_report
from orchestration.assets.serving import serving_duckdb
from orchestration.checks import gx_core_gate, gx_raw_gate
from orchestration.dbt_project import IpindDbtCliResource, ipind_dbt_project
from orchestration.resources import IndicatorSettings, SourceResource, WarehouseResource
from orchestration.schedules import daily_refresh
from orchestration.sensors import landing_files_sensor

# One DuckDB file, one writer: every step runs in one process, one after another.
ipind_all = define_asset_job(
    "ipind_all",
    selection=AssetSelection.all(),
    description="Ingest, validate, build core, validate, build marts, publish serving.duckdb.",
    executor_def=in_process_executor,
)

sqlite_event_log.install()

defs = Definitions(
    assets=[
        ingest_feeds,
        ingest_reference,
        dbt_core,
        dbt_marts,
        serving_duckdb,
        indicator_report,
        *exposure_specs(),
    ],
    asset_checks=[gx_raw_gate, gx_core_gate],
    jobs=[ipind_all],
    schedules=[daily_refresh],
    sensors=[landing_files_sensor],
    resources={
        "dbt": IpindDbtCliResource(
            project_dir=ipind_dbt_project,
            dbt_executable=str(Path(sys.executable).with_name("dbt")),
        ),
        "warehouse": WarehouseResource(),
        "source": SourceResource(),
        "settings": IndicatorSettings(),
        "report": ReportResource(),
    },
)
