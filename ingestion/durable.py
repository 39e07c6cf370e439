"""Make published files durable, and leave them out of the page cache.

The serving copy and the Parquet export are written for other processes (BI tools) and
are never read again by the pipeline. Left in the page cache they push out the working
files the next run reads: at national scale the warehouse, the star, the serving copy and
the export take 17 GB of this machine's 23 GB, and a month run that found the star evicted
took up to twice as long, waiting on the disk (docs/performance.md, twelfth pass).
Once a file is on disk (fsync) its cached pages are clean, so the kernel can drop them at
once (`POSIX_FADV_DONTNEED`); a reader pays one cold read of what it actually opens.
"""

from __future__ import annotations

import os
from pathlib import Path


def sync_and_uncache(path: Path) -> None:
    """fsync `path`, then drop its (now clean) pages from the page cache where the system
    takes the hint (Linux; macOS has no posix_fadvise, and tmpfs keeps its pages anyway)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        if hasattr(os, "posix_fadvise"):
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def sync_dir(path: Path) -> None:
    """fsync a folder, so the names created or renamed in it survive a crash."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
