"""DAG integrity: every file in dags/ imports in a real Airflow DagBag, cheaply, with the
run settings every SRDH DAG must have; the ingest DAGs follow the source registry.

Each check parses in a subprocess with its own AIRFLOW_HOME, so Airflow's configuration
(read once, at import) never leaks between tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from srdh_tools.dagtest import airflow_env

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "duckdb", "great_expectations", "splink", "dbt", "pyarrow", "numpy",
         "jellyfish")

INSPECT = r"""
import json, sys, time
from airflow.dag_processing.dagbag import DagBag

folder = sys.argv[1]


def uris(cond):
    if cond is None:
        return []
    if hasattr(cond, "objects"):
        return [u for o in cond.objects for u in uris(o)]
    return [cond.uri] if hasattr(cond, "uri") else []


t0 = time.perf_counter()
bag = DagBag(dag_folder=folder, safe_mode=False)
out = {"seconds": time.perf_counter() - t0,
       "import_errors": {k: str(v)[-2000:] for k, v in bag.import_errors.items()},
       "files": {s.file: s.duration.total_seconds() for s in bag.dagbag_stats},
       "heavy": sorted(m for m in sys.modules if m.split(".")[0] in json.loads(sys.argv[2])),
       "dags": {}}
for dag_id, dag in bag.dags.items():
    cond = getattr(dag.timetable, "asset_condition", None)
    out["dags"][dag_id] = {
        "file": dag.fileloc, "tags": sorted(dag.tags), "catchup": dag.catchup,
        "schedule": type(dag.timetable).__name__,
        "assets": sorted(uris(cond)),
        "dag_failure_cb": bool(dag.on_failure_callback),
        "tasks": [{"id": t.task_id, "retries": t.retries, "pool": t.pool,
                   "backoff": t.retry_exponential_backoff,
                   "timeout": t.execution_timeout.total_seconds() if t.execution_timeout else None,
                   "failure_cb": bool(t.on_failure_callback),
                   "outlets": [getattr(o, "uri", str(o)) for o in t.outlets],
                   "upstream": sorted(t.upstream_task_ids),
                   "downstream": sorted(t.downstream_task_ids),
                   "trigger_rule": str(getattr(t.trigger_rule, "value", t.trigger_rule)),
                   "vars": getattr(t, "vars", None),
                   "invocation_mode": getattr(getattr(t, "invocation_mode", None), "value",
                                              None)}
                  for t in dag.tasks],
    }
