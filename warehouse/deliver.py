"""Departmental deliveries: the files each department receives after a run.

For every source of a department, under ``<home>/deliveries/<source>/<run_date>/``:

* ``uid_seeding``: one row per source record, with the department's own name, relative
  and village, the UID, the rounded match probability, the status and, for ``review`` and
  ``unmatched`` rows, the reason in words. ``uid`` is the full UID for ``seeded`` rows when
  the department may receive full UIDs (``warehouse/deliveries.yaml``), else
  ``XXXX XXXX 1234``.
* ``duplicates``: records with at least one duplicate in the same source.
* ``flags``: one row per finding - ghost, deceased-but-active, pre-seeded UID that
  disagrees with KYR (``certainty`` confirmed), or their to-verify twins not_in_kyr,
  possibly_deceased, preseeded_uid_unconfirmed - with the reason in words.
* ``inclusion_gaps``: residents who look eligible for the department's schemes but are
  enrolled in none (the rules listed for the department).
* ``README.md``: the data dictionary (every file and column, from ``delivery_schema.yaml``);
* ``manifest.json``: row counts, sha256 sums, model version, schema version and run id.

Each file is written as CSV and Parquet to a temporary name and renamed, so a reader
never sees half a file; the manifest is written last.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import yaml

from core.files import write_table_atomic, write_text_atomic
from core.paths import Home
from ingest.registry import Department, catalogue

SCHEMA_PATH = Path(__file__).with_name("delivery_schema.yaml")
PROBABILITY_DECIMALS = 4
# matching's seeding reasons (matching/seed.py), in words a clerk can act on
REASON_WORDS = {
    "best_link": "",
    "below_seed": "an Aadhaar holder resembles this record, but not closely enough to link "
                  "without a clerk's check",
    "ambiguous": "two Aadhaar holders resemble this record about equally; a clerk picks one",
    "uid_conflict": "another record of this list claims the same Aadhaar holder; a clerk "
                    "decides which is right",
    "below_review": "no Aadhaar holder resembles this record closely: check that the person "
                    "has Aadhaar, and the name, age and village on the list",
    # below_review with a best candidate at least RESEMBLES_FROM likely (reason_words)
    "below_review_resembles": "an Aadhaar holder resembles this record but is more likely "
                              "someone else; verify before acting: check that the person has "
                              "Aadhaar, and the name, age and village on the list",
    "no_candidate": "no Aadhaar holder of this name and place was found: check that the "
                    "person has Aadhaar, and the name, age and village on the list",
}
# an unmatched record (below_review) whose best KYR candidate is at least this likely its
# person is told that an Aadhaar holder resembles it: the review threshold was 0.2 until
# it moved to 0.5 (matching/settings.py), and the records at 0.2-0.5 were 16-48% that
# person on the tuning states - too likely for "no Aadhaar holder resembles this record"
RESEMBLES_FROM = 0.2
PURPOSE = "departmental uid_seeding delivery"
log = logging.getLogger(__name__)


def departments(sources_dir: str | Path | None = None) -> dict[str, Department]:
    """Every department that receives files, with its settings: the feed catalogue's answer
    (built-in feeds plus ``$SRDH_SOURCES`` or ``sources_dir``; ``deliveries.yaml`` or the
    safe defaults, weekly with masked UIDs)."""
    return catalogue(sources_dir).departments()


def deliver(home: Home, department: str, run_date: dt.date | str,
            run_id: str | None = None, config: dict[str, Department] | None = None,
            gate: bool = True, sources_dir: str | Path | None = None) -> list[Path]:
    """Write one department's delivery for ``run_date``; returns the manifest paths.

    ``gate``: first scan the warehouse and the home's files for raw UIDs
    (:func:`ingest.uid_scan.uid_gate`); a finding stops the delivery (``UidLeak``)."""
    config = config or departments(sources_dir)
    dept = config.get(department)
    if dept is None:
        raise KeyError(f"department {department!r} is neither in deliveries.yaml nor named "
                       f"by a feed; known: {', '.join(config)}")
    cfg = dept.delivery
    if gate:
        from ingest.uid_scan import uid_gate

        uid_gate(home, "deliver")
    day = str(run_date)
    run_id = run_id or f"{department}/{day}"
    manifests = []
    con = duckdb.connect(str(home.warehouse), read_only=True)
    schema = load_schema()
    try:
        model_version = _model_version(con)
        have = {t for (t,) in con.execute("select table_name from information_schema.tables "
                                          "where table_schema = 'std'").fetchall()}
        for source in dept.sources:
            if source not in have:  # nothing of this feed loaded yet (e.g. its batch refused)
                log.warning("deliver %s: no %s loaded yet, no files for it", department, source)
                continue
            folder = home.deliveries / source / day
            tables = {
                "uid_seeding": _uid_seeding(con, home, source, cfg.full_uid, folder,
                                            kyr_history="uid_kyr_history" in have),
                "duplicates": _query(con, """
                    select source_record_id, duplicate_group, resident_id
                    from matching.duplicates where source = ?
                    order by duplicate_group, source_record_id""", [source]),
                "flags": _flags(con, source),
                "inclusion_gaps": _inclusion_gaps(con, cfg.inclusion_rules),
            }
            _check_schema(schema, tables)
            files = {}
            for stem, table in tables.items():
                for name, entry in write_table_atomic(table, folder, stem).items():
                    files[name] = {"rows": entry["rows"], "sha256": entry["sha256"]}
            manifest = {
                "department": department,
                "source": source,
                "run_date": day,
                "run_id": run_id,
                "model_version": model_version,
                "schema_version": schema["schema_version"],
                "full_uid": cfg.full_uid,
                "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "files": files,
            }
            write_text_atomic(folder / "README.md", data_dictionary(schema, department, source))
            path = folder / "manifest.json"
            write_text_atomic(path, json.dumps(manifest, indent=2, sort_keys=True))
            manifests.append(path)
    finally:
        con.close()
    return manifests


def deliver_all(home: Home, run_date: dt.date | str, run_id: str | None = None,
                sources_dir: str | Path | None = None, gate: bool = True) -> list[Path]:
    """Every department's delivery (see :func:`departments`); ``gate`` as :func:`deliver`."""
    config = departments(sources_dir)
    if gate:
        from ingest.uid_scan import uid_gate

        uid_gate(home, "deliver")  # once for all departments
    out: list[Path] = []
    for dept in config:
        out += deliver(home, dept, run_date, run_id=run_id, config=config, gate=False)
    return out


