-- Death records: the latest version of each registration.
with

source as (

    {{ select_columns(source('std', 'crs_death'), person_columns_with({
        'date_of_death': 'date',
        'age_at_death': 'integer'
    })) }}

),

keyed as (

    select *
    from source
    where source_record_id is not null

),

latest as (

    {{ latest_version('keyed', 'source_record_id', 'batch_id desc, source_row desc') }}

),

renamed as (

    select
        'crs_death' as source,
        source_record_id as registration_no,
        source_record_id,
        batch_id,
        {{ batch_date_from_id('batch_id') }} as batch_date,
        source_row,
        name_std,
        first_name,
        last_name,
        relative_name_std,
        relation_type,
        gender,
        dob,
        birth_year,
        district_std,
        block_std,
        village_std,
        village_code,
        cast(null as varchar) as mobile,
        date_of_death,
        age_at_death
    from latest

)

select * from renamed
