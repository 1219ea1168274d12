"""Mobile numbers: 10 digits starting 6-9, after stripping +91 / 91 / 0 and separators."""

# a 10-digit mobile, optionally after 91 / 0 / 091 (what is left once separators are gone)
_MOBILE = "^(?:91|0|091)?([6-9][0-9]{9})$"


def mobile_sql(expr: str) -> str:
    """SQL giving the 10-digit mobile or NULL (two regex calls per value)."""
    d = f"regexp_replace(coalesce({expr}, ''), '[^0-9]', '', 'g')"
    return f"nullif(regexp_extract({d}, '{_MOBILE}', 1), '')"
