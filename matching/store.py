"""A home's own matching models: one folder per run that trained them, and a pointer.

```
<home>/models/
    current                   # the version in use: one line, its run id
    2025-03-01_081530/        # one version (run date _ UTC time it was written)
        manifest.json         # the run, data counts, Splink version, models, thresholds
        seed_<feed>.json
        dedupe.json
```

A version is written whole (a temporary folder, then renamed) and never changed; a run
that trains a model (a home's first run, a department seen for the first time, or
``srdh train``) writes a new version holding every model the home uses - the ones it
did not train carried forward from the previous version, named in the manifest - and
moves ``current`` to it. Only the pointer moves, so an older version can be put back by
writing its run id into ``current``. The committed models (``matching/models/``) are the
other model source, used when ``matching.model`` is ``committed`` (the demo, the tests).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from matching.train import load_model, save_model

CURRENT = "current"
MANIFEST = "manifest.json"


def _splink_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("splink")
    except PackageNotFoundError:  # pragma: no cover - Splink is a dependency
        return "unknown"


@dataclass(frozen=True)
class HomeModels:
    """The versioned model folder of one SRDH home (``<home>/models``)."""

    root: Path

    @classmethod
    def of(cls, home_root: str | Path) -> HomeModels:
        return cls(Path(home_root) / "models")

    def current_id(self) -> str | None:
        """The run id ``current`` points at, or None when the home has no model yet."""
        pointer = self.root / CURRENT
        if not pointer.is_file():
            return None
        run_id = pointer.read_text().strip()
        return run_id if run_id and (self.root / run_id / MANIFEST).is_file() else None

    def current(self) -> Path | None:
        run_id = self.current_id()
        return self.root / run_id if run_id else None

    def load(self, name: str) -> dict | None:
        """Model ``name`` (``seed_<feed>``, ``dedupe``) of the current version."""
        folder = self.current()
        if folder is None:  # a home from before versions: its models lay in models/ itself
            return load_model(self.root / f"{name}.json")
        return load_model(folder / f"{name}.json")

    def manifest(self, run_id: str | None = None) -> dict | None:
        run_id = run_id or self.current_id()
        path = self.root / run_id / MANIFEST if run_id else None
        return json.loads(path.read_text()) if path and path.is_file() else None

    def versions(self) -> list[str]:
        return sorted(p.name for p in self.root.glob("*/") if (p / MANIFEST).is_file())

    def write_version(self, trained: dict[str, dict], carried: dict[str, dict],
                      made_by: str, run_date: str | None = None,
                      data_rows: dict[str, int] | None = None,
                      thresholds: dict | None = None) -> str:
        """A new version with the ``trained`` models and the ``carried`` ones (name ->
        model, from the version in use); ``current`` then points at it. Returns its id."""
        previous = self.current_id()
        now = dt.datetime.now(dt.UTC)
        base = f"{run_date or now.date().isoformat()}_{now:%H%M%S}"
        run_id, n = base, 1
        while (self.root / run_id).exists():
            n += 1
            run_id = f"{base}-{n}"
        tmp = self.root / f".{run_id}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        for name, model in {**carried, **trained}.items():
            save_model(model, tmp / f"{name}.json")
        manifest = {
            "run_id": run_id,
            "created_at": now.isoformat(timespec="seconds"),
            "made_by": made_by,
            "run_date": run_date,
            "splink_version": _splink_version(),
            "data_rows": data_rows or {},
            "models": {**{name: {"trained_here": False, "from": previous} for name in carried},
                       **{name: {"trained_here": True, "trained_on_rows":
                                 model.get("srdh", {}).get("trained_on_rows")}
                          for name, model in trained.items()}},
            # chosen without labels on the run that trained these models (auto thresholds
            # are chosen again on every run; matching.runs keeps each run's)
            "thresholds": thresholds or {},
            "previous": previous,
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        tmp.replace(self.root / run_id)
        pointer = self.root / f".{CURRENT}.tmp"
        pointer.write_text(run_id + "\n")
        pointer.replace(self.root / CURRENT)
        return run_id


def models_in_use(settings, home_root: str | Path) -> dict[str, dict]:
    """Name -> model as ``srdh match`` picks them in this home: the home's current version
    (or, from before versions, ``models/*.json``), with ``model: committed`` overlaid by
    ``settings.models_dir``."""
    hm = HomeModels.of(home_root)
    folder = hm.current() or hm.root
    out = {p.stem: load_model(p) for p in sorted(folder.glob("*.json"))
           if p.name != MANIFEST}
    if settings.model == "committed":
        out.update({p.stem: load_model(p)
                    for p in sorted(Path(settings.models_dir).glob("*.json"))})
    return out
