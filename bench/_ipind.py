"""`ipind` as the benchmark runs it.

`python -m bench._ipind run …` is the real CLI (`orchestration.cli.main`), plus the ingestion
module's INFO log on stderr so the synthetic generator's own timing ("synthetic scale=…: T s")
splits the ingest step into generate and load.

`python -m bench._ipind partition MONTH run …` runs the same job over one monthly partition
(MONTH = YYYY-MM-01), the way the daily refresh schedule does (run tags
`dagster/asset_partition_range_start/end`): the platform's incremental path. The run config
comes from the same `--set` options; everything else is `orchestration.runner.run_pipeline`
with the partition tags added to `execute_in_process`.
"""

import logging
import os
import sys

# The benchmark reads Dagster's step events (DEBUG) from the run's console log.
os.environ.setdefault("IPIND_LOG_LEVEL", "DEBUG")


def _log_ingestion() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("IPIND_LOG %(name)s %(message)s"))
    logger = logging.getLogger("ingestion")
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)


def _partition_run(month: str, argv: list[str]) -> int:
    from dagster import JobDefinition

    from orchestration.partitions import range_tags

    original = JobDefinition.execute_in_process

    def with_tags(self, *args, **kwargs):  # noqa: ANN001, ANN202
        kwargs["tags"] = {**(kwargs.get("tags") or {}), **range_tags(month, month)}
        return original(self, *args, **kwargs)

    JobDefinition.execute_in_process = with_tags  # type: ignore[method-assign]
    from orchestration.cli import main

    return main(argv)


if __name__ == "__main__":
    _log_ingestion()
    args = sys.argv[1:]
    if args and args[0] == "partition":
        sys.exit(_partition_run(args[1], args[2:]))
    from orchestration.cli import main

    sys.exit(main(args))
