"""KYR photographs are shown only when asked for with a purpose and who asks, and every
display is a logged, hash-chained vault access (docs/security.md, "Photographs")."""

from __future__ import annotations

import duckdb
import pytest
from home_helpers import ensure_key, one_line_refusal, srdh

JPEG = b"\xff\xd8\xff\xe0fake-jpeg-body\xff\xd9"
TOKEN = "TOKENSITA0001"


@pytest.fixture()
def home(tmp_path):
    """A home with a built household card (two members, one with a KYR photograph)."""
    from core.paths import Home

    h = Home.at(ensure_key(tmp_path / "home"))
    h.warehouse.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(h.warehouse))
    con.execute("create schema matching; create schema marts")
    con.execute("create table matching.residents as select * from (values "
                f"('uid_kyr', '{TOKEN}', 'R-SITA'), ('food_pds', 'M1', 'R-SITA'), "
                "('food_pds', 'M2', 'R-RAJU')) t(source, record_id, resident_id)")
    con.execute("""create table marts.mart_household_card as select
        'HH-1' as household_id, 'SITA SAHU' as head_name, 'XXXX XXXX 1234' as head_uid_masked,
        'kyr_address' as household_source, null as ration_card_no, null as card_type,
        2 as member_count, 'V1' as village, 'B1' as block, 'D1' as district,
        'LGD1' as village_code, 500.0 as monthly_amount_inr,
        [struct_pack(resident_id := 'R-SITA', name := 'SITA SAHU', relation_to_head := 'SELF',
                     gender := 'F', age_years := 61, uid_masked := 'XXXX XXXX 1234',
                     is_deceased := false, monthly_amount_inr := 500.0,
                     schemes := []::struct(scheme_code varchar, monthly_amount_inr double,
                                           status varchar)[]),
         struct_pack(resident_id := 'R-RAJU', name := 'RAJU SAHU', relation_to_head := 'SON',
                     gender := 'M', age_years := 20, uid_masked := null,
                     is_deceased := false, monthly_amount_inr := 0.0,
                     schemes := []::struct(scheme_code varchar, monthly_amount_inr double,
                                           status varchar)[])] as members,
        []::struct(facility_type varchar, facility_name varchar, distance_km double)[]
            as nearest_facilities""")
    con.close()
    h.photos.mkdir(parents=True, exist_ok=True)
    (h.photos / f"{TOKEN}.jpg").write_bytes(JPEG)
    return h


def _log(h):
    from ingest.tokens import require_keys
    from ingest.vault import Vault

    with Vault(h, require_keys(h)) as v:
        return v.con.execute("select by_whom, purpose, outcome, uid_token, detail "
                             "from access_log order by seq").fetchall()


def test_card_shows_photographs_only_when_asked_and_logs_each(home, tmp_path):
    plain = tmp_path / "plain.html"
    proc = srdh("card", "HH-1", "--html", str(plain), "--home", str(home.root))
    assert proc.returncode == 0, proc.stderr
    assert "<img" not in plain.read_text() and "Photo" not in plain.read_text()
    assert _log(home) == []  # nothing shown, nothing logged

    out = tmp_path / "card.html"
    purpose = "Field verification of ghost flag sw_pension:P1:ghost"
    proc = srdh("card", "HH-1", "--html", str(out), "--photos", "--purpose", purpose,
                "--by", "inspector Verma", "--home", str(home.root))
    assert proc.returncode == 0, proc.stderr
    assert "1 photograph(s) shown" in proc.stdout
    page = out.read_text()
    import base64

    assert page.count("<img") == 1
    assert f"data:image/jpeg;base64,{base64.b64encode(JPEG).decode()}" in page
    assert "photograph of SITA SAHU" in page and TOKEN not in page
    assert _log(home) == [
        ("inspector Verma", purpose, "requested", None, "photographs; household card HH-1"),
        ("inspector Verma", purpose, "photo_shown", TOKEN, "household card HH-1")]
    verify = srdh("vault", "verify-log", "--home", str(home.root))
    assert verify.returncode == 0, verify.stdout + verify.stderr


@pytest.mark.parametrize("args", [
    ("card", "HH-1", "--html", "x.html", "--photos"),
    ("card", "HH-1", "--html", "x.html", "--photos", "--purpose", "field check of a flag"),
    ("resident", "R-SITA", "--photos", "--by", "inspector Verma"),
])
def test_photos_without_purpose_and_by_is_one_line_exit_2(home, tmp_path, args):
    proc = srdh(*args, "--home", str(home.root))
    one_line_refusal(proc, "--photos needs --purpose")
    assert _log(home) == []


def test_a_trivial_declaration_is_refused(home):
    proc = srdh("card", "HH-1", "--html", "x.html", "--photos", "--purpose", "x", "--by", "me",
                "--home", str(home.root))
    one_line_refusal(proc, "--purpose", "at least 10 characters")


def test_resident_photo_shares_the_logged_lookup(home):
    """`srdh resident --photos` calls the same logged lookup, by the resident's KYR token."""
    from warehouse.photos import show_photos

    got = show_photos(home, ["R-SITA", "R-RAJU"], "grievance 42 identity check", "clerk Das",
                      detail="srdh resident R-SITA")
    assert got == {"R-SITA": home.photos / f"{TOKEN}.jpg"}
    assert [r[2] for r in _log(home)] == ["requested", "photo_shown"]
