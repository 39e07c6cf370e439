"""The Dagster definitions load, and every asset, check, job, schedule and sensor is listed.

Renaming any of them changes the snapshot: a visible, reviewed change instead of a broken
BI tool or schedule. Regenerate with IPIND_UPDATE_SNAPSHOT=1.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from orchestration.dbt_project import prune_invocations
from orchestration.definitions import defs

SNAPSHOT = Path(__file__).parent / "snapshots" / "definitions.txt"


def _listing() -> str:
    graph = defs.resolve_asset_graph()
    lines = [f"asset {k.to_user_string()}" for k in sorted(graph.get_all_asset_keys())]
    lines += [f"check {k.to_user_string()}" for k in sorted(graph.asset_check_keys)]
    lines += [
        f"job {j.name}"
        for j in sorted(defs.resolve_all_job_defs(), key=lambda j: j.name)
        if not j.name.startswith("__")
    ]
    lines += [f"schedule {s.name}" for s in sorted(defs.schedules or [], key=lambda s: s.name)]
    lines += [f"sensor {s.name}" for s in sorted(defs.sensors or [], key=lambda s: s.name)]
    return "\n".join(lines) + "\n"


def test_definitions_snapshot() -> None:
    listing = _listing()
    if os.environ.get("IPIND_UPDATE_SNAPSHOT") or not SNAPSHOT.exists():
        SNAPSHOT.write_text(listing, encoding="utf-8")
    assert listing == SNAPSHOT.read_text(encoding="utf-8")


def test_gates_are_blocking_and_between_layers() -> None:
    graph = defs.resolve_asset_graph()
    gx = [k for k in graph.asset_check_keys if k.name.startswith("gx_")]
    assert {k.asset_key.path[0] for k in gx} == {"raw", "core"}
    for key in gx:
        assert graph.get_check_spec(key).blocking, key


def test_only_the_newest_dbt_invocation_folders_are_kept(tmp_path: Path) -> None:
    now = time.time()
    for i in range(25):  # finished steps, newest first
        folder = tmp_path / f"dbt_core-run{i:02d}-x"
        folder.mkdir()
        (folder / "run_results.json").write_text("{}")
        os.utime(folder, (now - i, now - i))
    running = tmp_path / "dbt_marts-running-x"  # another warehouse's step, an hour in
    stale = tmp_path / "dbt_marts-killed-x"  # a step that died two days ago
    for folder, age in ((running, 3600), (stale, 2 * 86_400)):
        folder.mkdir()
        os.utime(folder, (now - age, now - age))
    (tmp_path / "compiled").mkdir()
    (tmp_path / "manifest.json").write_text("{}")

    prune_invocations(tmp_path, keep=20)

    kept = sorted(p.name for p in tmp_path.iterdir())
    newest = [f"dbt_core-run{i:02d}-x" for i in range(20)]
    assert kept == sorted(["compiled", *newest, "dbt_marts-running-x", "manifest.json"])
