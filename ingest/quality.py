"""Great Expectations: one suite per feed (``great_expectations/<feed>.json``, the source of
truth), run on each loaded batch after row-level validation, with GX's own Data Docs.

A file-backed GX context lives in ``<home>/gx`` (``gx/gx/great_expectations.yml``: suites,
validation definitions and checkpoints are refreshed from the JSON suites on every run;
validation results are kept in its store). Its Data Docs site ``srdh`` is built by
``context.build_data_docs()`` into ``Home.gx_docs`` (``<home>/gx/data_docs/index.html``),
once per run after the checkpoints. Batches are validated as pandas DataFrames (GX's SQL
datasource does not work on DuckDB): the batch's rows that passed row-level validation are
read back from ``raw.<feed>`` as typed values (codes mapped, numbers cast), restricted to
the columns the suite uses. Results keep counts and percentages but no sample values
(``RESULT_FORMAT``), so neither the JSON store nor Data Docs can hold a data value.
Results also go to ``meta.gx_results``. A feed without a suite file gets a default suite
derived from its YAML.

GX is imported lazily, only when enabled, and once per process (17-50 s here); its
warnings and logging are quietened in ``core/quiet.py``, its progress bars switched off in
the context's config.
"""

from __future__ import annotations

import json
from pathlib import Path

from core.paths import Home
from ingest.registry import Source
from ingest.validate import parsed, q

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


SITE = "srdh"
# counts and percentages, but no sample values: GX would otherwise keep up to 20 failing
# values per expectation (partial_unexpected_list) in its JSON store and the Data Docs
RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 0}
_GX: dict[str, object] = {}  # the imported modules and one context per GX root


def _gx():
    """(great_expectations, great_expectations.expectations): imported once per process."""
    if "gx" not in _GX:
        from core.quiet import quiet_third_party

        quiet_third_party()  # before the import: PySpark warns as GX imports it
        import great_expectations.expectations as gxe

        import great_expectations as gx

        _GX["gx"], _GX["gxe"] = gx, gxe
    return _GX["gx"], _GX["gxe"]


def docs_index(home: Home) -> Path:
    return home.gx_docs / "index.html"


def context(home: Home):
    """The home's file-backed GX context, with the ``srdh`` Data Docs site in Home.gx_docs."""
    gx, _ = _gx()
    root = str(home.root / "gx")
    ctx = _GX.get(root)
    if ctx is None:
        ctx = gx.get_context(mode="file", project_root_dir=root)
        _no_progress_bars(ctx)
        site = {"class_name": "SiteBuilder",
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                                  "base_directory": str(home.gx_docs)}}
        sites = ctx.get_config().data_docs_sites or {}
        if SITE not in sites or sites[SITE]["store_backend"]["base_directory"] != str(
                home.gx_docs):
            if SITE in sites:
                ctx.delete_data_docs_site(SITE)
            ctx.add_data_docs_site(SITE, site)
        _GX[root] = ctx
    return ctx


def _no_progress_bars(ctx) -> None:
    """GX's "Calculating Metrics" bars (one per batch, redrawn on stderr) off, in the
    context's own config (great_expectations.yml: ``progress_bars``)."""
    from great_expectations.data_context.types.base import ProgressBarsConfig

    bars = ctx.variables.progress_bars
    if bars is None or bars.globally or bars.metric_calculations:
        ctx.variables.progress_bars = ProgressBarsConfig(globally=False,
                                                         metric_calculations=False)
        ctx.variables.save()


def _checkpoint(ctx, ds, src: Source, spec: dict):
    """Suite (from the JSON file), batch definition, validation definition and checkpoint of
    a feed, created or refreshed in the file context."""
    gx, gxe = _gx()
    suite = gx.ExpectationSuite(name=spec["name"])
    for e in spec["expectations"]:
        suite.add_expectation(getattr(gxe, _camel(e["type"]))(**e["kwargs"]))
    suite = ctx.suites.add_or_update(suite)
    try:
        asset = ds.get_asset(src.feed)
    except LookupError:
        asset = ds.add_dataframe_asset(name=src.feed)
    try:
        bd = asset.get_batch_definition(f"{src.feed}_batch")
    except (KeyError, LookupError):
        bd = asset.add_batch_definition_whole_dataframe(f"{src.feed}_batch")
    vd = ctx.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=f"{src.feed}_vd", data=bd, suite=suite))
    return ctx.checkpoints.add_or_update(
        gx.Checkpoint(name=f"{src.feed}_checkpoint", validation_definitions=[vd],
                      actions=[], result_format=RESULT_FORMAT))


def validate_batches(con, reg: dict[str, Source], batches, home: Home, run_id: str
                     ) -> tuple[str, list[str]]:
    """Validate each loaded batch with its feed's suite, then build the Data Docs site;
    returns (docs index path, failures)."""
    gx, _ = _gx()
    ctx = context(home)
    ds = ctx.data_sources.add_or_update_pandas("srdh")
    failures: list[str] = []
    checkpoints: dict[str, object] = {}
    for b in batches:
        src = reg[b.feed]
        spec = load_suite(src)
        if b.feed not in checkpoints:
            checkpoints[b.feed] = _checkpoint(ctx, ds, src, spec)
        cols = sorted({e["kwargs"]["column"] for e in spec["expectations"]
                       if "column" in e["kwargs"]})
        df = _frame(con, src, b.batch_id, cols)
        result = checkpoints[b.feed].run(
            batch_parameters={"dataframe": df},
            run_id=gx.RunIdentifier(run_name=b.batch_id.replace("/", "__")))
        ident, vr = next(iter(result.run_results.items()))
        rd = _plain(vr.to_json_dict())
        stats = rd.get("statistics", {})
        failed = [
            {"type": r["expectation_config"]["type"],
             "kwargs": {k: v for k, v in r["expectation_config"]["kwargs"].items()
                        if k != "batch_id"},
             "unexpected_percent": (r.get("result") or {}).get("unexpected_percent"),
             "observed_value": (r.get("result") or {}).get("observed_value")}
            for r in rd.get("results", []) if not r.get("success")]
        page = _page(ctx, ident)
        con.execute("INSERT INTO meta.gx_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, now())",
                    [b.batch_id, b.feed, spec["name"], run_id, bool(rd.get("success")),
                     stats.get("evaluated_expectations"), stats.get("successful_expectations"),
                     json.dumps(failed, default=str), page])
        if not rd.get("success"):
            failures.append(f"{b.batch_id}: {len(failed)} expectation(s) failed")
    ctx.build_data_docs(site_names=[SITE])
    return str(docs_index(home)), failures


def _page(ctx, ident) -> str | None:
    """Path of a validation result's Data Docs page."""
    try:
        urls = ctx.get_docs_sites_urls(resource_identifier=ident, site_names=[SITE],
                                       only_if_exists=False)
        url = urls[0]["site_url"]
    except Exception:
        return None
    return url[len("file://"):] if url.startswith("file://") else url
