"""Calendar-month arithmetic on dates: partitions, HTTP windows and the Parquet export all
step by month."""

from __future__ import annotations

from datetime import date

# Late records arrive for about three months: the daily refresh reloads the last
# REFRESH_MONTHS monthly partitions (orchestration/schedules.py), and the Parquet export keeps
# that many newest months as files of their own so a refresh rewrites only those
# (ingestion/parquet_export.py).
REFRESH_MONTHS = 3


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after (or before) `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def next_month(day: date) -> date:
    """The first day of the month after `day`'s."""
    return add_months(day, 1)
