-- Delivered batches with their delivery date (when the ingest records one).
with

source as (

    {{ select_columns(source('meta', 'batches'), {
        'batch_id': 'varchar',
        'feed': 'varchar',
        'batch_date': 'date'
    }, aliases={'batch_date': ['delivery_date', 'delivered_on', 'folder_date']}) }}

),

renamed as (

    select
        batch_id,
        feed,
        coalesce(batch_date, {{ batch_date_from_id('batch_id') }}) as batch_date
    from source
    where batch_id is not null
    qualify row_number() over (partition by batch_id order by batch_date desc nulls last) = 1

)

select * from renamed
