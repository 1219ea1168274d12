-- Every current beneficiary record of every scheme feed, with its scheme's department
-- and benefit type (seed scheme_catalogue), SRDH resident and household.
{%- set feeds = {
    'food_pds': 'stg_std__food_pds',
    'sw_pension': 'stg_std__sw_pension',
    'rd_mgnrega': 'stg_std__rd_mgnrega',
    'edu_scholarship': 'stg_std__edu_scholarship'
} %}
{%- set columns = ['source_record_id', 'batch_id', 'batch_date', 'scheme_code',
                   'scheme_status', 'monthly_amount_inr', 'district_std', 'block_std',
                   'village_code', 'uid_token', 'uid_valid'] %}

with

{% for feed, model in feeds.items() %}
    {{ feed }} as (

        select * from {{ ref(model) }}

    ),

{% endfor %}
catalogue as (

    select * from {{ ref('scheme_catalogue') }}

),

residents as (

    select * from {{ ref('stg_matching__residents') }}

),

batches as (

    select * from {{ ref('stg_meta__batches') }}

),

households as (

    select * from {{ ref('int_household_members') }}

),

unioned as (

    {%- for feed in feeds %}
        select
            '{{ feed }}' as source,
            {{ columns | join(',\n        ') }}
        from {{ feed }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

joined as (

    select
        unioned.source || ':' || unioned.source_record_id as enrolment_id,
        unioned.source,
        unioned.source_record_id,
        unioned.batch_id,
        coalesce(batches.batch_date, unioned.batch_date) as batch_date,
        coalesce(unioned.scheme_code, 'UNKNOWN') as scheme_code,
        coalesce(exact.scheme_name, fallback.scheme_name) as scheme_name,
        coalesce(exact.department, fallback.department, upper(unioned.source)) as department,
        coalesce(exact.benefit_type, fallback.benefit_type, 'other') as benefit_type,
        coalesce(exact.amount_basis, fallback.amount_basis) as amount_basis,
        unioned.scheme_status,
        unioned.scheme_status = 'ACTIVE' as is_active,
        round(coalesce(unioned.monthly_amount_inr, 0), 2) as monthly_amount_inr,
        unioned.district_std,
        unioned.block_std,
        unioned.village_code,
        unioned.uid_token is not null as has_preseeded_uid,
        residents.resident_id,
        households.household_id
    from unioned
    left join catalogue as exact
        on
            unioned.source = exact.source
            and unioned.scheme_code = exact.scheme_code
    left join catalogue as fallback
        on
            unioned.source = fallback.source
            and fallback.scheme_code = '*'
    left join batches
        on unioned.batch_id = batches.batch_id
    left join residents
        on
            unioned.source = residents.source
            and unioned.source_record_id = residents.source_record_id
    left join households
        on residents.resident_id = households.resident_id

)

select * from joined
