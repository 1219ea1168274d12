-- Per LGD village: its location, and the residents and households living there (the
-- Superset dataset marts.village_residents, the villages map).
with

villages as (

    select * from {{ ref('mart_village_facilities') }}

),

residents as (

    select * from {{ ref('dim_resident') }}

),

final as (

    select
        villages.village_code,
        villages.village_name,
        villages.block_name as block,
        villages.district_name as district,
        villages.latitude,
        villages.longitude,
        count(residents.resident_id) as residents,
        count(distinct residents.household_id) as households
    from villages
    left join residents
        on villages.village_code = residents.village_code
    group by
        villages.village_code,
        villages.village_name,
        villages.block_name,
        villages.district_name,
        villages.latitude,
        villages.longitude

)

select * from final
