-- One row per household: ration-card households and households inferred from KYR.
with

members as (

    select * from {{ ref('int_household_members') }}

),

residents as (

    select * from {{ ref('int_resident_survivorship') }}

),

households as (

    select
        household_id,
        any_value(household_source) as household_source,
        any_value(ration_card_no) as ration_card_no,
        mode(card_type) as card_type,
        any_value(head_resident_id) as head_resident_id,
        count(*) as members
    from members
    group by household_id

),

final as (

    select
        households.household_id,
        households.household_source,
        households.ration_card_no,
        households.card_type,
        households.head_resident_id,
        head.name_std as head_name,
        households.members,
        head.district_std as district,
        head.block_std as block,
        head.village_std as village,
        head.village_code
    from households
    left join residents as head
        on households.head_resident_id = head.resident_id

)

select * from final
