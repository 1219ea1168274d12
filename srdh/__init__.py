"""SRDH: State Residents Data Hub."""
__version__ = "0.1.0"
