"""SQL identifiers that come from configuration (feed and field names in source YAML).

Feed and field names become table and column names in DuckDB (``raw.<feed>``,
``std.<feed>``, dbt vars), so they are held to ``IDENTIFIER`` when the registry is
read; names that are not (catalog names, anything else) are quoted with
``quote_ident`` before they are interpolated into SQL.
"""

from __future__ import annotations

import re

IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
IDENTIFIER_HINT = "lower-case letters, digits and _, starting with a letter (e.g. food_pds)"


def is_identifier(name: object) -> bool:
    return isinstance(name, str) and IDENTIFIER.fullmatch(name) is not None


def check_identifier(name: object, what: str) -> str:
    """``name`` if it is a plain identifier, else ValueError naming ``what``."""
    if not is_identifier(name):
        raise ValueError(f"{what} {name!r} is not a valid name: use {IDENTIFIER_HINT}")
    return name  # type: ignore[return-value]


def quote_ident(name: str) -> str:
    """A DuckDB identifier, double-quoted (embedded quotes doubled)."""
    return '"' + str(name).replace('"', '""') + '"'
