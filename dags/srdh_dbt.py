"""dbt build of the register and marts through astronomer-cosmos, after each matching run.

One task per dbt model (`dbt build` of the model and its tests), all in the one-slot
DuckDB pool. Publishes `srdh://warehouse/marts`. If `dbt_project/` isn't there yet the
DAG still imports, with a single task that skips and says why.
"""

from __future__ import annotations

from airflow.sdk import Asset, dag, task

from srdh.orchestration import dagkit
from srdh.orchestration.dbt_group import dbt_status, dbt_task_group


@dag(
    dag_id="srdh_dbt",
    description="dbt build (staging, intermediate, marts) over the DuckDB warehouse",
    schedule=Asset(dagkit.MATCHING_ASSET),
    **dagkit.dag_kwargs("dbt", ["dbt", "warehouse"]),
)
def srdh_dbt():
    @task(outlets=[Asset(dagkit.MARTS_ASSET)])
    def marts_built() -> str:
        return "marts built"

    group = dbt_task_group("dbt")
    if group is None:
        reason = dbt_status()

        @task
        def dbt_missing() -> None:
            from airflow.sdk.exceptions import AirflowSkipException

            raise AirflowSkipException(reason)

        dbt_missing()
    else:
        group >> marts_built()


srdh_dbt()
