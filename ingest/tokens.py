"""UID tokens and the vault keyring.

A token is a keyed HMAC-SHA256 of the normalised UID, written with letters only: a token
can never look like a number (hex digits 0-f are translated to a-p), so a token column can
never be mistaken for, or scanned as, an Aadhaar number.

The keyring holds two kinds of key (``Keys``):

* one **token key** (HMAC). It is never rotated: the same resident keeps the same token
  across key rotations, and tokens are the join key of the whole warehouse;
* one or more **encryption keys** (AES-256-GCM) for the vault, each with a key id. New
  ciphertexts use ``current``; ``srdh vault rotate`` adds a new one, re-encrypts every UID
  under it and retires the others.

On disk the keyring is JSON (``srdh-keyring/1``, mode 0600). Today's older form, one base64
line of a 32-byte master key, still reads: both keys are derived from it with HKDF and the
encryption key is version 1 (key id = the id such vaults already carry). Where the key
comes from (first match): ``$SRDH_VAULT_KEY_COMMAND`` (a command whose stdout is the key
material: a KMS or secret-manager hook), ``$SRDH_VAULT_KEY`` (the material itself), the
file ``$SRDH_VAULT_KEY_FILE``, the demo file ``<home>/secrets/vault.key``. A key is
created only on purpose (``srdh vault init-key``); nothing else ever creates one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import shlex
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from core.errors import UserError
from core.paths import Home

TOKEN_LEN = 32  # letters: 128 bits of the HMAC
KEYRING_FORMAT = "srdh-keyring/1"
_HEX_TO_LETTERS = str.maketrans("0123456789abcdef", "abcdefghijklmnop")


class VaultKeyError(UserError):
    """The vault key is missing, unreadable, or does not fit the vault: nothing may run."""


class VaultKeyMissing(VaultKeyError):
    pass


def key_file(home: Home) -> Path:
    return Path(os.environ.get("SRDH_VAULT_KEY_FILE") or home.secrets / "vault.key")


def key_source(home: Home) -> str:
    """Where the key is read from, for messages (never the key itself)."""
    if os.environ.get("SRDH_VAULT_KEY_COMMAND"):
        return "$SRDH_VAULT_KEY_COMMAND"
    if os.environ.get("SRDH_VAULT_KEY"):
        return "$SRDH_VAULT_KEY"
    return str(key_file(home))


def _derive(master: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)


def _fingerprint(mac: bytes) -> str:
    return hashlib.sha256(b"key-id" + mac).hexdigest()[:8]


def _b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


def _unb64(text: str, what: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise VaultKeyError(f"the vault {what} is not valid base64") from None
    if len(key) != 32:
        raise VaultKeyError(f"the vault {what} must be 32 bytes (base64-encoded)")
    return key


@dataclass(frozen=True)
class Keys:
    mac: bytes                     # HMAC-SHA256 token key: never rotated
    enc_keys: Mapping[str, bytes]  # encryption key id -> AES-256 key (current first)
    current: str                   # the id new ciphertexts are written under

    @property
    def enc(self) -> bytes:  # AES-256-GCM key for new ciphertexts
        return self.enc_keys[self.current]

    @property
    def key_id(self) -> str:  # stored with every vault row
        return self.current

    @property
    def token_key_id(self) -> str:  # fingerprint of the token key (stored in the vault)
        return _fingerprint(self.mac)

    @property
    def audit(self) -> bytes:  # keys the access log's hash chain; survives rotation
        return _derive(self.mac, b"srdh vault access-log chain v1")

    @classmethod
    def from_master(cls, master: bytes) -> Keys:
        """The older single master key: both keys derived; encryption key = version 1."""
        mac = _derive(master, b"srdh uid token hmac-sha256 v1")
        enc = _derive(master, b"srdh vault aes-256-gcm v1")
        return cls(mac=mac, enc_keys={_fingerprint(mac): enc}, current=_fingerprint(mac))

    @classmethod
    def new(cls) -> Keys:
        """A fresh keyring: random token key and one random encryption key."""
        return cls(mac=os.urandom(32), enc_keys={}, current="").rotated()

    @classmethod
    def parse(cls, text: str) -> Keys:
        """A keyring (JSON) or an older master key (one base64 line)."""
        text = text.strip()
        if not text.startswith("{"):
            return cls.from_master(_unb64(text, "key"))
        try:
            doc = json.loads(text)
            enc = {str(k["id"]): _unb64(k["key"], f"encryption key {k['id']}")
                   for k in doc["encryption_keys"]}
            keys = cls(mac=_unb64(doc["token_key"], "token key"), enc_keys=enc,
                       current=str(doc["current"]))
        except (ValueError, KeyError, TypeError):
            raise VaultKeyError(f"the vault keyring is not a valid {KEYRING_FORMAT} "
                                "document") from None
        if doc.get("format") != KEYRING_FORMAT or keys.current not in enc:
            raise VaultKeyError(f"the vault keyring is not a valid {KEYRING_FORMAT} document")
        return keys

    def dumps(self) -> str:
        return json.dumps({
            "format": KEYRING_FORMAT,
            "token_key": _b64(self.mac),
            "current": self.current,
            "encryption_keys": [{"id": k, "key": _b64(v)} for k, v in self.enc_keys.items()],
        }, indent=2) + "\n"

    def rotated(self) -> Keys:
        """A new random encryption key made current; the older ones kept (to re-encrypt)."""
        enc = os.urandom(32)
        kid = "e" + hashlib.sha256(b"enc-key-id" + enc).hexdigest()[:8]
        return replace(self, enc_keys={kid: enc, **self.enc_keys}, current=kid)

    def only_current(self) -> Keys:
        return replace(self, enc_keys={self.current: self.enc})

    @classmethod
    def for_home(cls, home: Home) -> Keys:
        return cls.parse(read_key_text(home))


def read_key_text(home: Home) -> str:
    """The key material from the first configured source (see the module docstring)."""
    command = os.environ.get("SRDH_VAULT_KEY_COMMAND")
    if command:
        try:
            proc = subprocess.run(shlex.split(command), capture_output=True, text=True,
                                  timeout=60)
        except (OSError, subprocess.SubprocessError) as exc:
            raise VaultKeyMissing(f"the vault key command failed to start: "
                                  f"{type(exc).__name__}") from None
        if proc.returncode != 0 or not proc.stdout.strip():
            raise VaultKeyMissing(f"the vault key command ($SRDH_VAULT_KEY_COMMAND) gave no "
                                  f"key (exit {proc.returncode})")
        return proc.stdout
    text = os.environ.get("SRDH_VAULT_KEY")
    if text:
        return text
    path = key_file(home)
    if not path.is_file():
        raise VaultKeyMissing(
            f"no vault key at {path}: restore it from the key backup (or mount its volume); "
            "for a new, empty home run `srdh vault init-key` first")
    return path.read_text()


def write_keyring(path: Path, keys: Keys, *, exclusive: bool) -> None:
    """Write ``keys`` to ``path`` (mode 0600): a new file, or atomically replace one."""
    if exclusive:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(keys.dumps())
            fh.flush()
            os.fsync(fh.fileno())
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(keys.dumps())
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def init_key(home: Home) -> Path:
    """Create a new keyring file on purpose. Refuses when a key is configured elsewhere,
    when the file exists, or when the vault already holds UIDs (a new key cannot read
    them)."""
    if os.environ.get("SRDH_VAULT_KEY_COMMAND") or os.environ.get("SRDH_VAULT_KEY"):
        raise VaultKeyError(f"the vault key comes from {key_source(home)}; "
                            "`srdh vault init-key` creates only a key file")
    path = key_file(home)
    if path.exists():
        raise VaultKeyError(f"a vault key already exists at {path}; it was not overwritten")
    held = vault_key_ids(home)
    if held:
        raise VaultKeyError(f"the vault {home.vault} holds UIDs under key id(s) "
                            f"{', '.join(held)}: restore that key from its backup; "
                            "a new key cannot read them")
    if path.parent == home.secrets:
        home.secrets.mkdir(parents=True, exist_ok=True)
        os.chmod(home.secrets, 0o700)
    elif not path.parent.is_dir():  # e.g. an unmounted volume: never create it here
        raise VaultKeyError(f"the key folder {path.parent} does not exist (is it mounted?)")
    write_keyring(path, Keys.new(), exclusive=True)
    return path


def vault_key_ids(home: Home) -> list[str]:
    """Encryption key ids the vault's rows carry (none when there is no vault yet)."""
    if not home.vault.is_file():
        return []
    import duckdb

    con = duckdb.connect(str(home.vault), read_only=True)
    try:
        return stored_ids(con)[0]
    finally:
        con.close()


