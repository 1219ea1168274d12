"""Matching: link every departmental source to KYR, re-run whenever KYR or a department lands.

Scheduled on assets (Airflow 3 conditional expression): KYR *or* any departmental person
feed publishing a new batch starts a run. Publishes `srdh://matching/clusters`.
"""

from __future__ import annotations

import functools
import operator

from airflow.sdk import Asset, dag, get_current_context, task

from srdh.orchestration import dagkit

_person = [f["name"] for f in dagkit.feeds() if f["person"]]
_kyr = Asset(dagkit.RAW_ASSET.format(feed=dagkit.KYR_FEED))
_departments = [Asset(dagkit.RAW_ASSET.format(feed=n)) for n in _person if n != dagkit.KYR_FEED]
# KYR | (dept_1 | dept_2 | ...): either a new KYR batch or a new departmental batch.
_schedule = functools.reduce(operator.or_, _departments, _kyr) if _departments else _kyr


@dag(
    dag_id="srdh_match",
    description="Link departmental records to KYR residents (Splink), de-duplicate, seed UIDs",
    schedule=_schedule,
    **dagkit.dag_kwargs("match", ["matching"]),
)
def srdh_match():
    @task(pool=dagkit.POOL, outlets=[Asset(dagkit.MATCHING_ASSET)])
    def match() -> dict:
        from srdh import pipeline

        when = dagkit.run_date(get_current_context())
        return pipeline.match(dagkit.home(), run_date=when).to_xcom()

    match()


srdh_match()
