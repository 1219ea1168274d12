-- Every household member, from ration cards and inferred from KYR: one row per resident.
with

ration_card as (

    select * from {{ ref('int_household_ration_card_members') }}

),

inferred as (

    select * from {{ ref('int_household_inferred_members') }}

),

unioned as (

    select
        household_id,
        resident_id,
        household_source,
        ration_card_no,
        card_type,
        head_resident_id,
        is_head,
        relation_to_head,
        ration_card_member_id
    from ration_card
    union all
    select
        household_id,
        resident_id,
        household_source,
        ration_card_no,
        card_type,
        head_resident_id,
        is_head,
        relation_to_head,
        ration_card_member_id
    from inferred

)

select * from unioned
