"""Airflow-side helpers for SRDH: DAG defaults, the feed/delivery registries as DAGs see them,
dbt's task group and the scheduler's pre-imports. The runner that starts a local Airflow
(`srdh airflow up`) and the DAG test harness are in `srdh_tools/`.

Nothing in `ingest`, `matching` or `warehouse` imports this package. Its modules import
Airflow only inside functions, so importing them is cheap and safe at DAG-parse time.
"""
