-- Every current beneficiary record of every configured scheme feed (departments whose
-- registry YAML has a `scheme:` section), with its scheme's department and benefit type
-- (seed scheme_catalogue, else the feed's registry department), SRDH resident and household.
with

records as (

    select * from {{ ref('stg_std__department_records') }}

),

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

scheme_records as (

    select *
    from records
    where is_scheme_record

),

joined as (

    select
        scheme_records.source || ':' || scheme_records.source_record_id as enrolment_id,
        scheme_records.source,
        scheme_records.source_record_id,
        scheme_records.batch_id,
        coalesce(batches.batch_date, scheme_records.batch_date) as batch_date,
        -- the month the list was paid for: the batch's month, else the reference date's
        date_trunc(
            'month', coalesce(batches.batch_date, scheme_records.batch_date, {{ as_of_date() }})
        )::date as payment_period_start,
        coalesce(scheme_records.scheme_code, 'UNKNOWN') as scheme_code,
        coalesce(exact.scheme_name, fallback.scheme_name) as scheme_name,
        coalesce(exact.department, fallback.department, scheme_records.department) as department,
        coalesce(exact.benefit_type, fallback.benefit_type, 'other') as benefit_type,
        coalesce(exact.amount_basis, fallback.amount_basis) as amount_basis,
        scheme_records.scheme_status,
        scheme_records.scheme_status = 'ACTIVE' as is_active,
        round(coalesce(scheme_records.monthly_amount_inr, 0), 2) as monthly_amount_inr,
        scheme_records.district_std,
        scheme_records.block_std,
        scheme_records.village_code,
        scheme_records.uid_token is not null as has_preseeded_uid,
        residents.resident_id,
        households.household_id
    from scheme_records
    left join catalogue as exact
        on
            scheme_records.source = exact.source
            and scheme_records.scheme_code = exact.scheme_code
    left join catalogue as fallback
        on
            scheme_records.source = fallback.source
            and fallback.scheme_code = '*'
    left join batches
        on scheme_records.batch_id = batches.batch_id
    left join residents
        on
            scheme_records.source = residents.source
            and scheme_records.source_record_id = residents.source_record_id
    left join households
        on residents.resident_id = households.resident_id

)

select * from joined
