-- Households due for a follow-up call. Rule (docs/jansamvad.md): take the latest call for
-- each household and scheme (so "not called since" holds by construction); it is due when
--   * the outcome was CALLBACK (the resident asked to be called back), or
--   * the call connected and recorded a grievance (category other than NONE), or
--   * the call connected and the resident said the benefit was not received (N);
-- and the household never asked not to be called (do_not_call = Y on any call).
with

calls as (

    select
        *,
        coalesce(household_id, source || ':' || source_record_id) as household_key
    from {{ ref('stg_raw__jansamvad_calls') }}

),

do_not_call as (

    select distinct household_key
    from calls
    where is_do_not_call

),

latest as (

    select * from calls
    qualify row_number() over (
            partition by household_key, scheme_code order by call_date desc, call_id desc
        ) = 1

),

flagged as (

    select
        *,
        case
            when outcome = 'CALLBACK' then 'CALLBACK'
            when is_connected and grievance_category != 'NONE' then 'GRIEVANCE'
            when is_connected and benefit_received = 'N' then 'BENEFIT_NOT_RECEIVED'
        end as followup_reason
    from latest

),

final as (

    select
        flagged.household_key,
        flagged.household_id,
        flagged.source,
        flagged.source_record_id,
        flagged.scheme_code,
        flagged.district_name,
        flagged.block_name,
        flagged.call_id as last_call_id,
        flagged.call_date as last_call_date,
        flagged.outcome as last_outcome,
        flagged.grievance_category,
        flagged.benefit_received,
        flagged.followup_reason,
        date_diff('day', flagged.call_date, {{ as_of_date() }}) as days_since_last_call
    from flagged
    where
        flagged.followup_reason is not null
        and flagged.household_key not in (select do_not_call.household_key from do_not_call)

)

select * from final
