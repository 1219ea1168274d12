"""UID tokens: keyed HMAC-SHA256 of the normalised UID, written with letters only.

A token can never look like a number (hex digits 0-f are translated to a-p), so a
token column can never be mistaken for, or scanned as, an Aadhaar number. The HMAC
key is derived from the vault master key with HKDF, so the vault key file is the one
secret to keep.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from srdh.paths import Home

TOKEN_LEN = 32  # letters: 128 bits of the HMAC
_HEX_TO_LETTERS = str.maketrans("0123456789abcdef", "abcdefghijklmnop")


class VaultKeyMissing(RuntimeError):
    pass


def key_file(home: Home) -> Path:
    return Path(os.environ.get("SRDH_VAULT_KEY_FILE") or home.secrets / "vault.key")


def init_key(home: Home) -> tuple[Path, bool]:
    """Create the local demo master key (32 random bytes, base64, mode 0600) if missing."""
    path = key_file(home)
    if path.exists():
        return path, False
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.chmod(path.parent, 0o700)
    except OSError:
        pass
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(base64.b64encode(os.urandom(32)).decode() + "\n")
    return path, True


def master_key(home: Home) -> bytes:
    """The 32-byte master key: ``$SRDH_VAULT_KEY`` (base64), else the key file."""
    text = os.environ.get("SRDH_VAULT_KEY")
    if not text:
        path = key_file(home)
        if not path.exists():
            raise VaultKeyMissing(
                f"no vault key: set SRDH_VAULT_KEY or run `srdh vault init-key` ({path})")
        text = path.read_text().strip()
    key = base64.b64decode(text)
    if len(key) != 32:
        raise ValueError("the vault key must be 32 bytes (base64-encoded)")
    return key


def _derive(master: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)


@dataclass(frozen=True)
class Keys:
    enc: bytes  # AES-256-GCM key for the vault
    mac: bytes  # HMAC-SHA256 key for tokens

    @classmethod
    def from_master(cls, master: bytes) -> Keys:
        return cls(enc=_derive(master, b"srdh vault aes-256-gcm v1"),
                   mac=_derive(master, b"srdh uid token hmac-sha256 v1"))

    @classmethod
    def for_home(cls, home: Home) -> Keys:
        return cls.from_master(master_key(home))

    @property
    def key_id(self) -> str:
        return hashlib.sha256(b"key-id" + self.mac).hexdigest()[:8]


def token_for(uid: str, mac_key: bytes) -> str:
    """Letters-only token of a normalised UID (digits only, no spaces)."""
    digest = hmac.new(mac_key, uid.encode("ascii", "replace"), hashlib.sha256).hexdigest()
    return digest[:TOKEN_LEN].translate(_HEX_TO_LETTERS)


def tokens_for(uids: list[str], mac_key: bytes) -> list[str]:
    """Tokens of many normalised UIDs: HMAC-SHA256 with the inner and outer pads hashed
    once (RFC 2104), so each UID costs two sha256 block updates (about 1-2 us)."""
    block = 64
    k = mac_key if len(mac_key) <= block else hashlib.sha256(mac_key).digest()
    k = k.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in k))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in k))
    icopy, ocopy, table = inner.copy, outer.copy, _HEX_TO_LETTERS
    out: list[str] = []
    append = out.append
    for u in uids:
        h = icopy()
        h.update(u.encode("ascii", "replace"))
        o = ocopy()
        o.update(h.digest())
        append(o.hexdigest()[:TOKEN_LEN].translate(table))
    return out
