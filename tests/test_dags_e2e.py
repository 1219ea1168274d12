"""End to end through real Airflow (`dag.test()`, no mocks) on a small generated state.

Each DAG run happens in a subprocess (`python -m srdh_tools.dagtest`) with its own
AIRFLOW_HOME and SRDH home, so runs can be killed and Airflow config never leaks. Both runs
include a refused batch (a `_control.csv` that does not fit its file): its feed's check
task fails, everything else runs, and nothing valid is lost.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from home_helpers import ensure_key

from srdh_tools.dagtest import airflow_env, prepare_airflow_home

pytestmark = pytest.mark.slow
RESIDENTS, SEED = 1500, 7
REFUSED_DATE = "2026-02-28"


def generate(out: Path) -> Path:
    """A small synthetic state via `srdh generate`; skips if the generator isn't there."""
    landing = out / "landing"
    proc = subprocess.run([sys.executable, "-m", "srdh.cli", "generate", "--residents",
                           str(RESIDENTS), "--seed", str(SEED), "--out", str(landing),
                           "--truth", str(out / "truth"), "--quiet"],
                          capture_output=True, text=True, timeout=900)
    if proc.returncode != 0 and "No such command" in proc.stderr:
        pytest.skip("`srdh generate` does not exist yet")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return landing


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    return generate(tmp_path_factory.mktemp("state"))


def with_refused_batch(landing: Path, out: Path, feed: str) -> tuple[Path, Path]:
    """A copy of ``landing`` plus one more batch of ``feed``: its first file cut after 10
    rows, with a `_control.csv` written for the whole file (a copy cut short). Returns the
    copy and the refused batch's folder."""
    copy = out / "landing"
    shutil.copytree(landing, copy)
    src = sorted(p for p in (copy / feed).glob("*/*.csv") if p.name != "_control.csv")[0]
    batch = copy / feed / REFUSED_DATE
    batch.mkdir()
    lines = src.read_bytes().splitlines(keepends=True)
    (batch / src.name).write_bytes(b"".join(lines[:11]))
    (batch / "_control.csv").write_text("file_name,row_count,sha256\n"
                                        f"{src.name},{len(lines) - 1},"
                                        f"{hashlib.sha256(src.read_bytes()).hexdigest()}\n")
    return copy, batch


def failures(home: Path) -> list[dict]:
    path = home / "logs" / "failures.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def run_dag(tmp: Path, dag_id: str, dag_files: list[str], home: Path, landing: Path,
            logical_date: str = "2026-03-01", timeout: float = 1200, **env: str) -> dict:
    e = airflow_env(tmp / "airflow", dag_files=dag_files, SRDH_HOME=str(home),
                    SRDH_LANDING=str(landing), **env)
    prepare_airflow_home(e)
    proc = subprocess.run([sys.executable, "-m", "srdh_tools.dagtest", dag_id,
                           "--logical-date", logical_date],
                          env=e, capture_output=True, text=True, timeout=timeout)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    assert lines, f"no result from dag.test:\n{proc.stderr[-5000:]}"
    result = json.loads(lines[-1])
    result["stderr"] = proc.stderr
    return result


def asset_events(airflow_home: Path, uri: str) -> list[dict]:
    with sqlite3.connect(airflow_home / "airflow.db") as con:
        rows = con.execute("select e.extra from asset_event e join asset a on a.id = e.asset_id "
                           "where a.uri = ?", [uri]).fetchall()
    return [json.loads(r[0]) if r[0] else {} for r in rows]


def counts(warehouse: Path, *tables: str) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in tables}


