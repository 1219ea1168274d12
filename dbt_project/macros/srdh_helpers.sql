{#- Reference date for ages and payment periods: var srdh_as_of_date, else today. -#}
{% macro as_of_date() -%}
    {%- if var('srdh_as_of_date', none) -%}
        date '{{ var("srdh_as_of_date") }}'
    {%- else -%}
        current_date
    {%- endif -%}
{%- endmacro %}

{#- The delivery date inside a batch id (the landing folder's YYYY-MM-DD), or null. -#}
{% macro batch_date_from_id(batch_id) -%}
    try_cast(nullif(regexp_extract({{ batch_id }}, '(\d{4}-\d{2}-\d{2})', 1), '') as date)
{%- endmacro %}

{#- A stable, readable surrogate key: PREFIX-<16 hex of md5(parts joined by '|')>. -#}
{% macro stable_id(prefix, parts) -%}
    '{{ prefix }}-' || left(md5(concat_ws('|', {{ parts | join(', ') }})), 16)
{%- endmacro %}

{#- A UID for display: only the last four digits, ever. -#}
{% macro masked_uid(last4) -%}
    case when {{ last4 }} is not null then 'XXXX XXXX ' || {{ last4 }} end
{%- endmacro %}

{#- Age in whole years on the reference date, from dob or else the birth-year estimate. -#}
{% macro age_years(dob, birth_year) -%}
    coalesce(
        date_diff('year', {{ dob }}, {{ as_of_date() }})
        - case when strftime({{ dob }}, '%m%d') > strftime({{ as_of_date() }}, '%m%d') then 1 else 0 end,
        year({{ as_of_date() }}) - {{ birth_year }}
    )
{%- endmacro %}
