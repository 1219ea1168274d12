-- Ration-card households: one row per resident on a ration card. A resident found on
-- several cards belongs to one: the card naming them SELF, else the latest delivery,
-- else the lowest card number.
with

members as (

    select * from {{ ref('stg_std__food_pds') }}

),

residents as (

    select * from {{ ref('stg_matching__residents') }}

),

linked as (

    select
        residents.resident_id,
        members.ration_card_no,
        members.card_type,
        members.relation_with_hof,
        members.source_record_id,
        members.batch_id,
        members.district_std,
        members.block_std,
        members.village_code,
        members.birth_year
    from members
    inner join residents
        on
            residents.source = 'food_pds'
            and members.source_record_id = residents.source_record_id
    where members.ration_card_no is not null

),

one_card_each as (

    {{ latest_version('linked', 'resident_id',
                      "(relation_with_hof = 'SELF') desc, batch_id desc, ration_card_no asc,"
                      ~ " source_record_id asc") }}

),

heads as (

    -- head: the SELF member; else the eldest member; ties by resident id
    select
        ration_card_no,
        arg_min(
            resident_id,
            struct_pack(
                not_self := not coalesce(relation_with_hof = 'SELF', false),
                birth_year := coalesce(birth_year, 2147483647),
                resident_id := resident_id
            )
        ) as head_resident_id
    from one_card_each
    group by ration_card_no

),

households as (

    select
        one_card_each.*,
        {{ stable_id('HH', ["'ration_card'", 'one_card_each.ration_card_no']) }} as household_id,
        heads.head_resident_id
    from one_card_each
    inner join heads
        on one_card_each.ration_card_no = heads.ration_card_no

),

final as (

    select
        household_id,
        resident_id,
        'ration_card' as household_source,
        ration_card_no,
        card_type,
        head_resident_id,
        resident_id = head_resident_id as is_head,
        case
            when resident_id = head_resident_id then 'SELF'
            when relation_with_hof = 'SELF' then 'OTHER'
            else coalesce(relation_with_hof, 'OTHER')
        end as relation_to_head,
        source_record_id as ration_card_member_id
    from households

)

select * from final
