"""Content-addressed archive of landed files, so any load can be replayed byte for byte.

`archive_file` copies the original to `<archive_dir>/<sha256[:2]>/<sha256><ext>`. The name is
the content hash (the same `ingest_hash` the loader stamps on the rows), so archiving is
idempotent, two drops of the same bytes share one copy, and a raw row's `_ingest_hash` finds
its source file. The copy is written to a temporary name and renamed into place, so a crash
never leaves a truncated file under a valid hash; it is made read-only to signal immutability.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def archive_path(archive_dir: Path, sha256: str, ext: str) -> Path:
    """Where the file with this content hash and extension lives in the archive."""
    return Path(archive_dir) / sha256[:2] / f"{sha256}{ext.lower()}"


def archive_file(path: Path, archive_dir: Path) -> Path:
    """Copy `path` into the archive (once; hashing while copying) and return the archived path."""
    path = Path(path)
    archive_dir = Path(archive_dir)
    archive_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(prefix=".incoming-", dir=archive_dir)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, path.open("rb") as src:
            while block := src.read(1 << 20):
                digest.update(block)
                out.write(block)
            out.flush()
            os.fsync(out.fileno())
        dest = archive_path(archive_dir, digest.hexdigest(), path.suffix)
        if dest.exists():
            tmp.unlink()
            return dest
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp.chmod(0o444)
        os.replace(tmp, dest)
        return dest
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def archive_bytes(data: bytes, ext: str, archive_dir: Path) -> Path:
    """Archive content already read (the very bytes that were parsed and hashed)."""
    archive_dir = Path(archive_dir)
    dest = archive_path(archive_dir, hashlib.sha256(data).hexdigest(), ext)
    if dest.exists():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".incoming-", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        tmp.chmod(0o444)
        os.replace(tmp, dest)
        return dest
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
