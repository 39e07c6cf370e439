"""dbt's unit tests (the `unit_tests:` of the models' YAML), which pipeline runs leave out.

They need the warehouse a run built (dbt reads the input relations' columns), so they run
here against the session's synthetic warehouse, and must all pass.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.conftest import DBT_DIR, run_dbt


def test_every_dbt_unit_test_passes(synthetic_warehouse: Path, tmp_path: Path) -> None:
    result = run_dbt(
        "test", "--select", "test_type:unit", warehouse=synthetic_warehouse, target=tmp_path / "dbt_target"
    )
    assert result.returncode == 0, result.stdout[-4000:]
    results = json.loads((tmp_path / "dbt_target" / "run_results.json").read_text())["results"]
    ran = [r for r in results if r["unique_id"].startswith("unit_test.")]
    assert len(ran) == len(declared_unit_tests()) > 0
    assert {r["status"] for r in ran} == {"pass"}


def declared_unit_tests() -> list[str]:
    names = []
    for path in (DBT_DIR / "models").rglob("*.yml"):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        names += [test["name"] for test in document.get("unit_tests", [])]
    return names
