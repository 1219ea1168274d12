"""SRDH's Superset: bootstrap, assets as code, roles and RLS, start/stop.

Runs only in the BI environment (``dashboards/.venv``); the entry point is
``dashboards/manage.py``.
"""
