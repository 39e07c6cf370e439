"""End to end as an operator works: `dagster dev`, its GraphQL API, a browser.

Starts the real webserver on the repo's workspace.yaml, reads the asset graph over GraphQL,
launches `ipind_all` through the API exactly as the launchpad does, waits for it, then opens
the asset graph and the rendered report in headless Chromium and checks what a person would
see. Screenshots land in the test's warehouse directory (the path is printed) so a failure
can be looked at, not only read about.

Chromium and its driver are Debian packages installed by `make test`; nothing is downloaded
at run time (Selenium is given both binaries, so Selenium Manager never runs).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import ROOT, SHARED_REFERENCE

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
BOUNDARIES = SHARED_REFERENCE / "prefecture_boundaries_hubei_hunan.csv"
EXPECTED_ASSETS = {
    "raw/grants",
    "marts/indicator_values",
    "marts/region_indicators_annual",
    "marts/target_tracking",
    "marts/reconciliation",
    "serving/serving_duckdb",
    "reports/indicator_report",
}
STARTUP_TIMEOUT_S = 120
RUN_TIMEOUT_S = 600

pytestmark = pytest.mark.slow


class Dagit:
    """A `dagster dev` process and the GraphQL endpoint it serves."""

    def __init__(self, port: int, process: subprocess.Popen[bytes], log: Path) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.process = process
        self.log = log

    def graphql(self, query: str, variables: dict[str, Any] | None = None, timeout: float = 30) -> Any:
        request = urllib.request.Request(
            f"{self.url}/graphql",
            data=json.dumps({"query": query, "variables": variables or {}}).encode(),
            headers={"Content-Type": "application/json"},
        )
        # Loopback only: keep any configured proxy out of the way.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=timeout) as response:
            body = json.loads(response.read())
        assert "errors" not in body, body["errors"]
        return body["data"]

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ui_warehouse")
    print(f"\nUI test warehouse and screenshots: {path}")
    return path


@pytest.fixture(scope="module")
def dagit(warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dagit]:
    home = tmp_path_factory.mktemp("dagster_home")
    shutil.copyfile(ROOT / "dagster.yaml", home / "dagster.yaml")
    port = _free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "IPIND_WAREHOUSE_DIR": str(warehouse),
        "IPIND_BOUNDARIES": str(BOUNDARIES),
        "NO_PROXY": "127.0.0.1,localhost",
    }
    log = warehouse / "dagster_dev.log"
    with log.open("wb") as sink:
        # `env --default-signal` because a backgrounded dagster dev otherwise ignores INT/TERM.
        process = subprocess.Popen(
            [
                "env",
                "--default-signal=INT,TERM",
                str(Path(sys.executable).with_name("dagster")),
                "dev",
                "-w",
                "workspace.yaml",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
            ],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Dagit(port, process, log)
    try:
        _wait_until_loaded(server)
        yield server
    finally:
        _stop(process)


def _wait_until_loaded(server: Dagit) -> None:
    """The webserver answers after ~14 s; the code location loads a little later."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    last: object = None
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"dagster dev exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            data = server.graphql(
                "{ workspaceOrError { __typename ... on Workspace { locationEntries { name"
                " locationOrLoadError { __typename ... on PythonError { message } } } } } }",
                timeout=5,
            )
            entries = data["workspaceOrError"].get("locationEntries") or []
            states = [e["locationOrLoadError"] for e in entries]
            last = states
            if states and all(s and s["__typename"] == "RepositoryLocation" for s in states):
                return
            errors = [s["message"] for s in states if s and s["__typename"] == "PythonError"]
            if errors:
                pytest.fail("code location failed to load:\n" + "\n".join(errors))
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
            last = exc
        time.sleep(1)
    pytest.fail(f"dagster dev not ready after {STARTUP_TIMEOUT_S} s ({last}):\n{server.log_tail()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()  # SIGTERM: dagster dev shuts its code server and daemon down (~3.5 s)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # its own session: only what this test started
        process.wait(timeout=10)


def _repository(server: Dagit) -> tuple[str, str]:
    data = server.graphql(
        "{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } } } } }"
    )
    nodes = data["repositoriesOrError"]["nodes"]
    assert len(nodes) == 1, nodes
    return nodes[0]["location"]["name"], nodes[0]["name"]


@pytest.fixture(scope="module")
def finished_run(dagit: Dagit) -> dict[str, Any]:
    """Launch ipind_all at the tests' scale through GraphQL and wait for it to end."""
    location, repository = _repository(dagit)
    launched = dagit.graphql(
        """
        mutation Launch($params: ExecutionParams!) {
          launchRun(executionParams: $params) {
            __typename
            ... on LaunchRunSuccess { run { runId } }
            ... on PythonError { message stack }
            ... on RunConfigValidationInvalid { errors { message } }
            ... on InvalidSubsetError { message }
          }
        }
        """,
        {
            "params": {
                "selector": {
                    "repositoryLocationName": location,
                    "repositoryName": repository,
                    "jobName": "ipind_all",
                },
                "runConfigData": {"resources": {"source": {"config": {"scale": 0.02}}}},
            }
        },
    )["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    deadline = time.monotonic() + RUN_TIMEOUT_S
    status = "QUEUED"
    while time.monotonic() < deadline:
        status = dagit.graphql(
            "query Run($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }", {"id": run_id}
        )["runOrError"]["status"]
        if status in {"SUCCESS", "FAILURE", "CANCELED"}:
            break
        time.sleep(2)
    if status != "SUCCESS":
        failures = dagit.graphql(
            """
            query Events($id: ID!) {
              logsForRun(runId: $id, limit: 2000) {
                ... on EventConnection { events { __typename ... on MessageEvent { message stepKey } } }
              }
            }
            """,
            {"id": run_id},
        )["logsForRun"]["events"]
        messages = [
            f"{e.get('stepKey')}: {e.get('message')}"
            for e in failures
            if e["__typename"] in {"ExecutionStepFailureEvent", "RunFailureEvent"}
        ]
        pytest.fail(f"run {run_id} ended {status} after <= {RUN_TIMEOUT_S} s:\n" + "\n".join(messages))
    return {"run_id": run_id, "status": status}


@pytest.fixture(scope="module")
def browser(warehouse: Path) -> Iterator[Any]:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.fail(f"missing {missing}: `make test` installs the Debian packages chromium, chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = warehouse / "chromium-profile"
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--window-size=1600,1000",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _wait_for(driver: Any, script: str, timeout: float = 60) -> Any:
    """Poll a JS expression until it is truthy (the UI renders asynchronously)."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = driver.execute_script(f"return {script}")
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {script!r} (last value {value!r})")


def test_asset_graph_over_graphql(dagit: Dagit) -> None:
    data = dagit.graphql("{ assetNodes { assetKey { path } groupName } }")
    keys = {"/".join(node["assetKey"]["path"]): node["groupName"] for node in data["assetNodes"]}
    assert set(keys) >= EXPECTED_ASSETS, EXPECTED_ASSETS - set(keys)
    assert keys["reports/indicator_report"] == "reports"
    assert keys["serving/serving_duckdb"] == "serving"


def test_run_builds_serving_and_report(finished_run: dict[str, Any], warehouse: Path) -> None:
    assert finished_run["status"] == "SUCCESS"
    assert (warehouse / "serving.duckdb").is_file()
    report = warehouse / "reports" / "indicator_report.html"
    assert report.is_file()
    assert 'data-chart="map-420000"' in report.read_text(encoding="utf-8")  # IPIND_BOUNDARIES was set


def _dismiss_community_dialog(driver: Any) -> None:
    from selenium.webdriver.common.by import By

    for button in driver.find_elements(By.XPATH, "//button[normalize-space()='Skip']"):
        button.click()


def test_asset_graph_page(dagit: Dagit, finished_run: dict[str, Any], browser: Any, warehouse: Path) -> None:
    browser.get(f"{dagit.url}/asset-groups")
    _wait_for(browser, "document.body.innerText.includes('Global asset lineage')")
    time.sleep(1)
    _dismiss_community_dialog(browser)
    # The global lineage draws every group collapsed. Expand them as a person would (the UI
    # remembers expanded groups in localStorage under this key, Dagster 1.13) and type the
    # report's lineage into the selection box (the UI puts the selection in the path).
    groups = ("ingestion", "staging", "core", "marts", "serving", "reports")
    expanded = json.dumps({"expanded": ",".join(f"global@global:{g}" for g in groups)})
    browser.execute_script(
        "localStorage.setItem('communityNux', '1'); localStorage.setItem(arguments[0], arguments[1])",
        "asset-graph-open-graph-nodes-global-__GLOBAL__",
        expanded,
    )
    selection = urllib.parse.quote('2+key:"reports/indicator_report"', safe="")
    browser.get(f"{dagit.url}/asset-groups~{selection}/")
    for name in ("indicator_values", "target_tracking", "serving_duckdb", "indicator_report"):
        nodes = "[...document.querySelectorAll('foreignObject')]"
        _wait_for(browser, f"{nodes}.some(n => n.textContent.includes({json.dumps(name)}))")
    time.sleep(1)  # let the layout settle before the picture
    browser.save_screenshot(str(warehouse / "ui_asset_graph.png"))

    browser.get(f"{dagit.url}/assets/reports/indicator_report")
    _wait_for(browser, "document.body.innerText.includes('indicator_report.html')")  # the path metadata
    # Markdown metadata sits behind a link in the table; open the chart as a person would.
    from selenium.webdriver.common.by import By

    (row,) = browser.find_elements(By.XPATH, "//tr[td[normalize-space()='chart']]")
    row.find_element(By.XPATH, ".//a[normalize-space()='[Show Markdown]']").click()
    dialog = _wait_for(
        browser,
        "[...document.querySelectorAll('[role=dialog]')].map(d => d.innerText).find(t => t.includes('█'))",
    )
    assert "湖北省" in dialog and "武汉市" in dialog
    time.sleep(1)  # the dialog fades in
    browser.save_screenshot(str(warehouse / "ui_report_asset_chart.png"))


def test_report_in_the_browser(finished_run: dict[str, Any], browser: Any, warehouse: Path) -> None:
    report = warehouse / "reports" / "indicator_report.html"
    browser.get(report.as_uri())
    # Every chart drew an SVG: trends, rankings and maps, for both provinces.
    charts = _wait_for(
        browser,
        "(() => { const c = [...document.querySelectorAll('.chart')];"
        " return c.length && c.every(e => e.querySelector('.main-svg')) && c.map(e => e.dataset.chart); })()",
    )
    for expected in ("trend-420000", "ranking-420000", "map-420000", "trend-430000", "map-430000"):
        assert expected in charts
    # The map drew one shape per prefecture of Hubei (17) without any network access.
    shapes = _wait_for(
        browser, "document.querySelectorAll('[data-chart=\"map-420000\"] .choroplethlocation').length"
    )
    assert shapes >= 17
    text = browser.execute_script("return document.body.innerText")
    assert "湖北省" in text and "武汉市" in text and "万人发明专利拥有量" in text
    assert browser.execute_script("return document.querySelectorAll('[role=progressbar]').length") > 0
    browser.execute_script("document.querySelector('[data-chart=\"map-420000\"]').scrollIntoView()")
    time.sleep(0.5)
    browser.save_screenshot(str(warehouse / "report_map.png"))
    browser.execute_script("window.scrollTo(0, 0)")
    browser.save_screenshot(str(warehouse / "report_top.png"))
