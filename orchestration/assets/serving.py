"""The serving database BI tools read, published only after every blocking check passed."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from ingestion.publish import publish
from orchestration.assets.dbt import MARTS_FOLLOW_INPUTS
from orchestration.resources import WarehouseResource

MART_KEYS = [
    AssetKey(["marts", name])
    for name in ("indicator_values", "region_indicators_annual", "target_tracking", "reconciliation")
]


@asset(
    key=AssetKey(["serving", "serving_duckdb"]),
    deps=MART_KEYS,
    group_name="serving",
    kinds={"duckdb", "python"},
    owners=["team:data-engineering"],
    pool="duckdb_writer",
    automation_condition=MARTS_FOLLOW_INPUTS,
    description="warehouse/star.duckdb (marts.* and core.*, storage v1.0.0, as dbt built it) "
    "copied to warehouse/serving.duckdb (replaced atomically) and exported as Parquet under "
    "warehouse/parquet/ (only the changed months of the tables dbt rebuilds by month).",
)
def serving_duckdb(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    result = publish(warehouse.star_path, warehouse.serving_path, warehouse.root / "parquet")
    context.log.info(f"published {len(result.tables)} tables to {result.path}")
    partial = {table: written for table, written in result.parquet.items() if written != "whole"}
    if partial:
        context.log.info(f"Parquet files rewritten, of the tables rebuilt by month: {partial}")
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(str(result.path)),
            "parquet_dir": MetadataValue.path(str(result.parquet_dir)),
            "tables": MetadataValue.json(result.tables),
            "parquet_written": MetadataValue.json(result.parquet),
            "dagster/row_count": result.tables.get("marts.indicator_values", 0),
        }
    )
