"""Bootstrap Superset for SRDH: metadata DB, admin, init, assets, roles and RLS.

Idempotent; run it after every publish of a new asset version or security.yaml:

    dashboards/.venv/bin/python dashboards/manage.py bootstrap

1. ``superset db upgrade`` (SQLite metadata under ``<home>/superset/``);
2. the admin user ``$SRDH_SUPERSET_ADMIN`` (default ``admin``); its password is
   ``$SRDH_SUPERSET_ADMIN_PASSWORD`` or else the one in
   ``<home>/secrets/superset_admin_password``, generated at random (mode 0600) and
   printed on first run; the stored password is re-applied every run, so no default
   password ever works;
3. ``superset init`` (permissions and built-in roles);
4. the assets in ``dashboards/assets`` (database templated to the serving copy,
   datasets checked against the Aadhaar rule), imported with overwrite;
5. the roles and RLS filters of ``dashboards/security.yaml``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from .bundle import build_contents, build_zip, load_security
from .home import SupersetHome, read_or_create_secret

DASHBOARDS_DIR = Path(__file__).resolve().parents[1]
CONFIG_PATH = DASHBOARDS_DIR / "superset_config.py"


def superset_env(home: SupersetHome) -> dict[str, str]:
    """Environment for any Superset process of this home."""
    env = dict(os.environ)
    env["SRDH_HOME"] = str(home.root)
    env["SUPERSET_CONFIG_PATH"] = str(CONFIG_PATH)
    env["FLASK_APP"] = "superset.app:create_app()"
    env.setdefault("SUPERSET_LOAD_EXAMPLES", "no")
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(DASHBOARDS_DIR), env.get("PYTHONPATH", "")) if p)
    return env


def admin_credentials(home: SupersetHome) -> tuple[str, str, bool]:
    """(username, password, generated_now)."""
    username = os.environ.get("SRDH_SUPERSET_ADMIN") or "admin"
    password = os.environ.get("SRDH_SUPERSET_ADMIN_PASSWORD")
    if password:
        return username, password, False
    existed = home.admin_password_file.exists()
    password = read_or_create_secret(home.admin_password_file, nbytes=18)
    return username, password, not existed


def _step(msg: str, t0: float) -> None:
    print(f"[superset bootstrap {time.monotonic() - t0:5.1f}s] {msg}", flush=True)


def bootstrap(home_dir: str | None = None, sample_data: bool = False) -> dict[str, object]:
    t0 = time.monotonic()
    home = SupersetHome.at(home_dir).ensure()
    os.environ.update({k: v for k, v in superset_env(home).items()
                       if k in ("SRDH_HOME", "SUPERSET_CONFIG_PATH", "FLASK_APP",
                                "SUPERSET_LOAD_EXAMPLES")})
    if sample_data:
        from .sample_data import write_sample_serving
        write_sample_serving(home.serving)
        _step(f"wrote sample serving copy {home.serving}", t0)
    if not home.serving.exists():
        print(f"warning: no serving copy at {home.serving} yet; charts will fail until "
              "`srdh publish` (warehouse.publish.publish_serving_copy) writes it", flush=True)

    security = load_security()
    # Refuse UID-exposing datasets before touching Superset at all.
    contents = build_contents(home.serving, security=security)
    (home.superset_dir / "assets.zip").write_bytes(build_zip(contents))

    from superset.app import create_app

    app = create_app()
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()  # == `superset db upgrade`
        _step("metadata database upgraded", t0)

        from superset import appbuilder, db
        from superset import security_manager as sm

        appbuilder.add_permissions(update_perms=True)  # == `superset init`
        sm.sync_role_definitions()
        db.session.commit()
        _step("superset init done", t0)

        username, password, generated = admin_credentials(home)
        user = sm.find_user(username=username)
        admin_role = sm.find_role("Admin")
        if user is None:
            user = sm.add_user(username, "SRDH", "Admin", f"{username}@srdh.invalid",
                               admin_role, password=password)
            if not user:
                raise RuntimeError(f"could not create the admin user {username!r}")
        else:
            sm.reset_password(user.id, password)
            if admin_role not in user.roles:
                user.roles.append(admin_role)
        db.session.commit()
        _step(f"admin user {username!r} ready", t0)

        from superset.commands.importers.v1.assets import ImportAssetsCommand
        from superset.utils.core import override_user

        with override_user(sm.find_user(username=username)):
            ImportAssetsCommand(contents).run()
        db.session.commit()
        counts = _asset_counts()
        _step(f"assets imported: {counts}", t0)

        from .security import apply_security

        summary = apply_security(security, home.serving)
        db.session.commit()
        _step(f"roles and RLS applied: {summary}", t0)

    result = {"home": str(home.root), "admin": username, "serving": str(home.serving),
              "assets": counts, "security": summary,
              "admin_password_file": (None if os.environ.get("SRDH_SUPERSET_ADMIN_PASSWORD")
                                      else str(home.admin_password_file))}
    if generated:
        print(f"Superset admin password generated: {password}\n"
              f"  (stored in {home.admin_password_file}, mode 0600)", flush=True)
    print(json.dumps(result), flush=True)
    return result


def _asset_counts() -> dict[str, int]:
    from superset import db
    from superset.connectors.sqla.models import SqlaTable
    from superset.models.core import Database
    from superset.models.dashboard import Dashboard
    from superset.models.slice import Slice

    return {"databases": db.session.query(Database).count(),
            "datasets": db.session.query(SqlaTable).count(),
            "charts": db.session.query(Slice).count(),
            "dashboards": db.session.query(Dashboard).count()}


if __name__ == "__main__":  # pragma: no cover
    bootstrap(sys.argv[1] if len(sys.argv) > 1 else None)
