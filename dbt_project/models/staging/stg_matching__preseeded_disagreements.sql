-- Department records whose pre-seeded UID KYR does not confirm, with the evidence matching
-- gathered on the pre-seeded pair (int_enrolment_flags decides what to flag).
with

source as (

    {{ select_columns(source('matching', 'preseeded_disagreements'), {
        'source': 'varchar',
        'source_record_id': 'varchar',
        'preseeded_uid_token': 'varchar',
        'preseeded_uid_last4': 'varchar',
        'uid_valid': 'boolean',
        'token_in_kyr': 'boolean',
        'name_similarity': 'double',
        'gender_agrees': 'boolean',
        'birth_year_agrees': 'boolean',
        'match_status': 'varchar',
        'seeded_uid_token': 'varchar',
        'reason': 'varchar'
    }) }}

),

renamed as (

    select
        source,
        source_record_id,
        preseeded_uid_token,
        preseeded_uid_last4,
        uid_valid,
        token_in_kyr,
        name_similarity,
        gender_agrees,
        birth_year_agrees,
        lower(match_status) as match_status,
        seeded_uid_token,
        reason as disagreement_reason
    from source
    where source_record_id is not null
    qualify row_number() over (partition by source, source_record_id order by reason) = 1

)

select * from renamed
