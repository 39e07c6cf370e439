"""Schedules: a daily refresh of the whole graph (stopped by default; turn it on in the UI)."""

from dagster import DefaultScheduleStatus, ScheduleDefinition

daily_refresh = ScheduleDefinition(
    name="daily_refresh",
    job_name="ipind_all",
    cron_schedule="0 6 * * *",
    execution_timezone="Asia/Shanghai",
    default_status=DefaultScheduleStatus.STOPPED,
    description="Every morning: ingest, validate, rebuild and publish.",
)
