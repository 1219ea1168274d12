"""Places: district, block and village names resolved to the village master's current names.

Resolution works on the distinct (district, block, village) spellings of a feed, in SQL:

1. normalise (upper case, punctuation to spaces) and map through the alias table
   ``reference/place_aliases.csv`` (alias, canonical, kind): both the delivered name and
   the master's name are reduced to their alias key, so the table works whatever
   spelling the master uses;
2. district: exact key match; else the name without brackets and state tags
   (``place_words.csv``); else the one known district (master, split parent or alias)
   closest to the whole name, when no other is as close; else the one known district
   its words name; else the best Jaro-Winkler match >= 0.88 among master names (ties by
   name);
3. district splits (``reference/district_splits.csv``: child, parent, year): a record
   still carrying a parent district's name is moved to the child district whose blocks
   (else villages) contain the record's block (village);
4. block within the district: exact key, else best Jaro-Winkler >= 0.88;
5. village within the block (or the district when no block is given): exact, else the
   name without ward numbers and village words (not to a village of another number),
   else the one village a single typo away (a name of 6 letters or more), else best
   Jaro-Winkler >= 0.90 (a cleaned name from 6 letters; never a village of another
   number); a name found in several places of the district, or as close to two villages
   (or a typo from two), stays unresolved.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

REFERENCE = Path(__file__).resolve().parent.parent / "reference"
DISTRICT_JW = 0.88
BLOCK_JW = 0.88
VILLAGE_JW = 0.90
#: a village name one typo from a single master village is that village from this length
#: (a shorter one is a word of its own: "BORI" / "BORIA", "SIRRI" / "SIRI")
ONE_EDIT_MIN_LETTERS = 6

NORM_MACRO = ("CREATE OR REPLACE TEMP MACRO srdh_place_norm(s) AS nullif(trim(regexp_replace("
              "upper(s), '[^A-Z0-9]+', ' ', 'g')), '')")


# The place a name is, without what is written around it (issue 17): "Bori (Ward 12)", "Bori
# W.No. 3", "Gram Bana", "Kawardha (Kabirdham)", "Dhamtari C.G.". A ward number or a village
# word cost a short village name its match (JW("BORI WARD 12", "BORI") = 0.87), and a
# bracketed headquarters town or a state tag its district. The core drops bracketed text
# (districts only: a village's brackets hold its ward), the words of
# ``reference/place_words.csv``, numbers and single letters; it is tried only where the
# name as written found nothing, so a master name with a number in it still matches as is.
def _core_macros() -> str:
    from ingest.standardise.names import place_words

    words = ", ".join("'" + w.replace("'", "''") + "'" for w in sorted(place_words()))
    core = ("nullif(array_to_string(list_filter(string_split(coalesce({x}, ''), ' '), "
            f"lambda t: length(t) > 1 AND NOT regexp_full_match(t, '[0-9]+') "
            f"AND t NOT IN ({words})), ' '), '')")
    no_brackets = r"srdh_place_norm(regexp_replace(s, '\([^)]*\)', ' ', 'g'))"
    # two names with numbers, and the numbers differ ("NAWAGAON 2" / "NAWAGAON 1"): never
    # one place, however alike the letters (a name without a number says nothing)
    number = "nullif(regexp_extract({x}, '[0-9]+'), '')"
    return (f"CREATE OR REPLACE TEMP MACRO srdh_place_core(s) AS "
            f"{core.format(x='srdh_place_norm(s)')}; "
            f"CREATE OR REPLACE TEMP MACRO srdh_district_core(s) AS "
            f"{core.format(x=no_brackets)}; "
            f"CREATE OR REPLACE TEMP MACRO srdh_other_number(a, b) AS "
            f"coalesce({number.format(x='a')} <> {number.format(x='b')}, false);")


def _load_reference(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(NORM_MACRO)
    con.execute(_core_macros())
    aliases = str(REFERENCE / "place_aliases.csv").replace("'", "''")
    splits = str(REFERENCE / "district_splits.csv").replace("'", "''")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _alias AS
        SELECT DISTINCT srdh_place_norm(alias) AS n, srdh_place_norm(canonical) AS k,
               lower(trim(kind)) AS kind
        FROM read_csv('{aliases}', header=true, all_varchar=true)""")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _splits_raw AS
        SELECT child, parent, CAST(year AS INTEGER) AS year
        FROM read_csv('{splits}', header=true, all_varchar=true)""")


def _key(expr: str, kind: str) -> str:
    n = f"srdh_place_norm({expr})"
    return (f"coalesce((SELECT any_value(k) FROM _alias a WHERE a.n = {n} "
            f"AND a.kind = '{kind}'), {n})")


def prepared(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary "
                            "AND table_name = '_mv'").fetchone()[0])


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """The master's places and the split history as temp tables (once per rebuild)."""
    _load_reference(con)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _mv AS
        SELECT village_code, village_name, block_name, district_name,
               {_key('district_name', 'district')} AS dk, {_key('block_name', 'block')} AS bk,
               srdh_place_norm(village_name) AS vn, srdh_place_core(village_name) AS vc
        FROM std.lgd_villages WHERE village_code IS NOT NULL;
        CREATE OR REPLACE TEMP TABLE _md AS
            SELECT DISTINCT district_name AS name, dk FROM _mv;
        CREATE OR REPLACE TEMP TABLE _mb AS
            SELECT DISTINCT district_name, block_name, bk FROM _mv;
        -- split history: ancestor (as an alias key, whatever its spelling) -> master child
        CREATE OR REPLACE TEMP TABLE _split AS
        WITH RECURSIVE s AS (
            SELECT {_key('r.parent', 'district')} AS parent_k, c.name AS child, c.dk AS child_k
            FROM _splits_raw r JOIN _md c ON c.dk = {_key('r.child', 'district')}),
        closure(ancestor_k, child, child_k) AS (
            SELECT parent_k, child, child_k FROM s
            UNION
            SELECT c.ancestor_k, s.child, s.child_k FROM closure c JOIN s ON s.parent_k = c.child_k)
        SELECT ancestor_k, child FROM closure;
        -- every district key a feed may mean: the master's, and the parents of its splits
        CREATE OR REPLACE TEMP TABLE _dk_known AS
            SELECT dk AS k FROM _md UNION SELECT ancestor_k FROM _split;
        -- the names a loose spelling is compared with: the keys and their aliases
        -- ("Mohala-Manpur" is close to the alias "Mohla Manpur", not to the master's name)
        CREATE OR REPLACE TEMP TABLE _dk_named AS
            SELECT k AS n, k FROM _dk_known
            UNION SELECT n, k FROM _alias WHERE kind = 'district'
                AND k IN (SELECT k FROM _dk_known);
    """)


def drop_prepared(con: duckdb.DuckDBPyConnection) -> None:
    for t in ("_mv", "_md", "_mb", "_split", "_alias", "_splits_raw", "_dk_known",
              "_dk_named", "_dtok", "_dfuzzy"):
        con.execute(f"DROP TABLE IF EXISTS {t}")


def resolve(con: duckdb.DuckDBPyConnection, combos: str, out: str) -> None:
    """``combos`` has columns d, b, v (raw text); creates ``out`` with d, b, v,
    district_std, block_std, village_std, village_code."""
    has_master = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema='std' "
        "AND table_name='lgd_villages'").fetchone()[0]
    if not has_master:
        con.execute(f"""CREATE OR REPLACE TEMP TABLE {out} AS SELECT d, b, v,
            NULL::VARCHAR AS district_std, NULL::VARCHAR AS block_std,
            NULL::VARCHAR AS village_std, NULL::VARCHAR AS village_code FROM {combos}""")
        return
    if not prepared(con):
        prepare(con)
    con.execute(f"""
        -- a district key no master district or split parent has: its core (no brackets,
        -- state tag), else the closest known key (a parent's name spelled loosely: the
        -- split step below then finds the child district)
        CREATE OR REPLACE TEMP TABLE _p00 AS
        SELECT d, b, v, {_key('d', 'district')} AS dk0,
               {_key('srdh_district_core(d)', 'district')} AS dkc,
               {_key('b', 'block')} AS bk, srdh_place_norm(v) AS vn,
               srdh_place_core(v) AS vc FROM {combos};
        -- a district written with its headquarters town or a town of it, no brackets
        -- ("Bastar Jagdalpur", "Pendra Road"): the one known district its words name
        CREATE OR REPLACE TEMP TABLE _dtok AS
        WITH t AS (SELECT DISTINCT dkc, unnest(string_split(dkc, ' ')) AS tok FROM _p00
                   WHERE dkc IS NOT NULL),
        m AS (SELECT DISTINCT t.dkc, coalesce(a.k, t.tok) AS k FROM t
              LEFT JOIN _alias a ON a.n = t.tok AND a.kind = 'district')
        SELECT dkc, min(k) AS k FROM m WHERE k IN (SELECT k FROM _dk_known)
        GROUP BY dkc HAVING count(DISTINCT k) = 1;
        -- the whole name close to one known district (or an alias of it) and to no other
        -- as close: "KORVA" is as close to KORBA as to the aliases KORIA / KOREA of Koriya,
        -- so it is left to the master-name step below (a tie picked by thread order sent
        -- records to either district run by run: independent review)
        CREATE OR REPLACE TEMP TABLE _dfuzzy AS
        WITH s AS (SELECT DISTINCT p.dkc, n.k, jaro_winkler_similarity(p.dkc, n.n) AS s
                   FROM (SELECT DISTINCT dkc FROM _p00 WHERE dkc IS NOT NULL) p, _dk_named n
                   WHERE jaro_winkler_similarity(p.dkc, n.n) >= {DISTRICT_JW}),
        best AS (SELECT dkc, k, max(s) AS s FROM s GROUP BY dkc, k),
        top AS (SELECT dkc, k, s, max(s) OVER (PARTITION BY dkc) AS top FROM best)
        SELECT dkc, min(k) AS k FROM top WHERE s = top
        GROUP BY dkc HAVING count(*) = 1;
        CREATE OR REPLACE TEMP TABLE _p0 AS
        SELECT p.d, p.b, p.v, CASE
            WHEN p.dk0 IS NULL OR p.dk0 IN (SELECT k FROM _dk_known) THEN p.dk0
            WHEN p.dkc IN (SELECT k FROM _dk_known) THEN p.dkc
            -- the whole name before its words: "Uttar Bastar" is Kanker, not Bastar
            ELSE coalesce((SELECT k FROM _dfuzzy WHERE _dfuzzy.dkc = p.dkc),
                          (SELECT k FROM _dtok WHERE _dtok.dkc = p.dkc), p.dk0)
            END AS dk, p.bk, p.vn, p.vc
        FROM _p00 p;
        -- district: exact key, else fuzzy
        CREATE OR REPLACE TEMP TABLE _p1 AS
        SELECT p.*, coalesce(
            (SELECT any_value(name) FROM _md WHERE _md.dk = p.dk),
            (SELECT first(name ORDER BY jaro_winkler_similarity(p.dk, _md.dk) DESC, name)
             FROM _md WHERE jaro_winkler_similarity(p.dk, _md.dk) >= {DISTRICT_JW})) AS d1
        FROM _p0 p;
        -- split: a parent's name moves to the (descendant) district holding the block/village
        CREATE OR REPLACE TEMP TABLE _p2 AS
        WITH cand AS (
            SELECT p.d, p.b, p.v, x.district AS dc FROM _p1 p,
            LATERAL (SELECT p.d1 AS district UNION SELECT child FROM _split
                     WHERE ancestor_k = p.dk) x
            WHERE x.district IS NOT NULL),
        byblock AS (
            SELECT c.d, c.b, c.v, min(c.dc) AS dd, count(DISTINCT c.dc) AS nd
            FROM cand c JOIN _p1 p ON p.d IS NOT DISTINCT FROM c.d
                AND p.b IS NOT DISTINCT FROM c.b AND p.v IS NOT DISTINCT FROM c.v
            JOIN _mb ON _mb.district_name = c.dc AND _mb.bk = p.bk
            GROUP BY ALL),
        -- the block misspelt too ("Raigarh" / "Sarhangarh"): the candidate district with
        -- the block closest to it, when no other candidate has one as close (a block name
        -- tells more than a village name, which many districts share; on a tie the
        -- village decides)
        close AS (
            SELECT c.d, c.b, c.v, c.dc,
                   max(jaro_winkler_similarity(_mb.bk, p.bk)) AS s
            FROM cand c JOIN _p1 p ON p.d IS NOT DISTINCT FROM c.d
                AND p.b IS NOT DISTINCT FROM c.b AND p.v IS NOT DISTINCT FROM c.v
            JOIN _mb ON _mb.district_name = c.dc
                AND jaro_winkler_similarity(_mb.bk, p.bk) >= {BLOCK_JW}
            GROUP BY ALL),
        byblock_close AS (
            SELECT d, b, v, arg_max(dc, s) AS dd,
                   count(*) FILTER (WHERE s = top) AS nd
            FROM (SELECT *, max(s) OVER (PARTITION BY d, b, v) AS top FROM close)
            GROUP BY d, b, v),
        byvillage AS (
            SELECT c.d, c.b, c.v, min(c.dc) AS dd, count(DISTINCT c.dc) AS nd
            FROM cand c JOIN _p1 p ON p.d IS NOT DISTINCT FROM c.d
                AND p.b IS NOT DISTINCT FROM c.b AND p.v IS NOT DISTINCT FROM c.v
            JOIN _mv ON _mv.district_name = c.dc AND _mv.vn = p.vn
            GROUP BY ALL)
        SELECT p.*, coalesce(
            CASE WHEN bb.nd = 1 THEN bb.dd END,
            CASE WHEN bb.nd IS NULL AND bc.nd = 1 THEN bc.dd END,
            CASE WHEN bb.nd IS NULL AND coalesce(bc.nd, 0) <> 1 AND bv.nd = 1 THEN bv.dd END,
            p.d1) AS district_std
        FROM _p1 p
        LEFT JOIN byblock bb ON p.d IS NOT DISTINCT FROM bb.d AND p.b IS NOT DISTINCT FROM bb.b
            AND p.v IS NOT DISTINCT FROM bb.v
        LEFT JOIN byblock_close bc ON p.d IS NOT DISTINCT FROM bc.d
            AND p.b IS NOT DISTINCT FROM bc.b AND p.v IS NOT DISTINCT FROM bc.v
        LEFT JOIN byvillage bv ON p.d IS NOT DISTINCT FROM bv.d
            AND p.b IS NOT DISTINCT FROM bv.b AND p.v IS NOT DISTINCT FROM bv.v;
        -- block within the district
        CREATE OR REPLACE TEMP TABLE _p3 AS
        SELECT p.*, CASE WHEN p.bk IS NOT NULL THEN coalesce(
            (SELECT any_value(block_name) FROM _mb
             WHERE _mb.district_name = p.district_std AND _mb.bk = p.bk),
            (SELECT arg_max(block_name, jaro_winkler_similarity(p.bk, _mb.bk)) FROM _mb
             WHERE _mb.district_name = p.district_std
               AND jaro_winkler_similarity(p.bk, _mb.bk) >= {BLOCK_JW})) END AS block_std
        FROM _p2 p;
        -- village within the block (or district)
        CREATE OR REPLACE TEMP TABLE _p4 AS
        WITH scope AS (
            SELECT p.d, p.b, p.v, p.vn, p.vc, _mv.village_code, _mv.village_name,
                   _mv.vn AS mvn, _mv.vc AS mvc
            FROM _p3 p JOIN _mv ON _mv.district_name = p.district_std
             AND (p.block_std IS NULL OR _mv.block_name = p.block_std)
            WHERE p.vn IS NOT NULL),
        exact AS (
            SELECT d, b, v, min(village_code) AS code, count(*) AS n FROM scope
            WHERE vn = mvn GROUP BY ALL),
        -- the cores (no ward number, no village word), where the names as written differ
        -- ("NAWAGAON 2" is not the master's "NAWAGAON 1": two numbers that differ)
        exact_core AS (
            SELECT d, b, v, min(village_code) AS code, count(*) AS n,
                   bool_and(NOT srdh_other_number(vn, mvn)) AS same_number
            FROM scope WHERE vc = mvc GROUP BY ALL),
        -- one letter dropped, added, changed or two swapped ("NNDANPALI BADA", "GNGAGAON",
        -- "KAANHARBHATA"): Jaro-Winkler marks a slip near the start hard (0.85, 0.89,
        -- 0.88), under the fuzzy cut, though the name is one typo from a single village.
        -- A name (or its core) of ONE_EDIT_MIN_LETTERS letters or more (spaces and numbers
        -- not counted: "BORA 3" is no longer than BORA), one edit from exactly one
        -- village of the scope, is that village; from two, it stays unresolved (no fall
        -- back to the closer by Jaro-Winkler); another number is never one edit away
        -- (only names that found nothing exactly: the regexes and edit distances run per
        -- name and master village, and took the 1M ingest from 50 to 145 s over all names)
        pending AS (
            SELECT s.* FROM scope s
            ANTI JOIN exact e ON s.d IS NOT DISTINCT FROM e.d
                AND s.b IS NOT DISTINCT FROM e.b AND s.v IS NOT DISTINCT FROM e.v
            ANTI JOIN exact_core c ON s.d IS NOT DISTINCT FROM c.d
                AND s.b IS NOT DISTINCT FROM c.b AND s.v IS NOT DISTINCT FROM c.v),
        one_edit AS (
            SELECT d, b, v, min(village_code) AS code, count(DISTINCT village_code) AS n
            FROM pending
            WHERE NOT srdh_other_number(vn, mvn)
              AND ((length(regexp_replace(vn, '[^A-Z]', '', 'g')) >= {ONE_EDIT_MIN_LETTERS}
                    AND damerau_levenshtein(vn, mvn) = 1)
                OR (length(regexp_replace(vc, '[^A-Z]', '', 'g')) >= {ONE_EDIT_MIN_LETTERS}
                    AND damerau_levenshtein(vc, mvc) = 1))
            GROUP BY ALL),
        -- a core is fuzzy-matched only when long enough to say something ("BORI" from
        -- "Bori (Ward 12)" is 0.96 to "BORIA"); ties go to the lower code, not to chance
        -- a master village with another number is no candidate ("NAWAGAO 2" / "NAWAGAON
        -- 1"); two villages equally close leave the name unresolved, as two exact ones do
        scored AS (
            SELECT d, b, v, village_code, CASE
                WHEN srdh_other_number(vn, mvn) THEN 0
                ELSE greatest(jaro_winkler_similarity(vn, mvn),
                   coalesce(CASE WHEN length(vc) >= 6 THEN jaro_winkler_similarity(vc, mvc)
                            END, 0)) END AS s
            FROM scope),
        fuzzy AS (
            SELECT d, b, v, min(village_code) AS code, max(s) AS s FROM (
                SELECT *, max(s) OVER (PARTITION BY d, b, v) AS top FROM scored)
            WHERE s = top GROUP BY d, b, v HAVING count(*) = 1)
        SELECT p.*, CASE WHEN e.n = 1 THEN e.code
                         WHEN e.n IS NULL AND c.n = 1 AND c.same_number THEN c.code
                         WHEN e.n IS NULL AND c.n IS NULL AND o.n = 1 THEN o.code
                         WHEN e.n IS NULL AND c.n IS NULL AND o.n IS NULL
                              AND f.s >= {VILLAGE_JW} THEN f.code END AS vcode
        FROM _p3 p
        LEFT JOIN exact e ON p.d IS NOT DISTINCT FROM e.d AND p.b IS NOT DISTINCT FROM e.b
            AND p.v IS NOT DISTINCT FROM e.v
        LEFT JOIN exact_core c ON p.d IS NOT DISTINCT FROM c.d AND p.b IS NOT DISTINCT FROM c.b
            AND p.v IS NOT DISTINCT FROM c.v
        LEFT JOIN one_edit o ON p.d IS NOT DISTINCT FROM o.d
            AND p.b IS NOT DISTINCT FROM o.b AND p.v IS NOT DISTINCT FROM o.v
        LEFT JOIN fuzzy f ON p.d IS NOT DISTINCT FROM f.d AND p.b IS NOT DISTINCT FROM f.b
            AND p.v IS NOT DISTINCT FROM f.v;
        CREATE OR REPLACE TEMP TABLE {out} AS
        SELECT p.d, p.b, p.v, p.district_std,
               coalesce(p.block_std, CASE WHEN p.vcode IS NOT NULL THEN mv.block_name END)
                   AS block_std,
               mv.village_name AS village_std, p.vcode AS village_code
        FROM _p4 p LEFT JOIN _mv mv ON mv.village_code = p.vcode;
    """)
