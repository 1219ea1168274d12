"""File modes of the state a run leaves, and a backup restored into a fresh home: the
warehouse, the vault and the key, each copied on its own (docs/operations.md), give the
same deliveries."""

from __future__ import annotations

import json
import shutil
import stat

import pandas as pd
from home_helpers import srdh

from core.paths import Home
from ingest.tokens import key_file
from warehouse.deliver import departments


def _mode(path) -> str:
    return oct(stat.S_IMODE(path.stat().st_mode))


def _full_uid_folders(home: Home, day: str):
    return [home.deliveries / s / day for d in departments().values() if d.delivery.full_uid
            for s in d.sources]


def test_warehouse_serving_and_full_uid_files_are_not_world_readable(built_state):
    home, day = Home.at(built_state["home"]), built_state["run_date"]
    assert _mode(home.warehouse) == "0o600" and _mode(home.warehouse.parent) == "0o700"
    assert _mode(home.serving) == "0o640" and _mode(home.serving.parent) == "0o750"
    assert _mode(home.vault) == "0o600" and _mode(home.vault_dir) == "0o700"
    assert _mode(key_file(home)) == "0o600" and _mode(home.secrets) == "0o700"
    assert _mode(home.deliveries) == "0o700"
    folders = _full_uid_folders(home, day)
    assert folders
    for folder in folders:
        files = sorted(folder.iterdir())
        assert {f.name for f in files} >= {"uid_seeding.csv", "uid_seeding.parquet"}
        for f in files:
            assert _mode(f) == "0o600", f


def test_a_restored_backup_gives_the_same_deliveries(built_state, tmp_path):
    src, day = Home.at(built_state["home"]), built_state["run_date"]
    # the three backups, each on its own (in production: three places, three schedules)
    backup = tmp_path / "backup"
    backup.mkdir()
    shutil.copy2(src.warehouse, backup / "srdh.duckdb")
    shutil.copytree(src.vault_dir, backup / "vault")
    shutil.copy2(key_file(src), backup / "vault.key")

    # restore into a fresh home: key first, then the vault folder, then the warehouse
    new = Home.at(tmp_path / "restored")
    new.secrets.mkdir(parents=True, mode=0o700)
    shutil.copy2(backup / "vault.key", key_file(new))
    shutil.copytree(backup / "vault", new.vault_dir)
    new.warehouse.parent.mkdir(parents=True, mode=0o700)
    shutil.copy2(backup / "srdh.duckdb", new.warehouse)

    assert srdh("vault", "verify-log", "--home", str(new.root)).returncode == 0
    res = srdh("deliver", "--home", str(new.root), "--run-date", day)
    assert res.returncode == 0, res.stderr[-3000:]
    compared = 0
    for d in departments().values():
        for s in d.sources:
            old = json.loads((src.deliveries / s / day / "manifest.json").read_text())
            got = json.loads((new.deliveries / s / day / "manifest.json").read_text())
            assert got["files"] == old["files"], s  # row counts and sha256 of every file
            assert got["full_uid"] == old["full_uid"]
            compared += 1
    assert compared >= 4
    for folder in _full_uid_folders(new, day):  # full UIDs really came out of the vault
        uids = pd.read_csv(folder / "uid_seeding.csv", dtype=str)["uid"].dropna()
        assert uids.str.fullmatch(r"\d{12}").any(), folder
