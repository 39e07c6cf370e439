"""The dashboards (bi/, Apache Superset) built from a freshly published serving.duckdb.

`bi/build.sh` installs the BI virtualenv on first use (bi/.venv, from bi/requirements.txt;
`bi/build.sh --install` does only that, ahead of the tests), imports the dashboards into a
Superset metadata database in a temporary folder, and the test then asks Superset's REST API
for every chart of the 湖北省 dashboards, as their web pages do. Every expected figure is
read from the serving tables by the test itself.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
from pathlib import Path

import duckdb
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "bi" / "build.sh"
HUBEI = "420000"
WUHAN = "420100"


def _env(warehouse: Path, home: Path) -> dict[str, str]:
    env = {**os.environ, "IPIND_WAREHOUSE_DIR": str(warehouse), "IPIND_BI_HOME": str(home)}
    env.pop("IPIND_SERVING_DB", None)
    return env


def _venv_python() -> Path:
    return Path(os.environ.get("IPIND_BI_VENV", ROOT / "bi" / ".venv")) / "bin" / "python"


def _served(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(warehouse / "serving.duckdb"), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def built(synthetic_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("bi_home")
    before = _digest(synthetic_warehouse / "serving.duckdb")
    result = subprocess.run(
        [str(BUILD)], capture_output=True, text=True, env=_env(synthetic_warehouse, home), timeout=900
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    # The BI build only reads the published file.
    assert _digest(synthetic_warehouse / "serving.duckdb") == before
    return home


def _dashboard(home: Path, slug: str) -> dict:
    out = home / f"{slug}.json"
    result = subprocess.run(
        [
            str(_venv_python()),
            str(ROOT / "bi" / "superset" / "build.py"),
            "query",
            "--home",
            str(home),
            "--slug",
            slug,
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "IPIND_BI_HOME": str(home)},
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    return json.loads(out.read_text(encoding="utf-8"))


def _chart(dashboard: dict, fragment: str) -> list[dict]:
    names = [name for name in dashboard["charts"] if fragment in name]
    assert len(names) == 1, (fragment, list(dashboard["charts"]))
    return dashboard["charts"][names[0]]


def _close(shown: float | None, expected: float | None) -> bool:
    if expected is None or (isinstance(expected, float) and math.isnan(expected)):
        return shown is None or (isinstance(shown, float) and math.isnan(shown))
    return shown is not None and math.isclose(shown, expected, rel_tol=1e-9, abs_tol=1e-9)


def test_every_region_gets_its_dashboard(built: Path, synthetic_warehouse: Path) -> None:
    manifest = json.loads((built / "dashboards.json").read_text(encoding="utf-8"))
    provinces = {
        code for (code,) in _served(
            synthetic_warehouse, "select distinct region_code from marts.indicator_values"
            " where region_level = 'province'"
        )
    }  # fmt: skip
    prefectures = {
        code for (code,) in _served(
            synthetic_warehouse, "select distinct region_code from marts.indicator_values"
            " where region_level = 'prefecture'"
        )
    }  # fmt: skip
    assert HUBEI in provinces and WUHAN in prefectures
    assert set(manifest) == {f"province-{c}" for c in provinces} | {f"prefecture-{c}" for c in prefectures}
    assert manifest[f"province-{HUBEI}"]["title"].endswith("湖北省")
    # The BI connection is read-only, on the published file (never the working warehouse).
    database = yaml.safe_load((built / "bundle" / "databases" / "ipind_serving.yaml").read_text("utf-8"))
    assert database["sqlalchemy_uri"] == f"duckdb:///{(synthetic_warehouse / 'serving.duckdb').resolve()}"
    assert database["extra"]["engine_params"]["connect_args"] == {"read_only": True}


def test_provincial_dashboard_shows_hubei_figures(built: Path, synthetic_warehouse: Path) -> None:
    shown = _dashboard(built, f"province-{HUBEI}")
    year = _served(
        synthetic_warehouse, "select max(year) from marts.indicator_values where period_type = 'year'"
    )[0][0]

    expected = {
        code: (value, yoy)
        for code, value, yoy in _served(
            synthetic_warehouse,
            "select indicator_code, value, yoy_pct from marts.indicator_values"
            " where region_code = ? and region_level = 'province' and period_type = 'year' and year = ?",
            [HUBEI, year],
        )
    }
    headline = {row["indicator_code"]: row for row in _chart(shown, "核心指标")}
    assert set(headline) == set(expected)
    assert len(expected) >= 20
    for code, (value, yoy) in expected.items():
        assert _close(headline[code]["value"], value), (code, headline[code], value)
        assert _close(headline[code]["yoy_pct"], yoy), (code, headline[code], yoy)
    assert expected["grants_total"][0] > 0

    targets = _served(
        synthetic_warehouse,
        "select indicator_code, target_year, target_value, actual_value, status"
        " from marts.target_tracking where region_code = ?",
        [HUBEI],
    )
    assert targets
    tracked = {(r["indicator_code"], r["target_year"]): r for r in _chart(shown, "目标进展")}
    assert set(tracked) == {(code, target_year) for code, target_year, *_ in targets}
    for code, target_year, target_value, actual, status in targets:
        row = tracked[(code, target_year)]
        assert _close(row["target_value"], target_value) and _close(row["actual_value"], actual)
        assert row["status"] == status

    trend = _served(
        synthetic_warehouse,
        "select year, indicator_code, value from marts.indicator_values where region_code = ?"
        " and region_level = 'province' and period_type = 'year'"
        " and indicator_code in ('grants_total', 'invention_in_force')",
        [HUBEI],
    )
    lines = {(r["year"], r["indicator_code"]): r["数值"] for r in _chart(shown, "授权量与有效量年度趋势")}
    assert len(lines) == len(trend) > 2
    for y, code, value in trend:
        assert _close(lines[(y, code)], value), (y, code)

    ranking = _served(
        synthetic_warehouse,
        "select region_name, value from marts.indicator_values where parent_code = ?"
        " and region_level = 'prefecture' and period_type = 'year' and year = ?"
        " and indicator_code = 'invention_in_force_per_10k'",
        [HUBEI, year],
    )
    bars = _chart(shown, "市州排名")
    assert len(bars) == len(ranking) > 10
    by_name = {r["region_name"]: r["万人发明专利拥有量"] for r in bars}
    for name, value in ranking:
        assert _close(by_name[name], value), name
    # Ranked: the largest value first.
    values = [r["万人发明专利拥有量"] for r in bars]
    assert values == sorted(values, reverse=True)


def test_municipal_dashboard_shows_a_prefecture_and_its_counties(
    built: Path, synthetic_warehouse: Path
) -> None:
    shown = _dashboard(built, f"prefecture-{WUHAN}")
    year = _served(
        synthetic_warehouse, "select max(year) from marts.indicator_values where period_type = 'year'"
    )[0][0]
    counties = _served(
        synthetic_warehouse,
        "select region_code, region_name, grants_total, invention_in_force"
        " from marts.region_indicators_annual where parent_code = ? and region_level = 'county' and year = ?",
        [WUHAN, year],
    )
    assert len(counties) > 5
    table = {r["region_code"]: r for r in _chart(shown, "县（市、区）指标")}
    assert set(table) == {code for code, *_ in counties}
    for code, name, grants, in_force in counties:
        assert table[code]["region_name"] == name
        assert _close(table[code]["grants_total"], grants)
        assert _close(table[code]["invention_in_force"], in_force)
    headline = {r["indicator_code"]: r["value"] for r in _chart(shown, "核心指标")}
    expected = dict(
        _served(
            synthetic_warehouse,
            "select indicator_code, value from marts.indicator_values where region_code = ?"
            " and region_level = 'prefecture' and period_type = 'year' and year = ?",
            [WUHAN, year],
        )
    )
    assert set(headline) == set(expected)
    for code, value in expected.items():
        assert _close(headline[code], value), code


def test_build_refuses_a_missing_serving_file(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(BUILD)], capture_output=True, text=True, env=_env(tmp_path, tmp_path / "home"), timeout=900
    )
    assert result.returncode == 2
    assert "no serving database" in result.stderr


def test_superset_config_offline_and_ui_ready(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No analytics pixel, and the default locale among LANGUAGES (else the UI fails to start)."""
    import runpy

    monkeypatch.setenv("IPIND_BI_HOME", str(tmp_path))
    config = runpy.run_path(str(ROOT / "bi" / "superset" / "superset_config.py"))
    assert config["SCARF_ANALYTICS"] is False
    assert config["BABEL_DEFAULT_LOCALE"] in config["LANGUAGES"]
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'superset.db'}"
