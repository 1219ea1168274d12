"""Stable resident ids: the registry rules on hand-made clusters, then real Splink runs
(rerun, and a delta batch) on a generated state."""

from __future__ import annotations

import re
import subprocess
import sys

import duckdb
import pandas as pd
import pytest

from matching import ids
from matching.inputs import WH


# --------------------------------------------------------------------------- registry rules
class Registry:
    """Runs ``ids.assign`` + ``ids.store`` the way the pipeline does, on given labels."""

    def __init__(self, path):
        self.path = path
        duckdb.connect(str(path)).close()

    def run(self, day: str, clusters: dict[str, list[str]]) -> dict[str, str]:
        """clusters: label -> record ids (source 'a'); returns record -> resident_id."""
        con = duckdb.connect(":memory:")
        con.execute(f"ATTACH '{self.path}' AS {WH} (READ_ONLY)")
        rows = [("a", r, label) for label, recs in clusters.items() for r in recs]
        con.execute("CREATE TABLE resident_labels (source VARCHAR, record_id VARCHAR, "
                    "label VARCHAR)")
        con.executemany("INSERT INTO resident_labels VALUES (?, ?, ?)", rows)
        ids.assign(con, day)
        con.execute(f"DETACH {WH}")
        con.execute(f"ATTACH '{self.path}' AS {WH}")
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {WH}.matching")
        con.execute("BEGIN")
        ids.store(con, day)
        con.execute(f"CREATE OR REPLACE TABLE {WH}.matching.residents AS SELECT * FROM residents")
        con.execute("COMMIT")
        out = dict(con.execute("SELECT record_id, resident_id FROM residents").fetchall())
        con.close()
        return out

    def history(self) -> list[tuple]:
        con = duckdb.connect(str(self.path), read_only=True)
        try:
            return con.execute("SELECT old_id, new_id, reason, records, "
                               "CAST(run_date AS VARCHAR) FROM matching.id_history "
                               "ORDER BY run_date, old_id, new_id").fetchall()
        finally:
            con.close()

    def resolve(self, rid: str):
        con = duckdb.connect(str(self.path), read_only=True)
        try:
            return ids.resolve(con, rid)
        finally:
            con.close()


def test_registry_keeps_ids_through_merge_split_and_kyr_link(tmp_path):
    reg = Registry(tmp_path / "wh.duckdb")
    d1 = reg.run("2025-01-01", {"N:a|1": ["1", "2", "3"], "N:a|4": ["4", "5"],
                                "N:a|6": ["6"], "N:a|7": ["7", "8", "9", "10"],
                                "K:TOKX": ["TOKX", "11"]})
    x, y, z, w = d1["1"], d1["4"], d1["6"], d1["7"]
    kx = d1["TOKX"]
    assert len({x, y, z, w, kx}) == 5 and d1["11"] == kx
    assert all(re.fullmatch(r"R[0-9a-f]{16}", v) for v in d1.values())
    assert kx == duckdb.sql(f"SELECT {ids.kyr_id_sql(repr('TOKX'))}").fetchall()[0][0]

    # rerun on the same clusters: identical ids, no history
    assert reg.run("2025-01-02", {"N:a|1": ["1", "2", "3"], "N:a|4": ["4", "5"],
                                  "N:a|6": ["6"], "N:a|7": ["7", "8", "9", "10"],
                                  "K:TOKX": ["TOKX", "11"]}) == d1
    assert reg.history() == []

    # new evidence: {1,2,3}+{4,5} merge (labels move!), {7..10} splits 3/1,
    # {6} is linked to KYR token TOKY, and a new record 12 arrives alone
    d3 = reg.run("2025-01-03", {"N:a|1": ["1", "2", "3", "4", "5"], "N:a|10": ["7", "8", "9"],
                                "N:a|7": ["10"], "K:TOKY": ["TOKY", "6"],
                                "K:TOKX": ["TOKX", "11"], "N:a|12": ["12"]})
    assert d3["4"] == d3["1"] == x                       # merge: the most-held id survives
    assert d3["7"] == d3["8"] == w                       # split: the larger part keeps the id
    assert d3["10"] not in d1.values()                   # the smaller part gets a new id
    assert d3["TOKX"] == kx and d3["6"] == d3["TOKY"]    # KYR ids are bound to the token
    assert d3["12"] not in d1.values()
    hist = {(o, n): (reason, k) for o, n, reason, k, _ in reg.history()}
    assert hist == {(y, x): ("merge", 2), (w, d3["10"]): ("split", 1),
                    (z, d3["6"]): ("linked_to_kyr", 1)}

    # an old id leads to the current one
    assert reg.resolve(y) == (x, [{"old_id": y, "new_id": x, "reason": "merge", "records": 2,
                                   "run_date": "2025-01-03"}])
    assert reg.resolve(z)[0] == d3["6"]
    assert reg.resolve(x) == (x, [])


