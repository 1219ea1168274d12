"""`srdh_full_run`: the whole pipeline in one manually triggered run (used by `make up`).

ingest every feed -> match -> dbt build (when the dbt project exists) -> Jan Samvad call
list -> publish -> deliveries for every department. Every step is a plain function in
`srdh.pipeline`; every task that opens the warehouse takes the one-slot DuckDB pool.

Beside that chain, one `check_<feed>` task per feed (and `check_landing`) reads the
ingest result and fails, without retries, with one line naming each refused batch or
misplaced file. The checks are leaves that nothing waits on: a refused batch never holds
back matching, build, publish or any delivery (every task keeps the default trigger
rule, all_success, on the chain), as `srdh run` goes on; the failed leaf makes the run
end failed, so the operator sees it.
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

        return pipeline.ingest(dagkit.home(), dagkit.landing()).to_xcom()

    @task
    def check(ingested: dict, feed: str) -> dict:
        return dagkit.check_feed(ingested, feed)

    @task
    def check_landing(ingested: dict) -> dict:
        return dagkit.check_landing(ingested)

    @task(pool=dagkit.POOL)
    def match() -> dict:
        from srdh import pipeline

        when = dagkit.run_date(get_current_context())
        return pipeline.match(dagkit.home(), run_date=when).to_xcom()

    @task(pool=dagkit.POOL, execution_timeout=dagkit.TIMEOUTS["publish"])
    def publish() -> dict:
        from srdh import pipeline

        return pipeline.publish(dagkit.home()).to_xcom()

    @task(pool=dagkit.POOL)
    def calllist() -> dict:
        from srdh import pipeline

        when = dagkit.run_date(get_current_context())
        return pipeline.calllist(dagkit.home(), when).to_xcom()

    ingested = ingest_all()
    chain = [ingested, match()]
    group = dbt_task_group("dbt")
    if group is not None:
        chain += [group, calllist()]
    chain.append(publish())
    for a, b in zip(chain, chain[1:], strict=False):
        a >> b
    for feed in dagkit.feeds():  # leaves beside the chain: nothing waits on a check
        check.override(task_id=f"check_{feed['name']}")(ingested, feed["name"])
    check_landing(ingested)

    @task(pool=dagkit.POOL, execution_timeout=dagkit.TIMEOUTS["deliver"])
    def deliver(department: str) -> dict:
        ctx = get_current_context()
        return dagkit.deliver(dagkit.home(), department, dagkit.run_date(ctx),
                              run_id=ctx["run_id"])

    for cfg in dagkit.deliveries():
        chain[-1] >> deliver.override(task_id=f"deliver_{cfg['slug']}")(cfg["department"])

srdh_full_run()
