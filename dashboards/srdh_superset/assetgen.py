"""The dashboards as code: a compact spec rendered to Superset's native export YAML.

``dashboards/assets/`` is what bootstrap imports; this module writes it:

    .venv/bin/python dashboards/manage.py gen-assets --serving <home>/serving/srdh.duckdb
    (or, pipeline env: python -c "...assetgen.write_assets(...)")

Dataset columns and types are read from a real serving copy (so they always match the
dbt marts), the rest (metrics, charts, dashboards, native filters) is below. UUIDs are
``uuid5`` of stable keys, so regenerating changes nothing unless the spec or the marts
changed; ``tests/test_superset_stack.py`` regenerates from the pipeline's serving copy
and fails when the committed YAML is stale.

Also writes ``srdh_superset/serving_schema.json`` (the columns of every table the
assets read), which ``sample_data`` uses to make an empty serving copy for demos.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DASHBOARDS_DIR = Path(__file__).resolve().parents[1]
ASSETS_DIR = DASHBOARDS_DIR / "assets"
SCHEMA_FILE = Path(__file__).with_name("serving_schema.json")
DATABASE_UUID = "585b9575-c012-4e4c-afa6-bde86d1adf0f"
NS = uuid.UUID("5b1f6c3e-7d0a-4a53-9a51-2a3c0f1d5e11")
# never exposed as dataset columns (nested lists, or a UID token nobody needs to chart)
EXCLUDED_COLUMNS = {"uid_token", "members", "nearest_facilities", "scheme_identifiers",
                    "sources"}


def _uuid(kind: str, key: str) -> str:
    return str(uuid.uuid5(NS, f"srdh:{kind}:{key}"))


# --------------------------------------------------------------------------- datasets
@dataclass
class Dataset:
    key: str                      # "<schema>.<table>" as security.yaml names it
    description: str
    sql: str | None = None        # virtual dataset when set
    metrics: list[tuple[str, str, str, str]] = field(default_factory=list)
    verbose: dict[str, str] = field(default_factory=dict)

    @property
    def schema(self) -> str:
        return self.key.split(".", 1)[0]

    @property
    def table(self) -> str:
        return self.key.split(".", 1)[1]

    @property
    def uuid(self) -> str:
        return _uuid("dataset", self.key)


def _count(name: str, verbose: str, where: str | None = None) -> tuple[str, str, str, str]:
    expr = f"COUNT(*) FILTER (WHERE {where})" if where else "COUNT(*)"
    return (name, expr, verbose, ",d")


def _sum(col: str, verbose: str, fmt: str = ",d") -> tuple[str, str, str, str]:
    return (f"total_{col}", f"SUM({col})", verbose, fmt)


RUPEES = ",.0f"
SHARE = ".1%"

DATASETS: list[Dataset] = [
    Dataset("marts.dim_resident", "The golden resident register (one row per resident).",
            metrics=[_count("residents", "Residents"),
                     ("households", "COUNT(DISTINCT household_id)", "Households", ",d"),
                     _count("residents_with_kyr", "Residents with KYR", "has_kyr"),
                     _count("residents_deceased", "Deceased", "is_deceased"),
                     ("kyr_share", "AVG(CASE WHEN has_kyr THEN 1.0 ELSE 0.0 END)",
                      "Share with KYR", SHARE)]),
    Dataset("marts.district_overview",
            "Per district: residents, households, scheme beneficiaries, UID seeding coverage"
            " and the centroid of its villages (dbt mart_district_overview).",
            sql="select * from marts.mart_district_overview",
            metrics=[_sum("residents", "Residents"), _sum("households", "Households"),
                     _sum("beneficiaries", "Beneficiary records"),
                     _sum("uid_seeded", "UID seeded"),
                     ("uid_seeding_coverage",
                      "SUM(uid_seeded) * 1.0 / NULLIF(SUM(beneficiaries), 0)",
                      "UID seeding coverage", SHARE)]),
    Dataset("marts.village_residents",
            "Per LGD village: location, residents and households living there"
            " (dbt mart_village_residents).",
            sql="select * from marts.mart_village_residents",
            metrics=[_sum("residents", "Residents"),
                     ("avg_latitude", "AVG(latitude)", "Latitude", ".2f"),
                     ("avg_longitude", "AVG(longitude)", "Longitude", ".2f")]),
    Dataset("marts.mart_household_card", "The household card, one row per household.",
            metrics=[_count("households", "Households"),
                     _sum("monthly_amount_inr", "Rupees / month", RUPEES)]),
    Dataset("marts.household_members",
            "Household card members: one row per member with household, village, masked UID"
            " and schemes, for the household lookup (dbt mart_household_members).",
            sql="select * from marts.mart_household_members",
            metrics=[_count("members", "Members"),
                     ("households", "COUNT(DISTINCT household_id)", "Households", ",d")]),
    Dataset("marts.mart_scheme_leakage",
            "Active beneficiary records and leakage per scheme, district and block.",
            metrics=[_sum("beneficiaries", "Beneficiaries"),
                     _sum("uid_seeded", "UID seeded"),
                     ("uid_seeding_coverage",
                      "SUM(uid_seeded) * 1.0 / NULLIF(SUM(beneficiaries), 0)",
                      "UID seeding coverage", SHARE),
                     _sum("duplicates", "Duplicates"), _sum("ghosts", "Ghosts"),
                     _sum("deceased_active", "Deceased but active"),
                     _sum("rupees_month_total", "Rupees / month", RUPEES),
                     _sum("rupees_month_at_risk_total", "Rupees at risk / month", RUPEES),
                     _sum("rupees_month_at_risk_duplicates", "At risk: duplicates", RUPEES),
                     _sum("rupees_month_at_risk_ghosts", "At risk: ghosts", RUPEES),
                     _sum("rupees_month_at_risk_deceased", "At risk: deceased", RUPEES),
                     # findings that need a field check: shown beside, never inside, the
                     # rupees at risk (issue 18)
                     _sum("not_in_kyr_to_verify", "Not in KYR (to verify)"),
                     _sum("possibly_deceased_to_verify", "Possibly deceased (to verify)"),
                     _sum("rupees_month_to_verify", "Rupees to verify / month", RUPEES)]),
    Dataset("marts.inclusion_gaps",
            "Residents who look eligible but are not enrolled (mart_inclusion_gaps; the"
            " suggested scheme as scheme_code).",
            sql="""select rule_id, resident_id, household_id, district, block,
       suggested_scheme_code as scheme_code, certainty, reason
