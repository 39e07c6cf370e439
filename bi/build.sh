#!/usr/bin/env bash
# Build the ipind dashboards (Apache Superset) from the current serving.duckdb.
#
#   IPIND_WAREHOUSE_DIR   warehouse folder holding serving.duckdb (default: <repo>/warehouse)
#   IPIND_SERVING_DB      the serving file itself, if it lives elsewhere
#   IPIND_BI_HOME         where Superset keeps its metadata database (default: bi/build)
#   IPIND_BI_VENV         the BI virtualenv (default: bi/.venv)
#
#   bi/build.sh              install if needed, then build the dashboards
#   bi/build.sh --install    only install the BI virtualenv (the one step that needs PyPI)
#
# The virtualenv is installed from bi/requirements.txt (every version pinned) only when it is
# missing or older than that file; after that the build needs no network. Nothing calls out:
# no analytics, no example data.
set -euo pipefail

BI_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(dirname "$BI_DIR")"
WAREHOUSE_DIR="${IPIND_WAREHOUSE_DIR:-$REPO_DIR/warehouse}"
SERVING_DB="${IPIND_SERVING_DB:-$WAREHOUSE_DIR/serving.duckdb}"
BI_HOME="${IPIND_BI_HOME:-$BI_DIR/build}"
BI_VENV="${IPIND_BI_VENV:-$BI_DIR/.venv}"
PYTHON="${PYTHON:-python3.11}"

if [ ! -x "$BI_VENV/bin/python" ] || [ "$BI_DIR/requirements.txt" -nt "$BI_VENV/.installed" ]; then
    "$PYTHON" -m venv "$BI_VENV"
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$BI_VENV/bin/pip" install --quiet -r "$BI_DIR/requirements.txt"
    touch "$BI_VENV/.installed"
fi
if [ "${1:-}" = "--install" ]; then
    exit 0
fi

if [ ! -f "$SERVING_DB" ]; then
    echo "bi: no serving database at $SERVING_DB (run 'ipind run' or 'make demo' first," \
        "or set IPIND_WAREHOUSE_DIR)" >&2
    exit 2
fi

export SCARF_ANALYTICS=false SUPERSET_LOAD_EXAMPLES=no DO_NOT_TRACK=1
exec "$BI_VENV/bin/python" "$BI_DIR/superset/build.py" build --serving "$SERVING_DB" --home "$BI_HOME"