# --------------------------------------------------------------------------- tables

def _query(con, sql: str, params: list[Any] | None = None) -> pa.Table:
    return con.sql(sql, params=params or []).to_arrow_table()


def _uid_seeding(con, home: Home, source: str, full_uid: bool, folder: Path,
                 kyr_history: bool = True) -> pa.Table:
    # the KYR history holds every version, deactivated residents (the dead) too; no KYR
    # loaded yet (de-duplication only): no last 4 digits to show
    kyr_last4 = ("select distinct source_record_id as uid_token, uid_last4 "
                 "from std.uid_kyr_history" if kyr_history else
                 "select null::varchar as uid_token, null::varchar as uid_last4 where false")
    table = _query(con, f"""
        select s.source_record_id, d.name_raw as name, d.relative_name_std as relative,
               d.village_std as village, s.uid_token, k.uid_last4,
               round(s.match_probability, {PROBABILITY_DECIMALS}) as match_probability,
               s.match_status, s.reason, s.resident_id
        from matching.seeding s
        left join ({kyr_last4}) k
          on k.uid_token = s.uid_token
        left join (select distinct on (source_record_id) source_record_id, name_raw,
                          relative_name_std, village_std
                   from std.{source}) d
          on d.source_record_id = s.source_record_id
        where s.source = ?
        order by s.source_record_id""", [source])
    statuses = table.column("match_status").to_pylist()
    tokens = table.column("uid_token").to_pylist()
    last4 = table.column("uid_last4").to_pylist()
    seeded = [st == "seeded" and tok is not None for st, tok in zip(statuses, tokens, strict=True)]
    if full_uid:
        wanted = sorted({t for t, s in zip(tokens, seeded, strict=True) if s})
        revealed = _reveal(home, wanted, folder / "uid_seeding")
        uids = [revealed[t] if s else "" for t, s in zip(tokens, seeded, strict=True)]
    else:
        uids = [f"XXXX XXXX {l4}" if s and l4 else "" for l4, s in zip(last4, seeded, strict=True)]
    reasons = [reason_words(r, st, p) for r, st, p in zip(
        table.column("reason").to_pylist(), statuses,
        table.column("match_probability").to_pylist(), strict=True)]
    return pa.table({
        "source_record_id": table.column("source_record_id"),
        "name": table.column("name"),
        "relative": table.column("relative"),
        "village": table.column("village"),
        "uid": pa.array(uids, pa.string()),
        "match_probability": table.column("match_probability"),
        "match_status": table.column("match_status"),
        "reason": pa.array(reasons, pa.string()),
        "resident_id": table.column("resident_id"),
    })


