-- Field verification outcomes: one row per verification id (latest delivery), the flag it
-- checked split into its source, record and flag name, the outcome in lower case.
with

source as (

    {{ select_columns(source('std', 'field_verification'), {
        'verification_id': 'varchar',
        'flag_id': 'varchar',
        'evidence_hash': 'varchar',
        'outcome': 'varchar',
        'verified_by': 'varchar',
        'verified_at': 'timestamp',
        'remarks': 'varchar',
        'batch_id': 'varchar',
        'source_row': 'bigint'
    }) }}

),

keyed as (

    select *
    from source
    where verification_id is not null

),

latest as (

    {{ latest_version('keyed', 'verification_id', 'batch_id desc, source_row desc') }}

),

renamed as (

    select
        verification_id,
        flag_id,
        -- flag_id is `<source>:<source_record_id>:<flag>`; a record id may hold a colon
        split_part(flag_id, ':', 1) as flagged_source,
        regexp_extract(flag_id, '^[^:]*:(.*):[^:]*$', 1) as flagged_record_id,
        regexp_extract(flag_id, ':([^:]*)$', 1) as flag,
        lower(evidence_hash) as evidence_hash,
        lower(outcome) as outcome,
        verified_by,
        verified_at,
        remarks,
        batch_id
    from latest

)

select * from renamed
