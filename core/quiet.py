"""Third-party noise on stderr, silenced at its source and in one place.

An operator reads stderr for SRDH's own errors and refusals; library chatter hides them.
Each filter here is narrow (a library's module and a category or message), so a warning
from our own code, or a new kind from a library, still shows.

- PySpark (imported by Great Expectations, and by Splink's Spark backend) warns on import
  that it "does not yet fully support pandas >= 3": a note to its own users, not ours.
- Great Expectations: its usage analytics are off, and its loggers say only errors. Its
  "Calculating Metrics" progress bars are switched off in the GX context's own config
  (``progress_bars``, ingest/quality.py), not here.
"""

from __future__ import annotations

import logging
import os
import warnings

_DONE = False


def quiet_third_party() -> None:
    """Install the filters (idempotent; call before importing GX or PySpark)."""
    global _DONE
    if _DONE:
        return
    _DONE = True
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"pyspark(\..*)?$",
                            message=r"PySpark does not yet fully support pandas")
    warnings.filterwarnings("ignore", module=r"great_expectations(\..*)?$")
    for name in ("great_expectations", "posthog"):
        logging.getLogger(name).setLevel(logging.ERROR)
