"""Departments reach the warehouse by configuration only.

dbt's departmental staging and the person / enrolment unions are driven by the var
``srdh_department_feeds``, which warehouse/dbt.py derives from the ingest's feed registry
(dbt_project/macros/departments.sql). Onboarding a made-up department is one YAML file:
its rows flow through ingest, matching and `dbt build` into fct_scheme_enrolment, the
scheme leakage mart, the register and the data-quality mart, with no SQL written, and
gets its delivery files (masked UIDs by default) beside every built-in department's, a
weekly deliveries DAG and a Superset role limited to its rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml
from home_helpers import ensure_key

ROOT = Path(__file__).resolve().parent.parent

BOCW_YAML = """
# A made-up department: Labour's construction-worker welfare board, its own layout.
feed: lab_bocw
title: Labour - BOCW construction workers
kind: person
department: LABOUR
record_id: reg_no
fields:
  reg_no: {header: ["Registration No."], required: true}
  worker: {header: ["Worker Name"], required: true}
  sex: {header: "Sex", required: true, type: code, allowed: [M, F, T],
        values: {Purush: M, Mahila: F, Male: M, Female: F}}
  birth: {header: "Date of Birth", type: date, formats: ["%d.%m.%Y"]}
  aadhar: {header: "Aadhar No", type: uid}
  cell: {header: "Mobile"}
  zila: {header: "Zila", required: true}
  janpad: {header: "Janpad"}
  gaon: {header: "Gram"}
  cess_amount: {header: "Monthly Benefit (Rs)", type: int, min: 0}
