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
--
-- certainty: a gap is `confirmed` unless the person may be listed already under a record
-- SRDH could not link (linkage misses most on corrupted names: "S K", "Snatosh", "Lahre
-- Rajoo"): an active, unseeded record of an excluded benefit type, of the person's gender
-- and a birth year within 5, whose every name word (Devi, Bai, Kumar and honorifics aside)
-- is like one of the person's (Jaro-Winkler >= 0.85, or an initial of one), in the
-- person's district (or giving none), or with a near-identical name anywhere. Such a gap is
-- `to_verify`: the department checks that record before enrolling. So is a gap resting on
-- widowhood that is itself to_verify (int_resident_widowhood: a husband's death record that
-- may be a namesake's). Only confirmed gaps count as gaps in the marts' figures.
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

department_records as (

    select * from {{ ref('stg_std__department_records') }}

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

-- active records SRDH could not seed, with their name words: a record no linked
-- resident owns, that may be an eligible person's already
unlinked_records as (

    select
        enrolments.benefit_type,
        records.gender,
        records.birth_year,
        records.district_std,
        {{ order_free_name('records.name_std') }} as name_key
    from enrolments
    inner join seeding
        on
            enrolments.source = seeding.source
            and enrolments.source_record_id = seeding.source_record_id
    inner join department_records as records
        on
            enrolments.source = records.source
            and enrolments.source_record_id = records.source_record_id
    where
        enrolments.is_active
        and seeding.match_status <> 'seeded'
        and records.name_std is not null

),

open_gaps as (

    select
        rules.rule_id,
        rules.excluded_list,
        profile.resident_id,
        profile.household_id,
        profile.gender,
        year({{ as_of_date() }}) - profile.age_years as birth_year,
        profile.district_std as district,
        profile.block_std as block,
        {{ order_free_name('profile.name_std') }} as name_key,
        rules.suggested_scheme_code,
        concat_ws(
            ', ',
            'aged ' || profile.age_years,
            case when rules.card_types is not null then 'in a ' || profile.card_type || ' household' end,
            widows.widowhood_evidence,
            rules.not_drawing
        ) as reason,
        case when coalesce(rules.requires_widowhood, false) then widows.certainty end
            as widowhood_certainty
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

),

-- each open gap with each benefit type that would close it
open_gap_types as (

    select
        rule_id,
        resident_id,
        gender,
        birth_year,
        district,
        name_key,
        unnest(excluded_list) as benefit_type
    from open_gaps

),

-- the open gaps' name words, and the unlinked records' first name word: a record whose
-- every word is like one of the person's has its first word like one of them, so the pairs
-- are looked for only through words alike (alike_words, a small table: the names' distinct
-- words), each a hash join on the word, gender and benefit type. A join on the district or
-- the name's first letter alone would pair every gap with a share of the state's records
gap_name_words as (

    select
        *,
        unnest(string_split(name_key, ' ')) as word
    from open_gap_types

),

gap_words as (

    select distinct
        rule_id,
        resident_id,
        benefit_type,
        gender,
        birth_year,
        district,
        name_key,
        word
    from gap_name_words

),

record_words as (

    select distinct
        benefit_type,
        gender,
        birth_year,
        district_std,
        name_key,
        string_split(name_key, ' ')[1] as first_word
    from unlinked_records
    where name_key <> ''

),

record_first_words as (

    select distinct first_word
    from record_words

),

gap_vocabulary as (

    select distinct word
    from gap_words

),

alike_words as (

    select
        record_first_words.first_word,
        gap_vocabulary.word
    from record_first_words
    cross join gap_vocabulary
    where
        jaro_winkler_similarity(record_first_words.first_word, gap_vocabulary.word) >= 0.85
        or (
            length(record_first_words.first_word) = 1
            and left(gap_vocabulary.word, 1) = record_first_words.first_word
        )

),

-- unlinked records that may be the person's: in the person's district, or giving none
-- (near), or anywhere with a near-identical name of the same first letter
gap_record_pairs as (

    select
        gap_words.rule_id,
        gap_words.resident_id,
        gap_words.name_key,
        record_words.name_key as record_key,
        coalesce(gap_words.district = record_words.district_std, false)
        or record_words.district_std is null as near
    from record_words
    inner join alike_words
        on record_words.first_word = alike_words.first_word
    inner join gap_words
        on
            alike_words.word = gap_words.word
            and record_words.benefit_type = gap_words.benefit_type
            and record_words.gender = gap_words.gender
            and record_words.birth_year between gap_words.birth_year - 5 and gap_words.birth_year + 5

),

-- open gaps an unlinked record of an excluded benefit type may close (see the header):
-- every word of the record's name is like one of the person's, or an initial of one
maybe_listed as (

    select distinct
        rule_id,
        resident_id
    from gap_record_pairs
    where
        list_bool_and(list_transform(
            string_split(record_key, ' '),
            lambda w: list_bool_or(list_transform(
                string_split(name_key, ' '),
                lambda p: jaro_winkler_similarity(w, p) >= 0.85 or (length(w) = 1 and left(p, 1) = w)
            ))
        ))
        and (
            near
            or (
                left(name_key, 1) = left(record_key, 1)
                and jaro_winkler_similarity(name_key, record_key) >= 0.95
            )
        )

),

final as (

    select
        open_gaps.rule_id,
        open_gaps.resident_id,
        open_gaps.household_id,
        open_gaps.district,
        open_gaps.block,
        open_gaps.suggested_scheme_code,
        case
            when
                maybe_listed.resident_id is null
                and coalesce(open_gaps.widowhood_certainty, 'confirmed') = 'confirmed'
                then 'confirmed'
            else 'to_verify'
        end as certainty,
        open_gaps.reason
        || case
            when open_gaps.widowhood_certainty = 'to_verify'
                then
                    '; but her husband''s name is common enough that the death record may be a'
                    || ' namesake''s: check that he died before enrolling'
            else ''
        end
        || case
            when maybe_listed.resident_id is not null
                then
                    '; but an active record SRDH could not link, of a similar name, the same'
                    || ' gender and age, may be the person''s: check it before enrolling'
            else ''
        end as reason
    from open_gaps
    left join maybe_listed
        on
            open_gaps.rule_id = maybe_listed.rule_id
            and open_gaps.resident_id = maybe_listed.resident_id

)

select * from final
