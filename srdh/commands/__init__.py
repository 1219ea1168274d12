"""Command modules; each exposes ``register(app)``."""


def cell(x) -> str:
    """A value as printed in a command's table: '-' for missing (None or NaN)."""
    return "-" if x is None or x != x else str(x)  # x != x: NaN


def show_progress(logger: str = "matching.pipeline", prefix: str = "   ") -> None:
    """Print a long step's progress lines (its logger's INFO messages) on stderr, so an
    operator sees where a 10-minute `srdh match` is; results stay on stdout."""
    import logging
    import sys

    log = logging.getLogger(logger)
    if any(getattr(h, "_srdh_progress", False) for h in log.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(prefix + "%(asctime)s %(message)s", "%H:%M:%S"))
    handler._srdh_progress = True  # type: ignore[attr-defined]
    log.addHandler(handler)
    log.setLevel(logging.INFO)
