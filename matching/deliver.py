"""Deliveries back to departments (a contract other tools read).

For each source after a run, under ``<home>/deliveries/<source>/<run_date>/``:

* ``uid_seeding.{csv,parquet}``: ``source_record_id, uid, match_probability,
  match_status, resident_id`` - one row per source record; ``uid`` is the full
  UID for ``seeded`` rows only (decrypted through ``ingest.vault``), empty otherwise;
  masked (``XXXX XXXX 1234``) for departments that may not receive full UIDs
  (``warehouse/deliveries.yaml``, the rule ``srdh deliver`` applies).
* ``duplicates.{csv,parquet}``: ``source_record_id, duplicate_group, resident_id`` -
  one row per record that has at least one duplicate in the same source.

Files are written to a temporary name in the same folder, then renamed.
Raw UIDs exist only in memory while writing and in the ``uid`` column.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pyarrow as pa

from matching.inputs import KYR, WH
from srdh.files import write_table_atomic

SEEDING_COLUMNS = ("source_record_id", "uid", "match_probability", "match_status", "resident_id")
DUPLICATE_COLUMNS = ("source_record_id", "duplicate_group", "resident_id")


PURPOSE = "uid_seeding delivery"
BY = "srdh match"


def uid_resolver(home) -> Callable[[list[str]], dict[str, str]]:
    """token -> raw UID through ``ingest.vault`` (every reveal is logged by the vault)."""

    def resolve(tokens: list[str]) -> dict[str, str]:
        from ingest.tokens import Keys
        from ingest.vault import Vault

        with Vault(home, Keys.for_home(home)) as v:
            for bulk in ("reveal_many", "reveal_bulk"):  # a bulk API, when the vault has one
                fn = getattr(v, bulk, None)
                if fn is not None:
                    got = fn(tokens, purpose=PURPOSE, by=BY)
                    return dict(got) if not isinstance(got, dict) else got
            v.con.execute("BEGIN")
            try:
                out = {t: v.reveal(t, purpose=PURPOSE, by=BY) for t in tokens}
                v.con.execute("COMMIT")
            except Exception:
                v.con.execute("ROLLBACK")
                raise
            return {t: u for t, u in out.items() if u}

    return resolve


def _atomic_write(table: pa.Table, folder: Path, stem: str) -> dict[str, str]:
    written = write_table_atomic(table, folder, stem, formats=("parquet", "csv"))
    return {name.rsplit(".", 1)[1]: entry["path"] for name, entry in written.items()}


def masked_sources(config_path: Path | None = None) -> set[str]:
    """Sources of departments that may not receive full UIDs (``full_uid: false`` in
    ``warehouse/deliveries.yaml``, the same rule ``srdh deliver`` applies)."""
    from warehouse.deliver import load_config

    return {s for d in load_config(config_path).values() if not d.full_uid for s in d.sources}


def seeding_table(con, source: str, resolve: Callable[[list[str]], dict[str, str]],
                  masked: bool = False) -> pa.Table:
    df = con.execute(
        """SELECT source_record_id, uid_token, match_probability, match_status, resident_id
           FROM _seeding WHERE source = ? ORDER BY source_record_id""", [source]).df()
    seeded = df["match_status"] == "seeded"
    if masked:  # the department gets the vault rule: last 4 digits only
        last4 = dict(con.execute(
            f"SELECT DISTINCT source_record_id, uid_last4 FROM {WH}.std.{KYR}").fetchall())
        uid = df["uid_token"].map(last4).map(lambda x: f"XXXX XXXX {x}" if x else "")
        df = df.drop(columns=["uid_token"])
        df.insert(1, "uid", uid.where(seeded, "").fillna("").astype(str))
        df["match_probability"] = df["match_probability"].astype("float64")
        return pa.Table.from_pandas(df[list(SEEDING_COLUMNS)], preserve_index=False)
    tokens = df.loc[seeded, "uid_token"].dropna().unique().tolist()
    uids = resolve(tokens) if tokens else {}
    missing = [t for t in tokens if not uids.get(t)]
    if missing:
        raise RuntimeError(f"{source}: {len(missing)} seeded tokens not found in the vault")
    uid = df["uid_token"].map(uids).where(seeded, "")
    df = df.drop(columns=["uid_token"])
    df.insert(1, "uid", uid.fillna("").astype(str))
    df["match_probability"] = df["match_probability"].astype("float64")
    return pa.Table.from_pandas(df[list(SEEDING_COLUMNS)], preserve_index=False)


def duplicates_table(con, source: str) -> pa.Table:
    df = con.execute(
        """SELECT source_record_id, duplicate_group, resident_id FROM duplicates
           WHERE source = ? ORDER BY duplicate_group, source_record_id""", [source]).df()
    return pa.Table.from_pandas(df[list(DUPLICATE_COLUMNS)], preserve_index=False)


def write_deliveries(con, home, sources: Iterable[str], run_date: str,
                     resolve: Callable[[list[str]], dict[str, str]] | None = None
                     ) -> dict[str, str]:
    """Write both files for every source; returns source -> delivery folder."""
    resolve = resolve or uid_resolver(home)
    masked = masked_sources()
    out = {}
    for source in sources:
        folder = Path(home.deliveries) / source / run_date
        _atomic_write(seeding_table(con, source, resolve, masked=source in masked), folder,
                      "uid_seeding")
        _atomic_write(duplicates_table(con, source), folder, "duplicates")
        out[source] = str(folder)
    return out
