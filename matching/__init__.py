"""Probabilistic UID seeding and de-duplication with Splink (see matching/README.md)."""

from matching.api import run_evaluation, run_matching, train_models

__all__ = ["run_matching", "train_models", "run_evaluation"]