def test_ingest_dag_loads_only_its_feed_and_announces_new_batches(tmp_path, landing):
    home = ensure_key(tmp_path / "home")
    res = run_dag(tmp_path, "srdh_ingest_food_pds", ["srdh_ingest.py"], home, landing)
    assert res["state"] == "success", res["stderr"][-5000:]
    assert res["tasks"] == {"load": "success", "check": "success", "announce": "success"}

    warehouse = home / "warehouse" / "srdh.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        feeds = {r[0] for r in con.execute("select distinct feed from meta.batches").fetchall()}
        loaded = con.execute("select sum(rows_loaded) from meta.batches").fetchone()[0]
    assert feeds == {"food_pds"}
    first = counts(warehouse, "raw.food_pds", "std.food_pds", "meta.files")
    assert first["raw.food_pds"] == loaded > 0
    events = asset_events(tmp_path / "airflow", "srdh://raw/food_pds")
    assert len(events) == 1 and events[0]["feed"] == "food_pds" and events[0]["new"] >= 1

    # Rerun of the same logical date, and a new batch has arrived cut short: refused.
    # Nothing new lands, nothing doubles, no asset event; `check` fails with the reason at
    # its first try (no retry: the batch does not change) and the run fails.
    refused_landing, batch = with_refused_batch(landing, tmp_path / "refused", "food_pds")
    res = run_dag(tmp_path, "srdh_ingest_food_pds", ["srdh_ingest.py"], home, refused_landing,
                  SRDH_AIRFLOW_RETRIES="1", SRDH_AIRFLOW_RETRY_DELAY="1")
    assert res["state"] == "failed", res["stderr"][-5000:]
    assert res["tasks"] == {"load": "success", "check": "failed", "announce": "skipped"}
    failed = [r for r in failures(home) if r["state"] == "failed"]
    assert [(r["task_id"], r["try_number"]) for r in failed] == [("check", 1)], failed
    assert f"food_pds/{REFUSED_DATE} refused: " in failed[0]["error"]
    assert "its sha256 differs from _control.csv" in failed[0]["error"]
    assert counts(warehouse, "raw.food_pds", "std.food_pds", "meta.files") == first
    assert len(asset_events(tmp_path / "airflow", "srdh://raw/food_pds")) == 1

    # The sender resends (here: a control file that fits the file): the batch loads whole.
    cut = next(p for p in batch.glob("*.csv") if p.name != "_control.csv")
    sha = hashlib.sha256(cut.read_bytes()).hexdigest()
    (batch / "_control.csv").write_text(f"file_name,row_count,sha256\n{cut.name},10,{sha}\n")
    res = run_dag(tmp_path, "srdh_ingest_food_pds", ["srdh_ingest.py"], home, refused_landing,
                  SRDH_GX="0")  # Great Expectations ran on this feed in the first run
    assert res["state"] == "success", res["stderr"][-5000:]
    assert res["tasks"] == {"load": "success", "check": "success", "announce": "success"}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        read, loaded = con.execute("select rows_read, rows_loaded from meta.batches where "
                                   "batch_id = ? and status = 'loaded'",
                                   [f"food_pds/{REFUSED_DATE}"]).fetchone()
    assert read == 10 and loaded > 0
    assert counts(warehouse, "raw.food_pds")["raw.food_pds"] == first["raw.food_pds"] + loaded
    assert len(asset_events(tmp_path / "airflow", "srdh://raw/food_pds")) == 2


