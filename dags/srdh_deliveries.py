"""Scheduled deliveries back to departments: one DAG per department listed under
`deliveries:` in `dags/schedules.yaml` (or `$SRDH_SCHEDULES`), on that department's cron.

Each run delivers for its logical date, so a rerun of the same run rewrites the same files.
"""

from __future__ import annotations

from airflow.sdk import dag, get_current_context, task

from srdh.orchestration import dagkit


def build_delivery_dag(cfg: dict):
    dept = cfg["department"]

    @dag(
        dag_id=f"srdh_deliver_{dept}",
        description=cfg["description"],
        schedule=cfg["schedule"],
        **dagkit.dag_kwargs("deliver", ["deliveries", f"department:{dept}"]),
    )
    def deliver_department():
        @task(pool=dagkit.POOL)
        def deliver() -> dict:
            when = dagkit.run_date(get_current_context())
            return dagkit.deliver(dagkit.home(), dept, cfg["sources"], when)

        deliver()

    return deliver_department()


for _cfg in dagkit.deliveries():
    globals()[f"srdh_deliver_{_cfg['department']}"] = build_delivery_dag(_cfg)
