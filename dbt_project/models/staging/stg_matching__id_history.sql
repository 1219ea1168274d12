-- Every change of a resident id (merge, split, moved, linked_to_kyr), so an old id held
-- by a department leads to the current one (written by matching/ids.py).
with

source as (

    {{ select_columns(source('matching', 'id_history'), {
        'old_id': 'varchar',
        'new_id': 'varchar',
        'reason': 'varchar',
        'records': 'integer',
        'run_date': 'date',
        'recorded_at': 'timestamp'
    }) }}

),

renamed as (

    select
        old_id as old_resident_id,
        new_id as new_resident_id,
        reason as change_reason,
        records as records_moved,
        run_date,
        recorded_at
    from source
    where old_id is not null and new_id is not null

)

select * from renamed
