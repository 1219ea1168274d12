-- Every finding on a beneficiary record, with the record's scheme, place and amount: what
-- a department acts on (confirmed) or checks in the field first (to_verify). A finding the
-- field found wrong on its current evidence is left out (int_enrolment_flags_verified).
with

flags as (

    select * from {{ ref('int_enrolment_flags_verified') }}
    where is_raised

),

enrolments as (

    select * from {{ ref('fct_scheme_enrolment') }}

),

final as (

    select
        flags.flag_id,
        flags.enrolment_id,
        flags.source,
        flags.source_record_id,
        flags.flag,
        flags.certainty,
        flags.reason,
        flags.certainty_basis,
        flags.evidence_hash,
        flags.verified_by,
        flags.verified_at,
        flags.resident_id,
        enrolments.scheme_code,
        enrolments.department,
        enrolments.district,
        enrolments.block,
        enrolments.village_code,
        enrolments.is_active,
        enrolments.monthly_amount_inr,
        enrolments.match_status,
        enrolments.date_of_death
    from flags
    inner join enrolments
        on flags.enrolment_id = enrolments.enrolment_id

)

select * from final
