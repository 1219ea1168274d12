"""matching.inputs: the KYR the run links against (active, and deactivated if asked)."""

from __future__ import annotations

import duckdb
import pytest

from matching import inputs


@pytest.fixture()
def con():
    c = duckdb.connect()
    c.execute("CREATE SCHEMA std")
    c.execute("""CREATE TABLE std.uid_kyr AS SELECT * FROM (VALUES
        ('T1', 'RAHUL SAHU', 'M', 1980, '400001', true),
        ('T2', 'GEETA SAHU', 'F', 1982, '400001', true))
        t(uid_token, name_std, gender, birth_year, village_code, uid_valid)""")
    # T3 died and was deactivated; T2 has an old, superseded version
    c.execute("""CREATE TABLE std.uid_kyr_history AS SELECT * FROM (VALUES
        ('T1', 'RAHUL SAHU', 'M', 1980, '400001', true, true, true),
        ('T2', 'GEETA SAAHU', 'F', 1982, '400001', true, false, true),
        ('T2', 'GEETA SAHU', 'F', 1982, '400001', true, true, true),
        ('T3', 'RAMLAL SAHU', 'M', 1950, '400001', true, true, false))
        t(uid_token, name_std, gender, birth_year, village_code, uid_valid, is_current,
          active)""")
    yield c
    c.close()


def _kyr(con, deactivated):
    cat = con.execute("SELECT current_database()").fetchall()[0][0]
    t = inputs.load_feed(con, inputs.KYR, cat, kyr_deactivated=deactivated)
    return dict(con.execute(f"SELECT unique_id, name_std FROM {t.table}").fetchall())


def test_active_residents_only_by_default(con):
    assert _kyr(con, False) == {"T1": "RAHUL SAHU", "T2": "GEETA SAHU"}


def test_deactivated_residents_added_once_with_their_last_version(con):
    assert _kyr(con, True) == {"T1": "RAHUL SAHU", "T2": "GEETA SAHU", "T3": "RAMLAL SAHU"}


def test_missing_history_falls_back_to_active(con):
    con.execute("DROP TABLE std.uid_kyr_history")
    assert _kyr(con, True) == {"T1": "RAHUL SAHU", "T2": "GEETA SAHU"}
