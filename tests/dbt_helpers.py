"""A synthetic warehouse shaped like what ingest and matching write, for the dbt tests
and the dbt benchmark. Independent of the generator, the ingest and the matching run:
tables follow docs/CONVENTIONS.md (``std.<feed>``) and matching/pipeline.py
(``matching.*``), with known truth built in:

* families of four (head, wife W/O head, son S/O head, daughter D/O head) at one KYR address;
* 60 % of families on a ration card (AAY 20 %, PHH 50 %, GEN 30 % of those);
* 1 in 25 heads dead (CRS record); their active pensions are deceased-active;
* ghosts: pension records matching no KYR resident (``unmatched``);
* duplicates: a second pension record for 2 % of pensioners;
* with ``unlinked=True`` (the benchmark), 1 in 25 adults also on a pension SRDH failed to
  link (``unmatched``): the name misspelt, in another word order, or listed in another
  village of the district - real people the ghost look-alike searches must find.

Everything is SQL over ``range(n)``, so 1M residents build in seconds.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

AS_OF = "2025-06-30"


def _h(expr: str, salt: str, mod: int) -> str:
    return f"CAST(hash({expr}, '{salt}') % {mod} AS BIGINT)"


def build_synthetic_warehouse(path: str | Path, residents: int = 2000,
                              unlinked: bool = False) -> dict[str, int]:
    """Write a warehouse at ``path`` with ``residents`` KYR residents; returns truth counts.
    ``unlinked`` adds the pensions SRDH failed to link (see the module docstring)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    n_fam = max(residents // 4, 1)
    n_vil = max(n_fam // 50, 10)
    con = duckdb.connect(str(path))
    for s in ("std", "matching", "quarantine", "meta"):
        con.execute(f"CREATE SCHEMA {s}")
    con.execute(f"""
    CREATE TEMP TABLE people AS
    WITH fam AS (
        SELECT f, {_h('f', 'v', n_vil)} AS v,
               ['SAHU','VERMA','YADAV','PATEL','NETAM','MARKAM','DHRUW','SINHA'][1 + {_h('f', 'ln', 8)}] AS last,
               ['RAMESH','SURESH','MAHESH','DINESH','MOHAN','GOPAL','HARI','SHYAM'][1 + {_h('f', 'hn', 8)}] AS head_first,
               ['LAXMI','SITA','GITA','RADHA','KAMLA','SUNITA','ANITA','REKHA'][1 + {_h('f', 'wn', 8)}] AS wife_first,
               1945 + {_h('f', 'by', 45)} AS head_by,
               {_h('f', 'house', 10)} <> 0 AS has_house,
               {_h('f', 'pds', 10)} < 6 AS on_pds,
               CASE WHEN {_h('f', 'card', 10)} < 2 THEN 'AAY' WHEN {_h('f', 'card', 10)} < 7 THEN 'PHH'
                    ELSE 'GEN' END AS card_type,
               {_h('f', 'dead', 25)} = 0 AS head_dead,
               {_h('f', 'nrega', 10)} < 3 AS on_nrega
        FROM range({n_fam}) t(f)
    )
    SELECT 4 * f + m AS i, m, fam.*,
           CASE m WHEN 0 THEN head_first WHEN 1 THEN wife_first
                  WHEN 2 THEN ['RAJU','ANIL','SUNIL','VIJAY'][1 + {_h('f', 'sn', 4)}]
                  ELSE ['MEENA','USHA','ASHA','PUSHPA'][1 + {_h('f', 'dn', 4)}] END AS first,
           CASE WHEN m IN (0, 2) THEN 'M' ELSE 'F' END AS gender,
           CASE m WHEN 0 THEN head_by WHEN 1 THEN head_by + 3
                  WHEN 2 THEN 2005 + {_h('f', 'sby', 15)} ELSE 2008 + {_h('f', 'dby', 12)} END AS byear,
           CASE m WHEN 0 THEN NULL WHEN 1 THEN 'W/O' WHEN 2 THEN 'S/O' ELSE 'D/O' END AS rel,
           'D' || (v % 5) AS district, 'B' || (v % 15) AS block, 'V' || v AS village,
           'LGD' || lpad(v::varchar, 6, '0') AS village_code,
           upper(translate(left(md5('t' || (4 * f + m)), 16), '0123456789', 'ghijklmnop')) AS token
    FROM fam CROSS JOIN range(4) r(m)
    """)
    person_cols = """
        source VARCHAR, source_record_id VARCHAR, batch_id VARCHAR, source_row BIGINT,
        name_raw VARCHAR, name_std VARCHAR, honorific VARCHAR, first_name VARCHAR,
        middle_name VARCHAR, last_name VARCHAR, name_key VARCHAR, first_name_key VARCHAR,
        last_name_key VARCHAR, relative_name_std VARCHAR, relative_name_key VARCHAR,
        relation_type VARCHAR, gender VARCHAR, dob DATE, dob_precision VARCHAR,
        birth_year INTEGER, birth_year_min INTEGER, birth_year_max INTEGER,
        district_std VARCHAR, block_std VARCHAR, village_std VARCHAR, village_code VARCHAR,
        mobile VARCHAR, uid_token VARCHAR, uid_last4 VARCHAR, uid_valid BOOLEAN,
        household_ref VARCHAR"""

    def person_select(source: str, rid: str, batch: str, *, dob: bool = False,
                      uid: str = "NULL", last4: str = "NULL", valid: str = "NULL",
                      household: str = "NULL", name: str = "first || ' ' || last") -> str:
        return f"""
        SELECT '{source}', {rid}, '{source}/{batch}', row_number() OVER (), {name}, {name}, NULL,
               first, NULL, last, NULL, NULL, NULL,
               CASE WHEN m = 0 THEN NULL ELSE head_first || ' ' || last END, NULL, rel, gender,
               {"make_date(byear, 1 + i % 12, 1 + i % 28)" if dob else "NULL"},
               {"'day'" if dob else "'age'"}, byear, byear - 1, byear + 1,
               district, block, village, village_code, NULL, {uid}, {last4}, {valid}, {household}"""

    # KYR
    con.execute(f"CREATE TABLE std.uid_kyr ({person_cols}, house VARCHAR, street VARCHAR, "
                "loc VARCHAR, pc VARCHAR, last_updated TIMESTAMP, action VARCHAR)")
    con.execute(f"""INSERT INTO std.uid_kyr {person_select('uid_kyr', 'token', '2025-01-01',
                    dob=True, uid='token', last4="lpad((i % 10000)::varchar, 4, '0')",
                    valid='true')},
        CASE WHEN has_house THEN 'H-' || f END, 'MAIN ROAD', NULL, '492001',
        TIMESTAMP '2024-12-01 10:00:00', 'A' FROM people""")
    # PDS
    con.execute(f"CREATE TABLE std.food_pds ({person_cols}, card_type VARCHAR, "
                "relation_with_hof VARCHAR, fps_code VARCHAR, scheme_code VARCHAR, "
                "monthly_amount_inr DOUBLE)")
    con.execute(f"""INSERT INTO std.food_pds {person_select('food_pds', "'M' || i", '2025-03-01',
                    household="'RC' || f")},
        card_type, ['SELF','WIFE','SON','DAUGHTER'][m + 1], 'FPS1', 'PDS',
        CASE card_type WHEN 'AAY' THEN 350 WHEN 'GEN' THEN 0 ELSE 175 END
        FROM people WHERE on_pds""")
    # pensions: heads 60+ (60 %), widows of dead heads (half), ghosts, duplicates
    con.execute(f"CREATE TABLE std.sw_pension ({person_cols}, scheme_code VARCHAR, "
                "scheme_status VARCHAR, monthly_amount_inr DOUBLE, sanction_date DATE)")
    con.execute(f"""INSERT INTO std.sw_pension {person_select('sw_pension', "'P' || i", '2025-03-01')},
        CASE WHEN m = 0 THEN 'IGNOAPS' ELSE 'IGNWPS' END,
        CASE WHEN {_h('i', 'stop', 20)} = 0 THEN 'STOPPED' ELSE 'ACTIVE' END, 500, DATE '2015-04-01'
        FROM people
        WHERE (m = 0 AND byear <= 1963 AND {_h('i', 'pen', 10)} < 6)
           OR (m = 1 AND head_dead AND {_h('i', 'wid', 2)} = 0)""")
    con.execute(f"""INSERT INTO std.sw_pension {person_select('sw_pension', "'PD' || i", '2025-03-01')},
        'IGNOAPS', 'ACTIVE', 500, DATE '2018-04-01'
        FROM people WHERE m = 0 AND byear <= 1963 AND {_h('i', 'pen', 10)} < 6 AND {_h('i', 'dup', 50)} = 0""")
    n_ghost = max(n_fam // 25, 2)
    con.execute(f"""INSERT INTO std.sw_pension
        SELECT 'sw_pension', 'PG' || g, 'sw_pension/2025-03-01', 100000 + g, 'GHOST G' || g,
               'GHOST NAME N' || g, NULL, 'GHOST', NULL, 'NAME' || g, NULL, NULL, NULL, NULL, NULL,
               NULL, 'M', NULL, 'age', 1950, 1949, 1951, 'D' || (g % 5), 'B' || (g % 15),
               'V' || (g % {n_vil}), 'LGD' || lpad((g % {n_vil})::varchar, 6, '0'), NULL,
               NULL, NULL, NULL, NULL, 'IGNOAPS', 'ACTIVE', 500, DATE '2019-04-01'
        FROM range({n_ghost}) t(g)""")
    if unlinked:
        # a misspelt name (a doubled vowel), the words swapped, or another village (v + 5,
        # the same district) - each a different look-alike search of int_enrolment_flags
        how = _h("i", "how", 3)
        name = f"CASE WHEN {how} = 1 THEN last || ' ' || first ELSE first || ' ' || last END"
        con.execute(f"""INSERT INTO std.sw_pension {person_select(
                            'sw_pension', "'PU' || i", '2025-03-01', name=name)},
            'IGNOAPS', 'ACTIVE', 500, DATE '2020-04-01'
            FROM (SELECT * REPLACE (
                      CASE WHEN {how} = 0 THEN regexp_replace(first, 'A', 'AA') ELSE first END
                          AS first,
                      CASE WHEN {how} = 2 THEN 'V' || (v + 5) ELSE village END AS village,
                      CASE WHEN {how} = 2 THEN 'LGD' || lpad((v + 5)::varchar, 6, '0')
                           ELSE village_code END AS village_code)
                  FROM people)
            WHERE m <= 1 AND {_h('i', 'unl', 25)} = 0""")
    # scholarships (children 6-17, half), MGNREGA (adults in 30 % of families)
    # scheme_code / monthly_amount_inr as the ingest derives them (registry `scheme:`)
    con.execute(f"CREATE TABLE std.edu_scholarship ({person_cols}, scheme_code VARCHAR, "
                "monthly_amount_inr INTEGER, amount_inr BIGINT, udise_code VARCHAR, class BIGINT)")
    con.execute(f"""INSERT INTO std.edu_scholarship {person_select('edu_scholarship', "'S' || i",
                    '2025-02-01', dob=True)}, 'PRE_MATRIC', 100, 1200, '22010100101', 5
        FROM people WHERE m >= 2 AND year(DATE '{AS_OF}') - byear BETWEEN 7 AND 16
          AND {_h('i', 'sch', 2)} = 0""")
    con.execute(f"CREATE TABLE std.rd_mgnrega ({person_cols}, scheme_code VARCHAR, "
                "monthly_amount_inr INTEGER, wages_paid_inr BIGINT, days_worked_fy BIGINT)")
    con.execute(f"""INSERT INTO std.rd_mgnrega {person_select('rd_mgnrega', "'W' || i", '2025-03-01',
                    household="'JC' || f")}, 'MGNREGA', 2000, 24000, 100
        FROM people WHERE on_nrega AND m <= 1""")
    # deaths
    con.execute(f"CREATE TABLE std.crs_death ({person_cols}, date_of_death DATE, "
                "age_at_death BIGINT)")
    con.execute(f"""INSERT INTO std.crs_death {person_select('crs_death', "'CRS' || i", '2025-01-15')},
        DATE '2024-06-15', 2024 - byear FROM people WHERE m = 0 AND head_dead""")
    # reference feeds (for the proximity models)
    con.execute(f"""CREATE TABLE std.lgd_villages AS
        SELECT 'LGD' || lpad(v::varchar, 6, '0') AS village_code, 'V' || v AS village_name,
               'B' || (v % 15) AS block_name, 'D' || (v % 5) AS district_name, '492001' AS pincode,
               18.0 + CAST(hash(v, 'lat') % 6000 AS BIGINT) / 1000.0 AS latitude,
               80.5 + CAST(hash(v, 'lon') % 3800 AS BIGINT) / 1000.0 AS longitude,
               'Y' AS all_weather_road, 'Y' AS electrified,
               'lgd_villages/2025-01-01' AS batch_id, v + 1 AS source_row
        FROM range({n_vil}) t(v)""")
    con.execute(f"""CREATE TABLE std.facilities AS
        SELECT 'F' || k AS facility_id,
               ['PHC','SCHOOL','ANGANWADI','CHC','DISTRICT_HOSPITAL','RAILWAY_STATION'][1 + k % 6]
                   AS facility_type,
               'FACILITY ' || k AS facility_name, 'D' || (k % 5) AS district_name,
               'B' || (k % 15) AS block_name, NULL AS village_code,
               18.0 + CAST(hash(k, 'flat') % 6000 AS BIGINT) / 1000.0 AS latitude,
               80.5 + CAST(hash(k, 'flon') % 3800 AS BIGINT) / 1000.0 AS longitude, NULL AS udise_code,
               'facilities/2025-01-01' AS batch_id, k + 1 AS source_row
        FROM range({max(n_vil // 2, 12)}) t(k)""")
    # matching: every linked record seeded to its KYR resident, except ghosts (unmatched)
    # and 3 % of real records (review, left in a cluster of their own)
    feeds = ["food_pds", "sw_pension", "edu_scholarship", "rd_mgnrega", "crs_death"]
    union = " UNION ALL ".join(
        f"SELECT '{f}' AS source, source_record_id, name_std FROM std.{f}" for f in feeds)
    con.execute(f"""CREATE TEMP TABLE links AS
        SELECT r.source, r.source_record_id,
               CASE WHEN r.source_record_id LIKE 'PG%' OR r.source_record_id LIKE 'PU%' THEN NULL
                    ELSE regexp_extract(r.source_record_id, '([0-9]+)$', 1)::bigint END AS i
        FROM ({union}) r""")
    con.execute(f"""CREATE TEMP TABLE linked AS
        SELECT l.*, p.token,
               CASE WHEN l.i IS NULL THEN 'unmatched'
                    WHEN {_h('l.source || l.source_record_id', 'rev', 33)} = 0 THEN 'review'
                    ELSE 'seeded' END AS match_status
        FROM links l LEFT JOIN people p ON p.i = l.i""")
    con.execute("""CREATE TABLE matching.residents AS
        SELECT 'uid_kyr' AS source, token AS record_id, 'uid_kyr|' || token AS resident_id
        FROM people
        UNION ALL
        SELECT source, source_record_id,
               CASE WHEN match_status = 'seeded' THEN 'uid_kyr|' || token
                    ELSE source || '|' || source_record_id END
        FROM linked""")
    con.execute("""CREATE TABLE matching.seeding AS
        SELECT l.source, l.source_record_id,
               CASE WHEN match_status = 'seeded' THEN token END AS uid_token,
               token AS candidate_uid_token,
               CASE match_status WHEN 'seeded' THEN 0.999 WHEN 'review' THEN 0.6 ELSE 0.01 END
                   AS match_probability,
               10.0 AS match_weight, NULL::DOUBLE AS runner_up_weight, match_status,
               CASE match_status WHEN 'seeded' THEN 'best_link' WHEN 'review' THEN 'below_seed'
                    ELSE 'no_candidate' END AS reason,
               r.resident_id, DATE '2025-06-30' AS run_date
        FROM linked l JOIN matching.residents r
          ON r.source = l.source AND r.record_id = l.source_record_id""")
    con.execute("""CREATE TABLE matching.duplicates AS
        WITH g AS (
            SELECT source, record_id, resident_id,
                   count(*) OVER (PARTITION BY source, resident_id) AS n
            FROM matching.residents WHERE source <> 'uid_kyr')
        SELECT source, record_id AS source_record_id,
               source || '-' || dense_rank() OVER (PARTITION BY source ORDER BY resident_id)
                   AS duplicate_group, resident_id
        FROM g WHERE n > 1""")
    con.execute(f"""CREATE TABLE matching.preseeded_disagreements AS
        SELECT 'food_pds' AS source, source_record_id, 'ABCD' AS preseeded_uid_token,
               '1234' AS preseeded_uid_last4, false AS uid_valid, false AS token_in_kyr,
               'invalid_checksum' AS reason
        FROM std.food_pds WHERE {_h('source_record_id', 'pre', 100)} = 0""")
    con.execute("""CREATE TABLE quarantine.rows AS
        SELECT 'food_pds' AS feed, 'food_pds/2025-03-01' AS batch_id, 'members.csv' AS file_name,
               file_sha256, source_row, column_name, reason, NULL AS raw_json,
               NULL AS uid_token, TIMESTAMP '2025-03-02 00:00:00' AS quarantined_at
        FROM (VALUES ('x', 900001, 'age', 'age ''abc'' is not a whole number'),
                     ('x', 900002, 'gender', 'gender ''Q'' is not one of M, F, T'),
                     ('x', 900002, 'age', 'age is required')) v(file_sha256, source_row,
                                                               column_name, reason)""")
    con.execute("""CREATE TABLE meta.batches AS
        SELECT DISTINCT batch_id, split_part(batch_id, '/', 1) AS feed,
               split_part(batch_id, '/', 2)::date AS batch_date
        FROM (SELECT batch_id FROM std.uid_kyr UNION SELECT batch_id FROM std.food_pds
              UNION SELECT batch_id FROM std.sw_pension UNION SELECT batch_id FROM std.crs_death
              UNION SELECT batch_id FROM std.edu_scholarship
              UNION SELECT batch_id FROM std.rd_mgnrega)""")
    truth = {
        "residents": con.execute("SELECT count(*) FROM people").fetchone()[0],
        "ghost_pensions": n_ghost,
        "unlinked_pensions": con.execute(
            "SELECT count(*) FROM std.sw_pension WHERE source_record_id LIKE 'PU%'").fetchone()[0],
        "dead_heads": con.execute("SELECT count(*) FROM std.crs_death").fetchone()[0],
        "unmatched": con.execute(
            "SELECT count(*) FROM linked WHERE match_status = 'unmatched'").fetchone()[0],
    }
    con.close()
    return truth