def reason_words(reason: str | None, status: str | None, probability: float | None) -> str:
    """The reason of a uid_seeding row in words (blank for a seeded row). An unmatched
    record whose best candidate is at least RESEMBLES_FROM likely its person gets its own
    words: a resembling Aadhaar holder, more likely someone else."""
    if status == "seeded":
        return ""
    if reason == "below_review" and probability is not None and probability >= RESEMBLES_FROM:
        reason = "below_review_resembles"
    return REASON_WORDS.get(reason, reason or "")


def _reveal(home: Home, tokens: list[str], file: Path) -> dict[str, str]:
    """Full UIDs for one delivery file: one logged bulk reveal naming the file and count."""
    if not tokens:
        return {}
    from ingest.tokens import require_keys
    from ingest.vault import Vault

    detail = f"file {file.relative_to(home.root)}.{{csv,parquet}}"
    with Vault(home, require_keys(home)) as vault:
        got = vault.reveal_many(tokens, purpose=PURPOSE, by="srdh deliver", detail=detail)
    missing = [t for t in tokens if not got.get(t)]
    if missing:
        raise RuntimeError(f"{len(missing)} seeded UID tokens are not in the vault")
    return got


def _flags(con, source: str) -> pa.Table:
    """Every finding on the source's records (marts.mart_enrolment_flags): act on the
    ``confirmed`` ones, check the ``to_verify`` ones in the field first."""
    return _query(con, """
        select flag_id, evidence_hash, source_record_id, flag, certainty, reason, resident_id,
               scheme_code, monthly_amount_inr
        from marts.mart_enrolment_flags where source = ?
        order by certainty, flag, source_record_id""", [source])


def _inclusion_gaps(con, rules: tuple[str, ...]) -> pa.Table:
    if not rules:
        rules = ("__none__",)
    marks = ", ".join("?" for _ in rules)
    return _query(con, f"""
        select g.rule_id, g.suggested_scheme_code, g.certainty, g.resident_id, g.household_id,
               r.name_std as name, r.gender, r.age_years, g.district, g.block, g.reason,
               r.uid_masked
        from marts.mart_inclusion_gaps g
        left join marts.dim_resident r using (resident_id)
        where g.rule_id in ({marks})
        order by g.rule_id, g.certainty, g.district, g.block, g.resident_id""", list(rules))


def _model_version(con) -> str:
    """Hash of the committed Splink models, so a delivery names the model that made it."""
    models = sorted((Path(__file__).resolve().parents[1] / "matching" / "models").glob("*.json"))
    digest = hashlib.sha256()
    for m in models:
        digest.update(m.name.encode())
        digest.update(m.read_bytes())
    return f"splink-models-{digest.hexdigest()[:12]}"


# --------------------------------------------------------------------- data dictionary

def load_schema(path: Path | None = None) -> dict:
    """The delivery data dictionary (``delivery_schema.yaml``)."""
    return yaml.safe_load((path or SCHEMA_PATH).read_text())


def _check_schema(schema: dict, tables: dict[str, pa.Table]) -> None:
    """Refuse to deliver a file whose columns are not the documented ones, in order."""
    for stem, table in tables.items():
        documented = list(schema["files"][stem]["columns"])
        if table.column_names != documented:
            raise RuntimeError(f"{stem}: columns {table.column_names} differ from "
                               f"{SCHEMA_PATH.name} {documented}; update the data dictionary "
                               "and raise schema_version")


def data_dictionary(schema: dict, department: str, source: str) -> str:
    """README.md for a delivery folder: every file and column, from the schema."""
    lines = [f"# SRDH delivery to {department}: {source}", "",
             f"Schema version {schema['schema_version']} (also in manifest.json). Every file "
             "comes as CSV and Parquet with the same columns; manifest.json gives row counts "
             "and sha256 sums.", ""]
    for stem, spec in schema["files"].items():
        lines += [f"## {stem}.csv / {stem}.parquet", "", spec["about"], "",
                  "| column | meaning |", "|---|---|"]
        lines += [f"| {col} | {text} |" for col, text in spec["columns"].items()]
        lines.append("")
        for col, meanings in (spec.get("values") or {}).items():  # what each value means
            lines += [f"Values of `{col}`:", ""]
            lines += [f"- `{value}`: {text}" for value, text in meanings.items()]
            lines.append("")
    return "\n".join(lines)
