"""Superset assets as code: fast checks that need no running Superset.

The asset bundle and security helpers in ``dashboards/srdh_superset`` only need
PyYAML and duckdb, so they are imported here from the pipeline environment.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DASHBOARDS = ROOT / "dashboards"
sys.path.insert(0, str(DASHBOARDS))

from srdh_superset import bundle, sample_data, sqlguard  # noqa: E402
from srdh_superset.security import desired_roles  # noqa: E402

ASSETS = bundle.asset_files()
LEAKAGE = "datasets/srdh_serving/marts_mart_scheme_leakage.yaml"


def _load(prefix: str) -> dict[str, dict]:
    return {n: yaml.safe_load(t) for n, t in ASSETS.items() if n.startswith(prefix)}


def test_bundle_is_native_assets_format():
    meta = yaml.safe_load(ASSETS["metadata.yaml"])
    assert meta["type"] == "assets" and meta["version"] == "1.0.0"
    databases, datasets = _load("databases/"), _load("datasets/")
    charts, dashboards = _load("charts/"), _load("dashboards/")
    assert databases and datasets and charts and dashboards
    db_uuids = {d["uuid"] for d in databases.values()}
    ds_uuids = {d["uuid"] for d in datasets.values()}
    chart_uuids = {c["uuid"] for c in charts.values()}
    assert all(d["database_uuid"] in db_uuids for d in datasets.values())
    for name, c in charts.items():
        assert c["dataset_uuid"] in ds_uuids, name
        qc = json.loads(c["query_context"])  # saved query context: /chart/<id>/data works
        assert qc["queries"], name
    for name, d in dashboards.items():
        used = [v["meta"]["uuid"] for v in d["position"].values()
                if isinstance(v, dict) and v.get("type") == "CHART"]
        assert used and set(used) <= chart_uuids, name


def test_database_uri_is_templated_never_a_home_path():
    for name, text in ASSETS.items():
        assert "/.srdh" not in text and "/tmp/" not in text and "/work/" not in text, name
    (db,) = _load("databases/").values()
    assert db["sqlalchemy_uri"] == "{{ serving_uri }}"
    assert db["extra"]["engine_params"]["connect_args"] == sqlguard.DUCKDB_CONNECT_ARGS
    assert db["allow_dml"] is False


def test_serving_connection_is_locked_down(tmp_path):
    """The connect_args Superset uses open the serving copy read-only, with no file access
    and a locked configuration (the SQL Lab tests in test_superset_stack go through a
    real Superset)."""
    serving = sample_data.write_sample_serving(tmp_path / "serving" / "srdh.duckdb")
    secret = tmp_path / "secret.txt"
    secret.write_text("the key\n")
    landing = tmp_path / "kyr.csv"
    landing.write_text("uid,name\n123412341234,A\n")
    con = duckdb.connect(str(serving), **sqlguard.DUCKDB_CONNECT_ARGS)
    try:
        assert con.execute("select count(*) from marts.dim_resident").fetchone() == (0,)
        for sql in (f"select * from read_text('{secret}')", f"select * from '{landing}'",
                    f"select * from read_csv('{landing}')",
                    f"copy (select 1) to '{tmp_path / 'out.csv'}'",
                    f"attach '{tmp_path / 'other.duckdb'}' as o",
                    "set enable_external_access = true", "set threads = 1"):
            with pytest.raises((duckdb.PermissionException, duckdb.InvalidInputException)):
                con.execute(sql)
    finally:
        con.close()
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "other.duckdb").exists()
    # the same file opened without them reads the secret: the arguments are what protect it
    plain = duckdb.connect(str(serving), read_only=True)
    try:
        assert plain.execute(f"select content from read_text('{secret}')").fetchone() == (
            "the key\n",)
    finally:
        plain.close()


def test_render_points_at_the_serving_copy(tmp_path):
    serving = sample_data.write_sample_serving(tmp_path / "serving" / "srdh.duckdb")
    contents = bundle.build_contents(serving)
    db = yaml.safe_load(contents["databases/srdh_serving.yaml"])
    assert db["sqlalchemy_uri"] == f"duckdb:////{str(serving.resolve()).lstrip('/')}"
    assert "{{" not in "".join(contents.values())


@pytest.mark.parametrize("column", ["uid", "aadhaar_number", "raw_uid", "UID_NO", "kyr_uid"])
def test_datasets_exposing_a_uid_are_refused(column):
    ds = yaml.safe_load(ASSETS[LEAKAGE])
    ds["columns"].append({"column_name": column, "type": "VARCHAR"})
    files = dict(ASSETS)
    files[LEAKAGE] = yaml.safe_dump(ds)
    allowed = set(bundle.load_security()["uid_columns_allowed"])
    assert bundle.check_datasets(files, allowed)


@pytest.mark.parametrize("column", ["uid_last4", "uid_token", "uid_masked", "uid_seeded"])
def test_masked_uid_columns_are_allowed(column):
    ds = yaml.safe_load(ASSETS[LEAKAGE])
    ds["columns"].append({"column_name": column, "type": "VARCHAR"})
    allowed = set(bundle.load_security()["uid_columns_allowed"])
    assert bundle.uid_violations("x", ds, {a.lower() for a in allowed}) == []


def test_uid_in_metric_or_sql_is_refused():
    ds = yaml.safe_load(ASSETS["datasets/srdh_serving/marts_mart_data_quality.yaml"])
    ds["sql"] = "select feed, aadhaar from raw.food_pds"
    assert bundle.uid_violations("x", ds, set())


def test_the_spec_is_consistent_and_the_assets_are_rendered_from_it():
    from srdh_superset import assetgen

    assert assetgen.check_spec() == []
    charts = _load("charts/")
    assert {c["slice_name"] for c in charts.values()} == set(assetgen.CH)
    assert {d["dashboard_title"] for d in _load("dashboards/").values()} == {
        d.title for d in assetgen.DASHBOARDS}
    # the generator's output for the committed dataset columns equals the committed files
    columns = {f"{d['schema']}.{d['table_name']}": [(c["column_name"], c["type"])
                                                     for c in d["columns"]]
               for d in _load("datasets/").values()}
    assert assetgen.render_assets(columns) == {
        n: t for n, t in ASSETS.items() if n.split("/")[0] in ("charts", "dashboards",
                                                               "datasets")}


def test_every_dataset_a_scoped_role_reads_is_filtered():
    security = bundle.load_security()
    keys = {f"{d['schema']}.{d['table_name']}" for d in _load("datasets/").values()}
    assert set(security["datasets"]) <= keys  # no scope for a dataset that does not exist
    # data quality is for Analysts only; everything else is scoped for someone
    assert keys - set(security["datasets"]) == {
        "marts.mart_data_quality", "marts.mart_data_quality_quarantine_reasons"}


def test_twelve_digit_text_in_a_serving_table_is_refused(tmp_path):
    serving = sample_data.write_sample_serving(tmp_path / "srdh.duckdb")
    security = bundle.load_security()
    allowed, ids = set(security["uid_columns_allowed"]), security["twelve_digit_ids"]
    assert bundle.check_datasets(ASSETS, allowed, serving, ids) == []
    con = duckdb.connect(str(serving))
    con.execute("insert into marts.mart_data_quality (feed, batch_id) values"
                " ('uid_kyr', '234123412346')")
    con.close()
    problems = bundle.check_datasets(ASSETS, allowed, serving, ids)
    assert any("12-digit" in p and "mart_data_quality" in p for p in problems)
    with pytest.raises(bundle.UidExposureError):
        bundle.build_contents(serving)


@pytest.mark.parametrize("value,is_uid", [
    ("234123412346", True), ("uid:234123412346", True), ("2341 2341 2346", True),
    ("2341-2341-2346", True), ("2341.2341.2346", True), ("call 2341 - 2341 - 2346", True),
    ("934123412346", False),  # 12 digits, but the Verhoeff check digit is wrong
    ("R3ab338497471470e", False), ("HH-479e114612822203", False), ("9876543210", False),
    ("XXXX XXXX 2346", False), ("XXXX-XXXX-2346", False), ("22270000015001", False)])
def test_what_counts_as_a_twelve_digit_uid(value, is_uid):
    assert bool(bundle.uids_in(value)) == is_uid


def test_the_guard_reads_every_row_and_leaves_declared_identifiers_alone(tmp_path):
    from core.uid import verhoeff_check_digit

    serving = sample_data.write_sample_serving(tmp_path / "srdh.duckdb")
    security = bundle.load_security()
    allowed, ids = set(security["uid_columns_allowed"]), security["twelve_digit_ids"]
    assert "bank_account_no" in bundle.declared_identifiers()
    con = duckdb.connect(str(serving))
    # a bank account that passes the Verhoeff check, in a column its feed YAML declares
    con.execute("create table marts.pension_accounts as select '234123412346' bank_account_no,"
                " 'ok' AS note")
    con.close()
    files = {**ASSETS, "datasets/srdh_serving/accounts.yaml": yaml.safe_dump(
        {"table_name": "accounts", "schema": "marts",
         "sql": "select * from marts.pension_accounts", "columns": []})}
    assert bundle.check_datasets(files, allowed, serving, ids) == []
    con = duckdb.connect(str(serving))  # the same number in an undeclared column: refused
    con.execute("update marts.pension_accounts set note = 'acct 234123412346'")
    con.close()
    assert bundle.check_datasets(files, allowed, serving, ids) == [
        "datasets/srdh_serving/accounts.yaml: 1 values in 'note' look like a 12-digit UID"]
    con = duckdb.connect(str(serving))  # one UID after 150,000 clean rows is still found
    uid = "5678901234" + "5" + str(verhoeff_check_digit("56789012345"))
    con.execute("insert into marts.mart_data_quality (feed, batch_id) select 'x', 'b' || i"
                " from range(150000) t(i)")
    con.execute(f"insert into marts.mart_data_quality (feed, batch_id) values ('x', 'n {uid}')")
    con.close()
    problems = bundle.check_datasets(ASSETS, allowed, serving, ids)
    assert any("1 values in 'batch_id'" in p for p in problems), problems


def test_twelve_digit_ids_must_fit_their_pattern_even_in_virtual_datasets(tmp_path):
    serving = sample_data.write_sample_serving(tmp_path / "srdh.duckdb")
    security = bundle.load_security()
    allowed, ids = set(security["uid_columns_allowed"]), security["twelve_digit_ids"]
    con = duckdb.connect(str(serving))
    con.execute("insert into marts.mart_household_card (household_id, ration_card_no)"
                " values ('HH-1', '220100000103')")
    con.close()
    assert bundle.check_datasets(ASSETS, allowed, serving, ids) == []  # a ration card
    con = duckdb.connect(str(serving))
    con.execute("insert into marts.mart_household_members (household_id, resident_id,"
                " ration_card_no) values ('HH-2', 'R-2', '934123412346')")  # a UID?
    con.close()
    problems = bundle.check_datasets(ASSETS, allowed, serving, ids)
    # mart_household_members is read only through the household_members virtual dataset
    assert any("household_members" in p and "ration_card_no" in p for p in problems)


def test_security_yaml_gives_every_scoped_role_an_rls_filter(tmp_path):
    serving = sample_data.write_sample_serving(tmp_path / "srdh.duckdb")
    con = duckdb.connect(str(serving))
    con.execute("insert into marts.mart_village_residents (village_code, district)"
                " values ('1', 'Newdistrict'), ('2', 'UNRESOLVED')")
    con.close()
    security = bundle.load_security()
    roles = {r["name"]: r for r in desired_roles(security, serving)}
    analyst = roles[security["analyst"]["role"]]
    assert analyst["all_datasets"] and not analyst["rls"]
    for name, role in roles.items():
        if role["all_datasets"]:
            continue
        # every dataset a scoped role can read is covered by one of its RLS filters
        assert role["datasets"], name
        covered = [t for f in role["rls"] for t in f["tables"]]
        assert sorted(covered) == sorted(role["datasets"]), name
    sw = {f["clause"] for f in roles["Dept - Social Welfare"]["rls"]}
    assert sw == {"\"department\" = 'SOCIAL_WELFARE'",
                  "\"scheme_code\" IN ('IGNOAPS', 'IGNWPS', 'IGNDPS', 'SSPY', 'MNPY')",
                  "\"department\" = 'Social Welfare'"}
    food = {f["clause"] for f in roles["Dept - Food and Civil Supplies"]["rls"]}
    assert "(\"scheme_code\" IN ('PDS') OR starts_with(\"scheme_code\", 'PDS_'))" in food
    # a department without schemes only reads project datasets
    assert all("project" in ds or ds == "marts.mart_project_status"
               for ds in roles["Dept - Public Health Engineering"]["datasets"])
    bastar = {f["clause"] for f in roles["District - Bastar"]["rls"]}
    assert bastar == {"\"district\" = 'Bastar'", "\"district_name\" = 'Bastar'"}
    # districts found in the serving copy get roles too, never UNRESOLVED
    assert {"District - Raipur", "District - Baloda Bazar-Bhatapara",
            "District - Newdistrict"} <= set(roles)
    assert "District - UNRESOLVED" not in roles


def test_a_department_only_in_the_marts_gets_a_role_limited_to_its_rows(tmp_path):
    """Onboarding by one feed YAML: the department reaches the marts, and bootstrap gives
    it a role of its own rows (its code, its scheme codes) with no security.yaml entry."""
    serving = sample_data.write_sample_serving(tmp_path / "srdh.duckdb")
    con = duckdb.connect(str(serving))
    con.execute("insert into marts.mart_scheme_leakage (scheme_code, department, district) "
                "values ('BOCW', 'LABOUR', 'Bastar'), ('BOCW_CESS', 'LABOUR', 'Durg')")
    con.close()
    security = bundle.load_security()
    assert "LABOUR" not in {d.get("code") for d in security["departments"]["list"]}
    roles = {r["name"]: r for r in desired_roles(security, serving)}
    labour = roles["Dept - LABOUR"]
    assert not labour["all_datasets"] and not labour["sql_lab"]
    assert {f["clause"] for f in labour["rls"]} == {
        "\"department\" = 'LABOUR'", "\"scheme_code\" IN ('BOCW', 'BOCW_CESS')"}
    covered = sorted(t for f in labour["rls"] for t in f["tables"])
    assert covered == sorted(labour["datasets"]) and "marts.mart_scheme_leakage" in covered
    # never the unscoped datasets (register, households) nor another department's projects
    assert not {"marts.dim_resident", "marts.mart_project_status"} & set(labour["datasets"])
    # a department listed in security.yaml keeps its own (wider) entry, and no duplicate
    assert "Dept - FOOD" not in roles and "Dept - Food and Civil Supplies" in roles
