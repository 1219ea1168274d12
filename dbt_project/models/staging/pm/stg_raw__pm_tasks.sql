-- Project-monitoring tasks: one row per task id; a later export carries the newer status.
with

source as (

    {{ select_columns(source('raw', 'pm_tasks'), {
        'task_id': 'varchar',
        'project_id': 'varchar',
        'project_name': 'varchar',
        'department': 'varchar',
        'assigned_to': 'varchar',
        'district_name': 'varchar',
        'block_name': 'varchar',
        'village_code': 'varchar',
        'status': 'varchar',
        'allocated_at': 'timestamp',
        'started_at': 'timestamp',
        'submitted_at': 'timestamp',
        'approved_at': 'timestamp',
        'survey_id': 'varchar',
        '_batch_id': 'varchar',
        '_file_name': 'varchar',
        '_file_sha256': 'varchar',
        '_source_row': 'bigint'
    }) }}

),

latest as (

    {{ latest_raw_record('source', 'task_id') }}

),

renamed as (

    select
        task_id,
        project_id,
        project_name,
        department,
        assigned_to,
        district_name,
        block_name,
        village_code,
        upper(status) as status,
        allocated_at,
        started_at,
        submitted_at,
        approved_at,
        survey_id,
        _batch_id as batch_id
    from latest

)

select * from renamed
