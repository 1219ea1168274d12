-- Delivered batches with their delivery date (when the ingest records one).
with

source as (

    {{ select_columns(source('meta', 'batches'), {
        'batch_id': 'varchar',
        'feed': 'varchar',
        'batch_date': 'date',
        'status': 'varchar',
        'rows_read': 'bigint',
        'rows_loaded': 'bigint',
        'rows_quarantined': 'bigint',
        'finished_at': 'timestamp'
    }, aliases={'batch_date': ['delivery_date', 'delivered_on', 'folder_date']}) }}

),

renamed as (

    select
        batch_id,
        feed,
        coalesce(batch_date, {{ batch_date_from_id('batch_id') }}) as batch_date,
        lower(status) as batch_status,
        rows_read,
        rows_loaded,
        rows_quarantined
    from source
    where batch_id is not null
    -- a batch may be listed once per ingest run (reruns skip it): keep the run that loaded it
    qualify row_number() over (
            partition by batch_id
            order by (rows_loaded is not null) desc, rows_loaded desc nulls last, finished_at desc nulls last
        ) = 1

)

select * from renamed
