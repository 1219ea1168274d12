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
        '_file_name': 'varchar',
        '_file_sha256': 'varchar',
        '_source_row': 'bigint'
    }) }}

),

resolved_places as (

    {{ select_columns(source('std', 'jansamvad_calls'), {
        'source_record_id': 'varchar',
        'district_std': 'varchar',
        'block_std': 'varchar'
    }) }}

),

latest as (

    {{ latest_raw_record('source', 'call_id') }}

),

renamed as (

    select
        latest.call_id,
        latest.call_date,
        lower(latest.source) as source,  -- noqa: RF04 (the feed's own column name)
        latest.source_record_id,
        latest.household_id,
        upper(latest.scheme_code) as scheme_code,
        coalesce(resolved_places.district_std, latest.district_name) as district_name,
        coalesce(resolved_places.block_std, latest.block_name) as block_name,
        upper(latest.outcome) as outcome,
        upper(latest.outcome) = 'CONNECTED' as is_connected,
        upper(latest.benefit_received) as benefit_received,
        latest.satisfaction,
        coalesce(upper(latest.grievance_category), 'NONE') as grievance_category,
        latest.grievance_text,
        coalesce(upper(latest.do_not_call) = 'Y', false) as is_do_not_call,
        latest.agent_id,
        latest._batch_id as batch_id
    from latest
    left join resolved_places
        on latest.call_id = resolved_places.source_record_id

)

select * from renamed
