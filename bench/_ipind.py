"""`ipind` as the benchmark runs it.

`python -m bench._ipind run …` is the real CLI (`orchestration.cli.main`), plus the ingestion
module's INFO log on stderr so the synthetic generator's own timing ("synthetic scale=…: T s")
splits the ingest step into generate and load.

`run … --month YYYY-MM` is the platform's incremental path: one monthly partition, the way
the daily refresh schedule runs it.
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


if __name__ == "__main__":
    _log_ingestion()
    from orchestration.cli import main

    sys.exit(main(sys.argv[1:]))
