"""dbt models as Dagster assets, split so a blocking check can sit between core and marts."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
from dagster import AssetExecutionContext, AssetKey, AssetSpec, AutomationCondition, MetadataValue, Output
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from orchestration.dbt_project import (
    DBT_PROJECT_DIR,
    ipind_dbt_project,
    prune_invocations,
    save_partial_parse,
    seed_partial_parse,
)
from orchestration.metadata import prefecture_chart_markdown, preview_markdown
from orchestration.partitions import Window, window_from_tags
from orchestration.resources import IndicatorSettings, WarehouseResource

MARTS_FOLLOW_INPUTS = AutomationCondition.eager() & AutomationCondition.all_deps_blocking_checks_passed()

INDICATOR_VALUES = AssetKey(["marts", "indicator_values"])

_GROUPS = {"staging": "staging", "intermediate": "core", "core": "core", "marts": "marts"}


class IpindTranslator(DagsterDbtTranslator):
    """Raw sources keep their ingestion keys; models are keyed schema/name and grouped by layer."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey(["raw", dbt_resource_props["name"]])
        if dbt_resource_props["resource_type"] == "exposure":
            return AssetKey(["bi", dbt_resource_props["name"]])
        return AssetKey([dbt_resource_props["config"].get("schema") or "main", dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        layer = fqn[1] if len(fqn) > 2 else "core"
        return _GROUPS.get(layer, "core")

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return ["team:analytics-engineering"]

    def get_automation_condition(self, dbt_resource_props: Mapping[str, Any]) -> AutomationCondition | None:
        """Marts follow their inputs on their own, but never past a failed blocking check."""
        if self.get_group_name(dbt_resource_props) == "marts":
            return MARTS_FOLLOW_INPUTS
        return None


def dbt_window_env(window: Window | None) -> dict[str, str]:
    """The run's partition window (half-open) for dbt's macros (macros/in_window.sql): in
    the environment, not in --vars, so that dbt can reuse its parse of the project."""
    start, end = window or (date(1900, 1, 1), date(2100, 1, 1))
    return {"IPIND_MIN_DATE": start.isoformat(), "IPIND_MAX_DATE": end.isoformat()}


def dbt_build_args(settings: IndicatorSettings, window: Window | None) -> list[str]:
    """`dbt build` with the settings as vars (the window goes in `dbt_window_env`).

    Without a window every incremental model is rebuilt from scratch (`--full-refresh`):
    the same rows as deleting every date and inserting them again, at half the writing (an
    incremental insert goes through a temporary table), and a table whose columns changed
    is replaced instead of failing dbt's schema check. Only buildable tests run (see
    pitfalls: on an empty warehouse eager selection runs a mart's test too early). Unit
    tests check the SQL, not the data: they run in `make test` (tests/test_dbt_unit_tests.py),
    not in every run, as dbt recommends.
    """
    args = [
        "build",
        "--vars",
        json.dumps(settings.dbt_vars()),
        "--indirect-selection",
        "buildable",
        "--exclude-resource-type",
        "unit_test",
    ]
    return args if window else [*args, "--full-refresh"]


def _with_row_counts(
    context: AssetExecutionContext,
    events: list[Any],
    warehouse: WarehouseResource,
    docs: Path | None = None,
) -> Iterator[Any]:
    """Row counts, previews and charts, added after dbt exits (dbt holds the write lock).
    Tables only: counting a view runs its query (a view of an aggregate took ~30 s at scale 10)."""
    con = warehouse.connect(read_only=True)
    try:
        tables = set(
            con.execute(
                "select table_schema, table_name from information_schema.tables"
                " where table_type = 'BASE TABLE'"
            ).fetchall()
        )
        for event in events:
            if isinstance(event, Output):
                key = context.asset_key_for_output(event.output_name)
                schema, name = key.path[0], key.path[-1]
                if (schema, name) not in tables:
                    yield event
                    continue
                try:
                    count = con.execute(f'select count(*) from "{schema}"."{name}"').fetchall()[0][0]
                    extra = {
                        "dagster/row_count": count,
                        "preview": MetadataValue.md(preview_markdown(con, schema, name)),
                    }
                    if key == INDICATOR_VALUES:
                        extra["chart"] = MetadataValue.md(prefecture_chart_markdown(con))
                    if docs is not None:
                        extra["dbt_docs"] = MetadataValue.url(docs.as_uri())
                    event = event.with_metadata({**event.metadata, **extra})
                except duckdb.Error:
                    pass
            yield event
    finally:
        con.close()


def _run(
    context: AssetExecutionContext,
    dbt: DbtCliResource,
    settings: IndicatorSettings,
    warehouse: WarehouseResource,
    docs_too: bool = False,
) -> Iterator[Any]:
    window = window_from_tags(dict(context.run.tags))
    args = dbt_build_args(settings, window)
    with _environment(dbt_window_env(window)):  # dagster-dbt hands dbt os.environ
        invocation = dbt.cli(args, context=context, raise_on_error=False)
    try:
        events = list(invocation.stream())
        save_partial_parse(invocation.target_path)
    except BaseException:
        # dbt runs in its own session: left alive it would keep the warehouse's write lock.
        invocation.process.kill()
        invocation.process.wait()
        raise
    finally:
        prune_invocations(invocation.target_path.parent)
    # The docs describe the project and its tables, which a partition run does not change.
    docs_too = docs_too and window is None
    docs = generate_docs(warehouse, args[2]) if docs_too and invocation.is_successful() else None
    yield from _with_row_counts(context, events, warehouse, docs)
    if not invocation.is_successful():
        raise RuntimeError(f"dbt build failed: {invocation.get_error()}")


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Set `values` in os.environ while a subprocess starts (steps run one at a time)."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def generate_docs(warehouse: WarehouseResource, dbt_vars: str) -> Path | None:
    """`dbt docs generate --static` into warehouse/dbt_docs: one self-contained page."""
    target = warehouse.root / "dbt_docs"
    seed_partial_parse(target)
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("dbt")),
            "docs",
            "generate",
            "--static",
            "--quiet",
            "--vars",
            dbt_vars,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(target),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "IPIND_WAREHOUSE_DIR": str(warehouse.root)},
        check=False,
    )
    page = target / "static_index.html"
    return page if result.returncode == 0 and page.exists() else None