from marts.mart_inclusion_gaps""",
            metrics=[_count("gaps", "Residents with an inclusion gap"),
                     _count("gaps_confirmed", "Gaps (confirmed)", "certainty = 'confirmed'"),
                     _count("gaps_to_verify", "Gaps (to verify)", "certainty = 'to_verify'")]),
    Dataset("marts.mart_data_quality", "Per feed and batch: rows loaded, quarantined, seeding.",
            metrics=[_sum("rows_read", "Rows read"), _sum("rows_loaded", "Rows loaded"),
                     _sum("rows_quarantined", "Rows quarantined"), _sum("seeded", "Seeded"),
                     _sum("in_review", "In review"), _sum("unmatched", "Unmatched"),
                     ("seeded_share_all", "SUM(seeded) * 1.0 / NULLIF(SUM(seeded) + "
                      "SUM(in_review) + SUM(unmatched), 0)", "Seeded share", SHARE)]),
    Dataset("marts.mart_data_quality_quarantine_reasons",
            "Quarantined rows by feed, batch, column and reason.",
            metrics=[_sum("rows_quarantined", "Rows quarantined")]),
    Dataset("marts.mart_jansamvad_outcomes",
            "Jan Samvad call outcomes per scheme, district and block.",
            metrics=[_sum("calls", "Calls"), _sum("calls_connected", "Connected"),
                     ("contact_rate_all", "SUM(calls_connected) * 1.0 / NULLIF(SUM(calls), 0)",
                      "Contact rate", SHARE),
                     ("benefit_received_rate_all", "SUM(benefit_received_yes) * 1.0 / NULLIF("
                      "SUM(benefit_received_yes) + SUM(benefit_received_no), 0)",
                      "Benefit received", SHARE),
                     ("avg_satisfaction_all", "SUM(avg_satisfaction * satisfaction_answers)"
                      " / NULLIF(SUM(satisfaction_answers), 0)", "Satisfaction (1-5)", ".2f"),
                     _sum("grievances", "Grievances"),
                     _sum("grievances_delayed_payment", "Delayed payment"),
                     _sum("grievances_wrong_amount", "Wrong amount"),
                     _sum("grievances_not_received", "Not received"),
                     _sum("grievances_bribe_demanded", "Bribe demanded"),
                     _sum("grievances_name_error", "Name error"),
                     _sum("grievances_ration_quality", "Ration quality"),
                     _sum("grievances_other", "Other")]),
    Dataset("marts.mart_open_grievances", "Open grievances, one row per grievance call.",
            metrics=[_count("open_grievances", "Open grievances")]),
    Dataset("marts.mart_followup_due", "Households due for a follow-up call.",
            metrics=[_count("followups_due", "Follow-ups due")]),
    Dataset("jansamvad.call_list_latest",
            "The latest Jan Samvad call list (jansamvad.call_lists on its latest list_date).",
            sql="""select list_date, call_order, district as district_name, block as block_name,
       scheme_code, household_id, beneficiary_name, beneficiary_uid_masked, mobile,
       head_name, member_count, schemes, monthly_amount_inr, script_language,
       nearest_phc_name, nearest_phc_km, village_code, source, source_record_id,
       inclusion_gaps
from jansamvad.call_lists
where list_date = (select max(list_date) from jansamvad.call_lists)""",
            metrics=[_count("households_to_call", "Households to call")]),
    Dataset("marts.mart_project_status", "Project tasks by status, per project.",
            metrics=[_sum("tasks_total", "Tasks"), _sum("tasks_allocated", "Allocated"),
                     _sum("tasks_in_progress", "In progress"),
                     _sum("tasks_pending_approval", "Pending approval"),
                     _sum("tasks_completed", "Completed"), _sum("tasks_rejected", "Rejected")]),
    Dataset("marts.project_task_ageing",
            "mart_project_task_ageing with the project's department.",
            sql="""select a.*, s.department
