"""Apply ``dashboards/security.yaml``: roles, dataset grants and row-level security.

Runs inside a Superset app context (``bootstrap``). Idempotent: every role named in
the file gets exactly the permissions the file implies; every RLS filter whose name
starts with ``srdh:`` is replaced by the file's. A department found in the serving copy
but not listed in the file gets a role limited to its own rows (its department code and
scheme codes); granting more is a deliberate entry in the file. A stale ``Dept - ``/``District - ``
role (no longer in the file) is stripped of all permissions, never left unfiltered.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
RLS_PREFIX = "srdh:"


def _quote(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _distinct_rows(serving_path: Path, table: str | None, columns: list[str]) -> list[tuple]:
    """Distinct non-null rows of ``columns`` in a serving table, sorted; none without it."""
    if not table or not serving_path.exists():
        return []
    import duckdb

    schema, name = table.split(".", 1)
    con = duckdb.connect(str(serving_path), read_only=True)
    try:
        exists = con.execute(
            "select count(*) from information_schema.tables where table_schema=? and table_name=?",
            [schema, name]).fetchone()[0]
        if not exists:
            return []
        cols = ", ".join(f'"{c}"' for c in columns)
        return con.execute(f'select distinct {cols} from "{schema}"."{name}" where '
                           f'"{columns[0]}" is not null order by all').fetchall()
    finally:
        con.close()


def districts_from_serving(spec: dict[str, Any], serving_path: Path) -> list[str]:
    return [r[0] for r in _distinct_rows(serving_path, spec.get("from_table"),
                                         [spec.get("column", "district")])]


def departments_from_serving(spec: dict[str, Any], serving_path: Path) -> list[dict[str, Any]]:
    """A default role for every department in the marts that ``list`` does not name: its
    own rows only (``code``; the scheme codes its enrolments carry). The marts take the
    departments from the feed catalogue, so a department onboarded with one feed YAML
    gets its role at the first bootstrap after its first build."""
    listed = {d.get("code") for d in spec.get("list", [])}
    schemes: dict[str, list[str]] = {}
    for code, scheme in _distinct_rows(serving_path, spec.get("from_table"),
                                       [spec.get("code_column", "department"),
                                        spec.get("scheme_column", "scheme_code")]):
        if code not in listed:
            schemes.setdefault(code, [])
            if scheme is not None:
                schemes[code].append(scheme)
    return [{"name": code, "key": code.lower(), "code": code, "schemes": codes}
            for code, codes in schemes.items()]


def _department_clause(dept: dict[str, Any], kind: str, column: str) -> str | None:
    """The RLS clause of a department on a dataset scoped by ``kind``, or None (no grant)."""
    col = f'"{column}"'
    if kind == "department":
        return f"{col} = {_quote(dept['code'])}" if dept.get("code") else None
    if kind == "project_department":
        return f"{col} = {_quote(dept['projects'])}" if dept.get("projects") else None
    if kind == "scheme":
        parts = []
        if dept.get("schemes"):
            parts.append(f"{col} IN ({', '.join(_quote(s) for s in dept['schemes'])})")
        parts += [f"starts_with({col}, {_quote(p)})" for p in dept.get("scheme_prefixes", [])]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"
    raise ValueError(f"unknown scope kind {kind!r}")


DEPARTMENT_KINDS = ("department", "scheme", "project_department")


def desired_roles(security: dict[str, Any], serving_path: Path) -> list[dict[str, Any]]:
    """Plain description of every role and its RLS filters (no Superset needed).

    A scoped role gets exactly the datasets it has an RLS clause for."""
    roles: list[dict[str, Any]] = []
    a = security["analyst"]
    roles.append({"name": a["role"], "all_datasets": bool(a.get("all_datasets")),
                  "sql_lab": bool(a.get("sql_lab")), "datasets": [], "rls": []})
    scoped: dict[str, dict[str, str]] = security.get("datasets", {})

    d = security["departments"]
    for dept in [*d["list"], *departments_from_serving(d, serving_path)]:
        by_clause: dict[str, list[str]] = {}
        for ds, cols in scoped.items():
            kind = next((k for k in DEPARTMENT_KINDS if k in cols), None)
            clause = kind and _department_clause(dept, kind, cols[kind])
            if clause:
                by_clause.setdefault(clause, []).append(ds)
        roles.append({"name": f"{d['role_prefix']}{dept['name']}", "all_datasets": False,
                      "sql_lab": False,
                      "datasets": [ds for tables in by_clause.values() for ds in tables],
                      "rls": _rls(f"dept:{dept['key']}", by_clause, "department")})

    dist = security["districts"]
    names = list(dict.fromkeys(list(dist.get("list", []))
                               + districts_from_serving(dist, serving_path)))
    for district in names:
        if district.upper() == "UNRESOLVED":
            continue
        by_clause = {}
        for ds, cols in scoped.items():
            if "district" in cols:
                clause = f'"{cols["district"]}" = {_quote(district)}'
                by_clause.setdefault(clause, []).append(ds)
        roles.append({
            "name": f"{dist['role_prefix']}{district}", "all_datasets": False, "sql_lab": False,
            "datasets": [ds for tables in by_clause.values() for ds in tables],
            "rls": _rls(f"district:{district}", by_clause, "district"),
        })
    return roles


def _rls(prefix: str, by_clause: dict[str, list[str]], group_key: str) -> list[dict[str, Any]]:
    """One RLS filter per distinct clause, on every dataset that clause scopes."""
    return [{"name": f"{RLS_PREFIX}{prefix}:{i}", "tables": tables, "clause": clause,
             "group_key": group_key} for i, (clause, tables) in enumerate(by_clause.items(), 1)]


def apply_security(security: dict[str, Any], serving_path: Path) -> dict[str, int]:
    """Create/update roles and RLS filters. Call inside an app context; caller commits."""
    from superset import db
    from superset import security_manager as sm
    from superset.connectors.sqla.models import RowLevelSecurityFilter, SqlaTable
    from superset.utils.core import RowLevelSecurityFilterType

    roles = desired_roles(security, serving_path)
    base = sm.find_role(security.get("base_role", "Gamma"))
    base_perms = list(base.permissions) if base else []
    sql_lab = sm.find_role("sql_lab")
    sql_lab_perms = list(sql_lab.permissions) if sql_lab else []

    tables: dict[str, SqlaTable] = {}
    for t in db.session.query(SqlaTable).all():
        tables[f"{t.schema}.{t.table_name}"] = t

    def pv(permission: str, view: str):
        found = sm.find_permission_view_menu(permission, view)
        if found is None:
            sm.add_permission_view_menu(permission, view)
            found = sm.find_permission_view_menu(permission, view)
        return found

    wanted_rls: set[str] = set()
    for spec in roles:
        role = sm.find_role(spec["name"]) or sm.add_role(spec["name"])
        perms = list(base_perms)
        if spec["all_datasets"]:
            perms += [pv("all_datasource_access", "all_datasource_access"),
                      pv("all_database_access", "all_database_access")]
        if spec["sql_lab"]:
            perms += sql_lab_perms
        for ds in spec["datasets"]:
            if ds not in tables:
                raise KeyError(f"security.yaml names dataset {ds!r}, which is not imported")
            perms.append(pv("datasource_access", tables[ds].get_perm()))
        role.permissions = list(dict.fromkeys(perms))

        for f in spec["rls"]:
            wanted_rls.add(f["name"])
            rls = (db.session.query(RowLevelSecurityFilter).filter_by(name=f["name"]).first()
                   or RowLevelSecurityFilter(name=f["name"]))
            rls.filter_type = RowLevelSecurityFilterType.REGULAR.value
            rls.description = f"SRDH security.yaml: {spec['name']}"
            rls.clause = f["clause"]
            rls.group_key = f["group_key"]
            missing = [t for t in f["tables"] if t not in tables]
            if missing:
                raise KeyError(f"security.yaml scopes datasets {missing}, which are not imported")
            rls.tables = [tables[t] for t in f["tables"]]
            rls.roles = [role]
            db.session.add(rls)

    stale = 0
    for rls in db.session.query(RowLevelSecurityFilter).all():
        if rls.name.startswith(RLS_PREFIX) and rls.name not in wanted_rls:
            db.session.delete(rls)
            stale += 1

    prefixes = (security["departments"]["role_prefix"], security["districts"]["role_prefix"])
    names = {r["name"] for r in roles}
    stripped = 0
    for role in sm.get_all_roles():
        if role.name.startswith(prefixes) and role.name not in names:
            role.permissions = []  # never leave a scoped role without its RLS filter
            stripped += 1
    db.session.flush()
    return {"roles": len(roles), "rls_filters": len(wanted_rls), "stale_rls_removed": stale,
            "stale_roles_stripped": stripped}