def test_a_fresh_id_never_reuses_an_issued_one(tmp_path):
    reg = Registry(tmp_path / "wh.duckdb")
    d1 = reg.run("2025-01-01", {"N:a|1": ["1", "2", "3"]})
    # {1} keeps the label N:a|1 whose plain digest is the id {2,3} now keeps
    d2 = reg.run("2025-01-02", {"N:a|1": ["1"], "N:a|2": ["2", "3"]})
    assert d2["2"] == d1["1"]
    assert d2["1"] != d1["1"]
    assert reg.history() == [(d1["1"], d2["1"], "split", 1, "2025-01-02")]


def test_records_absent_from_a_run_keep_their_registry_row(tmp_path):
    reg = Registry(tmp_path / "wh.duckdb")
    d1 = reg.run("2025-01-01", {"N:a|1": ["1"], "N:a|2": ["2"]})
    reg.run("2025-01-02", {"N:a|1": ["1"]})       # record 2 missing from this delivery
    d3 = reg.run("2025-01-03", {"N:a|1": ["1"], "N:a|2": ["2"]})
    assert d3 == d1


# --------------------------------------------------------------------------- real Splink runs
slow = pytest.mark.slow


@slow
def test_rerun_gives_identical_ids(delta_matched_state):
    s = delta_matched_state["snapshots"]
    a, b = s["2025-03-01"], s["2025-03-02"]
    assert len(a) > 3000
    pd.testing.assert_frame_equal(a, b)


@slow
def test_delta_batch_keeps_untouched_residents(delta_matched_state):
    s = delta_matched_state["snapshots"]
    before, after = s["2025-03-02"], s["2025-03-03"]
    new_sources = delta_matched_state["held_back"]
    assert set(after["source"]) >= new_sources and not set(before["source"]) & new_sources
    members_before = before.groupby("resident_id")["record_id"].apply(frozenset)
    old = after[~after["source"].isin(new_sources)]
    members_after = old.groupby("resident_id")["record_id"].apply(frozenset)
    touched = set(after.loc[after["source"].isin(new_sources), "resident_id"])
    # every resident the new batch did not touch and whose records did not change keeps its id
    same = {m: rid for rid, m in members_before.items()}
    untouched = [(rid, m) for rid, m in members_after.items() if rid not in touched]
    kept = [rid for rid, m in untouched if same.get(m) == rid]
    moved = [rid for rid, m in untouched if m in same and same[m] != rid]
    assert not moved, f"{len(moved)} unchanged residents got a new id, e.g. {moved[:3]}"
    reshuffled = [rid for rid, m in untouched if m not in same]
    print(f"residents before {len(members_before)}, touched by the new batch {len(touched)}, "
          f"untouched {len(untouched)}: kept {len(kept)}, membership changed "
          f"{len(reshuffled)}")
    assert len(kept) >= 0.98 * len(untouched) > 0.8 * len(members_before)
    # every record seen before keeps its id unless history says where it went
    j = before.merge(after, on=["source", "record_id"], suffixes=("_before", "_after"))
    changed = j[j["resident_id_before"] != j["resident_id_after"]]
    home = delta_matched_state["home"]
    from core.paths import Home

    con = duckdb.connect(str(Home.at(home).warehouse), read_only=True)
    try:
        hist = con.execute("SELECT old_id, new_id FROM matching.id_history "
                           "WHERE run_date = DATE '2025-03-03'").fetchall()
        reg = con.execute("SELECT count(*), count(DISTINCT source || '|' || record_id), "
                          "min(first_seen_run), max(last_seen_run) "
                          "FROM matching.resident_id_map").fetchall()[0]
    finally:
        con.close()
    assert set(zip(changed["resident_id_before"], changed["resident_id_after"],
                   strict=True)) <= set(hist)
    assert reg[0] == reg[1] == len(after)
    assert (str(reg[2]), str(reg[3])) == ("2025-03-01", "2025-03-03")
    # KYR ids are the token's: same on every run
    k = after[after["source"] == "uid_kyr"]  # noqa: F841 (read by duckdb below)
    bad = duckdb.sql(f"SELECT count(*) FROM k WHERE resident_id <> {ids.kyr_id_sql('record_id')}")
    assert bad.fetchall()[0][0] == 0


