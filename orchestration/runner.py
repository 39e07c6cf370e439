"""Execute the whole graph as one Dagster run on a persistent instance and summarise it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any


def ensure_manifest() -> None:
    """Parse the dbt project when the manifest is missing or older than any project file.

    A fresh clone, or a model edited since the last `make`, would otherwise run against a
    stale manifest: Dagster's asset graph is read from it.
    """
    from orchestration.dbt_project import DBT_PROJECT_DIR, ipind_dbt_project

    manifest = ipind_dbt_project.manifest_path
    if manifest.exists():
        built = manifest.stat().st_mtime
        sources = [
            p
            for folder in ("models", "seeds", "macros", "tests")
            for p in (DBT_PROJECT_DIR / folder).rglob("*")
            if p.is_file()
        ] + [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
        if all(p.stat().st_mtime <= built for p in sources if p.exists()):
            return
    dbt = Path(sys.executable).with_name("dbt")
    subprocess.run(
        [
            str(dbt),
            "parse",
            "--quiet",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
        ],
        check=True,
    )


def install_instance_settings(dagster_home: Path) -> None:
    """Give a new instance the repo's dagster.yaml (one DuckDB writer at a time)."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    target = dagster_home / "dagster.yaml"
    if not target.exists():
        shutil.copyfile(Path(__file__).resolve().parent.parent / "dagster.yaml", target)


def run_pipeline(
    warehouse_dir: Path, run_config: dict[str, Any], months: tuple[str, str] | None = None
) -> int:
    """Run every asset over all history, or over the partitions `months` (first, last key)."""
    warehouse_dir.mkdir(parents=True, exist_ok=True)
    os.environ["IPIND_WAREHOUSE_DIR"] = str(warehouse_dir)
    os.environ.setdefault("DAGSTER_HOME", str(warehouse_dir / ".dagster_home"))
    install_instance_settings(Path(os.environ["DAGSTER_HOME"]))
    ensure_manifest()

    from dagster import DagsterInstance

    from orchestration.definitions import defs
    from orchestration.partitions import full_history_tags, range_tags
    from orchestration.report_cli import print_summary

    job = defs.resolve_job_def("ipind_all")
    with DagsterInstance.get() as instance:
        # The Dagster UI keeps the full event log; the terminal gets warnings and the summary.
        log_level = os.environ.get("IPIND_LOG_LEVEL", "WARNING").upper()
        run_config = {**run_config, "loggers": {"console": {"config": {"log_level": log_level}}}}
        # By default every monthly partition in one run: the full-history backfill as a single run.
        tags = range_tags(*months) if months else full_history_tags()
        result = job.execute_in_process(
            run_config=run_config, instance=instance, raise_on_error=False, tags=tags
        )
    failed_checks = [
        evaluation
        for evaluation in result.get_asset_check_evaluations()
        if not evaluation.passed and evaluation.severity.value == "ERROR"
    ]
    for evaluation in failed_checks:
        table = ".".join(evaluation.asset_key.path)
        print(
            f"ipind: blocking check {evaluation.check_name} failed on {table}; "
            "downstream assets were not built and serving.duckdb was left as it was.",
            file=sys.stderr,
        )
    if failed_checks:
        return 1
    if not result.success:
        for event in result.all_events:
            if event.is_step_failure:
                print(
                    f"ipind: step {event.step_key} failed: {event.event_specific_data.error.message.strip()}",
                    file=sys.stderr,
                )
        return 1
    steps = [
        (event.step_key, event.event_specific_data.duration_ms / 1000)
        for event in result.all_events
        if event.is_step_success and event.step_key
    ]
    print("Steps: " + ", ".join(f"{key} {seconds:.0f}s" for key, seconds in steps))
    print_summary(warehouse_dir / "serving.duckdb", run_id=result.run_id)
    return 0
