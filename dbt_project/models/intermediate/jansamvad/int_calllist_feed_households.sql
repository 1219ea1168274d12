-- Call-list beneficiaries grouped by the households the feeds themselves declare, for a
-- warehouse that matching has not linked to residents yet: one row per active scheme
-- record, its feed household (the card its members share - the feed's household_ref,
-- e.g. a ration card or job card: HH-<feed>-<ref> - else the beneficiary alone:
-- BEN-<feed>-<record id>), whether it is the head, and the household's head and members.

with

records as (

    select * from {{ ref('stg_std__department_records') }}

),

ration_card_members as (

    select * from {{ ref('stg_std__food_pds') }}

),

beneficiaries as (

    select
        case
            when records.household_ref is not null
                then 'HH-' || records.source || '-' || records.household_ref
            else 'BEN-' || records.source || '-' || records.source_record_id
        end as household_id,
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
