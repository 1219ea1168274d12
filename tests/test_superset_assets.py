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

from srdh_superset import bundle, sample_data  # noqa: E402
from srdh_superset.security import desired_roles  # noqa: E402

ASSETS = bundle.asset_files()


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
    assert db["extra"]["engine_params"]["connect_args"] == {"read_only": True}
    assert db["allow_dml"] is False


def test_render_points_at_the_serving_copy(tmp_path):
    serving = sample_data.write_sample_serving(tmp_path / "serving" / "srdh.duckdb")
    contents = bundle.build_contents(serving)
    db = yaml.safe_load(contents["databases/srdh_serving.yaml"])
    assert db["sqlalchemy_uri"] == f"duckdb:////{str(serving.resolve()).lstrip('/')}"
    assert "{{" not in "".join(contents.values())


@pytest.mark.parametrize("column", ["uid", "aadhaar_number", "raw_uid", "UID_NO", "kyr_uid"])
def test_datasets_exposing_a_uid_are_refused(column):
    ds = yaml.safe_load(ASSETS["datasets/srdh_serving/mart_scheme_summary.yaml"])
    ds["columns"].append({"column_name": column, "type": "VARCHAR"})
    files = dict(ASSETS)
    files["datasets/srdh_serving/mart_scheme_summary.yaml"] = yaml.safe_dump(ds)
    allowed = set(bundle.load_security()["uid_columns_allowed"])
    assert bundle.check_datasets(files, allowed)


@pytest.mark.parametrize("column", ["uid_last4", "uid_token", "uid_masked", "uid_seeded"])
def test_masked_uid_columns_are_allowed(column):
    ds = yaml.safe_load(ASSETS["datasets/srdh_serving/mart_scheme_summary.yaml"])
    ds["columns"].append({"column_name": column, "type": "VARCHAR"})
    allowed = set(bundle.load_security()["uid_columns_allowed"])
    assert bundle.uid_violations("x", ds, {a.lower() for a in allowed}) == []


def test_uid_in_metric_or_sql_is_refused():
    ds = yaml.safe_load(ASSETS["datasets/srdh_serving/mart_data_quality.yaml"])
    ds["sql"] = "select feed, aadhaar from raw.food_pds"
    assert bundle.uid_violations("x", ds, set())


def test_twelve_digit_text_in_a_serving_table_is_refused(tmp_path):
    serving = sample_data.write_sample_serving(tmp_path / "srdh.duckdb")
    assert bundle.check_datasets(ASSETS, {"uid_seeded", "uid_seeded_share"}, serving) == []
    con = duckdb.connect(str(serving))
    con.execute("update marts.mart_data_quality set batch_id = '234123412346' where feed='uid_kyr'")
    con.close()
    problems = bundle.check_datasets(ASSETS, {"uid_seeded", "uid_seeded_share"}, serving)
    assert any("12-digit" in p for p in problems)
    with pytest.raises(bundle.UidExposureError):
        bundle.build_contents(serving)


def test_security_yaml_gives_every_scoped_role_an_rls_filter(tmp_path):
    serving = sample_data.write_sample_serving(tmp_path / "srdh.duckdb")
    security = bundle.load_security()
    roles = {r["name"]: r for r in desired_roles(security, serving)}
    analyst = roles[security["analyst"]["role"]]
    assert analyst["all_datasets"] and not analyst["rls"]
    for name, role in roles.items():
        if role["all_datasets"]:
            continue
        covered = {f["table"] for f in role["rls"]}
        # every dataset the role can read that has scheme/district rows is filtered
        scoped = set(security["scheme_datasets"] if name.startswith("Dept") else
                     security["district_datasets"])
        assert scoped & set(role["datasets"]) <= covered, name
    sw = roles["Dept - Social Welfare"]["rls"][0]["clause"]
    assert sw == "scheme_code IN ('NSAP_OAP', 'NSAP_WP', 'NSAP_DP')"
    # districts found in the serving copy get roles too
    assert {"District - Raipur", "District - Bastar", "District - Durg"} <= set(roles)
