-- Every departmental person record (one row per feed and record id, latest version),
-- for every department configured in var srdh_department_feeds (macros/departments.sql):
-- person columns, household reference and, for scheme feeds, the scheme code, status and
-- monthly amount the ingest derived from the feed's registry YAML.
{%- set scheme_columns = {
    'scheme_code': 'varchar',
    'scheme_status': 'varchar',
    'monthly_amount_inr': 'double'
} %}
{%- set aliases = {
    'scheme_code': ['scheme'],
    'scheme_status': ['status'],
    'monthly_amount_inr': ['monthly_amount']
} %}
{%- set departments = department_feeds() %}
{%- if not departments %}
    {{ exceptions.raise_compiler_error('var srdh_department_feeds lists no department') }}
{%- endif %}

with

{% for d in departments %}
    {{ d.feed }} as (

        {{ select_columns(std_feed_relation(d), person_columns_with(scheme_columns),
                          aliases=aliases, required=person_columns()) }}

    ),

    {{ d.feed }}_latest as (

        {{ latest_std_record(d.feed) }}

    ),

    {{ d.feed }}_renamed as (

        select
            '{{ d.feed }}' as source,
            '{{ d.department or d.feed | upper }}' as department,
            {{ 'true' if d.scheme else 'false' }} as is_scheme_record,
            source_record_id,
            batch_id,
            source_row,
            {%- for column in person_identity_columns() %}
                {{ column }},
            {%- endfor %}
            mobile,
            uid_token,
            uid_last4,
            uid_valid,
            household_ref,
            upper(coalesce(scheme_code, {{ "'" ~ d.scheme_code ~ "'" if d.scheme_code else 'null' }}))
                as scheme_code,
            coalesce(upper(scheme_status), 'ACTIVE') as scheme_status,
            monthly_amount_inr
        from {{ d.feed }}_latest

    ),

{% endfor %}
unioned as (

    {%- for d in departments %}
        select * from {{ d.feed }}_renamed
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

final as (

    select
        *,
        {{ batch_date_from_id('batch_id') }} as batch_date
    from unioned

)

select * from final
