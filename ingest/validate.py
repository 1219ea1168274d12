"""Row-level validation as SQL: every rule is a CASE expression giving a clerk-readable
reason (or NULL). A row with any reason goes to quarantine; the others load.

The same value expressions (trimmed value, mapped code, parsed date) are reused by the
standardisation so that what was validated is exactly what is standardised.
"""

from __future__ import annotations

from ingest.registry import FieldSpec, Source

# Masks any run of >= 12 digits (spaces/hyphens allowed) to its last four: used on every
# text that leaves the raw row (quarantine JSON, reasons), so no UID escapes the vault.
MASK_MACRO = (
    "CREATE OR REPLACE TEMP MACRO srdh_mask_uids(s) AS "
    r"regexp_replace(s, '([0-9][ -]?){8,}([0-9]{4})', 'XXXXXXXX\2', 'g')"
)


QUOTE = "''''"  # an SQL literal holding one single quote


def q(ident: str) -> str:
    return '"' + ident.replace('"', '""') + '"'


def lit(s: str) -> str:
    return "'" + str(s).replace("'", "''") + "'"


def value(col: str, alias: str | None = None) -> str:
    ref = f"{alias}.{q(col)}" if alias else q(col)
    return f"nullif(trim({ref}), '')"


def code(f: FieldSpec, alias: str | None = None) -> str:
    v = f"upper({value(f.name, alias)})"
    if not f.values:
        return v
    whens = " ".join(f"WHEN {lit(k.upper())} THEN {lit(t)}" for k, t in f.values.items())
    return f"CASE {v} {whens} ELSE {v} END"


def fmt_list(f: FieldSpec) -> str:
    return "[" + ", ".join(lit(x) for x in f.formats) + "]"


def parsed(f: FieldSpec, alias: str | None = None) -> str:
    """Typed value of a field (NULL when empty or unparseable)."""
    v = value(f.name, alias)
    if f.type == "int":
        return f"try_cast({v} AS BIGINT)"
    if f.type == "float":
        return f"try_cast({v} AS DOUBLE)"
    if f.type == "date":
        return f"CAST(try_strptime({v}, {fmt_list(f)}) AS DATE)"
    if f.type == "datetime":
        return f"try_strptime({v}, {fmt_list(f)})"
    if f.type == "code":
        return code(f, alias)
    return v


def human_format(fmt: str) -> str:
    return (fmt.replace("%d", "DD").replace("%m", "MM").replace("%Y", "YYYY")
            .replace("%H", "HH").replace("%M", "MM").replace("%S", "SS"))


def _prefix(col: str) -> str:
    return f"'row ' || _source_row || ', column {col}: '"


# C0 controls and DEL, except tab and line breaks (legal inside a quoted value)
CONTROL_CHARS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"


def _control_char(col: str, prefix: str) -> str:
    """A NUL or other control character: invisible to a clerk, unsafe for every consumer."""
    ref = q(col)
    hexed = (f"upper(lpad(to_hex(ord(regexp_extract({ref}, '{CONTROL_CHARS}'))), 2, '0'))")
    return (f"WHEN regexp_matches({ref}, '{CONTROL_CHARS}') THEN {prefix} || 'holds a "
            f"control character (byte 0x' || {hexed} || CASE WHEN {hexed} = '00' THEN ', NUL' "
            "ELSE '' END || '); ask the sender to remove it and resend the file'")


def rules(src: Source, uid_valid_col: str = "_uid_valid", uid_norm_col: str = "_uid_norm"
          ) -> list[tuple[str, str]]:
    """(column, SQL reason expression) for every rule of the feed, over the staged table."""
    out: list[tuple[str, str]] = []
    for f in src.fields.values():
        v = value(f.name)
        shown = f"'''' || srdh_mask_uids({v}) || ''''"
        p = _prefix(f.name)
        checks: list[str] = [_control_char(f.name, p)]
        if f.required:
            checks.append(f"WHEN {v} IS NULL THEN {p} || 'required value is empty'")
        if f.type == "int":
            checks.append(f"WHEN {v} IS NOT NULL AND try_cast({v} AS BIGINT) IS NULL "
                          f"THEN {p} || {shown} || ' is not a whole number'")
        if f.type == "float":
            checks.append(f"WHEN {v} IS NOT NULL AND try_cast({v} AS DOUBLE) IS NULL "
                          f"THEN {p} || {shown} || ' is not a number'")
        if f.type in ("int", "float"):
            num = parsed(f)
            if f.min is not None:
                checks.append(f"WHEN {num} < {f.min} THEN {p} || {shown} || ' is below {f.min:g}'")
            if f.max is not None:
                checks.append(f"WHEN {num} > {f.max} THEN {p} || {shown} || ' is above {f.max:g}'")
        if f.type in ("date", "datetime"):
            expected = " or ".join(human_format(x) for x in f.formats)
            ts = f"try_strptime({v}, {fmt_list(f)})"
            checks.append(f"WHEN {v} IS NOT NULL AND {ts} IS NULL THEN {p} || {shown} || "
                          f"' is not a real date (expected {expected})'")
            if f.past_only:
                checks.append(f"WHEN CAST({ts} AS DATE) > current_date THEN {p} || {shown} || "
                              "' is in the future'")
            checks.append(f"WHEN CAST({ts} AS DATE) < DATE {lit(f.earliest)} THEN {p} || {shown}"
                          f" || ' is before {f.earliest}, not a possible date'")
        if f.type == "code" and f.allowed:
            allowed = "[" + ", ".join(lit(a) for a in f.allowed) + "]"
            checks.append(f"WHEN {v} IS NOT NULL AND NOT list_contains({allowed}, {code(f)}) "
                          f"THEN {p} || {shown} || ' is not a known {f.name} (expected "
                          f"{', '.join(f.allowed)})'")
        if f.type == "uid" and f.strict:
            masked = f"'''XXXXXXXX' || right({uid_norm_col}, 4) || ''''"
            checks.append(f"WHEN {v} IS NOT NULL AND NOT coalesce({uid_valid_col}, false) THEN "
                          f"{p} || {masked} || ' is not a valid Aadhaar number (12 digits, first"
                          " 2-9, Verhoeff check digit)'")
        if checks:
            out.append((f.name, "CASE " + " ".join(checks) + " END"))
    if src.unique_record_id:
        # _dup_first_row / _dup_first_file come from a GROUP BY pre-pass (see load.py)
        p = _prefix(src.record_id)
        out.append((src.record_id,
                    "CASE WHEN _dup_first_row IS NOT NULL AND (_file_name, _source_row) <> "
                    f"(_dup_first_file, _dup_first_row) THEN {p} || 'duplicate id ' || "
                    f"{QUOTE} || srdh_mask_uids({value(src.record_id)}) || {QUOTE} || "
                    "' (first seen at row ' || _dup_first_row || ' of ' || _dup_first_file "
                    "|| ')' END"))
    return out
