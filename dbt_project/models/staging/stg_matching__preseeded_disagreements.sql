-- Department records whose pre-seeded UID KYR does not confirm.
with

source as (

    {{ select_columns(source('matching', 'preseeded_disagreements'), {
        'source': 'varchar',
        'source_record_id': 'varchar',
        'preseeded_uid_last4': 'varchar',
        'reason': 'varchar'
    }) }}

),

renamed as (

    select
        source,
        source_record_id,
        preseeded_uid_last4,
        reason as disagreement_reason
    from source
    where source_record_id is not null
    qualify row_number() over (partition by source, source_record_id order by reason) = 1

)

select * from renamed
