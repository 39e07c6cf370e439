"""The one cached DbtProject (never parsed at import time: `make install` prepares it), and
the dbt CLI resource that runs it."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Sequence
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from packaging.version import Version

DBT_PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"

ipind_dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


class IpindDbtCliResource(DbtCliResource):
    """`DbtCliResource` without the two things dagster-dbt (0.29) does in Dagster's process
    before dbt starts, which ipind does not use and which cost ~3.5 s of every run's fixed
    cost (a month run's dbt steps took 11 and 7 s for 3 and 1.4 s of dbt at small scale).

    - It runs `dbt --version` (1.6 s) to tell dbt Core from the Fusion engine: the
      executable is this environment's `dbt`, so the installed dbt-core says the same.
    - It builds a dbt adapter (1.9 s per step) for `fetch_row_counts()` /
      `fetch_column_metadata()`; ipind counts rows itself after dbt exits
      (`assets/dbt.py`), and dagster-dbt reads a missing adapter as "no metadata fetching".
    """

    @cached_property
    def _cli_version(self) -> Version:
        return Version(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        return None


KEPT_INVOCATIONS = 20


def prune_invocations(target_dir: Path, keep: int = KEPT_INVOCATIONS) -> None:
    """Remove all but the newest `keep` finished invocation folders (`dbt_core-<run>-<id>`).

    dagster-dbt gives every dbt step its own folder under `target/` (~5 MB: manifest, run
    results, compiled SQL) and never removes one: a daily schedule would pile up gigabytes.
    The newest are kept for debugging and for the benchmark, which reads the run it just
    made. Another warehouse's run may share this folder (tests, the benchmark), so a folder
    without `run_results.json` (a step still running) is left unless a day old, and a
    folder another process removed first is not an error.
    """
    day_ago = time.time() - 86_400
    dated = []
    for folder in target_dir.glob("dbt_*-*"):
        try:
            if folder.is_dir():
                mtime = folder.stat().st_mtime
                if (folder / "run_results.json").exists() or mtime < day_ago:
                    dated.append((mtime, folder))
        except OSError:
            continue
    dated.sort(reverse=True)
    for _, folder in dated[keep:]:
        shutil.rmtree(folder, ignore_errors=True)


PARTIAL_PARSE = "partial_parse.msgpack"


def save_partial_parse(invocation_target: Path) -> None:
    """Keep the parse a dbt step just saved as the one the next step starts from.

    dagster-dbt copies `target/partial_parse.msgpack` into each step's own target folder, but
    that file is `make install`'s parse, made with other vars and another warehouse folder
    (profile), so dbt parsed the whole project again in every step (~2.5 s). Saved back
    after each step, the next step with the same settings and warehouse folder only checks
    the files: the partition window is not among the vars (macros/in_window.sql). Replaced
    atomically, so a concurrent run on another warehouse reads one parse or the other, and
    dbt parses in full whenever what it saved does not match.
    """
    saved = invocation_target / PARTIAL_PARSE
    if not saved.exists():
        return
    target = DBT_PROJECT_DIR / "target" / PARTIAL_PARSE
    tmp = target.with_name(f".{PARTIAL_PARSE}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(saved, tmp)
        os.replace(tmp, target)
    except OSError:
        tmp.unlink(missing_ok=True)


def seed_partial_parse(invocation_target: Path) -> None:
    """Start a dbt invocation outside dagster-dbt (the docs) from the saved parse."""
    saved = DBT_PROJECT_DIR / "target" / PARTIAL_PARSE
    if saved.exists() and not (invocation_target / PARTIAL_PARSE).exists():
        invocation_target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(saved, invocation_target / PARTIAL_PARSE)
