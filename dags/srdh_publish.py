"""Publish the read-only serving copy Superset reads (atomic swap), after every dbt build."""

from __future__ import annotations

from airflow.sdk import Asset, dag, task

from srdh.orchestration import dagkit


@dag(
    dag_id="srdh_publish",
    description="Snapshot the warehouse into the serving copy and swap it in atomically",
    schedule=Asset(dagkit.MARTS_ASSET),
    **dagkit.dag_kwargs("publish", ["publish", "serving"]),
)
def srdh_publish():
    @task(pool=dagkit.POOL, outlets=[Asset(dagkit.SERVING_ASSET)])
    def publish() -> dict:
        from srdh import pipeline

        return pipeline.publish(dagkit.home()).to_xcom()

    publish()


srdh_publish()
