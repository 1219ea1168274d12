"""Tools apart from the library: the process runner that starts a local Airflow
(``runner``, behind `srdh airflow up`) and the DAG test harness (``dagtest``).

ingest, matching and warehouse never import this package (import-linter contract in
pyproject.toml). A regular package (this file) so it wins over the bare ``tools/`` folder
that cron-descriptor, an Airflow dependency, leaves in site-packages."""
