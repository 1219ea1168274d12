"""The household card: one household's head, members, schemes and nearby facilities.

Reads ``marts.mart_household_card`` (built by dbt) from the serving copy when one is
published, else the working warehouse, read-only. UIDs appear masked only
(``XXXX XXXX 1234``); the card never holds a token or a full number.
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path
from typing import Any

from core.paths import Home

CARD_TABLE = "marts.mart_household_card"
FACILITY_LABELS = {
    "DISTRICT_HOSPITAL": "District hospital", "CHC": "Community health centre",
    "PHC": "Primary health centre", "SCHOOL": "School", "ANGANWADI": "Anganwadi centre",
    "RAILWAY_STATION": "Railway station",
}


class CardNotFound(LookupError):
    pass


def _database(home: Home, database: str | Path | None) -> Path:
    if database:
        return Path(database)
    return home.serving if home.serving.exists() else home.warehouse


def load_card(home: str | Path | Home | None, household_id: str,
              database: str | Path | None = None) -> dict[str, Any]:
    """The card of ``household_id`` as a dict (members and facilities as lists of dicts)."""
    import duckdb

    h = home if isinstance(home, Home) else Home.at(home)
    db = _database(h, database)
    if not db.exists():
        raise FileNotFoundError(f"no warehouse at {db}; run `srdh build` first")
    con = duckdb.connect(str(db), read_only=True)
    try:
        cur = con.execute(f"SELECT * FROM {CARD_TABLE} WHERE household_id = ?", [household_id])
        row = cur.fetchone()
        if row is None:
            raise CardNotFound(f"no household {household_id!r} in {CARD_TABLE}")
        cols = [d[0] for d in cur.description]
    finally:
        con.close()
    card = dict(zip(cols, row, strict=True))
    card["members"] = list(card.get("members") or [])
    card["nearest_facilities"] = list(card.get("nearest_facilities") or [])
    return card


def _rupees(x: float | None) -> str:
    return f"Rs {0 if x is None else x:,.0f}"


def _member_schemes(m: dict[str, Any]) -> str:
    parts = [f"{s['scheme_code']} {_rupees(s['monthly_amount_inr'])}/month"
             + ("" if s.get("status") in (None, "ACTIVE") else f" ({s['status'].lower()})")
             for s in m.get("schemes") or []]
    return ", ".join(parts) or "none"


def render_text(card: dict[str, Any]) -> str:
    """A plain-text card for the terminal."""
    place = ", ".join(p for p in (card.get("village"), card.get("block"), card.get("district")) if p)
    kind = (f"ration card {card['ration_card_no']} ({card.get('card_type') or '?'})"
            if card.get("household_source") == "ration_card" else "inferred from KYR address")
    lines = [
        f"SRDH household card  {card['household_id']}",
        f"Head: {card.get('head_name') or '?'}  UID {card.get('head_uid_masked') or 'not seeded'}",
        f"Household: {kind}; {card.get('member_count')} member(s)",
        f"Place: {place or 'unknown'} (LGD {card.get('village_code') or '?'})",
        f"Benefits: {_rupees(card.get('monthly_amount_inr'))} per month",
        "",
        "Members:",
    ]
    for m in card["members"]:
        dead = "  [deceased]" if m.get("is_deceased") else ""
        lines.append(f"  - {m.get('name') or '?'} ({m.get('relation_to_head')}, "
                     f"{m.get('gender') or '?'}, {m.get('age_years') if m.get('age_years') is not None else '?'} y)"
                     f"  UID {m.get('uid_masked') or 'not seeded'}{dead}")
        lines.append(f"      schemes: {_member_schemes(m)}")
    lines += ["", "Nearest facilities:"]
    if not card["nearest_facilities"]:
        lines.append("  (not known for this village)")
    for f in card["nearest_facilities"]:
        label = FACILITY_LABELS.get(f["facility_type"], f["facility_type"])
        lines.append(f"  - {label}: {f.get('facility_name')} ({f.get('distance_km')} km)")
    return "\n".join(lines) + "\n"


def render_html(card: dict[str, Any], photos: dict[str, str] | None = None) -> str:
    """A self-contained, printable HTML card (A4/A5 friendly, no external assets).

    ``photos`` (resident_id -> image data URI) adds a photograph column; pass it only for
    a display logged in the vault (warehouse/photos.py)."""
    e = lambda v: html.escape("" if v is None else str(v))  # noqa: E731

    def photo(m: dict[str, Any]) -> str:
        if photos is None:
            return ""
        uri = photos.get(m.get("resident_id") or "")
        return (f"<td class=photo><img src=\"{e(uri)}\" alt=\"photograph of {e(m.get('name'))}\">"
                "</td>" if uri else "<td class=photo>—</td>")

    rows = "".join(
        f"<tr>{photo(m)}<td>{e(m.get('name'))}{' <em>(deceased)</em>' if m.get('is_deceased') else ''}</td>"
        f"<td>{e(m.get('relation_to_head'))}</td><td>{e(m.get('gender'))}</td>"
        f"<td>{e(m.get('age_years'))}</td><td class=uid>{e(m.get('uid_masked') or '—')}</td>"
        f"<td>{e(_member_schemes(m))}</td><td class=num>{e(_rupees(m.get('monthly_amount_inr')))}</td></tr>"
        for m in card["members"])
    facs = "".join(
        f"<tr><td>{e(FACILITY_LABELS.get(f['facility_type'], f['facility_type']))}</td>"
        f"<td>{e(f.get('facility_name'))}</td><td class=num>{e(f.get('distance_km'))} km</td></tr>"
        for f in card["nearest_facilities"]) or "<tr><td colspan=3>Not known for this village</td></tr>"
    # a department id may be 12 digits and pass the Verhoeff check: marked, so the UID scan
    # treats it as the id column it is (ingest/uid_scan.py, "HTML")
    kind = (f"Ration card <span data-srdh-identifier=ration_card_no>"
            f"{e(card.get('ration_card_no'))}</span> ({e(card.get('card_type'))})"
            if card.get("household_source") == "ration_card" else "Inferred from KYR address")
    place = ", ".join(e(p) for p in (card.get("village"), card.get("block"), card.get("district")) if p)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Household card {e(card['household_id'])}</title>
<style>
  @page {{ size: A4; margin: 15mm; }}
  body {{ font-family: "Noto Sans", Arial, sans-serif; font-size: 11pt; color: #111; margin: 0 auto; max-width: 190mm; }}
  header {{ border-bottom: 2px solid #1b4f72; margin-bottom: 8px; }}
  h1 {{ font-size: 16pt; margin: 4px 0; color: #1b4f72; }}
  h2 {{ font-size: 12pt; margin: 14px 0 4px; }}
  table {{ border-collapse: collapse; width: 100%; }}
  th, td {{ border: 1px solid #999; padding: 3px 6px; text-align: left; vertical-align: top; }}
  th {{ background: #eaf2f8; }}
  .num {{ text-align: right; white-space: nowrap; }}
  .uid {{ font-family: monospace; white-space: nowrap; }}
  .photo img {{ width: 22mm; height: auto; }}
  dl {{ display: grid; grid-template-columns: 40mm auto; margin: 0; }}
  dt {{ font-weight: bold; }}
  footer {{ margin-top: 12px; font-size: 8pt; color: #555; }}
  @media print {{ tr {{ page-break-inside: avoid; }} }}
</style></head>
<body>
<header><h1>SRDH household card</h1><div>Government of Chhattisgarh — State Residents Data Hub</div></header>
<dl>
  <dt>Household</dt><dd class=uid>{e(card['household_id'])}</dd>
  <dt>Head of family</dt><dd>{e(card.get('head_name'))} <span class=uid>{e(card.get('head_uid_masked') or '')}</span></dd>
  <dt>Registered as</dt><dd>{kind}</dd>
  <dt>Place</dt><dd>{place or '—'} (LGD {e(card.get('village_code') or '—')})</dd>
  <dt>Benefits</dt><dd>{e(_rupees(card.get('monthly_amount_inr')))} per month</dd>
</dl>
<h2>Members</h2>
<table><thead><tr>{'<th>Photo</th>' if photos is not None else ''}<th>Name</th><th>Relation</th><th>Sex</th><th>Age</th><th>UID</th><th>Schemes</th><th>Per month</th></tr></thead>
<tbody>{rows}</tbody></table>
<h2>Nearest facilities</h2>
<table><thead><tr><th>Facility</th><th>Name</th><th>Distance</th></tr></thead><tbody>{facs}</tbody></table>
<footer>UID numbers are shown masked (last four digits only).{' Photographs shown for a stated purpose; the display is logged in the vault.' if photos is not None else ''} Printed {dt.date.today().isoformat()}.</footer>
</body></html>
"""


def write_html(card: dict[str, Any], out: str | Path,
               photos: dict[str, str] | None = None) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(card, photos), encoding="utf-8")
    return out
