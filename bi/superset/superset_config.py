"""Superset configuration for the ipind dashboards (loaded through SUPERSET_CONFIG_PATH).

Everything lives under IPIND_BI_HOME (the metadata database, uploads, caches); nothing calls
out: no analytics pixel, no example data, no remote map tiles.
"""

import os

_HOME = os.environ.get("IPIND_BI_HOME") or os.path.join(os.path.dirname(__file__), "..", "build")
os.makedirs(_HOME, exist_ok=True)

# A local, loopback-only instance; set IPIND_BI_SECRET_KEY before serving it to anyone else.
SECRET_KEY = os.environ.get("IPIND_BI_SECRET_KEY", "ipind-local-bi-not-a-secret")
SQLALCHEMY_DATABASE_URI = "sqlite:///" + os.path.join(os.path.abspath(_HOME), "superset.db")
DATA_DIR = _HOME
UPLOAD_FOLDER = os.path.join(_HOME, "uploads")

# No telemetry, nothing fetched from the internet.
SCARF_ANALYTICS = False
MAPBOX_API_KEY = ""
FEATURE_FLAGS = {"DASHBOARD_RBAC": False, "ENABLE_TEMPLATE_PROCESSING": False}
# serving.duckdb is a local file: allow it (Superset refuses file-based engines by default).
PREVENT_UNSAFE_DB_CONNECTIONS = False
WTF_CSRF_ENABLED = True
TALISMAN_ENABLED = False
CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
DATA_CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
SUPERSET_WEBSERVER_PORT = 8088
BABEL_DEFAULT_LOCALE = "zh"
# The UI needs the default locale among LANGUAGES (empty by default): without it the page
# fails to start ("Cannot read properties of undefined (reading 'flag')").
LANGUAGES = {"zh": {"flag": "cn", "name": "简体中文"}, "en": {"flag": "us", "name": "English"}}
