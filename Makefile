# The README's commands. Each target sets up what it needs, so a fresh clone works.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export IPIND_WAREHOUSE_DIR ?= $(CURDIR)/warehouse
export DAGSTER_HOME ?= $(IPIND_WAREHOUSE_DIR)/.dagster_home

.PHONY: install demo test dev lint bench bi clean manifest browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) manifest

# The dbt manifest Dagster loads its dbt assets from (never parsed at import time).
manifest: $(STAMP)
	mkdir -p $(DAGSTER_HOME)
	cd dbt_project && ../$(BIN)/dbt parse --quiet --profiles-dir . --project-dir .

demo: install
	$(BIN)/ipind demo

# Headless Chromium for the UI test, from Debian's packages (never downloaded at run time).
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null && fc-list :lang=zh | grep -q . \
		|| (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver fonts-wqy-microhei)

test: install browser
	bi/build.sh --install
	$(BIN)/python -m pytest -q -x --durations=15

dev: install
	mkdir -p $(DAGSTER_HOME) && test -f $(DAGSTER_HOME)/dagster.yaml || cp dagster.yaml $(DAGSTER_HOME)/
	env --default-signal=INT,TERM $(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	cd dbt_project && ../$(BIN)/sqlfluff lint models

bench: install
	$(BIN)/python -m bench.run

# The dashboards (Apache Superset, bi/) from $(IPIND_WAREHOUSE_DIR)/serving.duckdb; the BI
# virtualenv (bi/.venv, pinned in bi/requirements.txt) is installed on first use.
bi:
	bi/build.sh

clean:
	rm -rf warehouse dbt_project/target dbt_project/logs
