-- Everyone the Jan Samvad call list may draw from: one row per active beneficiary record
-- of a living, non-duplicate beneficiary, with the household it belongs to and what a
-- caller needs (masked UID, a reachable household mobile, the household's schemes and
-- monthly amount, its inclusion gaps in words, the village's nearest facilities).
-- warehouse/calllist.py applies the day's policy (strata, exclusions, sampling) on top.
--
-- Households: the SRDH household of the matched resident (fct_scheme_enrolment,
-- dim_resident, mart_household_card) once matching has linked any record to one; before
-- that, the household each feed declares (int_calllist_feed_households).
{%- set facility_types = ['phc', 'chc', 'district_hospital', 'school', 'anganwadi',
                          'railway_station'] %}

with

enrolments as (

    select * from {{ ref('fct_scheme_enrolment') }}

),

residents as (

    select * from {{ ref('dim_resident') }}

),

household_cards as (

    select * from {{ ref('mart_household_card') }}

),

feed_households as (

    select * from {{ ref('int_calllist_feed_households') }}

),

inclusion_gaps as (

    select * from {{ ref('int_calllist_inclusion_gaps') }}

),

villages as (

    select * from {{ ref('mart_village_facilities') }}

),

linked as (

    select
        enrolments.household_id,
        enrolments.source,
        enrolments.source_record_id,
        enrolments.scheme_code,
        enrolments.district,
        enrolments.block,
        coalesce(enrolments.village_code, residents.village_code) as village_code,
        residents.name_std as beneficiary_name,
        residents.uid_last4,
        residents.mobile,
        coalesce(residents.is_household_head, false) as is_head,
        household_cards.head_name,
        household_cards.member_count,
        enrolments.monthly_amount_inr,
        'resident_household' as household_basis
    from enrolments
    inner join residents
        on enrolments.resident_id = residents.resident_id
    inner join household_cards
        on enrolments.household_id = household_cards.household_id
    where
        enrolments.is_active
        and enrolments.household_id is not null
        and not coalesce(residents.is_deceased, false)
        and not coalesce(enrolments.is_duplicate_extra, false)

),

unlinked as (

    select
        household_id,
        source,
        source_record_id,
        scheme_code,
        district,
        block,
        village_code,
        beneficiary_name,
        uid_last4,
        mobile,
        is_head,
        head_name,
        member_count,
        monthly_amount_inr,
        'feed_household' as household_basis
    from feed_households
    where not exists (select 1 from linked)

),

unioned as (

    select * from linked
    union all
    select * from unlinked

),

frame as (

    select
        *,
        regexp_full_match(coalesce(mobile, ''), '[6-9][0-9]{9}') as has_own_mobile
    from unioned

),

households as (

    select
        household_id,
        -- one number per household, the same whichever member is called about
        arg_min(mobile, source || ':' || source_record_id) filter (where has_own_mobile)
            as household_mobile,
        string_agg(distinct scheme_code, ', ' order by scheme_code) as household_schemes,
        sum(monthly_amount_inr)::integer as household_monthly_amount_inr
    from frame
    group by household_id

),

final as (

    select
        frame.household_id,
        frame.household_basis,
        frame.source,
        frame.source_record_id,
        frame.scheme_code,
        frame.district,
        frame.block,
        frame.village_code,
        frame.beneficiary_name,
        case
            when regexp_full_match(coalesce(frame.uid_last4, ''), '[0-9]{4}')
                then {{ masked_uid('frame.uid_last4') }}
        end as beneficiary_uid_masked,
        frame.has_own_mobile,
        frame.is_head,
        households.household_mobile,
        frame.head_name,
        frame.member_count::integer as member_count,
        households.household_schemes,
        households.household_monthly_amount_inr,
        coalesce(inclusion_gaps.inclusion_gap_count, 0) as inclusion_gap_count,
        inclusion_gaps.inclusion_gaps,
        {%- for t in facility_types %}
            villages.nearest_{{ t }}_name,
            villages.nearest_{{ t }}_km,
        {%- endfor %}
        villages.all_weather_road,
        villages.electrified
    from frame
    inner join households
        on frame.household_id = households.household_id
    left join inclusion_gaps
        on frame.household_id = inclusion_gaps.household_id
    left join villages
        on frame.village_code = villages.village_code

)

select * from final
