-- Residents who look eligible but are not enrolled: one row per rule and resident.
-- Adding a rule = adding a model under intermediate/inclusion/ and listing it here.
{%- set rules = [
    'int_inclusion_gap__elderly_without_pension',
    'int_inclusion_gap__widow_without_pension',
    'int_inclusion_gap__child_without_scholarship'
] %}

with

{% for rule in rules %}
    {{ rule }} as (

        select * from {{ ref(rule) }}

    ),

{% endfor %}
unioned as (

    {%- for rule in rules %}
        select
            rule_id,
            resident_id,
            household_id,
            district,
            block,
            suggested_scheme_code,
            reason
        from {{ rule }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

)

select * from unioned
