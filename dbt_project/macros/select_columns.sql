{#-
    select_columns(relation, columns, aliases={})

    A SELECT over `relation` that yields exactly `columns` (an ordered mapping of
    column name -> SQL type), whatever the upstream table holds today:

    * a column present upstream is cast to its type (text is trimmed, '' -> null);
    * `aliases` maps a column to alternative upstream names tried in order;
    * a column absent upstream is a typed null, unless it is in `required` (a contract
      column: SRDH's own std tables always carry the person columns), which fails the
      build naming the table, the column and the fix;
    * a table absent upstream (a feed not delivered yet) gives zero rows.

    Only staging models call it, always with `source(...)`, so lineage is intact.
-#}
{% macro select_columns(relation, columns, aliases={}, required=[]) -%}
    {%- set present = {} -%}
    {%- set found = none -%}
    {%- if execute -%}
        {%- set found = adapter.get_relation(
            database=relation.database, schema=relation.schema, identifier=relation.identifier) -%}
        {%- if found is not none -%}
            {%- for col in adapter.get_columns_in_relation(found) -%}
                {%- do present.update({col.name | lower: col.name}) -%}
            {%- endfor -%}
            {%- set missing = [] -%}
            {%- for name in required -%}
                {%- set names = [name] + aliases.get(name, []) -%}
                {%- if not (names | map('lower') | select('in', present) | list) -%}
                    {%- do missing.append(name) -%}
                {%- endif -%}
            {%- endfor -%}
            {%- if missing -%}
                {{ exceptions.raise_compiler_error(
                    found ~ " has no column " ~ (missing | join(", ")) ~ ", which the std "
                    ~ "person contract requires (docs/CONVENTIONS.md): rewrite std from raw "
                    ~ "with `srdh ingest --rebuild-std`") }}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    select
    {%- for name, dtype in columns.items() %}
        {%- set ns = namespace(src=none) -%}
        {%- for candidate in [name] + aliases.get(name, []) -%}
            {%- if ns.src is none and (candidate | lower) in present -%}
                {%- set ns.src = present[candidate | lower] -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if ns.src is none %}
        cast(null as {{ dtype }}) as {{ name }}
        {%- elif dtype | lower == 'varchar' %}
        nullif(trim(cast({{ adapter.quote(ns.src) }} as varchar)), '') as {{ name }}
        {%- else %}
        try_cast({{ adapter.quote(ns.src) }} as {{ dtype }}) as {{ name }}
        {%- endif -%}
        {{- "," if not loop.last }}
    {%- endfor %}
    {%- if found is none %}
    where false
    {%- else %}
    from {{ found }}
    {%- endif %}
{%- endmacro %}
