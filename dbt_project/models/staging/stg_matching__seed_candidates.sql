-- The KYR residents matching weighed for each department record (its best few candidates),
-- seeded or not: an inclusion rule asks whether an unseeded record may be the resident's.
with

source as (

    {{ select_columns(source('matching', 'seed_candidates'), {
        'source': 'varchar',
        'source_record_id': 'varchar',
        'uid_token': 'varchar',
        'match_weight': 'double',
        'match_probability': 'double'
    }) }}

),

renamed as (

    select
        source,
        source_record_id,
        uid_token as candidate_uid_token,
        match_weight,
        match_probability
    from source
    where source_record_id is not null and uid_token is not null

)

select * from renamed
