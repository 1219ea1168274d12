"""The parts of the SRDH home that Superset uses.

Mirrors ``core.paths`` (the BI environment does not install the pipeline package):
the home is ``$SRDH_HOME``, else ``./.srdh``. Everything Superset keeps lives under it:

* ``serving/srdh.duckdb`` - the published read-only copy Superset reads;
* ``superset/``           - Superset's SQLite metadata DB, pid file;
* ``secrets/``            - Flask SECRET_KEY and the generated admin password (0600);
* ``logs/superset.log``   - the web server's log.
"""

from __future__ import annotations

import os
import secrets as _secrets
from dataclasses import dataclass
from pathlib import Path


def resolve_home(home: str | os.PathLike[str] | None = None) -> Path:
    chosen = home or os.environ.get("SRDH_HOME") or ".srdh"
    return Path(chosen).expanduser().resolve()


@dataclass(frozen=True)
class SupersetHome:
    root: Path

    @classmethod
    def at(cls, home: str | os.PathLike[str] | None = None) -> SupersetHome:
        return cls(resolve_home(home))

    @property
    def serving(self) -> Path:
        return self.root / "serving" / "srdh.duckdb"

    @property
    def superset_dir(self) -> Path:
        return self.root / "superset"

    @property
    def metadata_db(self) -> Path:
        return self.superset_dir / "superset.db"

    @property
    def pid_file(self) -> Path:
        return self.superset_dir / "superset.pid"

    @property
    def url_file(self) -> Path:
        return self.superset_dir / "superset.url"

    @property
    def secrets(self) -> Path:
        return self.root / "secrets"

    @property
    def secret_key_file(self) -> Path:
        return self.secrets / "superset_secret_key"

    @property
    def admin_password_file(self) -> Path:
        return self.secrets / "superset_admin_password"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def log_file(self) -> Path:
        return self.logs / "superset.log"

    def ensure(self) -> SupersetHome:
        for p in (self.superset_dir, self.logs, self.serving.parent):
            p.mkdir(parents=True, exist_ok=True)
        self.secrets.mkdir(parents=True, exist_ok=True)
        os.chmod(self.secrets, 0o700)
        return self


def read_or_create_secret(path: Path, nbytes: int = 48) -> str:
    """Return the secret stored in ``path``; create it (mode 0600) on first use."""
    if path.exists():
        value = path.read_text().strip()
        if value:
            return value
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    value = _secrets.token_urlsafe(nbytes)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value + "\n")
    try:
        os.link(tmp, path)  # first writer wins if two processes race
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_text().strip()
