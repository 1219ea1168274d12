"""The delivery contract: uid_seeding and duplicates files per source and run date."""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq

from matching.deliver import DUPLICATE_COLUMNS, SEEDING_COLUMNS


def _folder(toy):
    return toy["home"].deliveries / "dept_a" / "2025-03-01"


def test_uid_seeding_columns_rows_and_uids(matching_toy):
    folder = _folder(matching_toy)
    pq_df = pq.read_table(folder / "uid_seeding.parquet").to_pandas()
    csv_df = pd.read_csv(folder / "uid_seeding.csv", dtype={"uid": str, "source_record_id": str})
    for df in (pq_df, csv_df):
        assert tuple(df.columns) == SEEDING_COLUMNS
        assert df["source_record_id"].is_unique
        assert set(df["source_record_id"]) == set(matching_toy["dept"]["source_record_id"])
    seeded = pq_df["match_status"] == "seeded"
    assert seeded.any() and (~seeded).any()
    assert pq_df.loc[seeded, "uid"].str.fullmatch(r"\d{12}").all()
    assert (pq_df.loc[~seeded, "uid"] == "").all()
    assert csv_df.loc[~seeded.to_numpy(), "uid"].isna().all()  # empty in the CSV
    assert pq_df["resident_id"].notna().all()
    assert set(pq_df["match_status"]) <= {"seeded", "review", "unmatched"}
    assert not list(folder.glob(".*tmp*"))  # temp files renamed away


def test_duplicates_file(matching_toy):
    folder = _folder(matching_toy)
    dup = pq.read_table(folder / "duplicates.parquet").to_pandas()
    assert tuple(dup.columns) == DUPLICATE_COLUMNS
    assert dup["source_record_id"].is_unique
    # every listed record has at least one other record in its group
    assert (dup.groupby("duplicate_group").size() >= 2).all()
    seeding = pq.read_table(folder / "uid_seeding.parquet").to_pandas()
    merged = dup.merge(seeding, on="source_record_id", suffixes=("", "_s"))
    assert (merged["resident_id"] == merged["resident_id_s"]).all()
    # the toy state enrols ~5% of people twice ("R00012" and "R00012D")
    truth_dups = {r for r in matching_toy["truth"] if r.endswith("D")}
    found = {r for r in dup["source_record_id"] if r.endswith("D")}
    assert len(found) >= 0.8 * len(truth_dups)
