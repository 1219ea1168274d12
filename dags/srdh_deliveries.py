"""Scheduled deliveries back to departments: one DAG per department in
`warehouse/deliveries.yaml` (the delivery step's own config; `$SRDH_DELIVERIES_CONFIG`
overrides), each on that department's cron schedule.

Each run delivers for its logical date and is tagged with its Airflow run id, so a rerun of
the same run rewrites the same files under `<home>/deliveries/<source>/<run_date>/`.
"""

from __future__ import annotations

from airflow.sdk import dag, get_current_context, task

from srdh.orchestration import dagkit


def build_delivery_dag(cfg: dict):
    dept = cfg["department"]

    @dag(
        dag_id=f"srdh_deliver_{cfg['slug']}",
        description=cfg["description"],
        schedule=cfg["schedule"],
        **dagkit.dag_kwargs("deliver", ["deliveries", f"department:{dept}"]),
    )
    def deliver_department():
        @task(pool=dagkit.POOL)
        def deliver() -> dict:
            ctx = get_current_context()
            return dagkit.deliver(dagkit.home(), dept, dagkit.run_date(ctx), run_id=ctx["run_id"])

        deliver()

    return deliver_department()


for _cfg in dagkit.deliveries():
    globals()[f"srdh_deliver_{_cfg['slug']}"] = build_delivery_dag(_cfg)
