-- Quarantined rows by feed, batch, column and reason.
with

quarantined as (

    select * from {{ ref('stg_quarantine__rows') }}

),

counted as (

    select
        feed,
        batch_id,
        coalesce(column_name, '(row)') as column_name,
        reason,
        count(distinct file_name || '#' || source_row) as rows_quarantined
    from quarantined
    group by feed, batch_id, coalesce(column_name, '(row)'), reason

)

select * from counted
