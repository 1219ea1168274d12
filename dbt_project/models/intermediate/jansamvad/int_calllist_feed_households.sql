-- Call-list beneficiaries grouped by the households the feeds themselves declare, for a
-- warehouse that matching has not linked to residents yet: one row per active scheme
-- record, its feed household (the card its members share - the feed's household_ref,
-- e.g. a ration card or job card - else the beneficiary alone), whether it is the head,
-- and the household's head and member count.

with

records as (

    select * from {{ ref('stg_std__department_records') }}

),

ration_card_members as (

    select * from {{ ref('stg_std__food_pds') }}

),

beneficiaries as (

    select
        -- a hash, never the card itself: a department id may be 12 digits, even a UID
        -- the vault holds, and the call list is read out and shared
        'HH-' || left(md5(
            records.source || ':'
            || coalesce('card:' || records.household_ref, 'record:' || records.source_record_id)
        ), 16) as household_id,
        records.source,
        records.source_record_id,
        records.scheme_code,
        records.district_std as district,
        records.block_std as block,
        records.village_code,
        records.name_std as beneficiary_name,
        records.uid_last4,
        records.mobile,
        -- a ration card names its head (relation SELF); in other feeds each record heads
        -- its own household
        coalesce(ration_card_members.relation_with_hof = 'SELF', records.source != 'food_pds')
            as is_head,
        records.monthly_amount_inr
    from records
    left join ration_card_members
        on
            records.source = 'food_pds'
            and records.source_record_id = ration_card_members.source_record_id
    where records.is_scheme_record and records.scheme_status = 'ACTIVE'

),

households as (

    select
        household_id,
        coalesce(
            arg_min(beneficiary_name, source_record_id) filter (where is_head),
            arg_min(beneficiary_name, source_record_id)
        ) as head_name,
        count(distinct source || ':' || source_record_id) as member_count
    from beneficiaries
    group by household_id

),

final as (

    select
        beneficiaries.*,
        households.head_name,
        households.member_count
    from beneficiaries
    inner join households
        on beneficiaries.household_id = households.household_id

)

select * from final
