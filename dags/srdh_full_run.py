"""`srdh_full_run`: the whole pipeline in one manually triggered run (used by `make up`).

ingest every feed -> match -> dbt build (when the dbt project exists) -> Jan Samvad call
list -> publish ->
deliveries for every department. Every step is a plain function in `srdh.pipeline`; every
task that opens the warehouse takes the one-slot DuckDB pool.
"""

from __future__ import annotations

from airflow.sdk import dag, get_current_context, task

from srdh.orchestration import dagkit
from srdh.orchestration.dbt_group import dbt_task_group


@dag(
    dag_id="srdh_full_run",
    description="ingest all feeds, match, dbt build, publish, deliver",
    schedule=None,
    **dagkit.dag_kwargs("match", ["full-run"]),
)
def srdh_full_run():
    @task(pool=dagkit.POOL, execution_timeout=dagkit.TIMEOUTS["ingest"])
    def ingest_all() -> dict:
        from srdh import pipeline

        return dagkit.summarise(pipeline.ingest(dagkit.home(), dagkit.landing()))

    @task(pool=dagkit.POOL)
    def match() -> dict:
        from srdh import pipeline

        when = dagkit.run_date(get_current_context())
        return dagkit.summarise(pipeline.match(dagkit.home(), run_date=when))

    @task(pool=dagkit.POOL, execution_timeout=dagkit.TIMEOUTS["publish"])
    def publish() -> str:
        from srdh import pipeline

        return str(pipeline.publish(dagkit.home()))

    @task(pool=dagkit.POOL)
    def calllist() -> str:
        from srdh import pipeline

        when = dagkit.run_date(get_current_context())
        return str(pipeline.calllist(dagkit.home(), when))

    chain = [ingest_all(), match()]
    group = dbt_task_group("dbt")
    if group is not None:
        chain += [group, calllist()]
    chain.append(publish())
    for a, b in zip(chain, chain[1:], strict=False):
        a >> b

    @task(pool=dagkit.POOL, execution_timeout=dagkit.TIMEOUTS["deliver"])
    def deliver(department: str, sources: list[str]) -> dict:
        ctx = get_current_context()
        return dagkit.deliver(dagkit.home(), department, sources, dagkit.run_date(ctx),
                              run_id=ctx["run_id"])

    for cfg in dagkit.deliveries():
        task_id = f"deliver_{cfg['slug']}"
        chain[-1] >> deliver.override(task_id=task_id)(cfg["department"], cfg["sources"])

srdh_full_run()
