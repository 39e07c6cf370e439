"""`ipind`: drive the platform without the UI (real Dagster runs on a real instance)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

DEMO_SCALE = "1"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ipind", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="materialise every asset and publish serving.duckdb")
    run.add_argument("--source", choices=["synthetic", "files", "http"], default="synthetic")
    run.add_argument("--landing", help="landing folder (files source)")
    run.add_argument(
        "--month",
        action="append",
        metavar="YYYY-MM",
        help="load and rebuild only this monthly partition (repeat for a range); default: all history",
    )
    _common(run)
    demo = sub.add_parser("demo", help="run --source synthetic at the default scale")
    _common(demo)
    show = sub.add_parser("show", help="print indicators from serving.duckdb")
    show.add_argument("--region", default="420000")
    show.add_argument("--year", type=int)
    show.add_argument("--level", choices=["province", "prefecture", "county"])
    show.add_argument("--warehouse-dir")
    args = parser.parse_args(argv)
    warehouse_dir = Path(args.warehouse_dir or os.environ.get("IPIND_WAREHOUSE_DIR") or "warehouse").resolve()
    if args.command == "show":
        from orchestration.report_cli import show_indicators

        return show_indicators(warehouse_dir / "serving.duckdb", args.region, args.year, args.level)
    options: dict[str, object] = {}
    from orchestration.config import ConfigError, build_run_config, load_yaml, parse_set_options

    try:
        options.update(load_yaml(Path("ipind.yaml")))
        if args.command == "demo":
            options.setdefault("scale", DEMO_SCALE)
            options["source"] = "synthetic"
        else:
            options["source"] = args.source
            if args.landing:
                options["landing"] = str(Path(args.landing).resolve())
        options.update(parse_set_options(args.set or []))
        run_config = build_run_config(options)
    except ConfigError as exc:
        print(f"ipind: {exc}", file=sys.stderr)
        return 2
    from orchestration.runner import run_pipeline

    months = None
    if args.command == "run" and args.month:
        from orchestration.partitions import month_keys

        try:
            months = month_keys(args.month)
        except ValueError as exc:
            print(f"ipind: --month: {exc}", file=sys.stderr)
            return 2
    return run_pipeline(warehouse_dir, run_config, months=months)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--warehouse-dir", help="default ./warehouse or $IPIND_WAREHOUSE_DIR")
    parser.add_argument("--set", action="append", metavar="KEY=VALUE", help="a setting")


if __name__ == "__main__":
    sys.exit(main())
