"""The README tour runs as written (issue 21): every shell block marked `<!-- tour -->` in
README.md, in order, in one bash session at the top of the clone, as a newcomer would paste
them. Two things are changed, both checked to be there so the test fails if the tour
changes under it: the tour's home `/tmp/srdh-tour` becomes a temporary folder, and the
state is 400 residents instead of 20,000 (to stay near a minute).

Each command's exit code and key output are asserted, and no command may put a traceback,
a library warning or a progress bar on stderr (core/quiet.py)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOUR_HOME = "/tmp/srdh-tour"
TOUR_SIZE = "--residents 20000"
TEST_SIZE = "--residents 400"
MARK = "@@tour"
# library noise an operator should never see: warnings, tqdm bars, GX's metric bars
NOISE = re.compile(r"Warning|it/s\]|Calculating Metrics|Traceback")

pytestmark = pytest.mark.slow


def tour_commands(readme: str) -> list[str]:
    """The commands of the `<!-- tour -->` blocks, in order: one per line (a trailing
    backslash joins lines), comment-only lines dropped."""
    blocks = re.findall(r"<!-- tour -->\s*\n```bash\n(.*?)```", readme, flags=re.S)
    commands: list[str] = []
    pending = ""
    for block in blocks:
        for line in block.splitlines():
            line = pending + line
            if line.endswith("\\"):
                pending = line[:-1] + " "
                continue
            pending = ""
            if line.strip() and not line.strip().startswith("#"):
                commands.append(line.strip())
    return commands


def _script(commands: list[str]) -> str:
    """One bash script; each command is framed by markers on both streams, with its exit
    code, and runs in the same shell (so `source`, `export` and `read` carry over)."""
    parts = ["set -u"]
    for i, cmd in enumerate(commands):
        parts.append(f'echo "{MARK} {i}"; echo "{MARK} {i}" >&2; t0=$EPOCHREALTIME')
        parts.append(f"{{ {cmd}\n}}")
        parts.append(f'echo "{MARK}-rc {i} $? $t0 $EPOCHREALTIME"')
    return "\n".join(parts) + "\n"


def _split(text: str, n: int) -> list[str]:
    out = [""] * n
    current = None
    for line in text.splitlines(keepends=True):
        m = re.match(rf"{MARK} (\d+)$", line.strip())
        if m:
            current = int(m.group(1))
        elif current is not None and not line.startswith(f"{MARK}-rc "):
            out[current] += line
    return out


def test_the_tour_blocks_are_found():
    commands = tour_commands((ROOT / "README.md").read_text(encoding="utf-8"))
    assert commands[0] == "source .venv/bin/activate          # `srdh` (and dbt) on PATH in " \
                          "this shell; made by `make`"
    assert any(c.startswith("srdh publish") for c in commands)
    assert not any("uv run" in c or "..." in c for c in commands)  # nothing to fill in


def test_the_readme_tour_runs_as_written(tmp_path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = tour_commands(readme)
    text = "\n".join(commands)
    assert f"SRDH_HOME={TOUR_HOME}" in text and TOUR_SIZE in text, "the tour changed: adapt"
    home = tmp_path / "tour"
    commands = [c.replace(TOUR_HOME, str(home)).replace(TOUR_SIZE, TEST_SIZE)
                for c in commands]
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SRDH_", "VIRTUAL_ENV"))}
    proc = subprocess.run(["bash", "-c", _script(commands)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    ends = re.findall(rf"{MARK}-rc (\d+) (\d+) ([\d.]+) ([\d.]+)", proc.stdout)
    codes = {int(i): int(rc) for i, rc, _, _ in ends}
    took = {commands[int(i)].split("#")[0].strip(): round(float(b) - float(a), 1)
            for i, _, a, b in ends}
    print("seconds per tour command:", took)  # shown with -s, and on a failure
    outs, errs = _split(proc.stdout, len(commands)), _split(proc.stderr, len(commands))
    steps = {}
    for i, cmd in enumerate(commands):
        assert i in codes, f"the tour stopped before: {cmd}\n{proc.stderr[-2000:]}"
        assert codes[i] == 0, f"{cmd} -> exit {codes[i]}\n{outs[i][-1500:]}\n{errs[i][-1500:]}"
        noisy = [x for x in errs[i].splitlines() if NOISE.search(x)]
        assert not noisy, f"{cmd}: noise on stderr: {noisy[:3]}"
        words = cmd.split()
        key = " ".join(words[:3] if words[0] == "read" or words[1] in ("review", "vault")
                       else words[:2])
        steps[key] = (outs[i], errs[i])

    def out(step):
        return steps[step][0] + steps[step][1]

    assert (home / "landing" / "uid_kyr").is_dir() and (home / "truth").is_dir()
    assert "created:" in out("srdh vault init-key")
    assert re.search(r"total: [\d,]+ rows loaded", out("srdh ingest"))
    # Great Expectations ran (it imports PySpark), and stderr held none of their noise: no
    # pandas FutureWarning, no "Calculating Metrics" bars (checked for every command above)
    assert "Data Docs:" in out("srdh ingest")
    assert "Great Expectations: " in steps["srdh ingest"][0]
    assert "precision" in out("srdh evaluate").lower()
    assert re.search(r"\d+ pairs .* written to ", out("srdh review export"))
    assert "0 decisions read" in out("srdh review import")  # no decision filled in
    assert re.search(r"^food_pds: seed p >= [\d.]+, expected precision .*\(no reviewer "
                     r"labels\)", out("srdh review calibration"), re.M)
    assert "dbt build:" in out("srdh build") and "error=" not in out("srdh build")
    assert "published" in out("srdh publish") and (home / "serving" / "srdh.duckdb").is_file()
    assert re.search(r"\d+ resident\(s\) by name", out("srdh find"))
    assert re.search(r"^next: srdh resident R\w+ +srdh card HH-\w+", out("srdh find"), re.M)
    resident = re.search(r"^resident (R\w+): (\d+) record\(s\)", out("srdh resident"), re.M)
    assert resident and int(resident.group(2)) >= 1  # the id came from `srdh find`
    assert (tmp_path / "tour-card.html").stat().st_size > 500
    assert list((home / "deliveries").glob("*/*/manifest.json"))
    assert list((home / "deliveries" / "jansamvad" / "2025-03-01").glob("call_list.*"))
    assert "0 raw UID(s) found" in out("srdh scan")
    assert "nothing new since the last run" in out("srdh run")
