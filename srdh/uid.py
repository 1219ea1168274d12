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
