"""`make bench`: what users feel, at scales 1, 10 and 30, against a plain-DuckDB baseline.

For each scale, in a fresh temporary warehouse:

1. **Full build**: `ipind run --source synthetic --set scale=N` as a subprocess (a real
   Dagster run). Wall and CPU time, peak resident memory of the whole process tree (RSS of
   every descendant summed, sampled from /proc every 0.2 s), and each Dagster step's wall
   time from the lines it logs (stamped as they arrive). The ingest step is split into
   generate (the generator's own log line) and load raw; the dbt steps into staging,
   intermediate, core, marts and tests from dbt's `run_results.json`.
2. **Baseline**: `bench/baseline.sql` (python -m bench.baseline) on the same raw tables,
   in its own process, measured the same way; its output is compared cell by cell with
   the platform's `marts.indicator_values`.
3. **Incremental**: the platform's incremental path, a run over one monthly partition (the
   newest month), as the daily refresh schedule issues it (partition range tags): the
   loader reloads that month's rows, the raw gate checks them, the incremental facts
   delete+insert the window, and the incremental marts keep the month ends before it
   (macros/marts_restart.sql). Timed against the full build.

A scale that exceeds `--timeout-min` is killed and recorded as timed out with the stage it
had reached. Results go to bench/results.json and bench/results.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DBT_DIR = ROOT / "dbt_project"
PYTHON = sys.executable
PAGE = os.sysconf("SC_PAGE_SIZE")
FEEDS = ("grants", "legal_events", "transfers", "pledges", "pct")
STEPS = ("ingest", "gx_raw_gate", "dbt_core", "gx_core_gate", "dbt_marts", "serving__serving_duckdb")
TARGETS = {
    "e2e_scale30_s": 300,
    "platform_over_baseline": 1.5,
    "peak_rss_gib": 6.0,
    "incremental_fraction": 0.10,
    "gx_share": 0.20,
}


# --------------------------------------------------------------------------- measuring
class TreeSampler(threading.Thread):
    """Peak of the summed RSS of a process and all its descendants, polled from /proc."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_tree = 0
        self.peak_at = 0.0
        self.started = time.perf_counter()
        self.peak_single = 0
        self.stop = threading.Event()

    def _tree(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as f:
                    stat = f.read()
            except OSError:
                continue
            ppid = int(stat[stat.rfind(b")") + 2 :].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
        out, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            out.append(pid)
            todo.extend(children.get(pid, ()))
        return out

    def sample(self) -> None:
        total = 0
        for pid in self._tree():
            try:
                with open(f"/proc/{pid}/statm") as f:
                    rss = int(f.read().split()[1]) * PAGE
            except (OSError, IndexError, ValueError):
                continue
            total += rss
            self.peak_single = max(self.peak_single, rss)
        if total > self.peak_tree:
            self.peak_tree, self.peak_at = total, time.perf_counter() - self.started

    def run(self) -> None:
        while not self.stop.is_set():
            self.sample()
            self.stop.wait(self.interval)


def run_measured(cmd: list[str], env: dict, timeout_s: float, log_path: Path) -> dict:
    """Run cmd; every output line stamped with seconds since start; wall, CPU, peak RSS."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    sampler = TreeSampler(proc.pid)
    sampler.start()
    lines: list[tuple[float, str]] = []

    def reader() -> None:
        with log_path.open("w", buffering=1) as log:
            for line in proc.stdout:  # type: ignore[union-attr]
                stamp = time.perf_counter() - t0
                lines.append((stamp, line.rstrip("\n")))
                log.write(f"{stamp:9.2f} {line}")

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    timed_out = False
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        timed_out = True
        # the whole tree by pid: dagster-dbt starts dbt in a session of its own, so killing our
        # process group would leave dbt running, holding the warehouse's lock
        for pid in reversed(sampler._tree()):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.wait()
        time.sleep(1)
    wall = time.perf_counter() - t0
    sampler.stop.set()
    sampler.join()
    thread.join(timeout=10)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "peak_rss_tree_gib": round(sampler.peak_tree / 2**30, 3),
        "peak_rss_largest_process_gib": round(sampler.peak_single / 2**30, 3),
        "peak_rss_at_s": round(sampler.peak_at, 1),
        "returncode": proc.returncode,
        "timed_out": timed_out,
        "lines": lines,
    }


# ------------------------------------------------------------------------- dagster log
STEP_LINE = re.compile(r" - ([\w.]+) - (STEP_START|STEP_SUCCESS|STEP_FAILURE) - ")
RUN_ID = re.compile(r" - ipind_all - ([0-9a-f-]{36}) - ")
REPORTED = re.compile(r'Finished execution of step "[^"]+" in ([^.]+(?:\.\d+)?[a-z]*)\.?$')
GENERATED = re.compile(r"IPIND_LOG ingestion\.synthetic synthetic scale=\S+ seed=\d+: ([\d.]+) s")


def parse_duration(text: str) -> float | None:
    total, found = 0.0, False
    for value, unit in re.findall(r"([\d.]+)(ms|h|m|s)", text):
        found = True
        total += float(value) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]
    return total if found else None


def parse_steps(lines: list[tuple[float, str]]) -> dict:
    steps: dict[str, dict] = {}
    run_id = None
    first_step_start = last_step_end = None
    generate_s = None
    for stamp, line in lines:
        if run_id is None and (m := RUN_ID.search(line)):
            run_id = m.group(1)
        if m := GENERATED.search(line):
            generate_s = float(m.group(1))
        m = STEP_LINE.search(line)
        if not m:
            continue
        step, event = m.groups()
        info = steps.setdefault(step, {"status": "started"})
        if event == "STEP_START":
            info["start_s"] = round(stamp, 2)
            first_step_start = stamp if first_step_start is None else first_step_start
        else:
            info["status"] = "success" if event == "STEP_SUCCESS" else "failure"
            info["end_s"] = round(stamp, 2)
            info["wall_s"] = round(stamp - info.get("start_s", stamp), 2)
            if (r := REPORTED.search(line)) and (d := parse_duration(r.group(1))) is not None:
                info["reported_s"] = round(d, 2)
            last_step_end = stamp
    reached = next((s for s in reversed(list(steps)) if steps[s]["status"] != "success"), None)
    return {
        "run_id": run_id,
        "steps": steps,
        "generate_s": generate_s,
        "startup_s": round(first_step_start, 2) if first_step_start is not None else None,
        "last_step_end_s": round(last_step_end, 2) if last_step_end is not None else None,
        "stage_reached": reached,
    }


# ---------------------------------------------------------------------------- dbt
def _layer(unique_id: str, manifest_nodes: dict) -> str:
    node = manifest_nodes.get(unique_id, {})
    kind = unique_id.split(".", 1)[0]
    if kind in ("test", "unit_test"):
        return "tests" if kind == "test" else "unit_tests"
    fqn = node.get("fqn") or []
    if kind == "seed":
        return "seeds"
    if len(fqn) > 2 and fqn[1] == "marts" and len(fqn) > 3 and fqn[2] == "building":
        return "marts_building"
    return fqn[1] if len(fqn) > 2 else kind


def dbt_results(run_id: str | None, keep_dir: Path) -> dict:
    """Per dbt step: per-node execution times from run_results.json (copied to keep_dir)."""
    out: dict = {}
    if not run_id:
        return out
    manifest_path = DBT_DIR / "target" / "manifest.json"
    nodes: dict = {}
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        nodes = {**manifest.get("nodes", {}), **manifest.get("unit_tests", {})}
    for target in sorted((DBT_DIR / "target").glob(f"dbt_*-{run_id[:7]}-*")):
        step = target.name.split("-", 1)[0]
        results_file = target / "run_results.json"
        if not results_file.exists():
            continue
        data = json.loads(results_file.read_text())
        shutil.copy(results_file, keep_dir / f"{step}_run_results.json")
        layers: dict[str, float] = {}
        counts: dict[str, int] = {}
        per_node = []
        for r in data["results"]:
            layer = _layer(r["unique_id"], nodes)
            layers[layer] = layers.get(layer, 0.0) + r["execution_time"]
            counts[layer] = counts.get(layer, 0) + 1
            per_node.append((r["execution_time"], r["unique_id"], r["status"]))
        per_node.sort(reverse=True)
        out[step] = {
            "dbt_elapsed_s": round(data.get("elapsed_time", 0.0), 2),
            "nodes_sum_s": round(sum(layers.values()), 2),
            "by_layer_s": {k: round(v, 2) for k, v in sorted(layers.items())},
            "node_counts": counts,
            "top_nodes": [{"node": u, "seconds": round(t, 2), "status": s} for t, u, s in per_node[:12]],
        }
        shutil.rmtree(target, ignore_errors=True)  # our run's dbt output (pitfalls: ~1 MB each)
    return out


# ---------------------------------------------------------------------------- steps
def env_for(warehouse: Path) -> dict:
    env = dict(os.environ)
    env["IPIND_WAREHOUSE_DIR"] = str(warehouse)
    env["DAGSTER_HOME"] = str(warehouse / ".dagster_home")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def raw_counts(db: Path) -> dict:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return {f: con.execute(f"select count(*) from raw.{f}").fetchall()[0][0] for f in FEEDS}
    finally:
        con.close()


def summarise_run(measured: dict, parsed: dict, dbt: dict) -> dict:
    steps = parsed["steps"]

    def wall(step: str) -> float | None:
        return steps.get(step, {}).get("wall_s")

    stages: dict[str, float | None] = {}
    ingest_steps = [v["wall_s"] for k, v in steps.items() if k.startswith("ingest") and "wall_s" in v]
    ingest = round(sum(ingest_steps), 2) if ingest_steps else None
    gen = parsed["generate_s"]
    stages["generate"] = gen
    stages["load_raw"] = round(ingest - gen, 2) if ingest is not None and gen is not None else ingest
    stages["gx_raw_gate"] = wall("gx_raw_gate")
    for step in ("dbt_core", "dbt_marts"):
        stages[step] = wall(step)
    stages["gx_core_gate"] = wall("gx_core_gate")
    stages["publish"] = wall("serving__serving_duckdb")
    known = {"gx_raw_gate", "dbt_core", "gx_core_gate", "dbt_marts", "serving__serving_duckdb"}
    for step, info in steps.items():
        if step not in known and not step.startswith("ingest") and "wall_s" in info:
            stages[f"other:{step}"] = info["wall_s"]
    core, marts = dbt.get("dbt_core", {}), dbt.get("dbt_marts", {})
    layers = {f"dbt_core.{k}": v for k, v in core.get("by_layer_s", {}).items()}
    layers |= {f"dbt_marts.{k}": v for k, v in marts.get("by_layer_s", {}).items()}
    overhead = {
        "dagster_startup_s": parsed["startup_s"],
        "teardown_s": round(measured["wall_s"] - parsed["last_step_end_s"], 2)
        if parsed["last_step_end_s"] is not None and not measured["timed_out"]
        else None,
    }
    for step, d in (("dbt_core", core), ("dbt_marts", marts)):
        if d and wall(step) is not None:
            overhead[f"{step}_not_in_duckdb_s"] = round(wall(step) - d["nodes_sum_s"], 2)
            overhead[f"{step}_dagster_side_s"] = round(wall(step) - d["dbt_elapsed_s"], 2)
            overhead[f"{step}_dbt_side_s"] = round(d["dbt_elapsed_s"] - d["nodes_sum_s"], 2)
    not_duckdb = [v for k, v in overhead.items() if k.endswith("not_in_duckdb_s") and v is not None]
    overhead["total_s"] = round(
        sum(not_duckdb) + (overhead["dagster_startup_s"] or 0) + (overhead["teardown_s"] or 0), 2
    )
    gx = sum(v for v in (stages["gx_raw_gate"], stages["gx_core_gate"]) if v)
    transform = sum(v for v in (stages["dbt_core"], stages["dbt_marts"]) if v)
    return {
        "wall_s": measured["wall_s"],
        "cpu_s": measured["cpu_s"],
        "peak_rss_tree_gib": measured["peak_rss_tree_gib"],
        "peak_rss_largest_process_gib": measured["peak_rss_largest_process_gib"],
        "peak_rss_during": next(
            (
                k
                for k, v in steps.items()
                if v.get("start_s", 1e18) <= measured.get("peak_rss_at_s", -1) <= v.get("end_s", 1e18)
            ),
            None,
        ),
        "returncode": measured["returncode"],
        "timed_out": measured["timed_out"],
        "stage_reached": parsed["stage_reached"]
        if measured["timed_out"] or measured["returncode"]
        else "done",
        "run_id": parsed["run_id"],
        "stages_s": stages,
        "dbt_layers_s": layers,
        "transform_s": round(transform, 2),
        "gx_s": round(gx, 2),
        "gx_share": round(gx / measured["wall_s"], 3) if measured["wall_s"] else None,
        "overhead": overhead,
        "dbt": dbt,
        "steps": steps,
    }


def newest_month(db: Path) -> str:
    """The monthly partition key (YYYY-MM-01) of the newest grant: the month a refresh reloads."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("select strftime(max(grant_date), '%Y-%m-01') from raw.grants").fetchall()[0][0]
    finally:
        con.close()


def month_rows(db: Path, month: str) -> dict:
    import duckdb

    from ingestion.schema import FEEDS as SPECS

    con = duckdb.connect(str(db), read_only=True)
    try:
        return {
            feed: con.execute(
                f"select count(*) from raw.{feed} where strftime({SPECS[feed].date_column}, '%Y-%m-01') = ?",
                [month],
            ).fetchall()[0][0]
            for feed in FEEDS
        }
    finally:
        con.close()


def bench_scale(scale: float, args: argparse.Namespace) -> dict:
    work = Path(args.workdir) / f"scale-{scale:g}"
    shutil.rmtree(work, ignore_errors=True)
    warehouse = work / "warehouse"
    warehouse.mkdir(parents=True)
    logs = work / "logs"
    logs.mkdir()
    env = env_for(warehouse)
    timeout = args.timeout_min * 60  # per run: full build, baseline, incremental
    result: dict = {"scale": scale, "workdir": str(work)}
    print(f"[bench] scale {scale:g}: full build in {warehouse}", flush=True)

    # 1. full build
    cmd = [PYTHON, "-m", "bench._ipind", "run", "--source", "synthetic", "--set", f"scale={scale:g}"]
    cmd += ["--set", f"seed={args.seed}", "--warehouse-dir", str(warehouse)]
    measured = run_measured(cmd, env, timeout, logs / "full.log")
    parsed = parse_steps(measured["lines"])
    full = summarise_run(measured, parsed, dbt_results(parsed["run_id"], logs))
    result["full"] = full
    print(
        f"[bench] scale {scale:g}: full build {full['wall_s']} s, reached {full['stage_reached']}", flush=True
    )
    db = warehouse / "warehouse.duckdb"
    if full["timed_out"] or full["returncode"]:
        tail = [line for _, line in measured["lines"][-15:]]
        result["full"]["log_tail"] = tail
    try:
        counts = raw_counts(db)
        result["raw_rows"] = counts
        result["raw_rows_total"] = sum(counts.values())
        if not full["timed_out"] and not full["returncode"]:
            result["rows_per_s_e2e"] = round(sum(counts.values()) / full["wall_s"])
            if full["transform_s"]:
                result["rows_per_s_transform"] = round(sum(counts.values()) / full["transform_s"])
        ingest = [full["stages_s"].get("generate"), full["stages_s"].get("load_raw")]
        if all(v for v in ingest):
            result["rows_per_s_ingest"] = round(sum(counts.values()) / sum(ingest))
    except Exception as exc:  # noqa: BLE001 - a killed run can leave no raw tables
        result["raw_rows_error"] = str(exc)
        if not args.keep:
            shutil.rmtree(warehouse, ignore_errors=True)
        return result

    # 2. baseline on the same raw tables (only when the ingest steps completed: a killed load
    # leaves the raw tables of an unknown subset of feeds)
    ingested = [v for k, v in full["steps"].items() if k.startswith("ingest")]
    if not ingested or any(v["status"] != "success" for v in ingested):
        result["baseline"] = {"skipped": "the ingest steps did not finish: no complete raw tables"}
        if not args.keep:
            shutil.rmtree(warehouse, ignore_errors=True)
        return result
    out_db = work / "baseline.duckdb"
    bm = run_measured(
        [PYTHON, "-m", "bench.baseline", str(db), str(out_db)], env, timeout, logs / "baseline.log"
    )
    base: dict = {k: bm[k] for k in ("wall_s", "cpu_s", "peak_rss_tree_gib", "returncode", "timed_out")}
    for _, line in bm["lines"]:
        if line.startswith("BASELINE_RESULT "):
            base |= json.loads(line.split(" ", 1)[1])
    if bm["returncode"] == 0 and (warehouse / "serving.duckdb").exists():
        from bench.baseline import compare

        base["agreement"] = compare(out_db, warehouse / "serving.duckdb")
    elif bm["returncode"]:
        base["log_tail"] = [line for _, line in bm["lines"][-10:]]
    result["baseline"] = base
    if base.get("returncode") == 0 and full["transform_s"] and not full["timed_out"]:
        result["platform_over_baseline"] = round(full["transform_s"] / bm["wall_s"], 2)
        print(
            f"[bench] scale {scale:g}: baseline {bm['wall_s']} s; transform ratio "
            f"{result['platform_over_baseline']}",
            flush=True,
        )
    out_db.unlink(missing_ok=True)

    # 3. one new month on top of the full build
    if args.no_incremental:
        result["incremental"] = {"skipped": "--no-incremental"}
    elif full["timed_out"] or full["returncode"]:
        result["incremental"] = {"skipped": "the full build did not finish"}
    else:
        month = newest_month(db)
        cmd = [PYTHON, "-m", "bench._ipind", "run", "--source", "synthetic", "--month", month[:7]]
        cmd += ["--set", f"scale={scale:g}", "--set", f"seed={args.seed}", "--warehouse-dir", str(warehouse)]
        im = run_measured(cmd, env, timeout, logs / "incremental.log")
        ip = parse_steps(im["lines"])
        inc = summarise_run(im, ip, dbt_results(ip["run_id"], logs))
        inc["partition"] = month
        inc["month_rows"] = month_rows(db, month)
        # A failed incremental run is not a fast one: no fraction, so the target reads "not met".
        ok = not im["returncode"] and not im["timed_out"]
        inc["fraction_of_full"] = round(inc["wall_s"] / full["wall_s"], 3) if ok else None
        if full["transform_s"]:
            inc["transform_fraction_of_full"] = round(inc["transform_s"] / full["transform_s"], 3)
        if im["timed_out"] or im["returncode"]:
            inc["log_tail"] = [line for _, line in im["lines"][-15:]]
        result["incremental"] = inc
        share = f"{inc['fraction_of_full']:.0%}" if ok else f"FAILED at {inc['stage_reached']}"
        print(f"[bench] scale {scale:g}: incremental {inc['wall_s']} s ({share})", flush=True)
    if not args.keep:
        shutil.rmtree(warehouse, ignore_errors=True)
    return result


# ---------------------------------------------------------------------------- report
def targets(results: list[dict]) -> dict:
    out = {}
    by_scale = {r["scale"]: r for r in results}
    big = by_scale.get(30.0)
    if big is None:
        out["e2e_scale30_le_5min"] = {"value_s": None, "met": False, "note": "scale 30 not run"}
    else:
        full = big["full"]
        out["e2e_scale30_le_5min"] = {
            "value_s": full["wall_s"],
            "timed_out": full["timed_out"],
            "stage_reached": full["stage_reached"],
            "failed": bool(full["returncode"]) and not full["timed_out"],
            "met": bool(
                not full["timed_out"]
                and not full["returncode"]
                and full["wall_s"] <= TARGETS["e2e_scale30_s"]
            ),
        }
    for r in results:
        s = f"scale_{r['scale']:g}"
        ratio = r.get("platform_over_baseline")
        out[f"{s}.platform_over_baseline_le_1.5"] = {
            "value": ratio,
            "met": ratio is not None and ratio <= 1.5,
        }
        peak = r["full"]["peak_rss_tree_gib"]
        out[f"{s}.peak_rss_le_6GiB"] = {"value": peak, "met": peak <= TARGETS["peak_rss_gib"]}
        inc = r.get("incremental", {}).get("fraction_of_full")
        out[f"{s}.incremental_le_10pct"] = {"value": inc, "met": inc is not None and inc <= 0.10}
        gx = None if r["full"]["timed_out"] or r["full"]["returncode"] else r["full"]["gx_share"]
        out[f"{s}.gx_share_le_20pct"] = {"value": gx, "met": gx is not None and gx <= 0.20}
    return out


def fmt(v: object, unit: str = "") -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:,.1f}{unit}" if abs(v) >= 10 else f"{v:,.2f}{unit}"
    if isinstance(v, int):
        return f"{v:,}{unit}"
    return str(v)


def markdown(doc: dict) -> str:
    results = doc["results"]
    head = "| | " + " | ".join(f"scale {r['scale']:g}" for r in results) + " |"
    sep = "|---|" + "---:|" * len(results)
    rows: list[tuple[str, list]] = []

    def add(label: str, getter) -> None:  # noqa: ANN001
        vals = []
        for r in results:
            try:
                vals.append(getter(r))
            except (KeyError, TypeError):
                vals.append(None)
        rows.append((label, vals))

    add("grants (raw rows)", lambda r: r["raw_rows"]["grants"])
    add("all raw feed rows", lambda r: r["raw_rows_total"])
    add(
        "**end to end** (s)",
        lambda r: (
            f"timeout at {r['full']['stage_reached']} ({r['full']['wall_s']:,.0f})"
            if r["full"]["timed_out"]
            else f"failed at {r['full']['stage_reached']} ({r['full']['wall_s']:,.0f})"
            if r["full"]["returncode"]
            else r["full"]["wall_s"]
        ),
    )
    add("CPU, process tree (s)", lambda r: r["full"]["cpu_s"])
    step_of = {"load_raw": "ingest_feeds", "publish": "serving__serving_duckdb"}

    def stage_cell(r: dict, stage: str) -> object:
        full = r["full"]
        value = full["stages_s"].get(stage)
        info = full["steps"].get(step_of.get(stage, stage), {})
        if value is None and full["timed_out"] and "start_s" in info and "end_s" not in info:
            running = full["wall_s"] - info["start_s"]
            if stage == "load_raw" and full["stages_s"].get("generate"):
                running -= full["stages_s"]["generate"]
            return f"≥ {running:,.0f} (killed)"
        return value

    for stage in ("generate", "load_raw", "gx_raw_gate", "dbt_core", "gx_core_gate", "dbt_marts", "publish"):
        add(f"  {stage} (s)", lambda r, s=stage: stage_cell(r, s))

    def models(step: str):  # noqa: ANN202
        def get(r: dict) -> float | None:
            layers = [
                v for k, v in r["full"]["dbt_layers_s"].items() if k.startswith(step) and "test" not in k
            ]
            return round(sum(layers), 1) if layers else None

        return get

    add("  dbt staging+intermediate+core models (s)", models("dbt_core."))
    add("  dbt_core tests (s)", lambda r: r["full"]["dbt_layers_s"].get("dbt_core.tests"))
    add("  dbt marts models (s)", models("dbt_marts."))
    add("  dbt_marts tests (s)", lambda r: r["full"]["dbt_layers_s"].get("dbt_marts.tests"))
    add("Dagster+dbt overhead, not in DuckDB (s)", lambda r: r["full"]["overhead"]["total_s"])
    add("  of which Dagster start-up (s)", lambda r: r["full"]["overhead"]["dagster_startup_s"])
    add("rows/s end to end", lambda r: r["rows_per_s_e2e"])
    add(
        "rows/s ingest (generate + load)",
        lambda r: round(
            r["raw_rows_total"] / (r["full"]["stages_s"]["generate"] + r["full"]["stages_s"]["load_raw"])
        ),
    )
    add("rows/s transform (dbt)", lambda r: r["rows_per_s_transform"])
    add("peak RSS, process tree (GiB)", lambda r: r["full"]["peak_rss_tree_gib"])
    add("peak RSS, largest process (GiB)", lambda r: r["full"]["peak_rss_largest_process_gib"])
    add("peak RSS during step", lambda r: r["full"].get("peak_rss_during"))
    add(
        "**platform transform** dbt_core+dbt_marts (s)",
        lambda r: None if r["full"]["timed_out"] or r["full"]["returncode"] else r["full"]["transform_s"],
    )
    add("**baseline** plain DuckDB (s)", lambda r: r["baseline"]["wall_s"])
    add("baseline peak RSS (GiB)", lambda r: r["baseline"]["peak_rss_tree_gib"])
    add("**platform / baseline**", lambda r: r["platform_over_baseline"])

    def agreement(r: dict) -> str:
        a = r["baseline"]["agreement"]
        return f"{a['cells_both'] - a['value_diff']:,}/{a['cells_both']:,}"

    add("baseline cells equal to platform", agreement)
    add(
        "GX gates share of end to end",
        lambda r: (
            None if r["full"]["timed_out"] or r["full"]["returncode"] else f"{r['full']['gx_share']:.0%}"
        ),
    )
    add("**one-month incremental** (s)", lambda r: r["incremental"]["wall_s"])
    add(
        "incremental / full build",
        lambda r: (
            f"failed at {r['incremental']['stage_reached']}"
            if r["incremental"]["fraction_of_full"] is None
            else f"{r['incremental']['fraction_of_full']:.0%}"
        ),
    )
    lines = [head, sep] + [f"| {label} | " + " | ".join(fmt(v) for v in vals) + " |" for label, vals in rows]
    notes = [f"- scale {r['scale']:g}: {r['note']}" for r in results if r.get("note")]
    if notes:
        lines += ["", "Notes:", "", *notes]
    tg = ["", "Targets (reported, not asserted):", ""]
    for name, t in doc["targets"].items():
        val = t.get("value", t.get("value_s"))
        extra = f" (timed out at {t['stage_reached']})" if t.get("timed_out") else ""
        extra += f" (failed at {t['stage_reached']})" if t.get("failed") else ""
        extra += f" ({t['note']})" if t.get("note") else ""
        tg.append(f"- {name}: {fmt(val)}{extra} — {'met' if t['met'] else 'NOT met'}")
    meta = doc["machine"]
    intro = (
        f"# Benchmark results\n\nGenerated by `make bench` ({doc['generated_at']}, {meta['cpus']} CPUs, "
        f"{meta['python']}). Wall seconds on a shared machine: compare ratios within one run. "
        "See docs/performance.md for what dominates and why.\n"
    )
    return intro + "\n" + "\n".join(lines + tg) + "\n"


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench.run", description=__doc__.splitlines()[0])
    p.add_argument("--scales", default="1,10,30", help="comma-separated synthetic scales (default 1,10,30)")
    p.add_argument(
        "--timeout-min",
        type=float,
        default=40.0,
        help="per run (full build, baseline, incremental); default 40",
    )
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--workdir", default=os.environ.get("IPIND_BENCH_DIR", "/tmp/ipind-bench"))
    p.add_argument("--out", default=str(ROOT / "bench" / "results.json"))
    p.add_argument("--keep", action="store_true", help="keep each scale's warehouse")
    p.add_argument("--no-incremental", action="store_true")
    p.add_argument(
        "--append",
        action="store_true",
        help="keep the other scales already in --out (a scale rerun replaces its entry)",
    )
    p.add_argument("--report-only", action="store_true", help="rewrite results.md from --out and exit")
    args = p.parse_args(argv)
    if args.report_only:
        doc = json.loads(Path(args.out).read_text())
        doc["targets"] = targets(doc["results"])
        Path(args.out).with_suffix(".md").write_text(markdown(doc))
        print(Path(args.out).with_suffix(".md").read_text())
        return 0
    scales = [float(s) for s in args.scales.split(",") if s.strip()]
    out = Path(args.out)
    doc: dict = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": len(os.sched_getaffinity(0)),
            "python": platform.python_version(),
            "load_avg_at_start": os.getloadavg(),
            "git_head": _git("rev-parse", "--short", "HEAD"),
            "git_dirty_files": len(_git("status", "--porcelain").splitlines()),
        },
        "timeout_min": args.timeout_min,
        "targets_def": TARGETS,
        "results": [],
    }
    if args.append and out.exists():
        previous = json.loads(out.read_text()).get("results", [])
        doc["results"] = [r for r in previous if r["scale"] not in scales]
    for scale in scales:
        result = bench_scale(scale, args)
        result["load_avg_after"] = os.getloadavg()
        result["git_head"] = doc["machine"]["git_head"]
        doc["results"].append(result)
        doc["results"].sort(key=lambda r: r["scale"])
        doc["targets"] = targets(doc["results"])
        out.write_text(json.dumps(doc, indent=2, default=str) + "\n")
        out.with_suffix(".md").write_text(markdown(doc))
    print(out.with_suffix(".md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