print(json.dumps(out))
"""


def parse(tmp: Path, folder: Path, **env: str) -> dict:
    e = airflow_env(tmp / "airflow", **env)
    proc = subprocess.run([sys.executable, "-c", INSPECT, str(folder), json.dumps(HEAVY)],
                          env=e, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def bag(tmp_path_factory) -> dict:
    return parse(tmp_path_factory.mktemp("bag"), ROOT / "dags")


def registry_feeds() -> list[str]:
    from ingest.registry import load_registry

    return sorted(load_registry())


def test_every_dag_file_imports(bag):
    assert bag["import_errors"] == {}
    files = {Path(f).name for f in bag["files"]}
    expected = {p.name for p in (ROOT / "dags").glob("*.py")}
    assert expected <= files, f"not parsed: {expected - files}"


def test_run_settings_on_every_dag_and_task(bag):
    assert bag["dags"], "no DAGs parsed"
    for dag_id, d in bag["dags"].items():
        assert "srdh" in d["tags"] and len(d["tags"]) >= 2, dag_id
        assert d["catchup"] is False, dag_id
        assert d["dag_failure_cb"], dag_id
        assert d["tasks"], dag_id
        for t in d["tasks"]:
            where = f"{dag_id}.{t['id']}"
            assert t["retries"] >= 1, where
            assert t["backoff"] and t["backoff"] > 1, where
            assert t["failure_cb"], where
            assert t["timeout"] and 0 < t["timeout"] <= 4 * 3600, where


def test_warehouse_writers_share_the_one_slot_pool(bag):
    writers = {"load", "match", "publish", "deliver", "ingest_all"}
    for dag_id, d in bag["dags"].items():
        for t in d["tasks"]:
            if t["id"] in writers or t["id"].startswith(("deliver_", "dbt.")):
                assert t["pool"] == "srdh_duckdb_writer", f"{dag_id}.{t['id']}"


def test_one_ingest_dag_per_registered_feed(bag):
    ingest = sorted(d.removeprefix("srdh_ingest_") for d in bag["dags"]
                    if d.startswith("srdh_ingest_"))
    assert ingest == registry_feeds()
    for feed in ingest:
        tasks = {t["id"]: t for t in bag["dags"][f"srdh_ingest_{feed}"]["tasks"]}
        assert tasks["announce"]["outlets"] == [f"srdh://raw/{feed}"]


def test_pipeline_dags_and_asset_chain(bag):
    dags = bag["dags"]
    for dag_id in ("srdh_match", "srdh_dbt", "srdh_publish", "srdh_full_run"):
        assert dag_id in dags
    assert dags["srdh_full_run"]["schedule"] == "NullTimetable"
    match = dags["srdh_match"]
    assert match["schedule"] == "AssetTriggeredTimetable"
    assert "srdh://raw/uid_kyr" in match["assets"]
    assert {"srdh://raw/food_pds", "srdh://raw/sw_pension"} <= set(match["assets"])
    assert "srdh://raw/facilities" not in match["assets"]  # not a person feed
    assert dags["srdh_dbt"]["assets"] == ["srdh://matching/clusters"]
    assert dags["srdh_publish"]["assets"] == ["srdh://warehouse/marts"]
    full = [t["id"] for t in dags["srdh_full_run"]["tasks"]]
    assert full[:2] == ["ingest_all", "match"] and "publish" in full


def test_a_check_task_per_feed_that_nothing_waits_on(bag):
    """A refused batch fails its feed's check; matching, build, publish and deliveries never
    wait on a check, and the failed leaf fails the run (docs/airflow.md, "Refused batches")."""
    full = {t["id"]: t for t in bag["dags"]["srdh_full_run"]["tasks"]}
    checks = {f"check_{feed}" for feed in registry_feeds()} | {"check_landing"}
    assert checks <= set(full)
    for task_id in checks:
        assert full[task_id]["upstream"] == ["ingest_all"], task_id
        assert full[task_id]["downstream"] == [], task_id  # a leaf: its failure fails the run
    for task_id, t in full.items():
        assert not set(t["upstream"]) & checks, task_id
        assert t["trigger_rule"] == "all_success", task_id  # a failed step stops what follows
    for feed in registry_feeds():
        tasks = {t["id"]: t for t in bag["dags"][f"srdh_ingest_{feed}"]["tasks"]}
        assert tasks["check"]["upstream"] == tasks["announce"]["upstream"] == ["load"]
        assert tasks["check"]["downstream"] == [], feed


def test_dbt_models_are_tasks_when_the_project_exists(bag):
    from srdh.orchestration.dbt_group import dbt_status

    tasks = [t["id"] for t in bag["dags"]["srdh_dbt"]["tasks"]]
    if dbt_status() is not None:
        assert tasks == ["dbt_missing"]
        pytest.skip(f"dbt project not there yet: {dbt_status()}")
    models = [p.stem for p in (ROOT / "dbt_project" / "models").rglob("*.sql")]
    dbt_tasks = [t for t in tasks if t.startswith("dbt.")]
    assert dbt_tasks, tasks
    for m in models:
        assert any(t.startswith(f"dbt.{m}_") for t in dbt_tasks), f"model {m} has no task"
    full = [t["id"] for t in bag["dags"]["srdh_full_run"]["tasks"]]
    assert set(dbt_tasks) <= set(full)


def test_dbt_tasks_build_for_the_run_date_in_process(bag):
    from srdh.orchestration.dbt_group import AS_OF_DATE, dbt_status
    from warehouse.dbt import dbt_vars

    if dbt_status() is not None:
        pytest.skip(f"dbt project not there yet: {dbt_status()}")
    for dag_id in ("srdh_dbt", "srdh_full_run"):
        dbt = [t for t in bag["dags"][dag_id]["tasks"] if t["id"].startswith("dbt.")]
        assert dbt, dag_id
        for t in dbt:
            # As `srdh build` does: the run's date (its logical date) is dbt's reference
            # date, and the departments come from the ingest registry.
            assert t["vars"] == dbt_vars({"srdh_as_of_date": AS_OF_DATE}), (dag_id, t)
            feeds = {d["feed"] for d in t["vars"]["srdh_department_feeds"]}
            assert {"sw_pension", "rd_mgnrega", "edu_scholarship"} <= feeds, (dag_id, t)
            assert t["invocation_mode"] == "dbt_runner", (dag_id, t)


def test_one_delivery_dag_per_department_on_its_schedule(bag):
    cfg = yaml.safe_load((ROOT / "warehouse" / "deliveries.yaml").read_text())["departments"]
    assert cfg
    full = [t["id"] for t in bag["dags"]["srdh_full_run"]["tasks"]]
    for dept, conf in cfg.items():
        d = bag["dags"][f"srdh_deliver_{dept.lower()}"]
        assert d["schedule"] == ("CronTriggerTimetable" if conf.get("schedule") else
                                 "NullTimetable")
        assert f"department:{dept}" in d["tags"]
        assert f"deliver_{dept.lower()}" in full


def test_parsing_imports_nothing_heavy_and_is_quick(bag):
    assert bag["heavy"] == [], f"DAG parsing imported {bag['heavy']}"
    # A guard against work at parse time (e.g. `dbt ls`), not a benchmark: the
    # dag-processor gives up on a file after 30 s; a DAG file should need a fraction.
    slow = {f: s for f, s in bag["files"].items() if s > 10}
    assert not slow, slow


def test_a_new_source_yaml_gets_its_own_dag(tmp_path):
    extra = tmp_path / "sources"
    extra.mkdir()
    doc = yaml.safe_load((ROOT / "ingest" / "sources" / "food_pds.yaml").read_text())
    doc["feed"] = "tw_forest_rights"
    doc["department"] = "TRIBAL_WELFARE"
    (extra / "tw_forest_rights.yaml").write_text(yaml.safe_dump(doc))
    folder = tmp_path / "dags"
    folder.mkdir()
    for name in ("srdh_ingest.py", "srdh_match.py"):
        (folder / name).write_text((ROOT / "dags" / name).read_text())
    out = parse(tmp_path, folder, SRDH_SOURCES=str(extra))
    assert out["import_errors"] == {}
    assert "srdh_ingest_tw_forest_rights" in out["dags"]
    assert len([d for d in out["dags"] if d.startswith("srdh_ingest_")]) == \
        len(registry_feeds()) + 1
    assert "srdh://raw/tw_forest_rights" in out["dags"]["srdh_match"]["assets"]


def test_a_broken_source_yaml_is_an_import_error_naming_it(tmp_path):
    extra = tmp_path / "sources"
    extra.mkdir()
    (extra / "broken.yaml").write_text("feed: broken\nfields: [not, a, mapping]\n")
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "srdh_ingest.py").write_text((ROOT / "dags" / "srdh_ingest.py").read_text())
    out = parse(tmp_path, folder, SRDH_SOURCES=str(extra))
    assert len(out["import_errors"]) == 1
    assert "broken.yaml" in next(iter(out["import_errors"].values()))