person: {name: worker, gender: sex, dob: birth, uid: aadhar, mobile: cell}
places: {district: zila, block: janpad, village: gaon}
scheme: {fixed_code: BOCW, monthly_amount: {column: cess_amount}}
"""
HEADER = ["Registration No.", "Worker Name", "Sex", "Date of Birth", "Aadhar No", "Mobile",
          "Zila", "Janpad", "Gram", "Monthly Benefit (Rs)"]
GHOSTS = 3


def test_dbt_has_no_department_list_of_its_own(monkeypatch):
    """The catalogue is the one home of the department feeds: dbt_project.yml keeps no copy
    (a hand-run dbt gets them from `python -m warehouse.dbt vars`, or stops)."""
    import json
    import subprocess
    import sys

    from ingest.registry import catalogue

    monkeypatch.delenv("SRDH_SOURCES", raising=False)
    project = yaml.safe_load((ROOT / "dbt_project" / "dbt_project.yml").read_text())
    assert "srdh_department_feeds" not in (project.get("vars") or {})
    out = subprocess.run([sys.executable, "-m", "warehouse.dbt", "vars"], capture_output=True,
                         text=True, cwd=ROOT, check=True).stdout
    feeds = json.loads(out)["srdh_department_feeds"]
    assert [d["feed"] for d in feeds] == catalogue().department_feeds()
    assert {d["feed"] for d in feeds} >= {"food_pds", "sw_pension"}


def _bocw_rows(landing: Path) -> list[list[str]]:
    """Workers who are real KYR residents (names, dob, place from the KYR file; every other
    one with a pre-seeded UID), plus ghosts nobody in KYR resembles."""
    kyr = sorted(landing.glob("uid_kyr/*/kyr_full_refresh.csv"))[0]
    rows = []
    with open(kyr, newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if len(rows) == 40:
                break
            parts = r["dob"].split("-")
            if len(parts) != 3 or not r["subdist"] or int(parts[2]) > 2000:
                continue
            uid = r["uid"] if len(rows) % 2 == 0 else ""
            rows.append([f"B-{len(rows) + 1}", r["name"], r["gender"], ".".join(parts), uid,
                         r["phone"], r["dist"], r["subdist"], r["vtc"], "1500"])
    ghosts = [[f"G-{g}", name, "Purush", f"0{g + 1}.07.1931", "", "", rows[0][6], rows[0][7],
               rows[0][8], "1500"]
              for g, name in enumerate(["Zorawar Qadri", "Yusuf Xavier", "Quasim Zebedee"])]
    return rows + ghosts


@pytest.mark.slow
def test_a_department_onboarded_by_yaml_reaches_the_scheme_marts(generated_state, tmp_path,
                                                                 monkeypatch, caplog):
    from core.paths import Home
    from matching.api import run_matching
    from srdh import pipeline

    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "lab_bocw.yaml").write_text(BOCW_YAML)
    monkeypatch.setenv("SRDH_SOURCES", str(sources))
    monkeypatch.setenv("SRDH_GX", "0")
    landing = tmp_path / "landing"
    shutil.copytree(generated_state["landing"], landing)
    rows = _bocw_rows(landing)
    (landing / "lab_bocw" / "2025-02-15").mkdir(parents=True)
    with open(landing / "lab_bocw" / "2025-02-15" / "bocw list.csv", "w", newline="",
              encoding="utf-8") as fh:
        csv.writer(fh).writerows([HEADER, *rows])

    home = ensure_key(tmp_path / "home")
    pipeline.ingest(home, landing)
    # the department's model is trained on first sight and kept in the home, never
    # written into the repository's committed models
    run_matching(home, run_date=dt.date(2025, 3, 1))
    # matching writes matching.* only; department files come from `srdh deliver` below
    assert not (Path(home) / "deliveries").exists() or not any(
        (Path(home) / "deliveries").rglob("*.csv"))
    from matching.store import HomeModels

    kept = HomeModels.of(home)
    assert kept.load("seed_lab_bocw") is not None
    assert kept.manifest()["models"]["seed_lab_bocw"]["trained_here"]
    assert not (ROOT / "matching" / "models" / "seed_lab_bocw.json").exists()
    res = pipeline.build(home, run_date="2025-03-01")
    assert res.success and not res.failures

    con = duckdb.connect(str(Home.at(home).warehouse), read_only=True)
    try:
        def q(sql):
            return con.execute(sql).fetchall()

        n = len(rows)
        assert q("select count(*) from std.lab_bocw") == [(n,)]
        # every record is an enrolment: scheme, department and amount from the YAML alone
        assert q("""select count(*), min(scheme_code), max(scheme_code), min(department),
                    max(department), min(monthly_amount_inr), max(monthly_amount_inr),
                    count(*) filter (where is_active)
                    from marts.fct_scheme_enrolment where source = 'lab_bocw'""") == [
            (n, "BOCW", "BOCW", "LABOUR", "LABOUR", 1500.0, 1500.0, n)]
        seeded, unmatched = q("""select count(*) filter (where match_status = 'seeded'),
            count(*) filter (where match_status = 'unmatched')
            from matching.seeding where source = 'lab_bocw'""")[0]
        assert seeded >= 20 and unmatched >= 1  # the real workers link, the ghosts do not
        # the scheme mart counts them, ghosts and rupees at risk included
        ben, ghosts, to_verify, total, at_risk = q("""select sum(beneficiaries), sum(ghosts),
            sum(not_in_kyr_to_verify), sum(rupees_month_total), sum(rupees_month_at_risk_ghosts)
            from marts.mart_scheme_leakage where scheme_code = 'BOCW'""")[0]
        assert (ben, ghosts + to_verify, total) == (n, unmatched, 1500.0 * n)
        assert at_risk == 1500.0 * ghosts
        # the invented names nobody else lists are confirmed ghosts, with the reason
        assert q("""select source_record_id, certainty from marts.mart_enrolment_flags
                    where source = 'lab_bocw' and flag = 'ghost' and reason like 'no KYR%'
                    order by 1""") == [(f"G-{g}", "confirmed") for g in range(3)]
        # the register lists the scheme identifier; data quality counts the batch
        assert q("""select count(*) from marts.dim_resident, unnest(scheme_identifiers) s(x)
                    where x.source = 'lab_bocw'""")[0][0] >= seeded
        assert q("""select rows_loaded, seeded, unmatched from marts.mart_data_quality
                    where feed = 'lab_bocw'""") == [(n, seeded, unmatched)]
    finally:
        con.close()

    # deliveries: the built-in departments still get theirs, and the new one gets the
    # defaults (masked UIDs) with a warning that it has no entry in deliveries.yaml
    with caplog.at_level(logging.WARNING, logger="ingest.registry"):
        manifests = pipeline.deliver(home, "2025-03-01").manifests
    got = {json.loads(m.read_text())["source"]: json.loads(m.read_text()) for m in manifests}
    assert {"food_pds", "sw_pension", "rd_mgnrega", "edu_scholarship", "lab_bocw"} <= set(got)
    assert got["food_pds"]["department"] == "FOOD" and got["food_pds"]["full_uid"] is True
    assert (got["lab_bocw"]["department"], got["lab_bocw"]["full_uid"]) == ("LABOUR", False)
    assert got["lab_bocw"]["files"]["uid_seeding.csv"]["rows"] == n
    bocw = pd.read_parquet(Home.at(home).deliveries / "lab_bocw" / "2025-03-01"
                           / "uid_seeding.parquet")
    uids = bocw.loc[bocw["match_status"] == "seeded", "uid"].fillna("")
    assert len(uids) == seeded and not uids.str.contains(r"\d{5}").any()  # never a full UID
    # every seeded row masked, those seeded to a deactivated UID (the dead) too
    assert uids.str.fullmatch(r"XXXX XXXX \d{4}").all()
    assert any("LABOUR" in r.getMessage() and "deliveries.yaml" in r.getMessage()
               for r in caplog.records)

    # the deliveries DAG schedules it (weekly, the default) like every other department
    from srdh.orchestration import dagkit

    dags = {d["department"]: d for d in dagkit.deliveries()}
    assert (dags["LABOUR"]["schedule"], dags["LABOUR"]["sources"]) == ("30 0 * * 1", ["lab_bocw"])

    # Superset: the published marts give LABOUR a role of its own rows, with no entry in
    # dashboards/security.yaml (the spec bootstrap's security sync applies)
    import sys

    sys.path.insert(0, str(ROOT / "dashboards"))
    from srdh_superset.bundle import load_security
    from srdh_superset.security import desired_roles

    serving = pipeline.publish(home).path
    security = load_security()
    assert "LABOUR" not in {d.get("code") for d in security["departments"]["list"]}
    roles = {r["name"]: r for r in desired_roles(security, serving)}
    labour = roles["Dept - LABOUR"]
    assert {f["clause"] for f in labour["rls"]} == {"\"department\" = 'LABOUR'",
                                                    "\"scheme_code\" IN ('BOCW')"}
    assert not labour["all_datasets"] and not labour["sql_lab"]
    assert sorted(t for f in labour["rls"] for t in f["tables"]) == sorted(labour["datasets"])
