-- Quarantined rows: one line per problem found in a delivered row.
with

source as (

    {{ select_columns(source('quarantine', 'rows'), {
        'feed': 'varchar',
        'batch_id': 'varchar',
        'file_name': 'varchar',
        'source_row': 'bigint',
        'column_name': 'varchar',
        'reason': 'varchar',
        'quarantined_at': 'timestamp'
    }) }}

),

renamed as (

    select
        feed,
        batch_id,
        file_name,
        source_row,
        column_name,
        reason,
        quarantined_at
    from source

)

select * from renamed
