-- Death records: the latest version of each registration.
with

source as (

    {{ select_columns(source('std', 'crs_death'), person_columns_with({
        'date_of_death': 'date',
        'age_at_death': 'integer'
    }), required=person_columns()) }}

),

latest as (

    {{ latest_std_record('source') }}

),

renamed as (

    select
        'crs_death' as source,
        source_record_id as registration_no,
        source_record_id,
        batch_id,
        {{ batch_date_from_id('batch_id') }} as batch_date,
        source_row,
        {%- for column in person_identity_columns() %}
            {{ column }},
        {%- endfor %}
        cast(null as varchar) as mobile,
        date_of_death,
        age_at_death
    from latest

)

select * from renamed
