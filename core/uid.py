"""Aadhaar (UID) number rules: Verhoeff check digit, shape, masking.

Shared by the generator and the ingest; it holds no secrets and no I/O.
"""

from __future__ import annotations

import re

import numpy as np

# Verhoeff tables (dihedral group D5).
_D = np.array(
    [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
        [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
        [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
        [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
        [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
        [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
        [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
        [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
        [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
    ],
    dtype=np.int8,
)
_P = np.array(
    [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
        [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
        [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
        [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
        [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
        [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
        [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
    ],
    dtype=np.int8,
)
_INV = np.array([0, 4, 3, 2, 1, 5, 6, 7, 8, 9], dtype=np.int8)

UID_RE = re.compile(r"^[2-9][0-9]{11}$")


def verhoeff_check_digit(payload: str) -> int:
    """Check digit to append to ``payload`` (a string of digits)."""
    c = 0
    for i, ch in enumerate(reversed(payload)):
        c = int(_D[c, _P[(i + 1) % 8, int(ch)]])
    return int(_INV[c])


def verhoeff_valid(number: str) -> bool:
    """True when the last digit of ``number`` is the Verhoeff check digit of the rest."""
    if not number.isdigit():
        return False
    c = 0
    for i, ch in enumerate(reversed(number)):
        c = int(_D[c, _P[i % 8, int(ch)]])
    return c == 0


def normalise_uid(value: str | None) -> str | None:
    """Strip spaces and hyphens; ``None`` for empty input. Does not validate."""
    if value is None:
        return None
    cleaned = re.sub(r"[\s-]", "", str(value))
    return cleaned or None


def is_valid_uid(value: str | None) -> bool:
    """A well-formed UID: 12 digits, first digit 2-9, valid Verhoeff check digit."""
    v = normalise_uid(value)
    return bool(v) and bool(UID_RE.match(v)) and verhoeff_valid(v)


def mask_uid(last4: str | None) -> str | None:
    """Display form: ``XXXX XXXX 1234``. Takes only the last four digits, never a UID."""
    if not last4:
        return None
    return f"XXXX XXXX {last4[-4:]}"


def verhoeff_check_digits(payloads: np.ndarray) -> np.ndarray:
    """Vectorised check digits for an (n, 11) int array of digits (most significant first)."""
    payloads = np.asarray(payloads, dtype=np.int8)
    n, width = payloads.shape
    c = np.zeros(n, dtype=np.int8)
    for i in range(width):  # i-th digit from the right of the payload sits at position i+1
        digit = payloads[:, width - 1 - i]
        c = _D[c, _P[(i + 1) % 8, digit]]
    return _INV[c]


def verhoeff_valid_many(digits: np.ndarray) -> np.ndarray:
    """Vectorised validity for an (n, 12) int array of digits."""
    digits = np.asarray(digits, dtype=np.int8)
    n, width = digits.shape
    c = np.zeros(n, dtype=np.int8)
    for i in range(width):
        c = _D[c, _P[i % 8, digits[:, width - 1 - i]]]
    return c == 0


# --------------------------------------------------------------------------- UIDs in text
# A UID typed by hand: 12 digits, whole or in groups joined by separators (spaces, a
# hyphen or a dot, with optional spaces around it): 234567890123, 2345 6789 0123,
# 2345-6789-0123, 2345 . 6789 . 0123. Not part of a longer number, not touching letters (a
# run inside a hex id or a sha256 is not a UID), and a dot only when it is the one
# separator used (21.19345678 81 is two decimals, not a UID).
_GROUPS = re.compile(r"(?<![0-9A-Za-z])[0-9]+(?:(?:\s{1,3}|\s?[-.]\s?)[0-9]+)*(?![0-9A-Za-z])")
# A UUID (GX and Airflow ids): its "2345-4678-9012" middle is not a UID.
_UUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")
# SQL (RE2) prefilter: a value that may hold a UID (superset of what find_uids accepts)
UID_CANDIDATE_SQL = r"(^|[^0-9])[2-9]((\s{1,3}|\s?[-.]\s?)?[0-9]){11}([^0-9]|$)"


def find_uids(text: str) -> list[tuple[int, int, str]]:
    """Every Verhoeff-valid UID in ``text``: ``(start, end, 12 digits)``. Within a run of
    separated digit groups, each window of whole groups holding exactly 12 digits is a
    candidate (two UIDs typed side by side are both found). A number written ``+91 ...`` is
    a phone number, not a UID."""
    if "-" in text and _UUID.search(text):
        text = _UUID.sub(lambda m: " " * len(m.group(0)), text)
    out: list[tuple[int, int, str]] = []
    for run in _GROUPS.finditer(text):
        s = run.group(0)
        if sum(c.isdigit() for c in s) < 12:
            continue
        groups = [(m.start(), m.end()) for m in re.finditer(r"[0-9]+", s)]
        seps = [s[groups[i][1]:groups[i + 1][0]] for i in range(len(groups) - 1)]
        for i in range(len(groups)):
            n = 0
            for j in range(i, len(groups)):
                n += groups[j][1] - groups[j][0]
                if n >= 12:
                    break
            used = set(seps[i:j])
            if n != 12 or (len(used) > 1 and any("." in x for x in used)):
                continue  # a dot mixed with other separators: decimals, not a UID
            a, b = run.start() + groups[i][0], run.start() + groups[j][1]
            digits = re.sub(r"[^0-9]", "", text[a:b])
            if digits.startswith("91") and text[:a].rstrip().endswith("+"):
                continue  # +91 98765 43210: a phone number
            if UID_RE.match(digits) and verhoeff_valid(digits):
                out.append((a, b, digits))
    return out


def round_floats(obj, ndigits: int = 3):
    """``obj`` (JSON-like: dicts, lists, numbers) with every float rounded to ``ndigits``
    decimals, for what SRDH writes as text into a home. A float written with exactly 12
    digits ("2242.00000001", a step's seconds) reads as a UID to :func:`find_uids` one time
    in ten, and the gate then stops publish: a 3M run's ``matching.runs`` summary did
    (session 21). Rounded, a number of seconds has at most 4 + 3 digits."""
    if isinstance(obj, float):
        return round(obj, ndigits)
    if isinstance(obj, dict):
        return {k: round_floats(v, ndigits) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [round_floats(v, ndigits) for v in obj]
    return obj


def masked_uid(digits: str) -> str:
    """The display form of a UID found in text: ``XXXX-XXXX-1234``."""
    return f"XXXX-XXXX-{digits[-4:]}"


def mask_uids_in_text(text: str) -> str:
    """``text`` with every UID in it replaced by :func:`masked_uid` (the one helper for
    values, file names, headers and messages)."""
    hits = find_uids(text)
    if not hits:
        return text
    parts, last = [], 0
    for a, b, digits in hits:
        if a < last:  # overlapping windows of one run: the first one masks it
            continue
        parts += [text[last:a], masked_uid(digits)]
        last = b
    return "".join(parts) + text[last:]
