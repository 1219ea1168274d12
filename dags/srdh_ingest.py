"""One ingest DAG per feed in the source registry (`ingest/sources/*.yaml`, or `$SRDH_SOURCES`).

Adding a department's YAML adds its DAG: `srdh_ingest_<feed>`. Each DAG loads only its
own feed (`srdh.pipeline.ingest(home, landing, feeds=[feed])`) through the one-slot DuckDB
pool, then publishes the Airflow asset `srdh://raw/<feed>` when a new batch landed. When
the load reports nothing new, the `announce` task is skipped and no asset event is sent,
so downstream matching is not re-triggered for nothing.

`check` fails (no retries) with one line naming each refused batch of the feed (e.g. a
`_control.csv` mismatch) and each misplaced file in its folder. It runs beside
`announce`, not before it: the batches that did load are still announced, and the run
ends failed so the operator sees the refusal.
"""

from __future__ import annotations

from airflow.sdk import Asset, dag, task

from srdh.orchestration import dagkit


def build_ingest_dag(feed: dict):
    name = feed["name"]
    raw = Asset(dagkit.RAW_ASSET.format(feed=name))

    @dag(
        dag_id=f"srdh_ingest_{name}",
        description=f"Load the {name} feed from the landing folder into raw/std",
        schedule=feed["schedule"],
        doc_md=f"{feed['description']}. Publishes `{raw.uri}`.",
        **dagkit.dag_kwargs("ingest", ["ingest", f"feed:{name}"]),
    )
    def ingest_feed():
        @task(pool=dagkit.POOL)
        def load() -> dict:
            from srdh import pipeline

            return pipeline.ingest(dagkit.home(), dagkit.landing(), feeds=[name]).to_xcom()

        @task
        def check(ingested: dict) -> dict:
            return dagkit.check_feed(ingested, name)

        @task(outlets=[raw])
        def announce(ingested: dict, outlet_events=None) -> dict:
            from srdh.results import Ingested

            new = Ingested.from_xcom(ingested).new_batches(name)
            if not new:
                from airflow.sdk.exceptions import AirflowSkipException

                raise AirflowSkipException(f"nothing new for {name}; no asset event")
            outlet_events[raw].extra = {"feed": name, "new": len(new), "batches": list(new)}
            return {"feed": name, "new_batches": list(new)}

        loaded = load()
        check(loaded)
        announce(loaded)

    return ingest_feed()


for _feed in dagkit.feeds():
    globals()[f"srdh_ingest_{_feed['name']}"] = build_ingest_dag(_feed)
