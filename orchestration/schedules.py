"""Schedules: every day, reload and rebuild the last three months (late records arrive)."""

from dagster import DefaultScheduleStatus, RunRequest, ScheduleEvaluationContext, schedule

from ingestion.months import REFRESH_MONTHS
from orchestration.partitions import last_months_tags


@schedule(
    name="daily_refresh_last_3_months",
    job_name="ipind_all",
    cron_schedule="0 6 * * *",
    execution_timezone="Asia/Shanghai",
    default_status=DefaultScheduleStatus.STOPPED,
    description="Every morning: reload the feeds' last three monthly partitions, rebuild the "
    "incremental facts for that window, the marts, and publish.",
)
def daily_refresh(context: ScheduleEvaluationContext) -> RunRequest:
    day = context.scheduled_execution_time.date()
    tags = last_months_tags(REFRESH_MONTHS, today=day)
    return RunRequest(run_key=f"refresh-{day.isoformat()}", tags=tags)
