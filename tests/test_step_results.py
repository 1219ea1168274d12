"""Typed step results (srdh/results.py) on a real ingest, and the DAGs' check tasks that
read them: a refused batch fails its feed's check with one line; other feeds pass."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from home_helpers import ensure_key
from ingest_helpers import U1, pds, small_landing, write

from srdh import pipeline
from srdh.orchestration import dagkit
from srdh.results import Delivered, Ingested, Published

SHORT = "\n".join(pds().splitlines()[:3]) + "\n"  # header and two rows


def refused_landing(root):
    """The small landing plus a second PDS batch whose `_control.csv` sha256 is not the
    file's (the file was cut short), a stray file at the root and one in the feed folder."""
    landing = small_landing(root)
    batch = landing / "food_pds" / "2024-02-15"
    write(batch / "pds.csv", SHORT)
    write(batch / "_control.csv", "file_name,row_count,sha256\n"
          f"pds.csv,5,{hashlib.sha256(pds().encode()).hexdigest()}\n")
    write(landing / f"notes {U1}.csv", "a\n1\n")  # named after a UID: masked when shown
    write(landing / "food_pds" / "loose.csv", "a\n1\n")
    return landing


@pytest.fixture(scope="module")
def ingested(tmp_path_factory, monkeypatch_module):
    root = tmp_path_factory.mktemp("results")
    monkeypatch_module.setenv("SRDH_GX", "0")
    return pipeline.ingest(ensure_key(root / "home"), refused_landing(root))


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def test_ingest_result_names_loaded_and_refused_batches(ingested):
    assert isinstance(ingested, Ingested)
    assert set(ingested.loaded) == {"lgd_villages/2024-01-01", "uid_kyr/2024-01-05",
                                    "food_pds/2024-01-15"}
    assert list(ingested.refused) == ["food_pds/2024-02-15"]
    assert "pds.csv: its sha256 differs from _control.csv" in ingested.refused[
        "food_pds/2024-02-15"]
    assert ingested.exit_code == 3
    assert ingested.rows_loaded == sum(b.rows_loaded for b in ingested.detail.batches) > 0
    assert ingested.new_batches("food_pds") == ("food_pds/2024-01-15",)
    assert ingested.new_batches("crs_death") == ()


def test_ingest_result_goes_through_xcom_unchanged(ingested):
    plain = json.loads(json.dumps(ingested.to_xcom()))
    assert "detail" not in plain
    assert Ingested.from_xcom(plain) == ingested
    published = Published(path=Path("/x/srdh.duckdb"))
    assert Published.from_xcom(json.loads(json.dumps(published.to_xcom()))) == published
    delivered = Delivered("2025-03-01", (Path("/d/m.json"),), "FOOD")
    assert Delivered.from_xcom(json.loads(json.dumps(delivered.to_xcom()))) == delivered


def test_check_task_fails_the_refused_feed_with_one_line(ingested):
    from airflow.sdk.exceptions import AirflowFailException

    xcom = json.loads(json.dumps(ingested.to_xcom()))
    with pytest.raises(AirflowFailException) as err:
        dagkit.check_feed(xcom, "food_pds")
    line = str(err.value)
    assert "\n" not in line and line.startswith("food_pds: 2 delivery problem(s), not loaded")
    assert "food_pds/2024-02-15 refused: pds.csv: its sha256 differs" in line
    assert "food_pds/loose.csv: a file directly in the feed folder" in line
    # the feeds that loaded pass, saying what loaded
    assert dagkit.check_feed(xcom, "uid_kyr") == {"feed": "uid_kyr",
                                                  "new_batches": ["uid_kyr/2024-01-05"]}
    assert dagkit.check_feed(xcom, "crs_death") == {"feed": "crs_death", "new_batches": []}


def test_check_landing_names_what_no_feed_owns_without_the_uid(ingested):
    from airflow.sdk.exceptions import AirflowFailException

    with pytest.raises(AirflowFailException) as err:
        dagkit.check_landing(ingested.to_xcom())
    line = str(err.value)
    assert "a file at the landing root" in line and U1[-4:] in line and U1 not in line
    assert "loose.csv" not in line  # that one is food_pds's, in its check
