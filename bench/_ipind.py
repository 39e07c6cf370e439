"""`ipind` as the benchmark runs it: the real CLI, plus the ingestion module's INFO log on
stderr so the synthetic generator's own timing ("synthetic scale=…: T s") splits the ingest
step into generate and load. Nothing else differs from `.venv/bin/ipind`."""

import logging
import sys

from orchestration.cli import main

if __name__ == "__main__":
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("IPIND_LOG %(name)s %(message)s"))
    logger = logging.getLogger("ingestion")
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    sys.exit(main(sys.argv[1:]))
