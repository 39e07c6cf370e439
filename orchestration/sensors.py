"""The file-drop sensor: a new or changed file in the landing folder requests a run.

Files are identified by content hash, so touching a file does nothing and replacing it
with different bytes does; the cursor holds the hashes last seen.
"""

import hashlib
import json
import os
from pathlib import Path

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SkipReason, sensor

from ingestion.files import SUPPORTED_EXTENSIONS
from orchestration.partitions import full_history_tags

LANDING_ENV = "IPIND_LANDING_DIR"


def landing_fingerprint(landing: Path) -> dict[str, str]:
    """Relative path -> sha256 of every regular landing file (symlinks are not followed)."""
    out: dict[str, str] = {}
    if not landing.is_dir():
        return out
    for path in sorted(landing.iterdir()):
        if path.is_symlink() or not path.is_file() or path.suffix.lower() not in SUPPORTED_EXTENSIONS:
            continue
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        out[path.name] = digest.hexdigest()
    return out


def changed_files(previous: dict[str, str], current: dict[str, str]) -> list[str]:
    return sorted(name for name, digest in current.items() if previous.get(name) != digest)


@sensor(
    job_name="ipind_all",
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.STOPPED,
    description="Requests a files-source run when a landing file is new or its content changed "
    f"(landing folder: ${LANDING_ENV}, default ./landing).",
)
def landing_files_sensor(context: SensorEvaluationContext):
    landing = Path(os.environ.get(LANDING_ENV, "landing")).resolve()
    previous = json.loads(context.cursor) if context.cursor else {}
    current = landing_fingerprint(landing)
    changed = changed_files(previous, current)
    if not changed:
        yield SkipReason(f"no new or changed files in {landing}")
        return
    run_key = hashlib.sha256(json.dumps(current, sort_keys=True).encode()).hexdigest()[:16]
    yield RunRequest(
        run_key=run_key,
        run_config={"resources": {"source": {"config": {"kind": "files", "landing_dir": str(landing)}}}},
        tags={"ipind/changed_files": ", ".join(changed)[:200], **full_history_tags()},
    )
    context.update_cursor(json.dumps(current, sort_keys=True))
