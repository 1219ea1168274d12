"""Great Expectations: one suite per feed (``great_expectations/<feed>.json``), run on each
loaded batch after row-level validation.

GX 1.x ephemeral context with a pandas datasource (its SQL datasource does not work on
DuckDB). The batch's rows that passed row-level validation are read back from
``raw.<feed>`` as typed values (codes mapped, numbers cast), restricted to the columns
the suite uses. Results go to ``meta.gx_results``; Data Docs are rendered as static HTML
into ``Home.gx_docs`` from the validation results (an ephemeral context has no docs site).
A feed without a suite file gets a default suite derived from its YAML.

GX is imported lazily (about 17 s here) and its logging is quietened.
"""

from __future__ import annotations

import html
import json
import logging
import os
import warnings
from datetime import datetime
from pathlib import Path

from ingest.registry import Source
from ingest.validate import parsed, q
from srdh.paths import Home

SUITES_DIR = Path(__file__).resolve().parent.parent / "great_expectations"


def default_suite(src: Source) -> dict:
    """A suite derived from the feed YAML: row count, required, code sets, ranges, unique id."""
    ex: list[dict] = [{"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}}]
    for f in src.fields.values():
        if f.type in ("uid", "photo"):
            continue
        if f.required:
            ex.append({"type": "expect_column_values_to_not_be_null",
                       "kwargs": {"column": f.name}})
        if f.type == "code" and f.allowed:
            ex.append({"type": "expect_column_values_to_be_in_set",
                       "kwargs": {"column": f.name, "value_set": f.allowed}})
    if src.unique_record_id:
        ex.append({"type": "expect_column_values_to_be_unique",
                   "kwargs": {"column": src.record_id}})
    return {"name": src.feed, "expectations": ex}


def load_suite(src: Source, suites_dir: Path = SUITES_DIR) -> dict:
    path = suites_dir / f"{src.feed}.json"
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    return default_suite(src)


def _quiet() -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("TQDM_DISABLE", "1")
    for name in ("great_expectations", "great_expectations.core", "posthog", "urllib3"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="great_expectations")
    try:
        import structlog

        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    except Exception:
        pass


def _camel(snake: str) -> str:
    return "".join(p.capitalize() for p in snake.split("_"))


def _frame(con, src: Source, batch_id: str, columns: list[str]):
    sel = []
    for c in columns:
        if c == "uid_token":
            sel.append("uid_token")
        elif c in src.fields:
            f = src.fields[c]
            expr = parsed(f, "r")
            if f.type in ("date", "datetime"):
                expr = f"CAST({expr} AS VARCHAR)"
            sel.append(f"{expr} AS {q(c)}")
    if not sel:
        sel = ["1 AS _one"]
    return con.execute(f"SELECT {', '.join(sel)} FROM raw.{src.feed} r WHERE _batch_id = ?",
                       [batch_id]).df()


def _plain(v):
    try:
        import numpy as np

        if isinstance(v, np.generic):
            return v.item()
    except Exception:
        pass
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


def validate_batches(con, reg: dict[str, Source], batches, home: Home, run_id: str
                     ) -> tuple[str, list[str]]:
    """Validate each loaded batch with its feed's suite; returns (docs index, failures)."""
    _quiet()
    import great_expectations.expectations as gxe

    import great_expectations as gx

    _quiet()
    ctx = gx.get_context(mode="ephemeral")
    ds = ctx.data_sources.add_pandas("srdh")
    failures: list[str] = []
    docs = home.gx_docs
    docs.mkdir(parents=True, exist_ok=True)
    suites: dict[str, object] = {}
    for b in batches:
        src = reg[b.feed]
        spec = load_suite(src)
        if b.feed not in suites:
            suite = gx.ExpectationSuite(name=spec["name"])
            for e in spec["expectations"]:
                suite.add_expectation(getattr(gxe, _camel(e["type"]))(**e["kwargs"]))
            suite = ctx.suites.add(suite)
            asset = ds.add_dataframe_asset(name=b.feed)
            bd = asset.add_batch_definition_whole_dataframe(f"{b.feed}_batch")
            vd = ctx.validation_definitions.add(
                gx.ValidationDefinition(name=f"{b.feed}_vd", data=bd, suite=suite))
            suites[b.feed] = vd
        vd = suites[b.feed]
        cols = sorted({e["kwargs"]["column"] for e in spec["expectations"]
                       if "column" in e["kwargs"]})
        df = _frame(con, src, b.batch_id, cols)
        res = vd.run(batch_parameters={"dataframe": df}, result_format="SUMMARY")
        rd = _plain(res.to_json_dict())
        stats = rd.get("statistics", {})
        failed = [
            {"type": r["expectation_config"]["type"],
             "kwargs": {k: v for k, v in r["expectation_config"]["kwargs"].items()
                        if k != "batch_id"},
             "unexpected_percent": (r.get("result") or {}).get("unexpected_percent"),
             "observed_value": (r.get("result") or {}).get("observed_value")}
            for r in rd.get("results", []) if not r.get("success")]
        page = docs / f"{b.batch_id.replace('/', '__')}.html"
        _render_page(page, b.batch_id, spec, rd)
        con.execute("INSERT INTO meta.gx_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, now())",
                    [b.batch_id, b.feed, spec["name"], run_id, bool(rd.get("success")),
                     stats.get("evaluated_expectations"), stats.get("successful_expectations"),
                     json.dumps(failed, default=str), str(page)])
        if not rd.get("success"):
            failures.append(f"{b.batch_id}: {len(failed)} expectation(s) failed")
    index = _render_index(con, docs)
    return str(index), failures


_CSS = ("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
        ".ok{color:#060}.bad{color:#a00;font-weight:bold}")


def _render_page(path: Path, batch_id: str, spec: dict, rd: dict) -> None:
    rows = []
    for r in rd.get("results", []):
        cfg = r["expectation_config"]
        kw = {k: v for k, v in cfg["kwargs"].items() if k != "batch_id"}
        res = r.get("result") or {}
        obs = res.get("observed_value", res.get("unexpected_percent"))
        cls, word = ("ok", "passed") if r.get("success") else ("bad", "FAILED")
        rows.append(f"<tr><td class='{cls}'>{word}</td><td>{html.escape(cfg['type'])}</td>"
                    f"<td>{html.escape(json.dumps(kw, default=str))}</td>"
                    f"<td>{html.escape(str(obs))}</td></tr>")
    ok = rd.get("success")
    path.write_text(
        f"<!doctype html><meta charset='utf-8'><title>{html.escape(batch_id)}</title>"
        f"<style>{_CSS}</style><h1>Batch {html.escape(batch_id)}</h1>"
        f"<p>Suite <b>{html.escape(spec['name'])}</b>: <span class='{'ok' if ok else 'bad'}'>"
        f"{'all expectations met' if ok else 'some expectations failed'}</span> "
        f"({datetime.now():%Y-%m-%d %H:%M})</p><p><a href='index.html'>all batches</a></p>"
        "<table><tr><th>result</th><th>expectation</th><th>arguments</th><th>observed / "
        "% unexpected</th></tr>" + "".join(rows) + "</table>", encoding="utf-8")


def _render_index(con, docs: Path) -> Path:
    rows = con.execute("""
        SELECT batch_id, feed, suite, success, evaluated, successful, docs_path, run_at
        FROM meta.gx_results QUALIFY row_number() OVER (PARTITION BY batch_id
            ORDER BY run_at DESC) = 1 ORDER BY feed, batch_id""").fetchall()
    body = "".join(
        f"<tr><td><a href='{html.escape(Path(p).name)}'>{html.escape(b)}</a></td>"
        f"<td>{html.escape(s)}</td><td class='{'ok' if ok else 'bad'}'>"
        f"{'passed' if ok else 'FAILED'}</td><td>{sc}/{ev}</td><td>{at:%Y-%m-%d %H:%M}</td></tr>"
        for b, _f, s, ok, ev, sc, p, at in rows)
    index = docs / "index.html"
    index.write_text(
        f"<!doctype html><meta charset='utf-8'><title>SRDH data quality</title>"
        f"<style>{_CSS}</style><h1>SRDH data quality (Great Expectations)</h1>"
        "<table><tr><th>batch</th><th>suite</th><th>result</th><th>met</th><th>run</th></tr>"
        + body + "</table>", encoding="utf-8")
    return index
