-- Jan Samvad call outcomes: one row per call id (latest delivery), typed, codes upper-case.
with

source as (

    {{ select_columns(source('raw', 'jansamvad_calls'), {
        'call_id': 'varchar',
        'call_date': 'date',
        'source': 'varchar',
        'source_record_id': 'varchar',
        'household_id': 'varchar',
        'scheme_code': 'varchar',
        'district_name': 'varchar',
        'block_name': 'varchar',
        'outcome': 'varchar',
        'benefit_received': 'varchar',
        'satisfaction': 'integer',
        'grievance_category': 'varchar',
        'grievance_text': 'varchar',
        'do_not_call': 'varchar',
        'agent_id': 'varchar',
        '_batch_id': 'varchar',
        '_source_row': 'bigint'
    }) }}

),

latest as (

    select *
    from source
    where call_id is not null
    qualify row_number() over (
        partition by call_id order by _batch_id desc nulls last, _source_row desc nulls last
    ) = 1

),

renamed as (

    select
        call_id,
        call_date,
        lower(source) as source,
        source_record_id,
        household_id,
        upper(scheme_code) as scheme_code,
        district_name,
        block_name,
        upper(outcome) as outcome,
        upper(outcome) = 'CONNECTED' as is_connected,
        upper(benefit_received) as benefit_received,
        satisfaction,
        coalesce(upper(grievance_category), 'NONE') as grievance_category,
        grievance_text,
        coalesce(upper(do_not_call) = 'Y', false) as is_do_not_call,
        agent_id,
        _batch_id as batch_id
    from latest

)

select * from renamed
