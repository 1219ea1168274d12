"""Test-only: pause ingest inside a batch's write transaction, so a test can SIGKILL it there.

Put on the PYTHONPATH of a test's subprocess by ``fault_helpers.paused_env`` (Python
imports ``sitecustomize`` at start-up); production code carries no hook for this. It wraps
``ingest.load._record``, which records a loaded batch inside its transaction, just before
COMMIT: the wrapper drops a marker file and sleeps. Should that call ever move out of the
transaction, the tests that use this see a committed batch after the kill and fail.
"""

import os

if os.environ.get("SRDH_TEST_PAUSE_MARKER"):
    import time
    from pathlib import Path

    import ingest.load as _load

    _record = _load._record

    def _record_then_pause(con, res, run_id, started):
        _record(con, res, run_id, started)
        only = os.environ.get("SRDH_TEST_PAUSE_BATCH")
        if res.status == "loaded" and (not only or only == res.batch_id):
            Path(os.environ["SRDH_TEST_PAUSE_MARKER"]).write_text(res.batch_id)
            time.sleep(float(os.environ.get("SRDH_TEST_PAUSE_SECONDS", "300")))

    _load._record = _record_then_pause
