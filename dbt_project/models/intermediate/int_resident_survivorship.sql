-- One row per SRDH resident: demographics chosen across the resident's records.
-- KYR wins; otherwise the most recent, then most complete record (int_person_records.record_rank).
-- Attribute groups (name, birth, relation, address) come whole from one record.
{%- set address = 'coalesce(village_code, district_std) is not null' %}
{%- set birth = '(dob is not null or birth_year is not null)' %}

with

records as (

    select * from {{ ref('int_person_records') }}

),

kyr as (

    select * from {{ ref('stg_std__uid_kyr') }}

),

kyr_links as (

    select
        records.resident_id,
        arg_min(kyr.uid_token, records.record_rank) as uid_token,
        arg_min(kyr.uid_last4, records.record_rank) as uid_last4,
        arg_min(kyr.house, records.record_rank) as house,
        arg_min(kyr.street, records.record_rank) as street,
        arg_min(kyr.locality, records.record_rank) as locality,
        arg_min(kyr.pincode, records.record_rank) as pincode,
        arg_min(kyr.name_local, records.record_rank) as name_local,
        bool_or(kyr.is_deactivated) as kyr_deactivated
    from records
    inner join kyr
        on records.source_record_id = kyr.source_record_id
    where records.source = 'uid_kyr'
    group by records.resident_id

),

survived as (

    select
        resident_id,
        {{ survive('name_std', lineage='name') }},
        {{ survive('first_name', when='name_std is not null') }},
        {{ survive('last_name', when='name_std is not null') }},
        {{ survive('gender', lineage='gender') }},
        {{ survive('dob', when=birth, lineage='birth') }},
        {{ survive('birth_year', when=birth) }},
        {{ survive('relative_name_std', lineage='relative') }},
        {{ survive('relation_type', when='relative_name_std is not null') }},
        {{ survive('district_std', when=address, lineage='address') }},
        {{ survive('block_std', when=address) }},
        {{ survive('village_std', when=address) }},
        {{ survive('village_code', when=address) }},
        {{ survive('mobile', lineage='mobile') }},
        count(*) as source_records,
        bool_or(is_kyr) as has_kyr,
        list_sort(list_distinct(list(source))) as sources
    from records
    group by resident_id

),

final as (

    select
        survived.*,
        kyr_links.uid_token,
        kyr_links.uid_last4,
        kyr_links.house,
        kyr_links.street,
        kyr_links.locality,
        kyr_links.pincode,
        kyr_links.name_local,
        coalesce(kyr_links.kyr_deactivated, false) as kyr_deactivated
    from survived
    left join kyr_links
        on survived.resident_id = kyr_links.resident_id

)

select * from final
