"""KYR photographs on a display (household card, `srdh resident`), only when asked for.

A photograph is personal data held beside the vault (``<vault>/photos/<token>.jpg``, keyed
by the resident's KYR UID token). Nothing shows one unless the caller states a purpose and
who asks; every display goes through ``Vault.show_photos``, which logs it in the vault's
hash-chained access log (``srdh vault verify-log`` checks it).
"""

from __future__ import annotations

import base64
from pathlib import Path

from core.errors import UserError
from core.paths import Home


class PhotoRequestError(UserError):
    """--photos without the declaration every vault access needs."""


def check_photo_request(photos: bool, purpose: str | None, by: str | None) -> None:
    """``--photos`` needs ``--purpose`` and ``--by`` (exit 2, one line); without
    ``--photos`` nothing is shown and nothing is asked."""
    if photos and not (purpose and by):
        raise PhotoRequestError("--photos needs --purpose \"why, in words\" and --by WHO: "
                                "every photograph shown is logged in the vault")
    if photos:
        from ingest.audit import check_request

        check_request(purpose or "", by or "")


def kyr_tokens(home: Home, resident_ids: list[str]) -> dict[str, str]:
    """resident_id -> the UID token of the resident's KYR record (working warehouse)."""
    import duckdb

    if not resident_ids:
        return {}
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        rows = con.execute("SELECT resident_id, min(record_id) FROM matching.residents "
                           "WHERE source = 'uid_kyr' AND list_contains(?::VARCHAR[], resident_id) "
                           "GROUP BY resident_id", [list(resident_ids)]).fetchall()
    finally:
        con.close()
    return dict(rows)


def show_photos(home: str | Path | Home | None, resident_ids: list[str], purpose: str,
                by: str, detail: str) -> dict[str, Path]:
    """resident_id -> photograph file, for the residents that have one; logged."""
    from ingest.tokens import require_keys
    from ingest.vault import Vault

    h = home if isinstance(home, Home) else Home.at(home)
    tokens = kyr_tokens(h, resident_ids)
    with Vault(h, require_keys(h)) as vault:
        shown = vault.show_photos(list(tokens.values()), purpose=purpose, by=by, detail=detail)
    return {rid: shown[t] for rid, t in tokens.items() if t in shown}


def data_uri(path: Path) -> str:
    """The photograph inlined, so the printable card stays one self-contained file."""
    kind = "png" if path.suffix.lower() == ".png" else "jpeg"
    return f"data:image/{kind};base64," + base64.b64encode(path.read_bytes()).decode("ascii")
