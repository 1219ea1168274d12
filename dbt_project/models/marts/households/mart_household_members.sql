-- Household members for the household lookup: one row per member with the household's
-- card and village, the member's masked UID and schemes (the Superset dataset
-- marts.household_members).
with

members as (

    select * from {{ ref('dim_household_member') }}

),

households as (

    select * from {{ ref('dim_household') }}

),

residents as (

    select * from {{ ref('dim_resident') }}

),

enrolments as (

    select * from {{ ref('fct_scheme_enrolment') }}

),

member_schemes as (

    select
        resident_id,
        -- status breaks a tie (one scheme held under two statuses): the same text every build
        string_agg(
            scheme_code || ' ' || scheme_status, ', ' order by scheme_code, scheme_status
        ) as schemes,
        coalesce(sum(monthly_amount_inr) filter (where is_active), 0) as member_monthly_inr
    from enrolments
    where resident_id is not null
    group by resident_id

),

final as (

    select
        households.household_id,
        members.resident_id,
        households.ration_card_no,
        households.card_type,
        households.head_name,
        households.village,
        households.block,
        households.district,
        members.is_head,
        members.relation_to_head,
        residents.name_std as member_name,
        residents.gender,
        residents.age_years,
        residents.uid_masked,
        residents.is_deceased,
        coalesce(member_schemes.schemes, '') as schemes,
        coalesce(member_schemes.member_monthly_inr, 0) as member_monthly_inr
    from members
    inner join households
        on members.household_id = households.household_id
    inner join residents
        on members.resident_id = residents.resident_id
    left join member_schemes
        on members.resident_id = member_schemes.resident_id

)

select * from final
