"""Two baselines SRDH must beat, run on the same ``std`` inputs.

1. ``exact``: what departments do today - exact match on normalised name + year of
   birth + district. A record with exactly one KYR candidate is seeded; several
   candidates go to review; none is unmatched. Records of a source sharing the key
   are its duplicates.
2. ``splink_tutorial``: the settings a newcomer would copy from Splink 5's
   quickstart (README of splink 5.0.0): Jaro-Winkler first name, Jaro surname,
   DateOfBirthComparison(year, month), exact city (here: district) with term
   frequencies, blocking on first name or surname, lambda from a deterministic
   rule at recall 0.7, u from 1e6 random pairs, EM on (first_name, surname) and
   dob, predictions at weight > -10 and a 0.95 clustering threshold. The email
   comparison is dropped (no email in the feeds). Seeding takes each record's
   best KYR candidate at p >= 0.95; dedupe runs the quickstart on each source.

Both return a DataFrame ``source, source_record_id, match_status, uid_token,
resident_id, match_probability`` like ``matching.seeding``.
"""

from __future__ import annotations

import logging
import time

import pandas as pd

from matching.inputs import KYR

log = logging.getLogger(__name__)
# Splink's training warnings ("level not observed", "max_pairs") are about the tutorial's
# model, the baseline, not SRDH's: errors only (a skipped EM session is still logged below)
QUIET = logging.ERROR

OUT_COLUMNS = ["source", "source_record_id", "match_status", "uid_token", "resident_id",
               "match_probability"]


def exact_baseline(con, kyr, feeds: list) -> pd.DataFrame:
    parts = []
    for f in feeds:
        parts.append(con.execute(f"""
            WITH k AS (
                SELECT name_std, birth_year, district_std,
                       count(*) AS n, min(unique_id) AS uid_token
                FROM {kyr.table}
                WHERE name_std IS NOT NULL AND birth_year IS NOT NULL
                  AND district_std IS NOT NULL
                GROUP BY ALL
            )
            SELECT '{f.feed}' AS source, s.unique_id AS source_record_id,
                   CASE WHEN k.n = 1 THEN 'seeded' WHEN k.n > 1 THEN 'review'
                        ELSE 'unmatched' END AS match_status,
                   CASE WHEN k.n = 1 THEN k.uid_token END AS uid_token,
                   coalesce(s.name_std, '') || '|' || coalesce(CAST(s.birth_year AS VARCHAR), '')
                       || '|' || coalesce(s.district_std, '') AS resident_id,
                   CASE WHEN k.n = 1 THEN 1.0 ELSE 0.0 END AS match_probability
            FROM {f.table} s
            LEFT JOIN k ON k.name_std = s.name_std AND k.birth_year = s.birth_year
                       AND k.district_std = s.district_std
        """).df())
    df = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=OUT_COLUMNS)
    # records with an empty key are nobody's duplicate
    empty = df["resident_id"].str.contains(r"^\||\|$|\|\|", regex=True)
    df.loc[empty, "resident_id"] = df.loc[empty, "source"] + ":" + df.loc[empty, "source_record_id"]
    return df[OUT_COLUMNS]


def _tutorial_settings(link_type: str):
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type=link_type,
        comparisons=[
            cl.JaroWinklerAtThresholds("first_name", [0.9, 0.7]),
            cl.JaroAtThresholds("last_name", [0.9, 0.7]),
            cl.DateOfBirthComparison(
                "dob", input_is_string=False,
                datetime_metrics=["year", "month"], datetime_thresholds=[1, 1],
            ),
            cl.ExactMatch("district_std").configure(term_frequency_adjustments=True),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("first_name"),
            block_on("last_name"),
        ],
    )


def _tutorial_train(linker) -> None:
    from splink import block_on

    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "last_name")], recall=0.7,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    for rule in (block_on("first_name", "last_name"), block_on("dob")):
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
        except Exception as exc:  # e.g. no dob at all in an age-only feed: skip that session
            log.warning("tutorial baseline: EM session skipped: %s",  # its first sentence
                        str(exc).split(".  ")[0].split("\n")[0][:200])


def splink_tutorial_baseline(con, kyr, feeds: list, timings: dict | None = None
                             ) -> pd.DataFrame:
    from splink import DuckDBAPI, Linker

    timings = timings if timings is not None else {}
    parts = []
    for f in feeds:
        t0 = time.time()
        db_api = DuckDBAPI(connection=con)
        sdfs = [db_api.register(kyr.table, table_name=KYR),
                db_api.register(f.table, table_name=f.feed)]
        linker = Linker(sdfs, _tutorial_settings("link_only"), log_level=QUIET)
        _tutorial_train(linker)
        pred = linker.inference.predict(threshold_match_weight=-10, warning_mode="never")
        seed = con.execute(f"""
            WITH p AS (
                SELECT CASE WHEN source_dataset_l = '{KYR}' THEN unique_id_r
                            ELSE unique_id_l END AS rid,
                       CASE WHEN source_dataset_l = '{KYR}' THEN unique_id_l
                            ELSE unique_id_r END AS tok, match_probability
                FROM {pred.physical_name}),
            b AS (SELECT rid, arg_max(tok, match_probability) AS tok,
                         max(match_probability) AS p FROM p GROUP BY rid)
            SELECT s.unique_id AS source_record_id, b.tok, b.p
            FROM {f.table} s LEFT JOIN b ON b.rid = s.unique_id
        """).df()
        pred.drop_table_from_database_and_remove_from_cache()
        timings[f"seed_{f.feed}"] = time.time() - t0

        t0 = time.time()
        db_api = DuckDBAPI(connection=con)
        sdf = db_api.register(f.table, table_name=f"{f.feed}_dedupe")
        linker = Linker(sdf, _tutorial_settings("dedupe_only"), log_level=QUIET)
        _tutorial_train(linker)
        pairs = linker.inference.predict(threshold_match_weight=-10, warning_mode="never")
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pairs, 0.95)
        cl_df = con.execute(
            f"SELECT unique_id AS source_record_id, CAST(cluster_id AS VARCHAR) AS cid "
            f"FROM {clusters.physical_name}").df()
        timings[f"dedupe_{f.feed}"] = time.time() - t0
        df = seed.merge(cl_df, on="source_record_id", how="left")
        seeded = df["p"].fillna(0) >= 0.95
        parts.append(pd.DataFrame({
            "source": f.feed,
            "source_record_id": df["source_record_id"],
            "match_status": seeded.map({True: "seeded", False: "unmatched"}),
            "uid_token": df["tok"].where(seeded),
            "resident_id": f.feed + ":" + df["cid"].fillna(df["source_record_id"]).astype(str),
            "match_probability": df["p"].fillna(0.0),
        }))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=OUT_COLUMNS)
