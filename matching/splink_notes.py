"""Splink's training chatter on stderr, turned into one line per model.

While a model trains, Splink logs at WARNING:

* that u's ``max_pairs`` is its default: SRDH chose it (``TrainingSettings.u_max_pairs``);
* that EM's sampling probe found no pairs: on a small table EM then uses every pair;
* each comparison level that no sampled pair fell in ("unable to train u/m value"): u is
  set by ``train._unobserved_u``; an unobserved m keeps Splink's default, which the
  operator should know about, once and briefly.

The filters sit on the loggers that emit these messages only, so any other Splink warning
still shows.
"""

from __future__ import annotations

import logging
import re
from collections import Counter

_EMITTERS = ("splink.internals.linker_components.training", "splink.internals.em_sampling",
             "splink.internals.expectation_maximisation")
_CHOSEN = ("default value for `max_pairs`", "Probe returned zero blocked pairs")
_UNOBSERVED = re.compile(r"Level (.+) on comparison (\S+) not observed in dataset, "
                         r"unable to train (m|u) value")


class TrainingNotes(logging.Filter):
    """Drops the notices above; counts the levels whose m could not be trained."""

    def __init__(self) -> None:
        super().__init__()
        self.untrained_m: Counter[str] = Counter()  # comparison -> levels

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        if any(c in msg for c in _CHOSEN):
            return False
        hit = _UNOBSERVED.search(msg)
        if hit:
            if hit.group(3) == "m":
                self.untrained_m[hit.group(2)] += 1
            return False
        return True

    def summary(self) -> str | None:
        if not self.untrained_m:
            return None
        parts = ", ".join(f"{c} ({n})" for c, n in sorted(self.untrained_m.items()))
        return (f"{sum(self.untrained_m.values())} comparison level(s) met no training pair "
                f"and keep Splink's default m: {parts}")


_NOTES = TrainingNotes()


def enter_training_notes() -> TrainingNotes:
    """The notes of one training: the filter stays on the emitting loggers (the notices
    it drops are never news to an SRDH operator); its count starts afresh here."""
    loggers = [logging.getLogger(name) for name in _EMITTERS]
    for lg in loggers:
        if _NOTES not in lg.filters:
            lg.addFilter(_NOTES)
    _NOTES.untrained_m.clear()
    return _NOTES
