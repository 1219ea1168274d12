-- One row per beneficiary record (a person on a scheme's list), with the monthly amount,
-- seeding status and the leakage flags.
with

enrolments as (

    select * from {{ ref('int_scheme_enrolments') }}

),

residents as (

    select * from {{ ref('int_resident_survivorship') }}

),

seeding as (

    select * from {{ ref('stg_matching__seeding') }}

),

duplicates as (

    select * from {{ ref('stg_matching__duplicates') }}

),

preseeded as (

    select * from {{ ref('stg_matching__preseeded_disagreements') }}

),

deaths as (

    select * from {{ ref('int_resident_deaths') }}

),

flags as (

    -- one row per record: its findings still raised (a field check found none of those
    -- left out true on this evidence), confirmed and to verify
    select
        enrolment_id,
        bool_or(flag = 'ghost') as is_ghost,
        bool_or(flag = 'not_in_kyr') as is_not_in_kyr,
        bool_or(flag = 'deceased_active') as is_deceased_active,
        bool_or(flag = 'possibly_deceased') as is_possibly_deceased,
        bool_or(flag = 'preseeded_uid_disagrees') as is_preseeded_uid_disagrees,
        bool_or(flag = 'preseeded_uid_unconfirmed') as is_preseeded_uid_unconfirmed,
        bool_or(certainty_basis = 'field') as is_field_confirmed
    from {{ ref('int_enrolment_flags_verified') }}
    where is_raised
    group by enrolment_id

),

joined as (

    select
        enrolments.*,
        coalesce(enrolments.district_std, residents.district_std, 'UNRESOLVED') as district,
        coalesce(enrolments.block_std, residents.block_std, 'UNRESOLVED') as block,
        coalesce(seeding.match_status, 'unmatched') as match_status,
        seeding.match_reason,
        seeding.match_probability,
        duplicates.duplicate_group,
        preseeded.disagreement_reason as preseeded_disagreement_reason,
        deaths.date_of_death,
        flags.is_ghost,
        flags.is_not_in_kyr,
        flags.is_deceased_active,
        flags.is_possibly_deceased,
        flags.is_preseeded_uid_disagrees,
        flags.is_preseeded_uid_unconfirmed,
        flags.is_field_confirmed
    from enrolments
    left join residents
        on enrolments.resident_id = residents.resident_id
    left join seeding
        on
            enrolments.source = seeding.source
            and enrolments.source_record_id = seeding.source_record_id
    left join duplicates
        on
            enrolments.source = duplicates.source
            and enrolments.source_record_id = duplicates.source_record_id
    left join preseeded
        on
            enrolments.source = preseeded.source
            and enrolments.source_record_id = preseeded.source_record_id
    left join deaths
        on enrolments.resident_id = deaths.resident_id
    left join flags
        on enrolments.enrolment_id = flags.enrolment_id

),

duplicate_extras as (

    -- within a duplicate group one record is kept (active first, then lowest id);
    -- the others are the duplicates whose payments are at risk. Ranked over the
    -- duplicates only (a window over every enrolment would sort one huge null group).
    select
        enrolment_id,
        row_number() over (
            partition by source, duplicate_group
            order by is_active desc, source_record_id asc
        ) > 1 as is_duplicate_extra
    from joined
    where duplicate_group is not null

),

flagged as (

    select
        joined.*,
        duplicate_extras.is_duplicate_extra,
        joined.match_status = 'seeded' as is_uid_seeded,
        joined.duplicate_group is not null as is_duplicate
    from joined
    left join duplicate_extras
        on joined.enrolment_id = duplicate_extras.enrolment_id

),

final as (

    select
        enrolment_id,
        source,
        source_record_id,
        batch_id,
        batch_date,
        payment_period_start,
        scheme_code,
        scheme_name,
        department,
        benefit_type,
        resident_id,
        household_id,
        district,
        block,
        village_code,
        scheme_status,
        is_active,
        monthly_amount_inr,
        amount_basis,
        match_status,
        match_reason,
        match_probability,
        is_uid_seeded,
        has_preseeded_uid,
        duplicate_group,
        is_duplicate,
        coalesce(is_duplicate_extra, false) as is_duplicate_extra,
        coalesce(is_ghost, false) as is_ghost,
        coalesce(is_not_in_kyr, false) as is_not_in_kyr,
        date_of_death,
        coalesce(is_deceased_active, false) as is_deceased_active,
        coalesce(is_possibly_deceased, false) as is_possibly_deceased,
        coalesce(is_preseeded_uid_disagrees, false) as is_preseeded_uid_disagrees,
        coalesce(is_preseeded_uid_unconfirmed, false) as is_preseeded_uid_unconfirmed,
        coalesce(is_field_confirmed, false) as is_field_confirmed,
        preseeded_disagreement_reason
    from flagged

)

select * from final
