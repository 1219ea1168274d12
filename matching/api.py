"""The public API of ``matching``: plain functions the CLI and the DAGs call.

* ``run_matching(home, run_date)`` - seed every linked feed against KYR, dedupe,
  cluster, write ``matching.*`` (trains a model only if missing: a home's first run
  trains them all, into ``<home>/models``, see ``matching.store``; department files
  are ``warehouse.deliver``'s);
* ``train_models(home)`` - retrain every model: a new version in ``<home>/models``
  (``committed=True``: ``matching/models/``, for review and commit);
* ``run_evaluation(home, truth_dir)`` - accuracy against truth and the two baselines.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from matching.settings import MatchSettings, load_settings

__all__ = ["run_matching", "train_models", "run_evaluation", "load_settings", "MatchSettings"]


def _home(home):
    from core.paths import Home

    return home if isinstance(home, Home) else Home.at(home)


def run_matching(home=None, run_date: dt.date | str | None = None,
                 settings: MatchSettings | None = None, retrain: bool = False):
    from matching import pipeline

    if isinstance(run_date, dt.date):
        run_date = run_date.isoformat()
    from core.stamps import stamp

    res = pipeline.run_matching(_home(home).root, settings=settings, retrain=retrain,
                                run_date=run_date)
    stamp(_home(home), "match")  # marts built before this are stale (srdh/preflight.py)
    return res


def train_models(home=None, settings: MatchSettings | None = None,
                 committed: bool = False) -> tuple[list[str], str]:
    from matching import pipeline

    return pipeline.train_models(_home(home).root, settings, committed=committed)


def run_evaluation(home=None, truth_dir: str | Path | None = None,
                   baselines: bool | list[str] = True, rerun: bool = False,
                   settings: MatchSettings | None = None, token_fn=None):
    from matching import evaluate

    return evaluate.run_evaluation(_home(home).root, truth_dir, baselines=baselines,
                                   rerun=rerun, settings=settings, token_fn=token_fn)
