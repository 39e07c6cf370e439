"""Great Expectations gates over the DuckDB warehouse (raw feeds and core tables).

Public API: `validate`, `summarise`, `SuiteResult`, `Failure`, `GateSettings`,
`SUITE_NAMES`, `RAW_SUITES`, `CORE_SUITES`, `ingest_hash_filter`, `date_window_filter`.
"""

from expectations.runner import (
    Failure,
    SuiteResult,
    date_window_filter,
    ingest_hash_filter,
    summarise,
    validate,
)
from expectations.suites import CORE_SUITES, RAW_SUITES, SUITE_NAMES, GateSettings

__all__ = [
    "CORE_SUITES",
    "RAW_SUITES",
    "SUITE_NAMES",
    "Failure",
    "GateSettings",
    "SuiteResult",
    "date_window_filter",
    "ingest_hash_filter",
    "summarise",
    "validate",
]
