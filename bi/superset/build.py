"""Build the ipind dashboards into a Superset instance, from the current serving.duckdb.

Run with the BI virtualenv's Python (bi/build.sh sets it up):

    python bi/superset/build.py build  --serving PATH [--home DIR]
    python bi/superset/build.py query  --home DIR --slug province-420000 --out rows.json

`build` creates or upgrades the metadata database under --home (IPIND_BI_HOME), creates the
local admin user, generates the import bundle from dashboards.py (dataset columns read from
serving.duckdb itself, one provincial dashboard per province and one municipal dashboard per
prefecture in the file) and imports it, replacing earlier imports in place. It also writes
the bundle as YAML under <home>/bundle and a manifest <home>/dashboards.json.

`query` runs every chart of a dashboard through Superset's chart-data command, the path the
dashboard itself takes, and prints the rows: what a user of the dashboard is shown.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _setup_env(home: Path) -> None:
    os.environ["IPIND_BI_HOME"] = str(home)
    os.environ["SUPERSET_CONFIG_PATH"] = str(HERE / "superset_config.py")
    os.environ.setdefault("SUPERSET_LOAD_EXAMPLES", "no")
    os.environ.setdefault("SCARF_ANALYTICS", "false")
    sys.path.insert(0, str(HERE))


def _read_serving(serving: Path) -> tuple[dict, list, list, int]:
    import duckdb
    from dashboards import SERVED, VIRTUAL

    con = duckdb.connect(str(serving), read_only=True)
    try:
        columns = {}
        for table, (schema, _) in SERVED.items():
            rows = con.execute(
                "select column_name, data_type from information_schema.columns"
                " where table_schema = ? and table_name = ? order by ordinal_position",
                [schema, table],
            ).fetchall()
            if not rows:
                raise SystemExit(f"bi: {schema}.{table} is missing from {serving}")
            columns[table] = rows
        for table, (_, sql, _) in VIRTUAL.items():
            columns[table] = [(row[0], row[1]) for row in con.execute(f"describe {sql}").fetchall()]
        provinces = con.execute(
            "select region_code, max(region_name) from marts.indicator_values"
            " where region_level = 'province' group by 1 order by 1"
        ).fetchall()
        prefectures = con.execute(
            "select p.region_code, max(p.region_name), max(v.region_name)"
            " from marts.indicator_values as p"
            " left join marts.indicator_values as v"
            "   on v.region_code = p.parent_code and v.region_level = 'province'"
            " where p.region_level = 'prefecture' and p.period_type = 'year'"
            " group by 1 order by 1"
        ).fetchall()
        latest_year = con.execute(
            "select max(year) from marts.indicator_values where period_type = 'year'"
        ).fetchall()[0][0]
    finally:
        con.close()
    return columns, provinces, prefectures, int(latest_year)


def _app():
    from superset.app import create_app

    return create_app()


def build(serving: Path, home: Path) -> None:
    import yaml
    from dashboards import bundle, municipal, provincial

    columns, provinces, prefectures, latest_year = _read_serving(serving)
    dashboards = [provincial(code, name, latest_year) for code, name in provinces]
    dashboards += [municipal(code, name, province or "", latest_year) for code, name, province in prefectures]
    uri = f"duckdb:///{serving.resolve()}"
    files = bundle(uri, columns, dashboards)
    # Read-only: the BI connection never takes DuckDB's write lock on the serving file.
    for path in files:
        if path.startswith("bundle/databases/"):
            db = yaml.safe_load(files[path])
            db["extra"]["engine_params"] = {"connect_args": {"read_only": True}}
            files[path] = yaml.safe_dump(db, allow_unicode=True, sort_keys=False)

    out = home / "bundle"
    for path, text in files.items():
        target = home / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

    app = _app()
    with app.app_context():
        from flask import g
        from flask_migrate import upgrade
        from superset import security_manager
        from superset.commands.dashboard.importers.v1 import ImportDashboardsCommand
        from superset.extensions import db

        upgrade(directory=str(Path(sys.modules["superset"].__file__).parent / "migrations"))
        role = security_manager.find_role("Admin")
        if role is None or not role.permissions:
            security_manager.sync_role_definitions()  # `superset init`: roles and permissions
            role = security_manager.find_role("Admin")
        admin = security_manager.find_user(username="admin")
        if admin is None:
            admin = security_manager.add_user(
                "admin",
                "ipind",
                "bi",
                "admin@localhost",
                role,
                password=os.environ.get("IPIND_BI_ADMIN_PASSWORD", "admin"),
            )
        with app.test_request_context():
            g.user = admin
            # Paths inside the bundle, as the zip reader hands them over (its root folder dropped).
            contents = {path.removeprefix("bundle/"): text for path, text in files.items()}
            ImportDashboardsCommand(contents, overwrite=True).run()
        db.session.commit()
        manifest = _manifest(dashboards)
    (home / "dashboards.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), "utf-8")
    print(f"bi: {len(dashboards)} dashboards from {serving} imported into {home} (bundle: {out})")


def _manifest(dashboards) -> dict:
    from superset.models.dashboard import Dashboard

    result = {}
    for dashboard in dashboards:
        row = Dashboard.get(dashboard.slug)
        result[dashboard.slug] = {
            "id": row.id,
            "title": row.dashboard_title,
            "url": f"/superset/dashboard/{dashboard.slug}/",
            "charts": {s.slice_name: s.id for s in row.slices},
        }
    return result


def query(home: Path, slug: str, out_path: Path | None) -> None:
    """Every chart of a dashboard through Superset's REST API, as its web page asks for them."""
    app = _app()
    from superset.models.dashboard import Dashboard

    client = app.test_client()
    login = client.post(
        "/api/v1/security/login",
        json={
            "username": "admin",
            "password": os.environ.get("IPIND_BI_ADMIN_PASSWORD", "admin"),
            "provider": "db",
            "refresh": False,
        },
    )
    if login.status_code != 200:
        raise SystemExit(f"bi: login failed: {login.status_code} {login.get_data(as_text=True)[:500]}")
    headers = {"Authorization": f"Bearer {login.get_json()['access_token']}"}
    dashboard = client.get(f"/api/v1/dashboard/{slug}", headers=headers)
    if dashboard.status_code != 200:
        raise SystemExit(f"bi: no dashboard {slug}: {dashboard.status_code}")
    charts = client.get(f"/api/v1/dashboard/{slug}/charts", headers=headers)
    out = {"title": dashboard.get_json()["result"]["dashboard_title"], "charts": {}}
    with app.app_context():
        stored = {
            s.id: (s.slice_name, json.loads(s.query_context), s.datasource_id)
            for s in Dashboard.get(slug).slices
        }
    for chart in charts.get_json()["result"]:
        name, context, datasource_id = stored[chart["id"]]
        payload = {
            "datasource": {"id": datasource_id, "type": "table"},
            "queries": context["queries"],
            "form_data": {**context["form_data"], "datasource": f"{datasource_id}__table"},
            "result_format": "json",
            "result_type": "full",
        }
        response = client.post("/api/v1/chart/data", json=payload, headers=headers)
        if response.status_code != 200:
            body = response.get_data(as_text=True)[:500]
            raise SystemExit(f"bi: chart {name}: {response.status_code} {body}")
        out["charts"][name] = response.get_json()["result"][0]["data"]
    text = json.dumps(out, ensure_ascii=False)
    if out_path is None:
        print(text)  # Superset prints its own banner to stdout too: prefer --out
    else:
        out_path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["build", "query"])
    parser.add_argument("--serving", type=Path)
    default_home = Path(os.environ.get("IPIND_BI_HOME", HERE.parent / "build"))
    parser.add_argument("--home", type=Path, default=default_home)
    parser.add_argument("--slug")
    parser.add_argument("--out", type=Path, help="query: write the JSON here")
    args = parser.parse_args()
    home = args.home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    _setup_env(home)
    if args.command == "build":
        if args.serving is None or not args.serving.is_file():
            raise SystemExit(f"bi: no serving database at {args.serving}")
        build(args.serving, home)
    else:
        query(home, args.slug, args.out)


if __name__ == "__main__":
    main()
