"""Superset configuration for SRDH (loaded through ``SUPERSET_CONFIG_PATH``).

Nothing secret lives in the repository:

* ``SECRET_KEY`` comes from ``$SUPERSET_SECRET_KEY`` or, failing that, from
  ``<home>/secrets/superset_secret_key``, generated (mode 0600) on first run.
* The metadata database is SQLite at ``<home>/superset/superset.db``.
* The only analytics database is the published read-only DuckDB copy
  (``<home>/serving/srdh.duckdb``), registered by ``srdh_superset.bootstrap``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from srdh_superset import sqlguard  # noqa: E402
from srdh_superset.home import SupersetHome, read_or_create_secret  # noqa: E402

_home = SupersetHome.at().ensure()

SECRET_KEY = os.environ.get("SUPERSET_SECRET_KEY") or read_or_create_secret(
    _home.secret_key_file
)
# Guest tokens (embedding) are unused, but never leave Superset's well-known default.
GUEST_TOKEN_JWT_SECRET = SECRET_KEY

SQLALCHEMY_DATABASE_URI = f"sqlite:///{_home.metadata_db}?check_same_thread=false"
SQLALCHEMY_TRACK_MODIFICATIONS = False

SUPERSET_WEBSERVER_ADDRESS = "127.0.0.1"
SUPERSET_WEBSERVER_PORT = int(os.environ.get("SRDH_SUPERSET_PORT", "8088"))
SUPERSET_WEBSERVER_TIMEOUT = 120

FEATURE_FLAGS = {
    # Dashboards are visible to whoever may read their datasets; roles are per dataset.
    "DASHBOARD_RBAC": False,
    # No Jinja in SQL: RLS clauses and datasets are plain SQL.
    "ENABLE_TEMPLATE_PROCESSING": False,
    "ALERT_REPORTS": False,
    "THUMBNAILS": False,
    "EMBEDDED_SUPERSET": False,
    "TAGGING_SYSTEM": False,
}

# The serving copy is opened read-only, without file access and with its DuckDB
# configuration locked (sqlguard.DUCKDB_CONNECT_ARGS, forced on every DuckDB engine);
# SQL Lab and charts run only reads and no file or query-string function.
DB_CONNECTION_MUTATOR = sqlguard.lock_duckdb_connection
SQL_QUERY_MUTATOR = sqlguard.refuse_unsafe_sql
MUTATE_AFTER_SPLIT = False  # the mutator sees the whole script and checks every statement
_superset_defaults = sys.modules.get("superset.config")  # loading us; keep its other engines
DISALLOWED_SQL_FUNCTIONS = {
    **getattr(_superset_defaults, "DISALLOWED_SQL_FUNCTIONS", {}),
    "duckdb": set(sqlguard.DUCKDB_DISALLOWED_FUNCTIONS),
}

# No results cache: a published serving copy is visible at the next query, and every
# query carries its user's RLS clauses.
DATA_CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 300}
FILTER_STATE_CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 86400}
EXPLORE_FORM_DATA_CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 86400}
RATELIMIT_STORAGE_URI = "memory://"

# Offline: no Mapbox tiles, no telemetry, no example data.
MAPBOX_API_KEY = ""
SCARF_ANALYTICS = False
ENABLE_PROXY_FIX = False

# Uploads never reach the serving copy (it is read-only anyway).
CSV_EXTENSIONS = set()
EXCEL_EXTENSIONS = set()
COLUMNAR_EXTENSIONS = set()

# Local deployment over plain HTTP on 127.0.0.1.
SESSION_COOKIE_SECURE = False
SESSION_COOKIE_SAMESITE = "Lax"
TALISMAN_ENABLED = True
WTF_CSRF_ENABLED = True

LOG_LEVEL = os.environ.get("SRDH_SUPERSET_LOG_LEVEL", "WARNING")
