-- Households inferred for KYR residents who are on no ration card (rule in the YAML).
with

residents as (

    select * from {{ ref('int_resident_survivorship') }}

),

deaths as (

    select * from {{ ref('int_resident_deaths') }}

),

on_ration_card as (

    select * from {{ ref('int_household_ration_card_members') }}

),

candidates as (

    select
        residents.resident_id,
        residents.name_std,
        residents.relative_name_std,
        residents.relation_type,
        residents.gender,
        residents.birth_year,
        -- one household per KYR address: village + house + street + locality;
        -- no house number -> the resident is a household of their own
        case
            when residents.house is null then 'alone|' || residents.resident_id
            else concat_ws(
                    '|',
                    coalesce(residents.village_code, residents.district_std || '/' || residents.village_std),
                    upper(trim(regexp_replace(residents.house, '\s+', ' ', 'g'))),
                    upper(trim(regexp_replace(coalesce(residents.street, ''), '\s+', ' ', 'g'))),
                    upper(trim(regexp_replace(coalesce(residents.locality, ''), '\s+', ' ', 'g')))
                )
        end as address_key
    from residents
    left join deaths
        on residents.resident_id = deaths.resident_id
    left join on_ration_card
        on residents.resident_id = on_ration_card.resident_id
    where
        residents.has_kyr
        and not residents.kyr_deactivated
        and deaths.resident_id is null
        and on_ration_card.resident_id is null

),

-- the member of the same address whom a resident's care-of line names
care_of as (

    select
        member.resident_id,
        min(care_of_target.resident_id) as care_of_resident_id
    from candidates as member
    inner join candidates as care_of_target
        on
            member.address_key = care_of_target.address_key
            and member.relative_name_std = care_of_target.name_std
            and member.resident_id <> care_of_target.resident_id
    group by member.resident_id

),

linked as (

    select
        candidates.*,
        care_of.care_of_resident_id
    from candidates
    left join care_of
        on candidates.resident_id = care_of.resident_id

),

-- head: the eldest member whose care-of names nobody at the address; else the eldest
heads as (

    select
        address_key,
        resident_id as head_resident_id
    from linked
    qualify row_number() over (
            partition by address_key
            order by
                (care_of_resident_id is not null) asc,
                birth_year asc nulls last,
                resident_id asc
        ) = 1

),

with_head as (

    select
        linked.*,
        heads.head_resident_id,
        head.relative_name_std as head_relative_name_std,
        head.relation_type as head_relation_type,
        via.care_of_resident_id as via_care_of_resident_id,
        via.relation_type as via_relation_type
    from linked
    inner join heads
        on linked.address_key = heads.address_key
    inner join linked as head
        on heads.head_resident_id = head.resident_id
    left join linked as via
        on linked.care_of_resident_id = via.resident_id

),

final as (

    select
        {{ stable_id('HH', ["'inferred'", 'head_resident_id']) }} as household_id,
        resident_id,
        'inferred_kyr' as household_source,
        cast(null as varchar) as ration_card_no,
        cast(null as varchar) as card_type,
        head_resident_id,
        resident_id = head_resident_id as is_head,
        case
            when resident_id = head_resident_id then 'SELF'
            -- care-of names the head
            when care_of_resident_id = head_resident_id and relation_type = 'W/O' then 'WIFE'
            when care_of_resident_id = head_resident_id and relation_type = 'S/O' then 'SON'
            when care_of_resident_id = head_resident_id and relation_type = 'D/O' then 'DAUGHTER'
            -- care-of names the head's child
            when via_care_of_resident_id = head_resident_id and via_relation_type in ('S/O', 'D/O')
                and relation_type = 'W/O' then 'DAUGHTER_IN_LAW'
            when via_care_of_resident_id = head_resident_id and via_relation_type in ('S/O', 'D/O')
                and relation_type = 'S/O' then 'GRANDSON'
            when via_care_of_resident_id = head_resident_id and via_relation_type in ('S/O', 'D/O')
                and relation_type = 'D/O' then 'GRANDDAUGHTER'
            -- head is a wife (W/O someone absent): children of the same father are hers
            when head_relation_type = 'W/O' and relative_name_std = head_relative_name_std
                and relation_type = 'S/O' then 'SON'
            when head_relation_type = 'W/O' and relative_name_std = head_relative_name_std
                and relation_type = 'D/O' then 'DAUGHTER'
            else 'OTHER'
        end as relation_to_head,
        cast(null as varchar) as ration_card_member_id
    from with_head

)

select * from final
