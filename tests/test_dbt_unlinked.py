"""The synthetic state's unlinked pensions (tests/dbt_helpers.py, ``unlinked=True``, the
dbt benchmark's state) reach the ghost look-alike searches of int_enrolment_flags: a
pension SRDH failed to link whose name is misspelt or has its words swapped, in the
person's own village, is a real resident - never a confirmed ghost - and the reason says
which search vouched for it. Guards that bench_dbt.py times those searches doing real work.
"""

from __future__ import annotations

import duckdb
import pytest
from dbt_helpers import AS_OF, build_synthetic_warehouse

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def flags(tmp_path_factory):
    from core.paths import Home
    from warehouse.dbt import build

    home = Home.at(tmp_path_factory.mktemp("dbt_unlinked"))
    truth = build_synthetic_warehouse(home.warehouse, residents=2000, unlinked=True)
    res = build(home, select=["+int_enrolment_flags"], vars={"srdh_as_of_date": AS_OF})
    assert res.success
    con = duckdb.connect(str(home.warehouse), read_only=True)
    # PU<i> is a pension of resident i, whose KYR record id is the token dbt_helpers gives i
    rows = con.execute("""
        select p.source_record_id, p.name_std, k.name_std as kyr_name,
               p.village_code = k.village_code as same_village, f.flag, f.reason
        from std.sw_pension as p
        join std.uid_kyr as k
          on k.source_record_id = upper(translate(left(
                 md5('t' || regexp_extract(p.source_record_id, '([0-9]+)$', 1)), 16),
                 '0123456789', 'ghijklmnop'))
        left join intermediate.int_enrolment_flags as f
          on f.source = 'sw_pension' and f.source_record_id = p.source_record_id
        where p.source_record_id like 'PU%'""").fetchall()
    con.close()
    return truth, rows


def test_every_unlinked_pension_is_looked_for(flags):
    truth, rows = flags
    assert len(rows) == truth["unlinked_pensions"] > 0
    assert {r[4] for r in rows} <= {"ghost", "not_in_kyr"}
    assert all(r[4] is not None for r in rows)


def test_a_misspelt_or_swapped_name_in_the_village_is_never_a_ghost(flags):
    _, rows = flags
    same_village = [r for r in rows if r[3]]
    differs = [r for r in same_village if r[1] != r[2]]
    misspelt = [r for r in differs if sorted(r[1].split()) != sorted(r[2].split())]
    swapped = [r for r in differs if sorted(r[1].split()) == sorted(r[2].split())]
    assert misspelt and swapped
    assert all(r[4] == "not_in_kyr" for r in misspelt + swapped)
    assert any("a KYR resident of the village has a similar name" in r[5] for r in misspelt)
    assert any("has a name alike word for word" in r[5] for r in swapped)
