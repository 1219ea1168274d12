-- Inclusion gaps: one row per rule of the seed inclusion_rules and living resident who fits
-- it (age band - the lower bound on the youngest the person can be -, gender, ration-card
-- category, widowhood, KYR-verified when asked) and draws none of the benefits
-- the rule excludes - every scheme the person already draws is checked, and a record in
-- clerical review that may be the person's counts until the review decides. Two more
-- holds, because a gap sent to a department must be right: an active record SRDH could not
-- seed that has the resident among its KYR candidates (weight >= var
-- srdh_inclusion_candidate_min_weight) may be the person's; and when the rule says
-- stopped_counts, a stopped enrolment of an excluded type (stopped for death, migration or
-- ineligibility) is for the department to reopen, not a gap.
with

rules as (

    select
        *,
        string_split(coalesce(card_types, ''), ' ') as card_type_list,
        string_split(excluded_benefit_types, ' ') as excluded_list
    from {{ ref('inclusion_rules') }}

),

profile as (

    select * from {{ ref('int_resident_profile') }}

),

widows as (

    select * from {{ ref('int_resident_widowhood') }}

),

enrolments as (

    select * from {{ ref('int_scheme_enrolments') }}

),

seeding as (

    select * from {{ ref('stg_matching__seeding') }}

),

candidates as (

    select * from {{ ref('stg_matching__seed_candidates') }}

),

residents as (

    select * from {{ ref('int_resident_survivorship') }}

),

-- benefit types of stopped enrolments
stopped as (

    select
        resident_id,
        list_distinct(list(benefit_type)) as stopped_benefit_types
    from enrolments
    where not is_active and resident_id is not null
    group by resident_id

),

-- benefit types of active records SRDH could not seed whose KYR candidates include the
-- resident: the person may already draw them
maybe_drawing as (

    select
        residents.resident_id,
        list_distinct(list(enrolments.benefit_type)) as maybe_benefit_types
    from enrolments
    inner join seeding
        on
            enrolments.source = seeding.source
            and enrolments.source_record_id = seeding.source_record_id
    inner join candidates
        on
            enrolments.source = candidates.source
            and enrolments.source_record_id = candidates.source_record_id
    inner join residents
        on candidates.candidate_uid_token = residents.uid_token
    where
        enrolments.is_active
        and seeding.match_status <> 'seeded'
        and candidates.match_weight >= {{ var('srdh_inclusion_candidate_min_weight') }}
    group by residents.resident_id

),

gaps as (

    select
        rules.rule_id,
        profile.resident_id,
        profile.household_id,
        profile.district_std as district,
        profile.block_std as block,
        rules.suggested_scheme_code,
        concat_ws(
            ', ',
            'aged ' || profile.age_years,
            case when rules.card_types is not null then 'in a ' || profile.card_type || ' household' end,
            widows.widowhood_evidence,
            rules.not_drawing
        ) as reason
    from profile
    cross join rules
    left join widows
        on profile.resident_id = widows.resident_id
    left join stopped
        on profile.resident_id = stopped.resident_id
    left join maybe_drawing
        on profile.resident_id = maybe_drawing.resident_id
    where
        not profile.is_deceased
        and profile.age_years_min >= coalesce(rules.min_age, 0)
        and profile.age_years <= coalesce(rules.max_age, 1000)
        and (rules.gender is null or profile.gender = rules.gender)
        and (rules.card_types is null or list_contains(rules.card_type_list, profile.card_type))
        and (not coalesce(rules.requires_widowhood, false) or widows.resident_id is not null)
        and (
            not coalesce(rules.requires_kyr, false)
            or (profile.has_kyr and not coalesce(profile.kyr_deactivated, false))
        )
        and not coalesce(list_has_any(profile.active_benefit_types, rules.excluded_list), false)
        and not coalesce(list_has_any(profile.pending_benefit_types, rules.excluded_list), false)
        and not coalesce(list_has_any(maybe_drawing.maybe_benefit_types, rules.excluded_list), false)
        and not (
            coalesce(rules.stopped_counts, false)
            and coalesce(list_has_any(stopped.stopped_benefit_types, rules.excluded_list), false)
        )

)

select * from gaps
