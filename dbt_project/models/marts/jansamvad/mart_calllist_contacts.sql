-- Households the call centre has already reached: one row per Jan Samvad call and
-- household it concerns - the household id the call recorded, and the household of the
-- beneficiary record (source, record id) it was about. warehouse/calllist.py skips the
-- households called in the last K days and, for good, those that asked not to be called.
-- A view: a call landed since the last dbt build counts at once.
{{ config(materialized='view') }}

with

calls as (

    select * from {{ ref('stg_raw__jansamvad_calls') }}

),

candidates as (

    select * from {{ ref('mart_calllist_candidates') }}

),

by_household_id as (

    select
        call_id,
        call_date,
        is_do_not_call,
        household_id
    from calls
    where household_id is not null

),

by_record as (

    select distinct
        calls.call_id,
        calls.call_date,
        calls.is_do_not_call,
        candidates.household_id
    from calls
    inner join candidates
        on
            calls.source = candidates.source
            and calls.source_record_id = candidates.source_record_id

),

final as (

    select * from by_household_id
    union
    select * from by_record

)

select * from final
