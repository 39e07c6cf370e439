"""The code location: every asset, check, job, schedule and sensor of ipind."""

from __future__ import annotations

from dagster import AssetSelection, Definitions, define_asset_job, in_process_executor
from dagster_dbt import DbtCliResource

from orchestration.assets.dbt import dbt_core, dbt_marts
from orchestration.assets.ingestion import ingest
from orchestration.assets.serving import serving_duckdb
from orchestration.checks import core_checks, raw_checks
from orchestration.dbt_project import ipind_dbt_project
from orchestration.resources import IndicatorSettings, SourceResource, WarehouseResource

# One DuckDB file, one writer: every step runs in one process, one after another.
ipind_all = define_asset_job(
    "ipind_all",
    selection=AssetSelection.all(),
    description="Ingest, validate, build core, validate, build marts, publish serving.duckdb.",
    executor_def=in_process_executor,
)

defs = Definitions(
    assets=[ingest, dbt_core, dbt_marts, serving_duckdb],
    asset_checks=[*raw_checks, *core_checks],
    jobs=[ipind_all],
    resources={
        "dbt": DbtCliResource(project_dir=ipind_dbt_project),
        "warehouse": WarehouseResource(),
        "source": SourceResource(),
        "settings": IndicatorSettings(),
    },
)
