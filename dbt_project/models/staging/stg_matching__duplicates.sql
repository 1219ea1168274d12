-- Records that share a resident with another record of the same source.
with

source as (

    {{ select_columns(source('matching', 'duplicates'), {
        'source': 'varchar',
        'source_record_id': 'varchar',
        'duplicate_group': 'varchar',
        'resident_id': 'varchar'
    }) }}

),

renamed as (

    select
        source,
        source_record_id,
        duplicate_group,
        resident_id
    from source
    where source_record_id is not null
    qualify row_number() over (partition by source, source_record_id order by duplicate_group) = 1

)

select * from renamed
