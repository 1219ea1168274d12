"""UIDs typed into department and KYR columns stay out of everything the whole pipeline
builds (issue 17/18: the matching, flag and delivery models, not only staging).

tests/test_uid_boundary.py plants UIDs in a hand-made landing and builds the staging models.
Here a small generated state gets Verhoeff-valid UIDs typed into a PDS member's name and
mobile, a pensioner's relative (spaced), an MGNREGA village and worker name (hyphenated), a
death record's name (dotted), a scholarship's mother's name and a KYR resident's name. Then
`srdh run` (ingest, Splink matching, every dbt model, call list, publish, deliveries) must
pass its own UID gate, and an independent check finds none of the planted numbers, in any
spelling, in any table of the warehouse or the serving copy, any Parquet file, any text
file of the home or the run's output, while the masked form does reach the matching
inputs and a department's delivery (the planted rows were carried, not dropped).
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from home_helpers import ensure_key
from ingest_helpers import uid

from core.paths import Home
from ingest.uid_scan import scan_for_uids

PLANTED = {k: uid(p) for k, p in dict(
    pds_name="29876543210", pds_mobile="38765432101", sw_relative="47654321012",
    rd_village="56543210123", rd_name="65432101234", death_name="74321012345",
    edu_mother="83210123456", kyr_name="92101234567").items()}
# a planted number in any spelling: digits with or without one space, hyphen or dot between
_ANY_SPELLING = re.compile("|".join(
    rf"{u[:4]}[ .\-]?{u[4:8]}[ .\-]?{u[8:]}" for u in PLANTED.values()))


def _masked(key: str) -> str:
    return f"XXXX-XXXX-{PLANTED[key][-4:]}"


def _spaced(u: str, sep: str) -> str:
    return f"{u[:4]}{sep}{u[4:8]}{sep}{u[8:]}"


def _edit(landing: Path, pattern: str, change) -> None:
    """Rewrite the first CSV matching ``pattern`` with ``change(rows)`` applied."""
    path = sorted(landing.glob(pattern))[0]
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    fields = list(rows[0])
    change(rows)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, fields, quoting=csv.QUOTE_ALL)
        writer.writeheader()
        writer.writerows(rows)


def _plant(landing: Path) -> None:
    def pds(rows):
        rows[3]["member_name"] += f" {PLANTED['pds_name']}"
        rows[5]["mobile_no"] = PLANTED["pds_mobile"]

    def pension(rows):
        rows[2]["father_husband_name"] += " " + _spaced(PLANTED["sw_relative"], " ")

    def mgnrega(rows):
        rows[4]["village"] += f" {PLANTED['rd_village']}"
        rows[6]["applicant_name"] += " " + _spaced(PLANTED["rd_name"], "-")

    def death(rows):
        rows[1]["deceased_name"] += " " + _spaced(PLANTED["death_name"], ".")

    def scholarship(rows):
        rows[2]["mother_name"] = PLANTED["edu_mother"]

    def kyr(rows):
        rows[7]["name"] += f" {PLANTED['kyr_name']}"

    _edit(landing, "food_pds/*/*.csv", pds)
    _edit(landing, "sw_pension/*/*.csv", pension)
    _edit(landing, "rd_mgnrega/*/*.csv", mgnrega)
    _edit(landing, "crs_death/*/*.csv", death)
    _edit(landing, "edu_scholarship/*/*.csv", scholarship)
    _edit(landing, "uid_kyr/*/kyr_full_refresh.csv", kyr)


@pytest.fixture(scope="module")
def planted_run(tmp_path_factory):
    from generator import generate

    root = tmp_path_factory.mktemp("uid_boundary_pipeline")
    generate(1000, 11, root / "landing", photos=5, verbose=False)
    _plant(root / "landing")
    home = ensure_key(root / "home")
    proc = subprocess.run(
        [sys.executable, "-m", "srdh.cli", "run", "--landing", str(root / "landing"),
         "--home", str(home), "--run-date", "2025-03-01"],
        capture_output=True, text=True, timeout=1800, env={**os.environ, "SRDH_GX": "0"})
    return {"home": Home.at(home), "proc": proc}


def test_the_whole_run_passes_its_own_gate(planted_run):
    proc = planted_run["proc"]
    assert proc.returncode == 0, f"srdh run failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    held = re.search(r"(\d+) value\(s\) held an Aadhaar number outside the UID column",
                     proc.stdout + proc.stderr)
    assert held and int(held.group(1)) >= len(PLANTED), proc.stdout[-2000:]
    assert scan_for_uids(planted_run["home"]) == []


def _tables(db: Path):
    con = duckdb.connect(str(db), read_only=True)
    try:
        for schema, table in con.execute(
                "SELECT table_schema, table_name FROM information_schema.tables").fetchall():
            yield f"{schema}.{table}", con.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall()
    finally:
        con.close()


def test_no_planted_number_in_any_table_file_or_output(planted_run):
    """Checked apart from the gate's own scanner, so a scanner bug cannot hide a leak."""
    home = planted_run["home"]
    leaks = []
    for db in (home.warehouse, home.serving):
        for name, rows in _tables(db):
            leaks += [f"{db.name}:{name}" for row in rows
                      if _ANY_SPELLING.search(" | ".join(map(str, row)))][:1]
    vault = home.vault_dir.resolve()
    for path in home.root.rglob("*"):
        if not path.is_file() or vault in path.resolve().parents or path.suffix == ".key":
            continue
        if path.suffix == ".parquet":
            text = " | ".join(map(str, pq.read_table(path).to_pylist()))
        elif path.suffix in (".duckdb", ".wal", ".jpg", ".png", ".gz", ".zip"):
            continue  # the databases are read through DuckDB above
        else:
            text = path.read_bytes().decode("utf-8", errors="replace")
        if _ANY_SPELLING.search(text) or _ANY_SPELLING.search(path.name):
            leaks.append(str(path.relative_to(home.root)))
    proc = planted_run["proc"]
    assert not _ANY_SPELLING.search(proc.stdout + proc.stderr)
    assert leaks == []


def test_the_planted_rows_were_carried_masked_not_dropped(planted_run):
    home = planted_run["home"]
    tables = dict(_tables(home.warehouse))

    def holds(table: str, key: str) -> bool:
        return any(_masked(key) in " | ".join(map(str, row)) for row in tables[table])

    # matching reads std.*: the planted rows reach it with the number masked
    assert holds("std.food_pds", "pds_name") and holds("std.uid_kyr", "kyr_name")
    assert holds("std.rd_mgnrega", "rd_name") and holds("std.crs_death", "death_name")
    # and the department gets its record back, the number masked in the name
    deliveries = [p.read_text(encoding="utf-8-sig")
                  for p in (home.root / "deliveries" / "food_pds").rglob("*.csv")]
    assert any(_masked("pds_name") in text for text in deliveries)
