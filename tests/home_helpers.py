"""A new SRDH home for a test: its vault key is created on purpose, as `srdh vault init-key`
does (an ingest never creates one). Call before the first ingest or run into a new home."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def ensure_key(home: str | os.PathLike[str]) -> Path:
    """Create the home's vault key if it has none (idempotent); returns the home root."""
    from core.paths import Home
    from ingest.tokens import init_key, key_file

    h = Home.at(home)
    if not key_file(h).exists():
        init_key(h)
    return h.root


# the key settings a test does not pass explicitly are not inherited from the shell
_KEY_ENV = ("SRDH_VAULT_KEY", "SRDH_VAULT_KEY_FILE", "SRDH_VAULT_KEY_COMMAND")


def srdh(*args: str, **env: str) -> subprocess.CompletedProcess:
    """`srdh ARGS` in a subprocess, as a user runs it (GX off)."""
    base = {k: v for k, v in os.environ.items() if k not in _KEY_ENV}
    return subprocess.run([sys.executable, "-m", "srdh.cli", *args], capture_output=True,
                          text=True, timeout=600, env={**base, "SRDH_GX": "0", **env})


def ingest(landing: Path, home: Path, **env: str) -> subprocess.CompletedProcess:
    return srdh("ingest", "--landing", str(landing), "--home", str(home), "--no-gx", **env)


def one_line_refusal(proc: subprocess.CompletedProcess, *words: str) -> None:
    """Exit 2, one `error:` line naming the cause, no traceback."""
    assert proc.returncode == 2, (proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:])
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    for w in words:
        assert w in lines[0], (w, lines[0])
