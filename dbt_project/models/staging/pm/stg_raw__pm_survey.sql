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

latest as (

    {{ latest_raw_record('source', 'response_id') }}

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
