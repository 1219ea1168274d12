-- Project-monitoring survey answers: one row per response id (latest delivery).
with

source as (

    {{ select_columns(source('raw', 'pm_survey'), {
        'response_id': 'varchar',
        'task_id': 'varchar',
        'project_id': 'varchar',
        'survey_id': 'varchar',
        'question_id': 'varchar',
        'question_text': 'varchar',
        'answer_type': 'varchar',
        'answer': 'varchar',
        'answered_by': 'varchar',
        'answered_at': 'timestamp',
        '_batch_id': 'varchar',
        '_file_name': 'varchar',
        '_file_sha256': 'varchar',
        '_source_row': 'bigint'
    }) }}

),

files as (

    {{ select_columns(source('meta', 'files'), {
        'file_sha256': 'varchar',
        'loaded_at': 'timestamp'
    }) }}

),

loaded as (

    select
        source.*,
        files.loaded_at as _loaded_at
    from source
    left join files on source._file_sha256 = files.file_sha256
    where source.response_id is not null

),

latest as (

    {{ latest_version('loaded', 'response_id', raw_version_order()) }}

),

renamed as (

    select
        response_id,
        task_id,
        project_id,
        survey_id,
        question_id,
        question_text,
        upper(answer_type) as answer_type,
        answer,
        answered_by,
        answered_at,
        _batch_id as batch_id
    from latest

)

select * from renamed
