-- Public facilities: one row per facility id (latest batch), with coordinates.
with

source as (

    {{ select_columns(source('std', 'facilities'), {
        'facility_id': 'varchar',
        'facility_type': 'varchar',
        'facility_name': 'varchar',
        'district_name': 'varchar',
        'block_name': 'varchar',
        'latitude': 'double',
        'longitude': 'double',
        'udise_code': 'varchar',
        'batch_id': 'varchar',
        'source_row': 'bigint'
    }) }}

),

latest as (

    select *
    from source
    where facility_id is not null
    qualify row_number() over (
            partition by facility_id order by batch_id desc nulls last, source_row desc nulls last
        ) = 1

),

renamed as (

    select
        facility_id,
        upper(facility_type) as facility_type,
        facility_name,
        district_name,
        block_name,
        latitude,
        longitude,
        udise_code
    from latest

)

select * from renamed
