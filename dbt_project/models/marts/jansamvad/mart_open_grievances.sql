-- Grievances still open: a call that recorded a grievance (category other than NONE)
-- for a household and scheme, with no later connected call for the same household and
-- scheme that reported no grievance (category NONE). One row per open grievance call.
with

calls as (

    select
        *,
        coalesce(household_id, source || ':' || source_record_id) as household_key
    from {{ ref('stg_raw__jansamvad_calls') }}

),

grievances as (

    select * from calls
    where grievance_category != 'NONE'

),

resolutions as (

    select
        household_key,
        scheme_code,
        call_date,
        call_id
    from calls
    where is_connected and grievance_category = 'NONE'

),

still_open as (

    select grievances.*
    from grievances
    where not exists (
            select 1
            from resolutions
            where
                resolutions.household_key = grievances.household_key
                and resolutions.scheme_code = grievances.scheme_code
                and (
                    resolutions.call_date > grievances.call_date
                    or (
                        resolutions.call_date = grievances.call_date
                        and resolutions.call_id > grievances.call_id
                    )
                )
        )

),

final as (

    select
        call_id,
        call_date,
        household_key,
        household_id,
        source,
        source_record_id,
        scheme_code,
        district_name,
        block_name,
        grievance_category,
        grievance_text,
        benefit_received,
        satisfaction,
        agent_id,
        date_diff('day', call_date, {{ as_of_date() }}) as days_open
    from still_open

)

select * from final