def check_fits(keys: Keys, key_ids: list[str], token_key_id: str | None) -> None:
    """Refuse a key that cannot read the vault: rows under an unknown key id, or a vault
    made with another token key (its tokens would not match this key's)."""
    if token_key_id and token_key_id != keys.token_key_id:
        raise VaultKeyError(f"the vault was made with token key {token_key_id}, the key from "
                            f"this home's key source has {keys.token_key_id}: restore the "
                            "vault's key; a different key gives residents other tokens")
    unknown = [k for k in key_ids if k not in keys.enc_keys]
    if unknown:
        raise VaultKeyError(f"the vault holds UIDs under key id(s) {', '.join(unknown)} that "
                            f"the key has not (it has {', '.join(keys.enc_keys)}): restore "
                            "the vault's key; a new key cannot read them")


def require_keys(home: Home) -> Keys:
    """The keys, checked against the vault before a run starts (nothing is created)."""
    keys = Keys.for_home(home)
    if home.vault.is_file():
        import duckdb

        try:
            con = duckdb.connect(str(home.vault), read_only=True)
        except duckdb.IOException:  # another process writes it: Vault() checks on open
            return keys
        try:
            check_fits(keys, *stored_ids(con))
        finally:
            con.close()
    return keys


def stored_ids(con) -> tuple[list[str], str | None]:
    """(encryption key ids of the rows, token key id) recorded in an open vault."""
    tables = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables").fetchall()}
    ids = ([r[0] for r in con.execute("SELECT DISTINCT key_id FROM uids ORDER BY 1").fetchall()]
           if "uids" in tables else [])
    token = None
    if "vault_meta" in tables:
        row = con.execute("SELECT value FROM vault_meta WHERE name = 'token_key_id'").fetchone()
        token = row[0] if row else None
    return ids, token


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
