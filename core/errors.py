"""Errors an operator can act on: one line saying what is wrong and what to do.

Raised anywhere below the CLI (ingest, matching, warehouse may import this module); the
``srdh`` command line prints ``error: <message>`` and exits with ``code``, without a
traceback unless ``srdh --debug`` is given (srdh/cli.py).

Exit codes (the README, "Exit codes"): 0 everything that arrived was loaded and every
step ran; 1 an unexpected failure (a bug: rerun with ``--debug``); 2 the command cannot
run as asked (usage, configuration, a missing home or landing folder, steps run out of
order), nothing was done; 3 the run went on but something that arrived was not loaded (a
refused batch, a file or folder outside the landing layout).
"""

from __future__ import annotations

import difflib
import re

# any run of >= 12 digits (spaces/hyphens allowed) to its last four, as ingest's SQL macro
_UIDISH = re.compile(r"([0-9][ -]?){8,}([0-9]{4})")


def mask_uids(text: str) -> str:
    """A message, file name or header safe to show: every UID (any separators, see
    :func:`core.uid.find_uids`) as ``XXXX-XXXX-1234``, then any other run of 12 or more
    digits (a mistyped UID is still personal) to its last four. The one masking helper
    for file names, headers and messages (values are masked by ``ingest/masking.py``)."""
    from core.uid import mask_uids_in_text

    return _UIDISH.sub(r"XXXXXXXX\2", mask_uids_in_text(text))

EXIT_OK = 0
EXIT_BUG = 1
EXIT_USAGE = 2
EXIT_REFUSED = 3


class UserError(Exception):
    """A mistake the operator can fix; ``fix`` says how (printed after the message)."""

    code = EXIT_USAGE

    def __init__(self, message: str, fix: str | None = None, code: int | None = None):
        self.message, self.fix = message, fix
        if code is not None:
            self.code = code
        super().__init__(f"{message}; {fix}" if fix else message)


def closest(word: str, choices) -> str:
    """' (did you mean X?)' for the closest of ``choices``, or ''."""
    best = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {best[0]}?)" if best else ""


def parse_date(text: str, option: str = "--date"):
    """A ``YYYY-MM-DD`` date, or a UserError saying the expected format."""
    import datetime as dt
    import re

    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        try:
            return dt.date.fromisoformat(text.strip())
        except ValueError:
            pass
    raise UserError(f"{option} {text!r} is not a date",
                    "write it as YYYY-MM-DD with two-digit month and day, e.g. 2025-03-01")


class ConfigError(UserError, ValueError):
    """A configuration file (source YAML, matching config) that cannot be used."""
