"""Where SRDH keeps its state: one home folder, laid out the same everywhere.

The home is ``--home`` on the command line, else ``$SRDH_HOME``, else ``./.srdh``.
Nothing under the home is committed: it holds data, the vault and secrets.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOME = Path(".srdh")
# File modes (docs/operations.md, "Permissions"): data only for the SRDH service user;
# the serving copy also readable by one group, the Superset service account's.
PRIVATE_DIR, PRIVATE_FILE = 0o700, 0o600
SERVING_DIR, SERVING_FILE = 0o750, 0o640
SERVING_GROUP_ENV = "SRDH_SERVING_GROUP"  # default: the SRDH user's own primary group


def resolve_home(home: str | os.PathLike[str] | None = None) -> Path:
    """The SRDH home folder: explicit argument, then ``$SRDH_HOME``, then ``./.srdh``."""
    chosen = home or os.environ.get("SRDH_HOME") or DEFAULT_HOME
    return Path(chosen).expanduser().resolve()


@dataclass(frozen=True)
class Home:
    """The folders and files inside one SRDH home."""

    root: Path

    @classmethod
    def at(cls, home: str | os.PathLike[str] | None = None) -> Home:
        return cls(resolve_home(home))

    @property
    def landing(self) -> Path:  # default landing folder for the demo state
        return self.root / "landing"

    @property
    def truth(self) -> Path:  # generator's ground truth, beside (never inside) landing
        return self.root / "truth"

    @property
    def warehouse(self) -> Path:  # the working DuckDB file; only the pipeline writes it
        return self.root / "warehouse" / "srdh.duckdb"

    @property
    def serving(self) -> Path:  # the published read-only copy Superset reads
        return self.root / "serving" / "srdh.duckdb"

    @property
    def vault_dir(self) -> Path:
        return self.root / "vault"

    @property
    def vault(self) -> Path:  # encrypted UID vault, a DuckDB file of its own
        return self.vault_dir / "uid_vault.duckdb"

    @property
    def photos(self) -> Path:  # KYR photographs keyed by UID token
        return self.vault_dir / "photos"

    @property
    def secrets(self) -> Path:  # generated demo keys and passwords (mode 0700)
        return self.root / "secrets"

    @property
    def deliveries(self) -> Path:
        return self.root / "deliveries"

    @property
    def gx_docs(self) -> Path:  # Great Expectations Data Docs HTML
        return self.root / "gx" / "data_docs"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def ensure(self) -> Home:
        for p in (self.warehouse.parent, self.serving.parent, self.vault_dir, self.photos,
                  self.deliveries, self.logs, self.secrets):
            p.mkdir(parents=True, exist_ok=True)
        for p in (self.warehouse.parent, self.vault_dir, self.deliveries, self.secrets):
            os.chmod(p, PRIVATE_DIR)
        share_with_serving_group(self.serving.parent, SERVING_DIR)
        if self.warehouse.exists():
            os.chmod(self.warehouse, PRIVATE_FILE)
        return self


def share_with_serving_group(path: Path, mode: int) -> None:
    """``mode`` on ``path``, and its group set to ``$SRDH_SERVING_GROUP`` when given (the
    group Superset runs in; it must exist and the SRDH user must belong to it)."""
    os.chmod(path, mode)
    group = os.environ.get(SERVING_GROUP_ENV)
    if group:
        import grp

        try:
            gid = grp.getgrnam(group).gr_gid
        except KeyError:
            raise ValueError(f"{SERVING_GROUP_ENV}={group}: no such group") from None
        os.chown(path, -1, gid)
