"""Saved models across SQL dialects: a model trained on DuckDB, scored on Spark.

A model JSON holds SQL text (comparison levels, blocking rules) in the dialect it was
trained in (``sql_dialect``). Splink runs that text as-is on another backend, where
DuckDB's double-quoted identifiers are string literals: every comparison silently
falls to its "else" level. ``for_dialect`` rewrites the text with sqlglot, and maps
Jaro-Winkler to the function Splink provides on the target (``jaro_winkler`` from
Splink's jar on Spark): sqlglot writes DuckDB's ``jaro_winkler_similarity`` as
``JAROWINKLER_SIMILARITY``, which Spark does not have - Splink's own ``CustomLevel``
translation has the same gap, so training builds its settings in DuckDB SQL and
translates them here too (``train.settings_for``).
"""

from __future__ import annotations

import copy
import re

import sqlglot

from matching.comparisons import BASE  # the dialect models are trained in

# every spelling of Jaro-Winkler similarity met in Splink's dialects and sqlglot output
_JW = re.compile(r"\b(?:jaro_winkler_similarity|jarowinkler_similarity|jaro_winkler)\s*\(",
                 re.IGNORECASE)


def _splink_dialect(name: str):
    from splink.internals.dialects import SplinkDialect

    return SplinkDialect.from_string(name)


def translate_sql(sql: str, source: str, target: str) -> str:
    """One SQL expression from Splink dialect ``source`` to ``target``."""
    if source == target or sql.strip().upper() == "ELSE":
        return sql
    src, dst = _splink_dialect(source), _splink_dialect(target)
    out = sqlglot.transpile(sql, read=src.sqlglot_dialect, write=dst.sqlglot_dialect)[0]
    return _JW.sub(f"{dst.jaro_winkler_function_name}(", out)


def for_dialect(model: dict, target: str) -> dict:
    """A copy of a Splink settings/model dict whose SQL is in ``target``'s dialect."""
    source = model.get("sql_dialect") or BASE
    if source == target:
        return model
    out = copy.deepcopy(model)
    for comparison in out.get("comparisons", []):
        for level in comparison.get("comparison_levels", []):
            if level.get("sql_condition"):
                level["sql_condition"] = translate_sql(level["sql_condition"], source, target)
    rules = out.get("blocking_rules_to_generate_predictions", [])
    for i, rule in enumerate(rules):
        if isinstance(rule, str):
            rules[i] = translate_sql(rule, source, target)
        else:
            rule["blocking_rule"] = translate_sql(rule["blocking_rule"],
                                                  rule.get("sql_dialect") or source, target)
            rule["sql_dialect"] = target
    out["sql_dialect"] = target
    return out
