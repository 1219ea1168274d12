"""Feed and field names in source YAML become SQL identifiers: the registry refuses any
that is not ``^[a-z][a-z0-9_]*$`` (SQL injection through a feed YAML)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from ingest.registry import Source, load_registry

EVIL_FEED = "evil(x INT); CREATE TABLE pwn(a INT)"
GOOD_YAML = """feed: {feed}
title: Test feed
kind: reference
record_id: rec_id
fields:
  rec_id: {{required: true}}
  {field}: {{}}
"""


@pytest.mark.parametrize("feed, field, what", [
    (EVIL_FEED, "note", "feed name"),
    ("Food_PDS", "note", "feed name"),
    ("1feed", "note", "feed name"),
    ("ok_feed", 'note" VARCHAR); DROP TABLE meta.files; --', "field name"),
    ("ok_feed", "Note", "field name"),
])
def test_registry_refuses_names_that_are_not_identifiers(tmp_path, feed, field, what):
    path = tmp_path / "bad.yaml"
    path.write_text(GOOD_YAML.format(feed=f'"{feed}"', field=f"'{field}'"))
    with pytest.raises(ValueError) as err:
        load_registry(tmp_path)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(f"{path}: ")  # one line, naming the file
    assert what in msg and "lower-case letters, digits and _" in msg, msg


def test_good_names_still_load(tmp_path):
    (tmp_path / "fine.yaml").write_text(GOOD_YAML.format(feed="ok_feed2", field="note_1"))
    assert "ok_feed2" in load_registry(tmp_path)
    with pytest.raises(ValueError, match="feed name"):
        Source.model_validate({"feed": "a b", "record_id": "a", "fields": {"a": {}}})


def test_ingest_with_an_evil_feed_yaml_creates_no_table(tmp_path):
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "evil.yaml").write_text(GOOD_YAML.format(feed=f'"{EVIL_FEED}"', field="note"))
    landing = tmp_path / "landing"
    batch = landing / EVIL_FEED / "2025-03-01"
    batch.mkdir(parents=True)
    (batch / "x.csv").write_text("rec_id,note\n1,a\n")
    home = tmp_path / "home"
    env = {**os.environ, "SRDH_SOURCES": str(sources), "SRDH_HOME": str(home), "SRDH_GX": "0"}
    proc = subprocess.run([sys.executable, "-m", "srdh.cli", "ingest", "--landing", str(landing),
                           "--home", str(home)], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode != 0, proc.stdout
    err = (proc.stderr.strip().splitlines() or [""])[-1]
    assert "evil.yaml" in err and "feed name" in err, proc.stderr[-2000:]
    warehouse = home / "warehouse" / "srdh.duckdb"
    if warehouse.exists():  # nothing named pwn (or evil) anywhere in it
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            names = [r[0] for r in con.execute(
                "select table_name from information_schema.tables").fetchall()]
        finally:
            con.close()
        assert not [n for n in names if "pwn" in n or "evil" in n], names
    assert not list(Path(home).rglob("*pwn*"))
