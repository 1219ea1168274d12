"""Dates of birth and ages: dob with precision (day / year / age) and birth-year bounds.

* a full date: precision ``day``, birth_year = min = max = its year;
* a year alone (KYR ``YYYY``): dob NULL, precision ``year``, min = max = that year;
* an age on a reference date (extract date, sanction date, date of death): precision
  ``age``, birth_year = ref year - age, min = that - 1 (birthday not yet come), max = that.
"""

from __future__ import annotations

from ingest.registry import Source
from ingest.validate import fmt_list, value


def dob_columns(src: Source, alias: str = "r") -> dict[str, str]:
    p = src.person
    ref = ("CAST(try_strptime(split_part(r._batch_id, '/', 2), '%Y-%m-%d') AS DATE)"
           if p.age_reference == "batch_date" else None)
    if ref is None:
        rf = src.fields[p.age_reference]
        ref = f"CAST(try_strptime({value(rf.name, alias)}, {fmt_list(rf)}) AS DATE)"
    dob_day, dob_year = "NULL::DATE", "NULL::INTEGER"
    if p.dob:
        f = src.fields[p.dob]
        v = value(f.name, alias)
        day_fmts = [x for x in f.formats if x not in f.year_only_formats]
        if day_fmts:
            lst = "[" + ", ".join(f"'{x}'" for x in day_fmts) + "]"
            dob_day = f"CAST(try_strptime({v}, {lst}) AS DATE)"
        if f.year_only_formats:
            lst = "[" + ", ".join(f"'{x}'" for x in f.year_only_formats) + "]"
            dob_year = f"year(try_strptime({v}, {lst}))"
    age = f"try_cast({value(p.age, alias)} AS INTEGER)" if p.age else "NULL::INTEGER"
    return {
        "_dob_day": dob_day,
        "_dob_year": dob_year,
        "_age": age,
        "_age_ref": ref if p.age else "NULL::DATE",
    }


DOB_SELECT = """
    _dob_day AS dob,
    CASE WHEN _dob_day IS NOT NULL THEN 'day' WHEN _dob_year IS NOT NULL THEN 'year'
         WHEN _age IS NOT NULL AND _age_ref IS NOT NULL THEN 'age' END AS dob_precision,
    CAST(coalesce(year(_dob_day), _dob_year, year(_age_ref) - _age) AS INTEGER) AS birth_year,
    CAST(coalesce(year(_dob_day), _dob_year, year(_age_ref) - _age - 1) AS INTEGER)
        AS birth_year_min,
    CAST(coalesce(year(_dob_day), _dob_year, year(_age_ref) - _age) AS INTEGER) AS birth_year_max
"""