def test_full_run_dag_with_a_refused_batch(tmp_path, landing):
    try:
        from matching.api import run_matching  # noqa: F401
    except ImportError as exc:
        pytest.skip(f"matching.api.run_matching not there yet: {exc}")
    from srdh import pipeline
    from srdh.orchestration.dbt_group import dbt_status

    home = ensure_key(tmp_path / "home")
    if dbt_status() is None:
        # As `srdh airflow up` does: a manifest, so Cosmos sees refs made in Jinja loops
        # (its own file parser, the fallback, misses them and mis-orders those models).
        subprocess.run([sys.executable, "-c", "import sys; from warehouse.dbt import run_dbt; "
                        "run_dbt(sys.argv[1], ['parse'])", str(home)],
                       check=True, capture_output=True, timeout=1200)
    # One batch of food_pds is refused (cut short); its earlier batch and every other feed
    # load. The whole dbt project, one task per model plus one per multi-model
    # (relationship) test, each passing at its first try (retries off: a flaky test must
    # show here); only check_food_pds fails, and with it the run.
    landing, batch = with_refused_batch(landing, tmp_path, "food_pds")
    res = run_dag(tmp_path, "srdh_full_run", ["srdh_full_run.py"], home, landing, timeout=3000,
                  SRDH_AIRFLOW_RETRIES="0")
    tasks = res["tasks"]
    assert res["state"] == "failed", (tasks, res["stderr"][-6000:])
    assert {t: s for t, s in tasks.items() if s != "success"} == {"check_food_pds": "failed"}
    assert tasks["ingest_all"] == tasks["match"] == tasks["publish"] == "success"
    assert {"check_uid_kyr", "check_sw_pension", "check_landing"} <= set(tasks)
    failed = [r for r in failures(home) if r["state"] == "failed"]
    assert [r["task_id"] for r in failed] == ["check_food_pds"], failed
    assert f"food_pds/{REFUSED_DATE} refused: pds" in failed[0]["error"], failed
    assert "its sha256 differs from _control.csv" in failed[0]["error"]
    assert "\n" not in failed[0]["error"]
    if dbt_status() is None:
        dbt = [t for t in tasks if t.startswith("dbt.")]
        assert all(tasks[t] == "success" for t in dbt), tasks
        assert len([t for t in dbt if t.endswith("_model_build")]) >= 40, dbt
        detached = [t for t in dbt if t.startswith("dbt.relationships_")]
        assert "dbt.relationships_dim_household_head_resident_id__resident_id__ref_dim_resident__test" \
            in detached, detached
        # The run's logical date reached dbt as srdh_as_of_date (a rerun gives the same marts).
        with duckdb.connect(str(home / "warehouse" / "srdh.duckdb"), read_only=True) as con:
            as_of = con.execute("select distinct as_of_date::varchar "
                                "from marts.mart_project_task_ageing").fetchall()
        assert as_of == [("2026-03-01",)], as_of

    warehouse = home / "warehouse" / "srdh.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        feeds = {r[0] for r in con.execute(
            "select distinct feed from meta.batches where status = 'loaded'").fetchall()}
        matching = {r[0] for r in con.execute(
            "select table_name from information_schema.tables "
            "where table_schema = 'matching'").fetchall()}
        # Nothing valid lost: every batch but the refused one loaded, each of its files once.
        not_loaded = con.execute("select batch_id, status from meta.batches "
                                 "where status != 'loaded'").fetchall()
        loaded_files = {r[0] for r in con.execute("select file_sha256 from meta.files"
                                                  ).fetchall()}
        pds = con.execute("select (select count(*) from raw.food_pds), (select sum(rows_loaded) "
                          "from meta.batches where feed = 'food_pds')").fetchone()
        seeded_pds = con.execute("select count(*) from matching.seeding "
                                 "where source = 'food_pds'").fetchone()[0]
    assert not_loaded == [(f"food_pds/{REFUSED_DATE}", "refused")]
    arrived = {hashlib.sha256(p.read_bytes()).hexdigest() for p in landing.glob("*/*/*.csv")
               if p.parent != batch and p.name != "_control.csv"}
    assert arrived and arrived <= loaded_files
    assert pds[0] == pds[1] > 0 and seeded_pds > 0
    assert (batch / "_control.csv").exists()  # the refused batch stays for the resend
    assert {"uid_kyr", "food_pds", "sw_pension", "rd_mgnrega", "edu_scholarship"} <= feeds
    assert matching, "matching wrote no tables"
    serving = home / "serving" / "srdh.duckdb"
    assert serving.exists()
    assert json.loads((serving.parent / "published.json").read_text())["bytes"] > 0

    deliver = [t for t in tasks if t.startswith("deliver_")]
    assert deliver
    if not hasattr(pipeline, "deliver"):
        assert all(tasks[t] == "skipped" for t in deliver)
        pytest.skip("srdh.pipeline.deliver not there yet: deliveries skipped (rest passed)")
    assert all(tasks[t] == "success" for t in deliver), tasks
    # The run's logical date is the delivery date; the manifest names the Airflow run.
    manifest = json.loads((home / "deliveries" / "food_pds" / "2026-03-01" /
                           "manifest.json").read_text())
    assert manifest["department"] == "FOOD" and manifest["run_date"] == "2026-03-01"
    assert manifest["run_id"] == res["run_id"]
    # Every department's delivery: the four files as CSV and Parquet, each as its manifest says.
    manifests = sorted((home / "deliveries").glob("*/2026-03-01/manifest.json"))
    assert {m.parent.parent.name for m in manifests} >= {"food_pds", "sw_pension", "rd_mgnrega",
                                                         "edu_scholarship"}
    for path in manifests:
        m = json.loads(path.read_text())
        assert m["run_id"] == res["run_id"] and m["model_version"], m
        assert set(m["files"]) == {f"{stem}.{ext}" for stem in
                                   ("uid_seeding", "duplicates", "flags", "inclusion_gaps")
                                   for ext in ("csv", "parquet")}, m["files"]
        for name, entry in m["files"].items():
            data = (path.parent / name).read_bytes()
            assert hashlib.sha256(data).hexdigest() == entry["sha256"], (path, name)
            if name.endswith(".parquet"):
                assert pq.read_metadata(path.parent / name).num_rows == entry["rows"], name
        assert m["files"]["uid_seeding.parquet"]["rows"] > 0, m
