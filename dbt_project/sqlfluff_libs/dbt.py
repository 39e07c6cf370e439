"""Stand-ins for the dbt cross-database macros the models call, so sqlfluff's jinja
templater renders them to SQL it can parse (dbt itself renders the real ones)."""


def dateadd(datepart: str, interval: int, from_date_or_timestamp: str) -> str:
    return f"({from_date_or_timestamp} + interval {interval} {datepart})"


def last_day(date: str, datepart: str) -> str:
    return f"last_day({date})"
