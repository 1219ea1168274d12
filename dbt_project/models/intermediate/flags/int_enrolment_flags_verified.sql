-- Every finding of int_enrolment_flags with its evidence hash and the field's word on it.
-- A field check applies while the flag's evidence is the one the inspector saw (same
-- evidence_hash); the latest decisive check on that evidence counts:
--   not_confirmed / wrong_match: the flag is not raised again (until its evidence changes);
--   confirmed: a to_verify finding becomes confirmed (it counts in rupees at risk).
-- not_verified (the check could not be made) changes nothing.
with

flags as (

    select * from {{ ref('int_enrolment_flags') }}

),

verifications as (

    select * from {{ ref('stg_std__field_verification') }}

),

-- the evidence is the finding and its reason in words, which names every fact it rests on
hashed as (

    select
        *,
        left(md5(flag_id || '|' || certainty || '|' || reason), 16) as evidence_hash
    from flags

),

applicable as (

    select
        verifications.flag_id,
        verifications.verification_id,
        verifications.outcome as field_outcome,
        verifications.verified_by,
        verifications.verified_at
    from verifications
    inner join hashed
        on
            verifications.flag_id = hashed.flag_id
            and verifications.evidence_hash = hashed.evidence_hash
    where verifications.outcome in ('confirmed', 'not_confirmed', 'wrong_match')
    qualify row_number() over (
            partition by verifications.flag_id
            order by verifications.verified_at desc, verifications.verification_id desc
        ) = 1

),

final as (

    select
        hashed.flag_id,
        hashed.enrolment_id,
        hashed.source,
        hashed.source_record_id,
        hashed.resident_id,
        hashed.flag,
        case
            when applicable.field_outcome = 'confirmed' then 'confirmed'
            else hashed.certainty
        end as certainty,
        case
            when applicable.field_outcome = 'confirmed' then 'field'
            else 'srdh'
        end as certainty_basis,
        hashed.reason
        || case
            when applicable.field_outcome = 'confirmed'
                then
                    '; confirmed in the field by ' || applicable.verified_by || ' on '
                    || strftime(applicable.verified_at, '%Y-%m-%d')
            else ''
        end as reason,
        hashed.evidence_hash,
        applicable.verification_id,
        applicable.field_outcome,
        applicable.verified_by,
        applicable.verified_at,
        coalesce(applicable.field_outcome not in ('not_confirmed', 'wrong_match'), true)
            as is_raised
    from hashed
    left join applicable
        on hashed.flag_id = applicable.flag_id

)

select * from final