@slow
def test_ids_never_carry_a_uid_or_token(delta_matched_state):
    after = delta_matched_state["snapshots"]["2025-03-03"]
    assert after["resident_id"].str.fullmatch(r"R[0-9a-f]{16}").all()
    toks = set(after.loc[after["source"] == "uid_kyr", "record_id"])
    assert not toks & set(after["resident_id"])


@slow
def test_resident_command_shows_records_and_evidence(delta_matched_state):
    from core.paths import Home

    home = delta_matched_state["home"]
    con = duckdb.connect(str(Home.at(home).warehouse), read_only=True)
    try:
        # a resident with its (active) KYR record: one seeded to a deactivated UID has
        # none in matching.residents, and ids follow the home's random token key
        rid = con.execute("""SELECT r.resident_id FROM matching.residents r
            JOIN matching.seeding s ON s.source = r.source AND s.source_record_id = r.record_id
            WHERE s.match_status = 'seeded' AND EXISTS (
                SELECT 1 FROM matching.residents k
                WHERE k.resident_id = r.resident_id AND k.source = 'uid_kyr')
            GROUP BY 1 HAVING count(*) >= 2
            ORDER BY 1 LIMIT 1""").fetchall()[0][0]
    finally:
        con.close()
    proc = subprocess.run([sys.executable, "-m", "srdh.cli", "resident", rid, "--home",
                           str(home)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    assert f"resident {rid}:" in out
    assert "- uid_kyr/" in out and "seeded (" in out
    assert "evidence vs KYR" in out and "name: " in out
    from test_review import landing_uids, leaked_uids

    assert not leaked_uids(out, landing_uids(delta_matched_state["landing"]))
    missing = subprocess.run([sys.executable, "-m", "srdh.cli", "resident", "Rnotanid",
                              "--home", str(home)], capture_output=True, text=True, timeout=600)
    assert missing.returncode == 1 and "not found" in missing.stderr


@slow
def test_resident_view_shows_the_deactivated_kyr_record(delta_matched_state):
    """A resident seeded to a UID that UIDAI deactivated has no KYR row in the register;
    `srdh resident` still shows that KYR record, marked deactivated, last 4 digits only."""
    from core.paths import Home
    from matching.evidence import resident_view

    home = delta_matched_state["home"]
    con = duckdb.connect(str(Home.at(home).warehouse), read_only=True)
    try:
        rid, token = con.execute("""SELECT r.resident_id, min(s.uid_token)
            FROM matching.residents r
            JOIN matching.seeding s ON s.source = r.source AND s.source_record_id = r.record_id
            WHERE s.match_status = 'seeded' AND NOT EXISTS (
                SELECT 1 FROM matching.residents k
                WHERE k.resident_id = r.resident_id AND k.source = 'uid_kyr')
            GROUP BY 1 ORDER BY 1 LIMIT 1""").fetchall()[0]
        last4 = con.execute("SELECT max(uid_last4) FROM std.uid_kyr_history "
                            "WHERE uid_token = ? AND NOT active", [token]).fetchall()[0][0]
    finally:
        con.close()
    assert last4 and len(last4) == 4  # the seeded UID is a deactivated one
    view = resident_view(home, rid)
    first, rest = view["records"][0], view["records"][1:]
    assert (first["source_l"], first["record_l"], first["kyr_status"]) == ("uid_kyr", token,
                                                                           "deactivated")
    assert first["uid_last4_l"] == last4
    assert rest and all(r["source_l"] != "uid_kyr" and r["record_r"] == token for r in rest)
    assert any(r["match_status"] == "seeded" and r["evidence"] for r in rest)
