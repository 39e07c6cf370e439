"""Monthly partitions of the feeds (by each record's own date) and the run's window.

A run over a range of partitions (a single-run backfill, `ipind run`, the daily schedule)
carries the range in its tags; every step of the run reads the same half-open window
[first day of the first month, first day after the last month) from there, so the loader,
the raw gate and dbt's incremental models all touch the same rows.
"""

import re
from datetime import date, datetime

from dagster import MonthlyPartitionsDefinition

from ingestion.months import next_month

FIRST_MONTH = "2000-01-01"
monthly = MonthlyPartitionsDefinition(start_date=FIRST_MONTH, end_offset=1)

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
PARTITION_TAG = "dagster/partition"

Window = tuple[date, date]


def window_of_keys(first_key: str, last_key: str) -> Window:
    start = datetime.strptime(first_key, "%Y-%m-%d").date()
    last = datetime.strptime(last_key, "%Y-%m-%d").date()
    return start, next_month(last)


def window_from_tags(tags: dict[str, str]) -> Window | None:
    """The run's partition window, or None for a run over every partition or none.

    A full-history run loads every record whatever its date (even one dated before the
    first or after the last partition), so nothing can fall outside a window and be lost.
    """
    if RANGE_START_TAG in tags and RANGE_END_TAG in tags:
        keys = monthly.get_partition_keys()
        if tags[RANGE_START_TAG] == keys[0] and tags[RANGE_END_TAG] == keys[-1]:
            return None
        return window_of_keys(tags[RANGE_START_TAG], tags[RANGE_END_TAG])
    if PARTITION_TAG in tags:
        return window_of_keys(tags[PARTITION_TAG], tags[PARTITION_TAG])
    return None


def range_tags(first_key: str, last_key: str) -> dict[str, str]:
    return {RANGE_START_TAG: first_key, RANGE_END_TAG: last_key}


def month_keys(months: list[str]) -> tuple[str, str]:
    """(first, last) partition keys of the months given as YYYY-MM (or YYYY-MM-DD)."""
    keys = set(monthly.get_partition_keys())
    parsed = []
    for month in months:
        try:
            if not re.fullmatch(r"\d{4}-\d{2}(-01)?", month):
                raise ValueError
            parsed.append(datetime.strptime(month[:7], "%Y-%m").date())
        except ValueError:
            raise ValueError(f"{month!r} is not a month (expected YYYY-MM)") from None
    first, last = (day.isoformat() for day in (min(parsed), max(parsed)))
    for key in (first, last):
        if key not in keys:
            raise ValueError(
                f"{key[:7]} is not a partition (months run from {FIRST_MONTH[:7]} to this month)"
            )
    return first, last


def full_history_tags() -> dict[str, str]:
    """Every partition in one run: the full-history backfill as a single run."""
    keys = monthly.get_partition_keys()
    return range_tags(keys[0], keys[-1])


def last_months_tags(months: int, today: date | None = None) -> dict[str, str]:
    keys = monthly.get_partition_keys(
        current_time=datetime.combine(today, datetime.min.time()) if today else None
    )
    return range_tags(keys[-months], keys[-1])
