"""Tools apart from the library: the process runner that starts a local Airflow
(``runner``, behind `srdh airflow up`) and the DAG test harness (``dagtest``).

ingest, matching and warehouse never import this package (import-linter contract in
pyproject.toml). Named ``srdh_tools``, not ``tools``: cron-descriptor, an Airflow
dependency, installs a bare ``tools/`` folder into site-packages."""
