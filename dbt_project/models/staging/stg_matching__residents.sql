-- Every record (KYR and linked feeds) with its SRDH resident id.
with

source as (

    {{ select_columns(source('matching', 'residents'), {
        'source': 'varchar',
        'record_id': 'varchar',
        'resident_id': 'varchar'
    }) }}

),

renamed as (

    select
        source,
        record_id as source_record_id,
        resident_id
    from source
    where record_id is not null and resident_id is not null
    qualify row_number() over (partition by source, record_id order by resident_id) = 1

)

select * from renamed
