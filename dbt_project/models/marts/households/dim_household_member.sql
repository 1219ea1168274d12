-- Household membership: one row per resident in a household, with relation to the head.
with

members as (

    select * from {{ ref('int_household_members') }}

)

select
    household_id,
    resident_id,
    household_source,
    is_head,
    relation_to_head,
    ration_card_no,
    ration_card_member_id
from members
