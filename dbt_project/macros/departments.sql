{#-
    Departments come from configuration, not SQL.

    var srdh_department_feeds lists every departmental person feed of the ingest's feed
    catalogue (ingest/sources/*.yaml: kind person, a department, not uid_kyr / crs_death).
    warehouse/dbt.py derives it from the catalogue on every run (so a feed added under
    ingest/sources/ or $SRDH_SOURCES flows through with no SQL). There is no default:
    without the var dbt stops and says how to pass it, except under the `lint` target,
    where sqlfluff compiles the models against one placeholder department. Each entry:

        feed        std table / feed name
        department  department code (fallback when scheme_catalogue has no row)
        scheme      true when the feed is a benefit scheme (registry `scheme:` section)
        scheme_code the registry's fixed_code, else null (code delivered per row)
        declared    the std table is declared in models/staging/_sources.yml
-#}
{% macro department_feeds(schemes_only=false) -%}
    {%- set feeds = [] -%}
    {%- for d in var('srdh_department_feeds', none) or department_feeds_without_var() -%}
        {%- if d.get('scheme') or not schemes_only -%}
            {%- do feeds.append(d) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(feeds) }}
{%- endmacro %}

{#- No var: a placeholder for sqlfluff (target lint), else stop with the fix. -#}
{% macro department_feeds_without_var() -%}
    {%- if target.name == 'lint' -%}
        {{ return([{'feed': 'lint_department', 'department': 'LINT', 'scheme': true,
                    'scheme_code': none, 'declared': false}]) }}
    {%- endif -%}
    {{ exceptions.raise_compiler_error(
        "var srdh_department_feeds is not set: run dbt through `srdh build`, or pass "
        ~ "--vars \"$(uv run python -m warehouse.dbt vars)\"") }}
{%- endmacro %}

{#- The std table of a feed: source() when declared (lineage in the docs), else the
    relation itself (a department onboarded by configuration only). Staging only. -#}
{% macro std_feed_relation(d) -%}
    {%- if d.get('declared') -%}
        {{ return(source('std', d.feed)) }}
    {%- else -%}
        {{ return(api.Relation.create(database=target.database, schema='std',
                                      identifier=d.feed)) }}
    {%- endif -%}
{%- endmacro %}

{#- Every feed that holds person records: KYR, the departments, CRS deaths. -#}
{% macro person_feed_names() -%}
    {%- set names = ['uid_kyr'] -%}
    {%- for d in department_feeds() -%}
        {%- do names.append(d.feed) -%}
    {%- endfor -%}
    {%- do names.append('crs_death') -%}
    {{ return(names) }}
{%- endmacro %}