@dbt_assets(
    manifest=ipind_dbt_project.manifest_path,
    project=ipind_dbt_project,
    select="tag:core",
    name="dbt_core",
    dagster_dbt_translator=IpindTranslator(),
    pool="duckdb_writer",
)
def dbt_core(
    context: AssetExecutionContext,
    dbt: DbtCliResource,
    settings: IndicatorSettings,
    warehouse: WarehouseResource,
):
    """Staging, the intermediate models, the seeds and the core star schema."""
    yield from _run(context, dbt, settings, warehouse)


@dbt_assets(
    manifest=ipind_dbt_project.manifest_path,
    project=ipind_dbt_project,
    select="tag:marts",
    name="dbt_marts",
    dagster_dbt_translator=IpindTranslator(),
    pool="duckdb_writer",
)
def dbt_marts(
    context: AssetExecutionContext,
    dbt: DbtCliResource,
    settings: IndicatorSettings,
    warehouse: WarehouseResource,
):
    """The indicator marts, built only after the core gate passes; then the dbt docs."""
    yield from _run(context, dbt, settings, warehouse, docs_too=True)


def exposure_specs() -> list[AssetSpec]:
    """The BI consumers described by dbt `exposures`, so the lineage shows in the graph."""
    manifest = json.loads(ipind_dbt_project.manifest_path.read_text(encoding="utf-8"))
    translator = IpindTranslator()
    specs = []
    for exposure in manifest.get("exposures", {}).values():
        deps = [
            translator.get_asset_key(manifest["nodes"][node])
            for node in exposure["depends_on"]["nodes"]
            if node in manifest["nodes"]
        ]
        specs.append(
            AssetSpec(
                AssetKey(["bi", exposure["name"]]),
                deps=deps,
                description=exposure.get("description"),
                group_name="reports",
                kinds={"dashboard"},
                owners=[f"team:{exposure['owner'].get('name', 'analysts').lower().replace(' ', '-')}"],
                metadata={"url": exposure.get("url") or ""},
            )
        )
    return specs
