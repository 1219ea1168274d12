"""Command modules; each exposes ``register(app)``."""


def cell(x) -> str:
    """A value as printed in a command's table: '-' for missing (None or NaN)."""
    return "-" if x is None or x != x else str(x)  # x != x: NaN
