"""A small serving DuckDB shaped like the dbt marts, for tests and demos.

``write_sample_serving(path)`` creates ``marts.mart_scheme_summary``,
``marts.mart_data_quality`` and ``marts.mart_district_summary`` with a handful of
deterministic rows. Works in either environment (only needs ``duckdb``).
"""

from __future__ import annotations

import os
from pathlib import Path

FOOD = "Food, Civil Supplies and Consumer Protection"
RD = "Panchayat and Rural Development"

SCHEME_ROWS = [
    # scheme_code, department, district, block, beneficiaries, uid_seeded, duplicates,
    # ghosts, deceased_active, rupees_at_risk_month
    ("PDS", FOOD, "Raipur", "Abhanpur", 1200, 1100, 12, 3, 4, 5700.0),
    ("PDS", FOOD, "Raipur", "Arang", 800, 700, 8, 2, 1, 3300.0),
    ("PDS", FOOD, "Bastar", "Jagdalpur", 900, 600, 20, 9, 5, 10200.0),
    ("PDS", FOOD, "Durg", "Patan", 700, 650, 5, 1, 2, 2400.0),
    ("NSAP_OAP", "Social Welfare", "Raipur", "Abhanpur", 300, 280, 2, 1, 6, 4500.0),
    ("NSAP_OAP", "Social Welfare", "Bastar", "Jagdalpur", 250, 200, 4, 2, 7, 6500.0),
    ("NSAP_WP", "Social Welfare", "Durg", "Patan", 150, 140, 1, 0, 3, 2000.0),
    ("MGNREGA", RD, "Raipur", "Arang", 1500, 1300, 30, 10, 8, 9600.0),
    ("MGNREGA", RD, "Bastar", "Bastanar", 1100, 800, 25, 12, 6, 8600.0),
    ("SCHOLARSHIP_PRE", "School Education", "Durg", "Bhilai", 400, 390, 3, 0, 0, 900.0),
]

DQ_ROWS = [
    # feed, batch_id, rows_loaded, rows_quarantined, quarantine_reason, seeded, review, unmatched
    ("uid_kyr", "B001", 5000, 0, None, 0, 0, 0),
    ("food_pds", "B002", 3600, 40, "bad_uid_checksum", 3100, 300, 160),
    ("food_pds", "B002", 0, 10, "missing_name", 0, 0, 0),
    ("sw_pension", "B003", 700, 15, "bad_dob", 600, 60, 25),
    ("rd_mgnrega", "B004", 2600, 30, "bad_uid_checksum", 2000, 400, 170),
    ("edu_scholarship", "B005", 400, 5, "unknown_village", 350, 30, 15),
]

DISTRICT_ROWS = [
    # district, residents, households, uid_seeded_share, latitude, longitude
    ("Raipur", 6000, 1500, 0.91, 21.2514, 81.6296),
    ("Bastar", 4000, 950, 0.72, 19.0748, 82.0080),
    ("Durg", 3500, 900, 0.95, 21.1904, 81.2849),
]


def write_sample_serving(path: str | os.PathLike[str]) -> Path:
    """Write the sample serving copy at ``path`` (replacing it atomically)."""
    import duckdb

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.sample.tmp")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        con.execute("create schema marts")
        con.execute(
            "create table marts.mart_scheme_summary (scheme_code varchar, department varchar,"
            " district varchar, block varchar, beneficiaries bigint, uid_seeded bigint,"
            " duplicates bigint, ghosts bigint, deceased_active bigint,"
            " rupees_at_risk_month double)"
        )
        con.executemany("insert into marts.mart_scheme_summary values (?,?,?,?,?,?,?,?,?,?)",
                        SCHEME_ROWS)
        con.execute(
            "create table marts.mart_data_quality (feed varchar, batch_id varchar,"
            " rows_loaded bigint, rows_quarantined bigint, quarantine_reason varchar,"
            " seeded bigint, review bigint, unmatched bigint)"
        )
        con.executemany("insert into marts.mart_data_quality values (?,?,?,?,?,?,?,?)", DQ_ROWS)
        con.execute(
            "create table marts.mart_district_summary (district varchar, residents bigint,"
            " households bigint, uid_seeded_share double, latitude double, longitude double)"
        )
        con.executemany("insert into marts.mart_district_summary values (?,?,?,?,?,?)",
                        DISTRICT_ROWS)
        con.execute("checkpoint")
    finally:
        con.close()
    os.replace(tmp, target)
    return target
