-- LGD village master: one row per village code (latest batch), with the village's
-- centroid and infrastructure (all-weather road, electrification).
with

source as (

    {{ select_columns(source('std', 'lgd_villages'), {
        'village_code': 'varchar',
        'village_name': 'varchar',
        'block_name': 'varchar',
        'district_name': 'varchar',
        'pincode': 'varchar',
        'latitude': 'double',
        'longitude': 'double',
        'all_weather_road': 'varchar',
        'electrified': 'varchar',
        'batch_id': 'varchar',
        'source_row': 'bigint'
    }) }}

),

latest as (

    select *
    from source
    where village_code is not null
    qualify row_number() over (
            partition by village_code order by batch_id desc nulls last, source_row desc nulls last
        ) = 1

),

renamed as (

    select
        village_code,
        village_name,
        block_name,
        district_name,
        pincode,
        latitude,
        longitude,
        case upper(all_weather_road) when 'Y' then true when 'N' then false end
            as has_all_weather_road,
        case upper(electrified) when 'Y' then true when 'N' then false end
            as is_electrified
    from latest

)

select * from renamed
