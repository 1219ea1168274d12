"""Mobile numbers: 10 digits starting 6-9, after stripping +91 / 91 / 0 and separators."""

def mobile_sql(expr: str) -> str:
    """SQL giving the 10-digit mobile or NULL."""
    d = f"regexp_replace(coalesce({expr}, ''), '[^0-9]', '', 'g')"
    core = (f"CASE WHEN length({d}) = 10 THEN {d} "
            f"WHEN length({d}) = 12 AND starts_with({d}, '91') THEN {d}[3:] "
            f"WHEN length({d}) = 11 AND starts_with({d}, '0') THEN {d}[2:] "
            f"WHEN length({d}) = 13 AND starts_with({d}, '091') THEN {d}[4:] END")
    return f"(CASE WHEN regexp_matches({core}, '^[6-9][0-9]{{9}}$') THEN {core} END)"