from marts.mart_project_task_ageing a
left join marts.mart_project_status s on s.project_id = a.project_id""",
            metrics=[_sum("task_count", "Tasks"), _sum("aged_0_7_days", "0-7 days"),
                     _sum("aged_8_30_days", "8-30 days"), _sum("aged_31_90_days", "31-90 days"),
                     _sum("aged_over_90_days", "Over 90 days")]),
    Dataset("marts.project_surveys",
            "mart_survey_summary with the project's name and department.",
            sql="""select q.*, s.project_name, s.department
from marts.mart_survey_summary q
left join marts.mart_project_status s on s.project_id = q.project_id""",
            metrics=[_sum("responses", "Responses"), _sum("answered", "Answered")]),
    Dataset("marts.project_survey_choices",
            "mart_survey_choice_counts with the project's name and department.",
            sql="""select c.*, s.project_name, s.department
from marts.mart_survey_choice_counts c
left join marts.mart_project_status s on s.project_id = c.project_id""",
            metrics=[_sum("answer_count", "Answers")]),
]
DS = {d.key: d for d in DATASETS}


# --------------------------------------------------------------------------- charts
@dataclass
class Chart:
    name: str
    dataset: str
    viz: str                      # big_number | table | table_raw | bar | pie | bubble
    metrics: list[str] = field(default_factory=list)
    groupby: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)   # table_raw
    order: list[tuple[str, bool]] = field(default_factory=list)  # (col, ascending)
    description: str = ""
    row_limit: int = 1000
    extra: dict[str, Any] = field(default_factory=dict)
    stack: bool = False

    @property
    def uuid(self) -> str:
        return _uuid("chart", self.name)


def _form_data(c: Chart) -> tuple[dict[str, Any], dict[str, Any]]:
    """(params, the query of the saved query_context) for one chart."""
    base = {"datasource": "0__table", "viz_type": None, "adhoc_filters": [],
            "extra_form_data": {}}
    q: dict[str, Any] = {"filters": [], "extras": {"having": "", "where": ""},
                         "applied_time_extras": {}, "annotation_layers": [],
                         "custom_form_data": {}, "custom_params": {}, "url_params": {},
                         "series_limit": 0, "order_desc": True, "post_processing": []}
    if c.viz == "big_number":
        p = {**base, "viz_type": "big_number_total", "metric": c.metrics[0],
             "header_font_size": 0.4, "subheader_font_size": 0.15, "time_format": "smart_date",
             "y_axis_format": "SMART_NUMBER", **c.extra}
        q.update(columns=[], metrics=c.metrics[:1], orderby=[], row_limit=1)
    elif c.viz == "table":
        p = {**base, "viz_type": "table", "query_mode": "aggregate", "groupby": c.groupby,
             "metrics": c.metrics, "all_columns": [], "percent_metrics": [],
             "order_by_cols": [], "row_limit": c.row_limit, "server_page_length": 10,
             "order_desc": True, "table_timestamp_format": "smart_date",
             "show_cell_bars": True, "color_pn": True, "include_search": True, **c.extra}
        if c.order:
            p["timeseries_limit_metric"] = c.order[0][0]
        q.update(columns=c.groupby, metrics=c.metrics, row_limit=c.row_limit,
                 orderby=[[o, asc] for o, asc in (c.order or [(c.metrics[0], False)])])
    elif c.viz == "table_raw":
        p = {**base, "viz_type": "table", "query_mode": "raw", "all_columns": c.columns,
             "groupby": [], "metrics": [], "percent_metrics": [],
             "order_by_cols": [json.dumps([o, asc]) for o, asc in c.order],
             "row_limit": c.row_limit, "server_page_length": 20,
             "table_timestamp_format": "%Y-%m-%d", "include_search": True,
             "show_cell_bars": False, "color_pn": False, **c.extra}
        # metrics None (not []) = a raw query, as the table chart's buildQuery sends it
        q.update(columns=c.columns, metrics=None, row_limit=c.row_limit,
                 orderby=[[o, asc] for o, asc in c.order])
    elif c.viz == "bar":
        p = {**base, "viz_type": "echarts_timeseries_bar", "x_axis": c.groupby[0],
             "metrics": c.metrics, "groupby": c.groupby[1:], "row_limit": c.row_limit,
             "orientation": "vertical", "x_axis_sort_asc": True,
             "x_axis_sort_series": "name", "x_axis_sort_series_ascending": True,
             "show_legend": len(c.metrics) > 1 or len(c.groupby) > 1,
             "legendType": "scroll", "legendOrientation": "top", "rich_tooltip": True,
             "stack": "Stack" if c.stack else None, "xAxisLabelRotation": 45,
             "y_axis_format": "SMART_NUMBER", "truncateYAxis": False,
             "sort_series_type": "sum", "color_scheme": "supersetColors", **c.extra}
        q.update(columns=c.groupby, metrics=c.metrics, row_limit=c.row_limit,
                 orderby=[[c.groupby[0], True]])
    elif c.viz == "pie":
        p = {**base, "viz_type": "pie", "groupby": c.groupby, "metric": c.metrics[0],
             "row_limit": c.row_limit, "show_labels": True, "labels_outside": True,
             "label_type": "key_percent", "number_format": "SMART_NUMBER", "donut": True,
             "show_legend": True, "legendOrientation": "right", "legendType": "scroll",
             "color_scheme": "supersetColors", "sort_by_metric": True, **c.extra}
        q.update(columns=c.groupby, metrics=c.metrics[:1], row_limit=c.row_limit,
                 orderby=[[c.metrics[0], False]])
    elif c.viz == "bubble":
        entity, series = c.groupby[0], c.groupby[1] if len(c.groupby) > 1 else None
        x, y, size = c.metrics
        p = {**base, "viz_type": "bubble_v2", "entity": entity, "series": series,
             "x": x, "y": y, "size": size, "limit": c.row_limit, "row_limit": c.row_limit,
             "max_bubble_size": "15", "show_legend": False, "color_scheme": "supersetColors",
             "x_axis_label": "Longitude", "y_axis_label": "Latitude",
             "xAxisFormat": ".1f", "y_axis_format": ".1f", "truncateYAxis": True,
             "truncateXAxis": True, "opacity": 0.7, "xAxisTitleMargin": 30,
             "yAxisTitleMargin": 40, "tooltipSizeFormat": ",d",
             "orderby": [], **c.extra}
        q.update(columns=c.groupby, metrics=c.metrics, row_limit=c.row_limit, orderby=[])
    else:  # pragma: no cover
        raise ValueError(c.viz)
    return p, q


CHARTS: list[Chart] = [
    # overview
    Chart("Residents", "marts.dim_resident", "big_number", ["residents"],
          description="Residents in the golden register (all districts you may see)."),
    Chart("Households", "marts.mart_household_card", "big_number", ["households"],
          description="Households (ration cards, else inferred from KYR)."),
    Chart("Residents with KYR", "marts.dim_resident", "big_number", ["kyr_share"],
          description="Share of residents with a UID KYR record.",
          extra={"y_axis_format": ".1%"}),
    Chart("UID seeding coverage by district", "marts.district_overview", "bar",
          ["uid_seeding_coverage"], ["district"],
          description="UID-seeded beneficiary records / active beneficiary records.",
          extra={"y_axis_format": ".0%"}),
    Chart("Districts", "marts.district_overview", "table",
          ["total_residents", "total_households", "total_beneficiaries", "total_uid_seeded",
           "uid_seeding_coverage"], ["district"], order=[("total_residents", False)]),
    Chart("Villages map", "marts.village_residents", "bubble",
          ["avg_longitude", "avg_latitude", "total_residents"], ["village_name", "district"],
          description="Villages by latitude/longitude (no map tiles needed), bubble size ="
                      " residents, colour = district.", row_limit=10000),
    # scheme monitoring
    Chart("Beneficiaries", "marts.mart_scheme_leakage", "big_number", ["total_beneficiaries"]),
    Chart("Duplicates", "marts.mart_scheme_leakage", "big_number", ["total_duplicates"]),
    Chart("Ghosts", "marts.mart_scheme_leakage", "big_number", ["total_ghosts"]),
    Chart("Deceased but active", "marts.mart_scheme_leakage", "big_number",
          ["total_deceased_active"]),
    Chart("Rupees at risk per month", "marts.mart_scheme_leakage", "big_number",
          ["total_rupees_month_at_risk_total"], extra={"y_axis_format": ",.0f"},
          description="Confirmed findings only: duplicates, ghosts, the dead still paid."),
    Chart("Rupees to verify per month", "marts.mart_scheme_leakage", "big_number",
          ["total_rupees_month_to_verify"], extra={"y_axis_format": ",.0f"},
          description="Paid on records whose finding needs a field check (not in KYR, "
                      "possibly deceased); not counted as at risk."),
    Chart("Leakage by scheme", "marts.mart_scheme_leakage", "table",
          ["total_beneficiaries", "uid_seeding_coverage", "total_duplicates", "total_ghosts",
           "total_deceased_active", "total_not_in_kyr_to_verify", "total_rupees_month_total",
           "total_rupees_month_at_risk_total", "total_rupees_month_to_verify"],
          ["department", "scheme_code"],
          order=[("total_beneficiaries", False)]),
    Chart("Rupees at risk by district", "marts.mart_scheme_leakage", "bar",
          ["total_rupees_month_at_risk_duplicates", "total_rupees_month_at_risk_ghosts",
           "total_rupees_month_at_risk_deceased"], ["district"], stack=True,
          extra={"y_axis_format": ",.0f"}),
    Chart("Leakage by district and block", "marts.mart_scheme_leakage", "table",
          ["total_beneficiaries", "total_duplicates", "total_ghosts", "total_deceased_active",
           "total_rupees_month_at_risk_total"], ["district", "block"],
          order=[("total_rupees_month_at_risk_total", False)]),
    Chart("Inclusion gaps by scheme", "marts.inclusion_gaps", "bar",
          ["gaps_confirmed", "gaps_to_verify"], ["scheme_code"], stack=True,
          description="Confirmed gaps reach the call list; a gap to verify may already be "
                      "paid under a record SRDH could not link."),
    Chart("Inclusion gaps by district and block", "marts.inclusion_gaps", "table",
          ["gaps_confirmed", "gaps_to_verify"], ["district", "block", "rule_id"],
          order=[("gaps_confirmed", False)]),
    # household card
    Chart("Find a household", "marts.household_members", "table_raw",
          columns=["member_name", "relation_to_head", "age_years", "village", "block",
                   "district", "household_id", "ration_card_no"],
          order=[("household_id", True), ("member_name", True)],
          description="Search by resident name and village; pick the household id."),
    Chart("Household card", "marts.mart_household_card", "table_raw",
          columns=["household_id", "ration_card_no", "card_type", "head_name",
                   "head_uid_masked", "member_count", "monthly_amount_inr", "village", "block",
                   "district", "nearest_phc_name", "nearest_phc_km", "nearest_school_name",
                   "nearest_school_km", "nearest_anganwadi_name", "nearest_anganwadi_km"],
          order=[("household_id", True)]),
    Chart("Household members", "marts.household_members", "table_raw",
          columns=["household_id", "member_name", "relation_to_head", "gender", "age_years",
                   "uid_masked", "is_deceased", "schemes", "member_monthly_inr"],
          order=[("household_id", True), ("is_head", False), ("age_years", False)]),
    # jan samvad
    Chart("Call list: households to call", "jansamvad.call_list_latest", "big_number",
          ["households_to_call"]),
    Chart("Call list by district", "jansamvad.call_list_latest", "bar",
          ["households_to_call"], ["district_name", "scheme_code"], stack=True),
    Chart("Today's call list", "jansamvad.call_list_latest", "table_raw",
          columns=["list_date", "district_name", "call_order", "scheme_code",
                   "beneficiary_name", "beneficiary_uid_masked", "mobile", "head_name",
                   "member_count", "schemes", "monthly_amount_inr", "script_language",
                   "block_name", "household_id"],
          order=[("district_name", True), ("call_order", True)]),
    Chart("Calls", "marts.mart_jansamvad_outcomes", "big_number", ["total_calls"]),
    Chart("Contact rate", "marts.mart_jansamvad_outcomes", "big_number",
          ["contact_rate_all"], extra={"y_axis_format": ".1%"}),
    Chart("Satisfaction", "marts.mart_jansamvad_outcomes", "big_number",
          ["avg_satisfaction_all"], extra={"y_axis_format": ".2f"}),
    Chart("Outcomes by scheme", "marts.mart_jansamvad_outcomes", "table",
          ["total_calls", "total_calls_connected", "contact_rate_all",
           "benefit_received_rate_all", "avg_satisfaction_all", "total_grievances"],
          ["scheme_code"], order=[("total_calls", False)]),
    Chart("Outcomes by district", "marts.mart_jansamvad_outcomes", "bar",
          ["total_calls", "total_calls_connected", "total_grievances"], ["district_name"]),
    Chart("Grievances by category", "marts.mart_jansamvad_outcomes", "bar",
          ["total_grievances_delayed_payment", "total_grievances_wrong_amount",
           "total_grievances_not_received", "total_grievances_bribe_demanded",
           "total_grievances_name_error", "total_grievances_ration_quality",
           "total_grievances_other"], ["scheme_code"], stack=True),
    Chart("Open grievances", "marts.mart_open_grievances", "table_raw",
          columns=["call_date", "days_open", "district_name", "block_name", "scheme_code",
                   "grievance_category", "grievance_text", "household_key", "agent_id"],
          order=[("days_open", False), ("call_date", True)]),
    Chart("Follow-ups due", "marts.mart_followup_due", "table_raw",
          columns=["last_call_date", "days_since_last_call", "district_name", "block_name",
                   "scheme_code", "followup_reason", "last_outcome", "grievance_category",
                   "household_key"],
          order=[("days_since_last_call", False), ("household_key", True)]),
    # projects
    Chart("Tasks allocated", "marts.mart_project_status", "big_number", ["total_tasks_allocated"]),
    Chart("Tasks in progress", "marts.mart_project_status", "big_number",
          ["total_tasks_in_progress"]),
    Chart("Tasks pending approval", "marts.mart_project_status", "big_number",
          ["total_tasks_pending_approval"]),
    Chart("Tasks completed", "marts.mart_project_status", "big_number", ["total_tasks_completed"]),
    Chart("Projects", "marts.mart_project_status", "table_raw",
          columns=["project_name", "department", "tasks_total", "tasks_allocated",
                   "tasks_in_progress", "tasks_pending_approval", "tasks_completed",
                   "tasks_rejected", "completion_rate", "field_users",
                   "median_hours_to_approve", "avg_days_to_complete"],
          order=[("department", True), ("project_name", True)]),
    Chart("Task ageing", "marts.project_task_ageing", "bar",
          ["total_aged_0_7_days", "total_aged_8_30_days", "total_aged_31_90_days",
           "total_aged_over_90_days"], ["status"], stack=True),
    Chart("Survey answers", "marts.project_surveys", "table_raw",
          columns=["project_name", "survey_id", "question_text", "answer_type", "answered",
                   "blank", "yes_count", "no_count", "top_choice", "number_avg"],
          order=[("project_name", True), ("survey_id", True), ("question_id", True)]),
    Chart("Survey choices", "marts.project_survey_choices", "table",
          ["total_answer_count"], ["question_text", "answer"],
          order=[("total_answer_count", False)]),
    # data quality
    Chart("Rows loaded", "marts.mart_data_quality", "big_number", ["total_rows_loaded"]),
    Chart("Rows quarantined", "marts.mart_data_quality", "big_number",
          ["total_rows_quarantined"]),
    Chart("Seeded share", "marts.mart_data_quality", "big_number", ["seeded_share_all"],
          extra={"y_axis_format": ".1%"}),
    Chart("Quarantine by reason", "marts.mart_data_quality_quarantine_reasons", "bar",
          ["total_rows_quarantined"], ["reason", "feed"], stack=True),
    Chart("Seeding by feed", "marts.mart_data_quality", "bar",
          ["total_seeded", "total_in_review", "total_unmatched"], ["feed"], stack=True),
    Chart("Loads by feed and batch", "marts.mart_data_quality", "table_raw",
          columns=["feed", "batch_id", "batch_date", "batch_status", "rows_read",
                   "rows_loaded", "rows_quarantined", "top_quarantine_reason", "seeded",
                   "in_review", "unmatched", "seeded_share"],
          order=[("feed", True), ("batch_id", True)]),
]
CH = {c.name: c for c in CHARTS}


# --------------------------------------------------------------------------- dashboards
@dataclass
class Filter:
    name: str
    dataset: str
    column: str
    parent: str | None = None            # cascade parent filter name
    only: list[str] | None = None        # charts in scope (default: all on the dashboard)

    @property
    def id(self) -> str:
        return "NATIVE_FILTER-" + re.sub(r"[^a-z0-9]+", "_", self.name.lower())


@dataclass
class Dash:
    title: str
    slug: str
    description: str
    rows: list[list[tuple[str, int, int]]]   # rows of (chart, width, height)
    filters: list[Filter] = field(default_factory=list)

    @property
    def uuid(self) -> str:
        return _uuid("dashboard", self.slug)


def _region_filters(ds: str, scheme: str | None = "scheme_code", district: str = "district",
                    block: str = "block") -> list[Filter]:
    out = []
    if scheme:
        out.append(Filter("Scheme", ds, scheme))
    out.append(Filter("District", ds, district))
    out.append(Filter("Block", ds, block, parent="District"))
    return out


DASHBOARDS: list[Dash] = [
    Dash("SRDH overview", "srdh-overview",
         "Residents, households, UID seeding coverage by district, and where people live.",
         [[("Residents", 4, 25), ("Households", 4, 25), ("Residents with KYR", 4, 25)],
          [("Villages map", 6, 80), ("UID seeding coverage by district", 6, 80)],
          [("Districts", 12, 60)]],
         [Filter("District", "marts.district_overview", "district")]),
    Dash("Scheme monitoring", "scheme-monitoring",
         "Beneficiaries, duplicates, ghosts, deceased-but-active, rupees at risk and inclusion"
         " gaps by scheme, district and block.",
         [[("Beneficiaries", 2, 25), ("Duplicates", 2, 25), ("Ghosts", 2, 25),
           ("Deceased but active", 2, 25), ("Rupees at risk per month", 2, 25),
           ("Rupees to verify per month", 2, 25)],
          [("Leakage by scheme", 12, 50)],
          [("Rupees at risk by district", 12, 60)],
          [("Leakage by district and block", 12, 60)],
          [("Inclusion gaps by scheme", 5, 60), ("Inclusion gaps by district and block", 7, 60)]],
         _region_filters("marts.mart_scheme_leakage")),
    Dash("Household card lookup", "household-card",
         "Find a household by id, ration card, or a resident's name and village; read its"
         " card (masked UIDs only).",
         [[("Find a household", 12, 60)], [("Household card", 12, 40)],
          [("Household members", 12, 60)]],
         [Filter("Household id", "marts.household_members", "household_id"),
          Filter("Ration card", "marts.household_members", "ration_card_no"),
          Filter("Resident name", "marts.household_members", "member_name",
                 only=["Find a household"]),
          Filter("Village", "marts.household_members", "village",
                 only=["Find a household", "Household card"]),
          Filter("District", "marts.household_members", "district")]),
    Dash("Jan Samvad", "jansamvad",
         "Today's call list per district, call outcomes, satisfaction and grievances.",
         [[("Call list: households to call", 3, 25), ("Calls", 3, 25), ("Contact rate", 3, 25),
           ("Satisfaction", 3, 25)],
          [("Call list by district", 12, 50)],
          [("Today's call list", 12, 70)],
          [("Outcomes by scheme", 6, 50), ("Outcomes by district", 6, 50)],
          [("Grievances by category", 12, 50)],
          [("Open grievances", 6, 60), ("Follow-ups due", 6, 60)]],
         _region_filters("marts.mart_jansamvad_outcomes", district="district_name",
                         block="block_name")),
    Dash("Project monitoring", "project-monitoring",
         "Field tasks allocated, in progress, pending approval and completed; ageing; surveys.",
         [[("Tasks allocated", 3, 25), ("Tasks in progress", 3, 25),
           ("Tasks pending approval", 3, 25), ("Tasks completed", 3, 25)],
          [("Projects", 12, 60)],
          [("Task ageing", 5, 60), ("Survey choices", 7, 60)],
          [("Survey answers", 12, 60)]],
         [Filter("Department", "marts.mart_project_status", "department"),
          Filter("Project", "marts.mart_project_status", "project_name",
                 parent="Department")]),
    Dash("Data quality", "data-quality",
         "Loads, quarantine by reason, UID seeding status per feed and batch.",
         [[("Rows loaded", 4, 25), ("Rows quarantined", 4, 25), ("Seeded share", 4, 25)],
          [("Quarantine by reason", 6, 50), ("Seeding by feed", 6, 50)],
          [("Loads by feed and batch", 12, 60)]],
         [Filter("Feed", "marts.mart_data_quality", "feed")]),
]


# --------------------------------------------------------------------------- rendering
def _duck_type(t: str) -> str | None:
    t = t.upper()
    if "[]" in t or t.startswith(("STRUCT", "MAP", "LIST", "UNION")):
        return None
    if t.startswith("DECIMAL"):
        return "DOUBLE"
    return t


def introspect(serving: Path) -> dict[str, list[tuple[str, str]]]:
    """Columns (name, type) of every dataset, read from a real serving copy."""
    import duckdb

    con = duckdb.connect(str(serving), read_only=True)
    try:
        out = {}
        for d in DATASETS:
            rel = f"({d.sql})" if d.sql else f'"{d.schema}"."{d.table}"'
            rows = con.execute(f"describe select * from {rel} as t").fetchall()
            out[d.key] = [(r[0], r[1]) for r in rows]
        return out
    finally:
        con.close()


def serving_schema(serving: Path) -> dict[str, list[tuple[str, str]]]:
    """Columns of every physical table the assets read (physical datasets and virtual SQL)."""
    import duckdb

    names = set()
    for d in DATASETS:
        if d.sql:
            names |= set(re.findall(r"\b((?:marts|jansamvad)\.[a-z_]+)\b", d.sql))
        else:
            names.add(d.key)
    con = duckdb.connect(str(serving), read_only=True)
    try:
        return {n: [(r[0], r[1]) for r in con.execute(
            "select column_name, data_type from information_schema.columns where "
            "table_schema = ? and table_name = ? order by ordinal_position",
            n.split(".", 1)).fetchall()] for n in sorted(names)}
    finally:
        con.close()


def _dataset_yaml(d: Dataset, cols: list[tuple[str, str]]) -> dict[str, Any]:
    columns = []
    for name, dtype in cols:
        t = _duck_type(dtype)
        if t is None or name in EXCLUDED_COLUMNS:
            continue
        cat = t in ("VARCHAR", "BOOLEAN", "DATE", "TIMESTAMP") or name.endswith("_id")
        columns.append({"column_name": name, "verbose_name": d.verbose.get(name),
                        "is_dttm": t in ("DATE", "TIMESTAMP"), "is_active": True, "type": t,
                        "advanced_data_type": None, "groupby": cat, "filterable": cat,
                        "expression": None, "description": None, "python_date_format": None,
                        "extra": {}})
    return {
        "table_name": d.table, "main_dttm_col": None, "description": d.description,
        "default_endpoint": None, "offset": 0, "cache_timeout": None, "catalog": None,
        "schema": d.schema, "sql": d.sql, "params": None, "template_params": None,
        "filter_select_enabled": True, "fetch_values_predicate": None, "extra": None,
        "normalize_columns": False, "always_filter_main_dttm": False, "uuid": d.uuid,
        "metrics": [{"metric_name": m, "verbose_name": v, "metric_type": None,
                     "expression": e, "description": None, "d3format": f,
                     "currency": None, "extra": {}, "warning_text": None}
                    for m, e, v, f in d.metrics],
        "columns": columns, "version": "1.0.0", "database_uuid": DATABASE_UUID,
    }


def _chart_yaml(c: Chart) -> dict[str, Any]:
    params, query = _form_data(c)
    qc = {"datasource": {"id": 0, "type": "table"}, "force": False,
          "queries": [query], "form_data": params, "result_format": "json",
          "result_type": "full"}
    return {"slice_name": c.name, "description": c.description or None,
            "certified_by": None, "certification_details": None, "viz_type": params["viz_type"],
            "params": params, "query_context": json.dumps(qc, sort_keys=True),
            "cache_timeout": None, "uuid": c.uuid, "version": "1.0.0",
            "dataset_uuid": DS[c.dataset].uuid}


def _dashboard_yaml(d: Dash) -> dict[str, Any]:
    pos: dict[str, Any] = {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"children": ["GRID_ID"], "id": "ROOT_ID", "type": "ROOT"},
        "HEADER_ID": {"id": "HEADER_ID", "meta": {"text": d.title}, "type": "HEADER"},
        "GRID_ID": {"children": [], "id": "GRID_ID", "parents": ["ROOT_ID"], "type": "GRID"},
    }
    old_ids: dict[str, int] = {}
    for i, row in enumerate(d.rows, 1):
        rid = f"ROW-{d.slug}-{i}"
        pos["GRID_ID"]["children"].append(rid)
        pos[rid] = {"children": [], "id": rid, "meta": {"background": "BACKGROUND_TRANSPARENT"},
                    "parents": ["ROOT_ID", "GRID_ID"], "type": "ROW"}
        for name, width, height in row:
            c = CH[name]
            old_ids[name] = len(old_ids) + 1  # placeholder ids, remapped on import
            cid = f"CHART-{d.slug}-{old_ids[name]}"
            pos[rid]["children"].append(cid)
            pos[cid] = {"children": [], "id": cid, "type": "CHART",
                        "parents": ["ROOT_ID", "GRID_ID", rid],
                        "meta": {"chartId": old_ids[name], "height": height,
                                 "sliceName": name, "uuid": c.uuid, "width": width}}
    by_name = {f.name: f for f in d.filters}
    filters = []
    for f in d.filters:
        excluded = ([old_ids[n] for n in old_ids if n not in f.only] if f.only else [])
        filters.append({
            "id": f.id, "name": f.name, "filterType": "filter_select", "type": "NATIVE_FILTER",
            "description": "", "targets": [{"datasetUuid": DS[f.dataset].uuid,
                                            "column": {"name": f.column}}],
            "controlValues": {"enableEmptyFilter": False, "defaultToFirstItem": False,
                              "multiSelect": True, "searchAllOptions": True,
                              "inverseSelection": False},
            "defaultDataMask": {"extraFormData": {}, "filterState": {}, "ownState": {}},
            "cascadeParentIds": [by_name[f.parent].id] if f.parent else [],
            "scope": {"rootPath": ["ROOT_ID"], "excluded": excluded},
        })
    return {
        "dashboard_title": d.title, "description": d.description, "css": "",
        "slug": d.slug, "certified_by": "", "certification_details": "", "published": True,
        "uuid": d.uuid, "position": pos,
        "metadata": {"color_scheme": "supersetColors", "cross_filters_enabled": False,
                     "native_filter_configuration": filters, "expanded_slices": {},
                     "label_colors": {}, "shared_label_colors": [],
                     "timed_refresh_immune_slices": [], "refresh_frequency": 0,
                     "default_filters": "{}", "chart_configuration": {},
                     "global_chart_configuration": {"scope": {"rootPath": ["ROOT_ID"],
                                                              "excluded": []}}},
        "version": "1.0.0",
    }


def _file(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_")


def render_assets(columns: dict[str, list[tuple[str, str]]]) -> dict[str, str]:
    """Relative path -> YAML text for every generated asset (not the database)."""
    dump = lambda obj: yaml.safe_dump(obj, sort_keys=False, allow_unicode=True, width=100)  # noqa: E731
    header = "# Generated by dashboards/srdh_superset/assetgen.py - edit the spec there.\n"
    out = {}
    for d in DATASETS:
        out[f"datasets/srdh_serving/{d.schema}_{d.table}.yaml"] = header + dump(
            _dataset_yaml(d, columns[d.key]))
    for c in CHARTS:
        out[f"charts/{_file(c.name)}.yaml"] = header + dump(_chart_yaml(c))
    for d in DASHBOARDS:
        out[f"dashboards/{_file(d.title)}.yaml"] = header + dump(_dashboard_yaml(d))
    return out


def write_assets(serving: Path, assets_dir: Path = ASSETS_DIR) -> list[str]:
    """Regenerate datasets/, charts/, dashboards/ (and serving_schema.json) from ``serving``."""
    files = render_assets(introspect(serving))
    for sub in ("datasets/srdh_serving", "charts", "dashboards"):
        for old in (assets_dir / sub).glob("*.yaml"):
            if f"{sub}/{old.name}" not in files:
                old.unlink()
    for rel, text in files.items():
        p = assets_dir / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    schema = serving_schema(serving)
    SCHEMA_FILE.write_text("{\n" + ",\n".join(
        f" {json.dumps(t)}: {json.dumps(dict(cols))}" for t, cols in schema.items()) + "\n}\n")
    return sorted(files)


def check_spec() -> list[str]:
    """Spec problems that need no serving copy (names, placement, metrics)."""
    problems = []
    placed = [n for d in DASHBOARDS for row in d.rows for n, _, _ in row]
    for name in placed:
        if name not in CH:
            problems.append(f"dashboard places unknown chart {name!r}")
    for c in CHARTS:
        if c.name not in placed:
            problems.append(f"chart {c.name!r} is on no dashboard")
        metrics = {m[0] for m in DS[c.dataset].metrics}
        for m in c.metrics:
            if m not in metrics:
                problems.append(f"chart {c.name!r}: no metric {m!r} in {c.dataset}")
    for d in DASHBOARDS:
        for row in d.rows:
            if sum(w for _, w, _ in row) > 12:
                problems.append(f"{d.title}: a row wider than 12")
    return problems
