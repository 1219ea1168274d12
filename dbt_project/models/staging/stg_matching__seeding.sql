-- UID seeding decision per linked source record (latest matching run).
with

source as (

    {{ select_columns(source('matching', 'seeding'), {
        'source': 'varchar',
        'source_record_id': 'varchar',
        'uid_token': 'varchar',
        'candidate_uid_token': 'varchar',
        'match_probability': 'double',
        'match_weight': 'double',
        'match_status': 'varchar',
        'reason': 'varchar',
        'resident_id': 'varchar',
        'run_date': 'date'
    }) }}

),

renamed as (

    select
        source,
        source_record_id,
        uid_token as seeded_uid_token,
        candidate_uid_token,
        match_probability,
        match_weight,
        lower(match_status) as match_status,
        reason as match_reason,
        resident_id,
        run_date as match_run_date
    from source
    where source_record_id is not null
    qualify row_number() over (
            partition by source, source_record_id order by run_date desc nulls last
        ) = 1

)

select * from renamed
