"""The DuckDB memory and thread budget every connection of a run shares.

The pipeline's steps run one after another, but the Dagster process, dbt's process and the
serving copy each open their own DuckDB; each gets the same cap so the whole process tree
stays inside the machine budget (the benchmark's target is 6 GiB of resident memory: a
4 GB DuckDB cap plus Python, Dagster and the allocator's slack). One environment variable,
read everywhere (dbt's profile, GX, the loader, publish), so a setting reaches every process.
"""

from __future__ import annotations

import os
import re

MEMORY_LIMIT_ENV = "IPIND_DUCKDB_MEMORY_LIMIT"
THREADS_ENV = "IPIND_DUCKDB_THREADS"
DEFAULT_MEMORY_LIMIT = "4GB"
DEFAULT_THREADS = 2

_SIZE = re.compile(r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$", re.IGNORECASE)


def checked_memory_limit(value: str) -> str:
    """`value` if it is a size DuckDB accepts (it is pasted into a `set` statement)."""
    if not _SIZE.match(value):
        raise ValueError(f"invalid DuckDB setting value: {value!r} (expected a size such as 4GB)")
    return value


def memory_limit() -> str:
    return checked_memory_limit(os.environ.get(MEMORY_LIMIT_ENV) or DEFAULT_MEMORY_LIMIT)


def threads() -> int:
    value = os.environ.get(THREADS_ENV) or str(DEFAULT_THREADS)
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{THREADS_ENV}={value!r} is not a positive number of threads")
    return int(value)


def config() -> dict[str, str | int | bool]:
    """`duckdb.connect(config=...)` for a connection of the pipeline."""
    return {"memory_limit": memory_limit(), "threads": threads()}
