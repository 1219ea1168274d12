"""Tiny valid JPEG photographs (8x8 greyscale baseline JPEG built by hand, no imaging library)."""

from __future__ import annotations

import struct
from pathlib import Path


def tiny_jpeg(tag: str, shade: int = 0) -> bytes:
    """A valid 8x8 greyscale baseline JPEG. ``tag`` goes in a COM segment, ``shade`` (0-15)
    sets the grey level so photos differ."""
    soi = b"\xff\xd8"
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    com_txt = tag.encode("ascii", "replace")[:200]
    com = b"\xff\xfe" + struct.pack(">H", len(com_txt) + 2) + com_txt
    dqt = b"\xff\xdb" + struct.pack(">H", 67) + b"\x00" + bytes([1] * 64)
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, 8, 8, 1) + b"\x01\x11\x00"
    # DC table: one code '0' for category 0 and code '10' for category 4 (shade)
    dc_bits = bytes([1, 1] + [0] * 14)
    dht_dc = b"\xff\xc4" + struct.pack(">H", 2 + 1 + 16 + 2) + b"\x00" + dc_bits + b"\x00\x04"
    # AC table: single code '0' = EOB
    ac_bits = bytes([1] + [0] * 15)
    dht_ac = b"\xff\xc4" + struct.pack(">H", 2 + 1 + 16 + 1) + b"\x10" + ac_bits + b"\x00"
    sos = b"\xff\xda" + struct.pack(">HB", 8, 1) + b"\x01\x00\x00\x3f\x00"
    # entropy-coded data: DC code '10' + 4 bits of amount (>= 8 so category 4), then EOB '0'
    amount = 8 + (shade % 8)
    bits = "10" + format(amount, "04b") + "0"
    bits += "1" * (-len(bits) % 8)
    data = int(bits, 2).to_bytes(len(bits) // 8, "big")
    data = data.replace(b"\xff", b"\xff\x00")
    return soi + app0 + com + dqt + sof + dht_dc + dht_ac + sos + data + b"\xff\xd9"


def write_photos(folder: Path, names: list[str], seed: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(names):
        (folder / name).write_bytes(tiny_jpeg(f"SRDH synthetic photo {seed}-{i}", i))
