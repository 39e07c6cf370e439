"""Shared fixtures: one real synthetic pipeline run per session, in a temporary warehouse."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DBT_DIR = ROOT / "dbt_project"
SHARED_REFERENCE = ROOT.parent / "shared" / "reference"
TEST_SCALE = "0.02"


def ipind(
    *args: str, warehouse: Path, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the installed `ipind` command the way an operator would."""
    full_env = {**os.environ, "DAGSTER_HOME": str(warehouse / ".dagster_home"), **(env or {})}
    full_env.pop("IPIND_WAREHOUSE_DIR", None)
    return subprocess.run(
        [str(Path(sys.executable).with_name("ipind")), *args, "--warehouse-dir", str(warehouse)],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd or ROOT,
        timeout=1200,
    )


def run_dbt(
    *args: str, warehouse: Path, target: Path, timeout: int = 900
) -> subprocess.CompletedProcess[str]:
    """Run this environment's dbt on the project against `warehouse`, artifacts in `target`."""
    return subprocess.run(
        [
            str(Path(sys.executable).with_name("dbt")),
            *args,
            "--project-dir",
            str(DBT_DIR),
            "--profiles-dir",
            str(DBT_DIR),
            "--target-path",
            str(target),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "IPIND_WAREHOUSE_DIR": str(warehouse)},
        timeout=timeout,
    )


@pytest.fixture(scope="session")
def synthetic_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    warehouse = tmp_path_factory.mktemp("warehouse")
    result = ipind("run", "--source", "synthetic", "--set", f"scale={TEST_SCALE}", warehouse=warehouse)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    return warehouse
