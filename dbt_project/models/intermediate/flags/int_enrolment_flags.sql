-- One row per finding on a beneficiary record: flag, certainty (confirmed / to_verify) and
-- the reason in words. Only confirmed findings count in rupees at risk.
--
-- ghost (confirmed): active, matches no KYR resident, and nothing vouches for the person:
--   no other source lists them, no member of their household (SRDH's, or the same ration
--   card / job card) is verified by KYR, the relative the record names is no KYR resident of
--   its village (block, when the feed gives no village), no KYR resident of the village
--   looks like them, the department lists no KYR-verified person under the same name and
--   age, its seeding posterior for its best KYR candidate is below var
--   srdh_ghost_candidate_min_probability (0.2: such a record was in seeding review before
--   the review threshold moved to 0.5; now it is unmatched), and the
--   name is thick enough to check (a surname, no initials).
--   Because a record SRDH failed to link looks just like a ghost, the look-alike search goes
--   beyond the village: a KYR resident of the district of the same gender, birth year
--   within 2 and a similar name in any word order (a mover, or a misspelt name), or one
--   anywhere in the state with a near-identical name and birth year within 1 (a far move);
--   a look-alike the same department already lists is not the person, but when their
--   records agree on more than name and age (relative, date of birth, mobile) and that is
--   unlikely by chance among the people the department lists, the record is likely a
--   second listing of a person already paid (to_verify, naming the other record). A person
--   of the village listed by another department, or KYR-verified, with a name alike word for
--   word vouches for the record; a record giving no village cannot be checked against its
--   neighbours (to_verify).
--   not_in_kyr (to_verify): no KYR match, but one of those vouches for the person (most are
--   real residents without Aadhaar, second listings, or links SRDH missed).
-- deceased_active (confirmed): active, and a death registered before the payment period
--   is seeded to the same Aadhaar as this record, and the death record fits it (name, birth
--   year) or KYR deactivated the Aadhaar. possibly_deceased (to_verify): the death record
--   was linked by name, age and place only, or seeded to the Aadhaar but fits neither.
-- preseeded_uid_disagrees (confirmed): the pre-seeded UID fails the checksum, or SRDH
--   seeds the record to another UID, or the UID's KYR holder differs in at least two of
--   name, gender and birth year. preseeded_uid_unconfirmed (to_verify): one of those
--   differs, or the UID is not in KYR, and SRDH seeds no UID. A pre-seeded UID that SRDH
--   seeds itself is never flagged.
with

enrolments as (

    select * from {{ ref('int_scheme_enrolments') }}

),

seeding as (

    select * from {{ ref('stg_matching__seeding') }}

),

residents as (

    select * from {{ ref('int_resident_survivorship') }}

),

records as (

    select * from {{ ref('stg_matching__residents') }}

),

households as (

    select * from {{ ref('int_household_members') }}

),

deaths as (

    select * from {{ ref('int_resident_deaths') }}

),

crs_deaths as (

    select * from {{ ref('stg_std__crs_death') }}

),

preseeded as (

    select * from {{ ref('stg_matching__preseeded_disagreements') }}

),

department_records as (

    select * from {{ ref('stg_std__department_records') }}

),

base as (

    select
        enrolments.enrolment_id,
        enrolments.source,
        enrolments.source_record_id,
        enrolments.resident_id,
        enrolments.household_id,
        enrolments.is_active,
        enrolments.batch_date,
        enrolments.payment_period_start,
        coalesce(seeding.match_status, 'unmatched') as match_status,
        seeding.seeded_uid_token,
        coalesce(residents.has_kyr, false) as resident_has_kyr,
        department_records.household_ref,
        department_records.name_std,
        department_records.last_name,
        department_records.gender,
        department_records.birth_year,
        department_records.dob,
        department_records.relative_name_std,
        department_records.mobile,
        department_records.village_code,
        department_records.district_std,
        department_records.block_std
    from enrolments
    left join department_records
        on
            enrolments.source = department_records.source
            and enrolments.source_record_id = department_records.source_record_id
    left join seeding
        on
            enrolments.source = seeding.source
            and enrolments.source_record_id = seeding.source_record_id
    left join residents
        on enrolments.resident_id = residents.resident_id

),

-- other sources listing the same person (KYR aside: that is the match itself)
other_sources as (

    select
        base.enrolment_id,
        string_agg(distinct records.source, ', ' order by records.source) as other_sources
    from base
    inner join records
        on
            base.resident_id = records.resident_id
            and records.source not in (base.source, 'uid_kyr')
    group by base.enrolment_id

),

-- household members verified by KYR: the SRDH household, or the department's own
-- (records on the same ration card or job card)
household_members as (

    select
        base.enrolment_id,
        households.resident_id
    from base
    inner join households
        on base.household_id = households.household_id
    union
    select
        base.enrolment_id,
        records.resident_id
    from base
    inner join department_records as same_card
        on
            base.source = same_card.source
            and base.household_ref = same_card.household_ref
            and base.source_record_id <> same_card.source_record_id
    inner join records
        on
            same_card.source = records.source
            and same_card.source_record_id = records.source_record_id

),

household_kyr as (

    select
        household_members.enrolment_id,
        count(distinct household_members.resident_id) as household_kyr_members
    from household_members
    inner join base
        on household_members.enrolment_id = base.enrolment_id
    inner join residents
        on household_members.resident_id = residents.resident_id
    where residents.has_kyr and household_members.resident_id <> base.resident_id
    group by household_members.enrolment_id

),

-- the relative the record names (father, husband) is a KYR-verified resident of its
-- village (of its block, for a feed that gives no village). Two hash joins, each on the name
-- and the place: one join with "village or block" would pair every namesake in the state
relative_kyr as (

    select base.enrolment_id
    from base
    inner join residents
        on
            base.relative_name_std = residents.name_std
            and base.village_code = residents.village_code
    where residents.has_kyr and base.resident_id <> residents.resident_id
    union
    select base.enrolment_id
    from base
    inner join residents
        on
            base.relative_name_std = residents.name_std
            and base.district_std = residents.district_std
            and base.block_std = residents.block_std
    where
        base.village_code is null
        and residents.has_kyr
        and base.resident_id <> residents.resident_id

),

-- the records SRDH matched to no KYR resident: the only candidates for a ghost
unmatched as (

    select *
    from base
    where is_active and match_status = 'unmatched' and not resident_has_kyr

),

-- the same department lists a KYR-verified person of the same surname, gender and birth
-- year (within a year) under a near-identical name: likely a second listing of that person
-- (a duplicate or a move), not a ghost. The search spans the state, so it counts only when
-- unlikely by chance (listed_again, below). The names are compared once per distinct pair
-- of names of a surname (listed_again_names), then the records joined on those names: a
-- join of records on the surname alone would pair every record with its surname's
-- holders across the state, a cost growing with the square of the state. listed_again_names
-- is `materialized`: inlined, DuckDB's join reordering merged it with the record joins and
-- ran the Jaro-Winkler on record pairs (1M rows out instead of 50k; dbt_project/README.md,
-- 'Performance')
unmatched_names as (

    select distinct
        source,
        gender,
        last_name,
        name_std
    from unmatched

),

department_names as (

    select distinct
        source,
        gender,
        last_name,
        name_std
    from department_records

),

listed_again_names as materialized (

    select
        unmatched_names.source,
        unmatched_names.gender,
        unmatched_names.last_name,
        unmatched_names.name_std,
        other_names.name_std as other_name_std
    from unmatched_names
    inner join department_names as other_names
        on
            unmatched_names.source = other_names.source
            and unmatched_names.last_name = other_names.last_name
            and unmatched_names.gender = other_names.gender
    where jaro_winkler_similarity(unmatched_names.name_std, other_names.name_std) >= 0.95

),

listed_again_candidates as (

    select
        unmatched.enrolment_id,
        unmatched.gender,
        {{ order_free_name('other.name_std') }} as lookalike_key,
        coalesce(
            jaro_winkler_similarity(unmatched.relative_name_std, other.relative_name_std) >= 0.9,
            false
        )
        or coalesce(
            unmatched.dob = other.dob and strftime(other.dob, '%m-%d') <> '01-01', false
        )
        or coalesce(unmatched.mobile = other.mobile, false) as second_agrees
    from unmatched
    inner join listed_again_names
        on
            unmatched.source = listed_again_names.source
            and unmatched.gender = listed_again_names.gender
            and unmatched.last_name = listed_again_names.last_name
            and unmatched.name_std = listed_again_names.name_std
    inner join department_records as other
        on
            listed_again_names.source = other.source
            and listed_again_names.gender = other.gender
            and listed_again_names.last_name = other.last_name
            and listed_again_names.other_name_std = other.name_std
            and other.birth_year between unmatched.birth_year - 1 and unmatched.birth_year + 1
            and unmatched.source_record_id <> other.source_record_id
    inner join records
        on
            other.source = records.source
            and other.source_record_id = records.source_record_id
    inner join residents
        on records.resident_id = residents.resident_id
    where residents.has_kyr

),

-- a KYR resident of the village (block, for a feed with no village) has a similar name
-- and a birth year within three years: a link SRDH may have missed. Two hash joins on the
-- place (one join with "village or block" is a merge join on birth year across the state)
kyr_lookalike as (

    select unmatched.enrolment_id
    from unmatched
    inner join residents
        on
            unmatched.village_code = residents.village_code
            and residents.birth_year between unmatched.birth_year - 3 and unmatched.birth_year + 3
    where
        residents.has_kyr
        and jaro_winkler_similarity(unmatched.name_std, residents.name_std) >= 0.9
    union
    select unmatched.enrolment_id
    from unmatched
    inner join residents
        on
            unmatched.district_std = residents.district_std
            and unmatched.block_std = residents.block_std
            and residents.birth_year between unmatched.birth_year - 3 and unmatched.birth_year + 3
    where
        unmatched.village_code is null
        and residents.has_kyr
        and jaro_winkler_similarity(unmatched.name_std, residents.name_std) >= 0.9

),

-- the unmatched records' names in any word order (order_free_name), worked out once: the
-- village and the wider look-alike searches compare them
unmatched_keys as (

    select
        enrolment_id,
        source,
        gender,
        birth_year,
        dob,
        relative_name_std,
        mobile,
        district_std,
        village_code,
        {{ order_free_name('name_std') }} as name_key
    from unmatched

),

-- a person of the same village - listed by another department, or KYR-verified - of the
-- same gender and a birth year within 3, whose name is word for word like the
-- record's in any order (each word of one name like a word of the other, Jaro-Winkler >=
-- 0.85: "JADAV SANTOSH" and "SANTOSH YADAV", "SNATOSH RAM" and "SANTOSH RAM SAHU"): the
-- same person under a record SRDH did not link, or listed by another department. A ghost (a
-- made-up name) rarely meets one among a village's few hundred people, at any state size
village_people as (

    select
        department_records.source,
        department_records.source_record_id,
        department_records.gender,
        department_records.birth_year,
        department_records.village_code,
        {{ order_free_name('department_records.name_std') }} as name_key,
        coalesce(residents.has_kyr, false) as is_kyr_verified
    from department_records
    left join records
        on
            department_records.source = records.source
            and department_records.source_record_id = records.source_record_id
    left join residents
        on records.resident_id = residents.resident_id
    where department_records.village_code is not null
    union all
    select
        'uid_kyr' as source,
        resident_id as source_record_id,
        gender,
        birth_year,
        village_code,
        {{ order_free_name('name_std') }} as name_key,
        true as is_kyr_verified
    from residents
    where has_kyr and village_code is not null

),

listed_nearby as (

    select distinct unmatched_keys.enrolment_id
    from unmatched_keys
    inner join village_people
        on
            unmatched_keys.village_code = village_people.village_code
            and unmatched_keys.gender = village_people.gender
            and village_people.birth_year
            between unmatched_keys.birth_year - 3 and unmatched_keys.birth_year + 3
            -- another department vouches; the same one only for a KYR-verified person (an
            -- unverified second record of its own is no evidence: a ghost can be listed twice)
            and (unmatched_keys.source <> village_people.source or village_people.is_kyr_verified)
    where
        village_people.name_key <> ''
        and (
            {{ words_alike('unmatched_keys.name_key', 'village_people.name_key', 0.85) }}
            or {{ words_alike('village_people.name_key', 'unmatched_keys.name_key', 0.85) }}
        )

),

-- KYR residents with the departments that already list them: a look-alike the same
-- department already lists (and pays) is not the person behind a record it failed to link
kyr_keys as (

    select
        residents.resident_id,
        any_value(residents.gender) as gender,
        any_value(residents.birth_year) as birth_year,
        any_value(residents.dob) as dob,
        any_value(residents.relative_name_std) as relative_name_std,
        any_value(residents.mobile) as mobile,
        any_value(residents.district_std) as district_std,
        any_value({{ order_free_name('residents.name_std') }}) as name_key,
        list(distinct records.source) filter (where records.source is not null) as listed_by
    from residents
    left join records
        on residents.resident_id = records.resident_id
    where residents.has_kyr
    group by residents.resident_id

),

-- How many look-alikes a wide search meets by chance grows with the area searched: in a
-- bigger state a real ghost with a common name meets one somewhere. So a wide look-alike
-- counts only when it is unlikely by chance: expected chance look-alikes = how common the
-- name is among KYR residents of that gender in the state x the share of KYR residents of
-- that gender in the birth years and area searched, at most var
-- srdh_ghost_max_chance_lookalikes. "The name" is the more common of the record's (+1, so
-- a name KYR lacks is not taken as impossible) and the look-alike's own: a misspelt record
-- ("MANOJ NETAAM") is unique, but meeting a "MANOJ NETAM" is no surprise when thousands
-- hold that name. A second attribute that agrees too (relative's name, date of birth to the
-- day, mobile) multiplies the expected count by var srdh_ghost_second_attribute_chance
-- (how often one agrees by chance), instead of excusing the record outright: among many
-- chance look-alikes one agrees by chance. Both keep a real ghost's chance of being excused
-- the same at any state size.
name_frequency as (

    select
        gender,
        name_key,
        count(*) as holders
    from kyr_keys
    group by gender, name_key

),

kyr_cohorts as (

    select
        gender,
        district_std,
        birth_year,
        count(*) as residents,
        sum(count(*)) over (partition by gender) as gender_residents
    from kyr_keys
    group by gender, district_std, birth_year

),

-- per record: the share of KYR residents of its gender searched (district, birth year
-- within 2; state, birth year within 1) and how many hold its own name (+1)
search_shares as (

    select
        unmatched_keys.enrolment_id,
        coalesce(any_value(name_frequency.holders), 0) + 1 as own_holders,
        coalesce(
            sum(kyr_cohorts.residents) filter (
                where
                kyr_cohorts.district_std = unmatched_keys.district_std
                and abs(kyr_cohorts.birth_year - unmatched_keys.birth_year) <= 2
            ) / any_value(kyr_cohorts.gender_residents), 0
        ) as district_share,
        coalesce(
            sum(kyr_cohorts.residents) filter (
                where abs(kyr_cohorts.birth_year - unmatched_keys.birth_year) <= 1
            ) / any_value(kyr_cohorts.gender_residents), 0
        ) as state_share
    from unmatched_keys
    left join kyr_cohorts
        on
            unmatched_keys.gender = kyr_cohorts.gender
            and kyr_cohorts.birth_year between unmatched_keys.birth_year - 2
            and unmatched_keys.birth_year + 2
    left join name_frequency
        on
            unmatched_keys.gender = name_frequency.gender
            and unmatched_keys.name_key = name_frequency.name_key
    group by unmatched_keys.enrolment_id

),

listed_again as (

    select distinct listed_again_candidates.enrolment_id
    from listed_again_candidates
    inner join search_shares
        on listed_again_candidates.enrolment_id = search_shares.enrolment_id
    left join name_frequency
        on
            listed_again_candidates.gender = name_frequency.gender
            and listed_again_candidates.lookalike_key = name_frequency.name_key
    where
        greatest(search_shares.own_holders, coalesce(name_frequency.holders, 0))
        * search_shares.state_share
        * {{ second_attribute_factor('listed_again_candidates.second_agrees') }}
        <= {{ var('srdh_ghost_max_chance_lookalikes') }}

),

-- KYR look-alikes beyond the village: of the district (same gender, birth year within 2,
-- similar name) or of the state (birth year within 1, near-identical name; blocked on the
-- key's first letter, which typos rarely touch), with what else agrees. The names are
-- compared once per distinct pair of name keys (wide_lookalike_names), then the residents
-- joined on the look-alike key and the birth year: a join of records on the first letter
-- alone would pair every record with a share of the state, a cost growing with its square.
-- wide_lookalike_names is `materialized`, as listed_again_names: inlined, the join of the
-- distinct keys was merged with the record joins (4.4M pairs scored instead of 83k: 148 s
-- of the model's 169 at 1M)
unmatched_name_keys as (

    select distinct
        gender,
        name_key
    from unmatched_keys

),

kyr_name_keys as (

    select distinct
        gender,
        name_key
    from kyr_keys

),

wide_lookalike_names as materialized (

    select
        unmatched_name_keys.gender,
        unmatched_name_keys.name_key,
        kyr_name_keys.name_key as lookalike_key,
        jaro_winkler_similarity(unmatched_name_keys.name_key, kyr_name_keys.name_key) as name_similarity
    from unmatched_name_keys
    inner join kyr_name_keys
        on
            unmatched_name_keys.gender = kyr_name_keys.gender
            and left(unmatched_name_keys.name_key, 1) = left(kyr_name_keys.name_key, 1)
    where
        jaro_winkler_similarity(unmatched_name_keys.name_key, kyr_name_keys.name_key)
        >= least(
            {{ var('srdh_ghost_district_name_similarity') }},
            {{ var('srdh_ghost_state_name_similarity') }}
        )

),

wide_lookalikes as (

    select
        unmatched_keys.enrolment_id,
        unmatched_keys.source,
        unmatched_keys.gender,
        unmatched_keys.relative_name_std,
        unmatched_keys.dob,
        unmatched_keys.mobile,
        kyr_keys.resident_id as lookalike_resident_id,
        kyr_keys.name_key as lookalike_key,
        coalesce(list_contains(kyr_keys.listed_by, unmatched_keys.source), false) as is_listed,
        unmatched_keys.district_std = kyr_keys.district_std
        and abs(kyr_keys.birth_year - unmatched_keys.birth_year) <= 2
        and wide_lookalike_names.name_similarity
        >= {{ var('srdh_ghost_district_name_similarity') }} as in_district,
        abs(kyr_keys.birth_year - unmatched_keys.birth_year) <= 1
        and wide_lookalike_names.name_similarity
        >= {{ var('srdh_ghost_state_name_similarity') }} as in_state,
        coalesce(
            jaro_winkler_similarity(unmatched_keys.relative_name_std, kyr_keys.relative_name_std)
            >= 0.9, false
        ) as second_relative,
        -- 1 January is what a clerk writes when only the year is known: no evidence
        coalesce(unmatched_keys.dob = kyr_keys.dob and strftime(kyr_keys.dob, '%m-%d') <> '01-01', false)
            as second_dob,
        coalesce(unmatched_keys.mobile = kyr_keys.mobile, false) as second_mobile
    from unmatched_keys
    cross join range(-2, 3) as year_offsets (year_offset)
    inner join wide_lookalike_names
        on
            unmatched_keys.gender = wide_lookalike_names.gender
            and unmatched_keys.name_key = wide_lookalike_names.name_key
    inner join kyr_keys
        on
            wide_lookalike_names.gender = kyr_keys.gender
            and wide_lookalike_names.lookalike_key = kyr_keys.name_key
            and unmatched_keys.birth_year + year_offsets.year_offset = kyr_keys.birth_year
            and (
                unmatched_keys.district_std = kyr_keys.district_std
                or abs(kyr_keys.birth_year - unmatched_keys.birth_year) <= 1
            )
    -- a look-alike the department lists matters only as a second listing, which needs a
    -- second attribute on the record (a relative, a full date or a mobile: the join that
    -- found the look-alike already made these rows, so this adds no pairs)
    where
        not coalesce(list_contains(kyr_keys.listed_by, unmatched_keys.source), false)
        or unmatched_keys.relative_name_std is not null
        or unmatched_keys.mobile is not null
        or strftime(unmatched_keys.dob, '%m-%d') <> '01-01'

),

-- each wide look-alike with the look-alikes expected by chance in the area it was found in;
-- a look-alike the same department already lists (and pays) is not the person behind a
-- record it failed to link (second_listing, below, weighs it as a second listing)
wide_lookalike_chance as (

    select
        wide_lookalikes.enrolment_id,
        wide_lookalikes.in_district,
        wide_lookalikes.in_state,
        greatest(search_shares.own_holders, coalesce(name_frequency.holders, 0))
        * {{ second_attribute_factor('second_relative or second_dob or second_mobile') }} as chance_holders,
        search_shares.district_share,
        search_shares.state_share
    from wide_lookalikes
    inner join search_shares
        on wide_lookalikes.enrolment_id = search_shares.enrolment_id
    left join name_frequency
        on
            wide_lookalikes.gender = name_frequency.gender
            and wide_lookalikes.lookalike_key = name_frequency.name_key
    where not wide_lookalikes.is_listed

),

-- A second listing: the same department already lists (and pays) a KYR-verified look-alike
-- of the record - of the district or the state, as above - and their records agree on more
-- than the name and age: the relative's name, the date of birth (not 1 January) or the
-- mobile, on the look-alike's KYR record or on the department's own record of them. Such a
-- record is most likely the same person listed again elsewhere (leakage of another kind,
-- not a ghost). It is weighed with the same chance model, the area searched being the
-- look-alikes the department lists (a look-alike it does not list is no candidate), each
-- agreeing attribute multiplying the expected count by var srdh_ghost_second_attribute_chance:
-- a name alone is no evidence (a ghost of a common name meets one the department lists),
-- and neither is one attribute among many chance look-alikes.
listed_cohorts as (

    select
        kyr_keys.gender,
        kyr_keys.district_std,
        kyr_keys.birth_year,
        listed.source,
        count(*) as residents
    from kyr_keys
    cross join unnest(kyr_keys.listed_by) as listed (source)
    group by kyr_keys.gender, kyr_keys.district_std, kyr_keys.birth_year, listed.source

),

gender_totals as (

    select distinct
        gender,
        gender_residents
    from kyr_cohorts

),

-- per record: the share of KYR residents of its gender whom its department lists, in the
-- district (birth year within 2) and in the state (birth year within 1)
listed_shares as (

    select
        unmatched_keys.enrolment_id,
        coalesce(
            sum(listed_cohorts.residents) filter (
                where
                listed_cohorts.district_std = unmatched_keys.district_std
                and abs(listed_cohorts.birth_year - unmatched_keys.birth_year) <= 2
            ) / any_value(gender_totals.gender_residents), 0
        ) as district_share,
        coalesce(
            sum(listed_cohorts.residents) filter (
                where abs(listed_cohorts.birth_year - unmatched_keys.birth_year) <= 1
            ) / any_value(gender_totals.gender_residents), 0
        ) as state_share
    from unmatched_keys
    inner join gender_totals
        on unmatched_keys.gender = gender_totals.gender
    left join listed_cohorts
        on
            unmatched_keys.gender = listed_cohorts.gender
            and unmatched_keys.source = listed_cohorts.source
            and listed_cohorts.birth_year between unmatched_keys.birth_year - 2
            and unmatched_keys.birth_year + 2
    group by unmatched_keys.enrolment_id

),

second_listing_candidates as (

    select
        wide_lookalikes.enrolment_id,
        other.source_record_id as other_record_id,
        greatest(search_shares.own_holders, coalesce(name_frequency.holders, 0))
        * case
            when wide_lookalikes.in_district then listed_shares.district_share
            else listed_shares.state_share
        end as chance_lookalikes,
        wide_lookalikes.second_relative
        or coalesce(
            jaro_winkler_similarity(wide_lookalikes.relative_name_std, other.relative_name_std)
            >= 0.9, false
        ) as relative_agrees,
        wide_lookalikes.second_dob
        or coalesce(
            wide_lookalikes.dob = other.dob and strftime(other.dob, '%m-%d') <> '01-01', false
        ) as dob_agrees,
        wide_lookalikes.second_mobile
        or coalesce(wide_lookalikes.mobile = other.mobile, false) as mobile_agrees
    from wide_lookalikes
    inner join records
        on
            wide_lookalikes.lookalike_resident_id = records.resident_id
            and wide_lookalikes.source = records.source
    inner join department_records as other
        on
            records.source = other.source
            and records.source_record_id = other.source_record_id
    inner join search_shares
        on wide_lookalikes.enrolment_id = search_shares.enrolment_id
    inner join listed_shares
        on wide_lookalikes.enrolment_id = listed_shares.enrolment_id
    left join name_frequency
        on
            wide_lookalikes.gender = name_frequency.gender
            and wide_lookalikes.lookalike_key = name_frequency.name_key
    where wide_lookalikes.is_listed and (wide_lookalikes.in_district or wide_lookalikes.in_state)

),

-- each agreeing attribute multiplies the look-alikes expected by chance
second_listing_chance as (

    select
        *,
        chance_lookalikes
        * {{ agreeing_attributes_factor('relative_agrees::int + dob_agrees::int + mobile_agrees::int') }}
            as expected_chance
    from second_listing_candidates
    where relative_agrees or dob_agrees or mobile_agrees

),

-- the likeliest second listing of each record (the fewest look-alikes expected by chance)
second_listing as (

    select
        enrolment_id,
        other_record_id as second_listing_of,
        concat_ws(
            ' and ',
            case when relative_agrees then 'the relative''s name' end,
            case when dob_agrees then 'the date of birth' end,
            case when mobile_agrees then 'the mobile' end
        ) as second_listing_agrees
    from second_listing_chance
    where expected_chance <= {{ var('srdh_ghost_max_chance_lookalikes') }}
    qualify row_number() over (partition by enrolment_id order by expected_chance, other_record_id) = 1

),

kyr_lookalike_district as (

    select distinct enrolment_id
    from wide_lookalike_chance
    where
        in_district
        and chance_holders * district_share <= {{ var('srdh_ghost_max_chance_lookalikes') }}

),

kyr_lookalike_state as (

    select distinct enrolment_id
    from wide_lookalike_chance
    where
        in_state
        and chance_holders * state_share <= {{ var('srdh_ghost_max_chance_lookalikes') }}

),

-- the record's seeding posterior for its best KYR candidate (the p review_threshold is
-- applied to, and the department's delivery words its reason by) is at least var
-- srdh_ghost_candidate_min_probability: an Aadhaar holder resembles the person. Such
-- records (16-48% that person on the tuning states) were in seeding review before its
-- threshold moved from 0.2 to 0.5, and never in the ghost pool; now they are unmatched,
-- and a link to check, not a ghost
resembling_holder as (

    select distinct unmatched.enrolment_id
    from unmatched
    inner join seeding
        on
            unmatched.source = seeding.source
            and unmatched.source_record_id = seeding.source_record_id
    where seeding.match_probability >= {{ var('srdh_ghost_candidate_min_probability') }}

),

no_kyr as (

    select
        unmatched.*,
        other_sources.other_sources,
        coalesce(household_kyr.household_kyr_members, 0) as household_kyr_members,
        relative_kyr.enrolment_id is not null as relative_in_kyr,
        listed_again.enrolment_id is not null as is_listed_again,
        second_listing.second_listing_of,
        second_listing.second_listing_agrees,
        kyr_lookalike.enrolment_id is not null as has_kyr_lookalike,
        listed_nearby.enrolment_id is not null as is_listed_nearby,
        kyr_lookalike_district.enrolment_id is not null as has_district_lookalike,
        kyr_lookalike_state.enrolment_id is not null as has_state_lookalike,
        resembling_holder.enrolment_id is not null as has_resembling_holder,
        -- a name without a surname (one word once Devi, Bai, Kumar and honorifics are set
        -- aside: "Bai Geeta"), or with an initial, cannot be checked against KYR
        coalesce(
            regexp_matches(unmatched.name_std, '(^| )\S( |$)')
            or not contains({{ order_free_name('unmatched.name_std') }}, ' '),
            true
        ) as is_name_thin,
        -- a record that gives no village cannot be checked against its neighbours (the
        -- relative, the look-alikes and the other departments' lists of the village): on dev
        -- data about 2 in 3 such "ghosts" were real people (tuning and dev_noisy_tuning)
        unmatched.village_code is null as is_place_thin
    from unmatched
    left join other_sources
        on unmatched.enrolment_id = other_sources.enrolment_id
    left join household_kyr
        on unmatched.enrolment_id = household_kyr.enrolment_id
    left join relative_kyr
        on unmatched.enrolment_id = relative_kyr.enrolment_id
    left join listed_again
        on unmatched.enrolment_id = listed_again.enrolment_id
    left join second_listing
        on unmatched.enrolment_id = second_listing.enrolment_id
    left join kyr_lookalike
        on unmatched.enrolment_id = kyr_lookalike.enrolment_id
    left join listed_nearby
        on unmatched.enrolment_id = listed_nearby.enrolment_id
    left join kyr_lookalike_district
        on unmatched.enrolment_id = kyr_lookalike_district.enrolment_id
    left join kyr_lookalike_state
        on unmatched.enrolment_id = kyr_lookalike_state.enrolment_id
    left join resembling_holder
        on unmatched.enrolment_id = resembling_holder.enrolment_id

),

no_kyr_judged as (

    select
        *,
        other_sources is null
        and household_kyr_members = 0
        and not relative_in_kyr
        and not is_listed_again
        and second_listing_of is null
        and not has_kyr_lookalike
        and not is_listed_nearby
        and not has_district_lookalike
        and not has_state_lookalike
        and not has_resembling_holder
        and not is_name_thin
        and not is_place_thin as is_confirmed
    from no_kyr

),

ghost_flags as (

    select
        enrolment_id,
        case when is_confirmed then 'ghost' else 'not_in_kyr' end as flag,
        case when is_confirmed then 'confirmed' else 'to_verify' end as certainty,
        case
            when is_confirmed
                then
                    'no KYR resident matches this beneficiary, no other department lists'
                    || ' the person, no household member is verified by KYR, the relative'
                    || ' named on the record is not a KYR resident of the village, no KYR'
                    || ' resident of the village, the district or the state resembles the'
                    || ' person more than chance would for a name this common, and the'
                    || ' department lists nobody KYR-verified under the same name and age'
            else
                'no KYR resident matches this beneficiary, but '
                || concat_ws(
                    ' and ',
                    'the person is also listed by ' || other_sources,
                    case
                        when household_kyr_members > 0
                            then household_kyr_members || ' household member(s) are verified by KYR'
                    end,
                    case
                        when relative_in_kyr
                            then 'the relative named on the record is a KYR resident of the village'
                    end,
                    case
                        when has_kyr_lookalike
                            then 'a KYR resident of the village has a similar name and age'
                    end,
                    case
                        when is_listed_nearby and not has_kyr_lookalike
                            then
                                'a person of the village (listed by a department or verified'
                                || ' by KYR) has a name alike word for word, the same gender'
                                || ' and a birth year within 3'
                    end,
                    case
                        when has_district_lookalike and not has_kyr_lookalike
                            then
                                'a KYR resident of the district has a similar name (in any'
                                || ' word order), the same gender and a birth year within 2 (moved?)'
                    end,
                    case
                        when has_state_lookalike and not has_kyr_lookalike and not has_district_lookalike
                            then
                                'a KYR resident elsewhere in the state has a near-identical name,'
                                || ' the same gender and a birth year within 1 (moved?)'
                    end,
                    case
                        when has_resembling_holder
                            then
                                'an Aadhaar holder resembles the person (SRDH weighed the link'
                                || ' below the review threshold: more likely someone else, but'
                                || ' possibly this person)'
                    end,
                    case
                        when is_listed_again
                            then
                                'the department lists a KYR-verified person of the same name'
                                || ' and age (a second listing?)'
                    end,
                    case
                        when second_listing_of is not null and not is_listed_again
                            then
                                'the department already lists a KYR-verified person of a'
                                || ' similar name and age (its record '
                                || {{ quoted_id('second_listing_of') }}
                                || ') and the two agree on '
                                || second_listing_agrees
                                || ' too (a second listing of a person it already pays?)'
                    end,
                    case
                        when is_name_thin
                            then
                                'the name (no surname, or initials) is too thin to rule out a'
                                || ' missed link'
                    end,
                    case
                        when is_place_thin
                            then
                                'the record gives no village, so the person could not be'
                                || ' looked for among the village''s people'
                    end
                )
                || ': likely a real resident without Aadhaar or an unlinked record;'
                || ' verify in the field'
        end as reason
    from no_kyr_judged

),

-- a death seeded to the record's Aadhaar is confirmed only when the death record itself
-- fits the record (its name word for word alike, initials allowed, and a birth year - year
-- of death less age at death - within 3), or KYR has deactivated that Aadhaar: a death
-- record seeded to the wrong UID (a namesake, a father of the same name, a sibling) must
-- not stop a living person's payment
death_evidence as (

    select
        base.enrolment_id,
        deaths.date_of_death,
        deaths.death_registration_no,
        deaths.death_uid_token = base.seeded_uid_token as same_aadhaar,
        coalesce(residents.kyr_deactivated, false) as kyr_deactivated,
        {{ death_record_fits('base.name_std', 'base.birth_year') }} as death_record_fits
    from base
    inner join deaths
        on base.resident_id = deaths.resident_id
    left join residents
        on base.resident_id = residents.resident_id
    left join crs_deaths as crs
        on deaths.death_registration_no = crs.registration_no
    where base.is_active and deaths.date_of_death < base.payment_period_start

),

deceased_flags as (

    select
        enrolment_id,
        case
            when same_aadhaar and (death_record_fits or kyr_deactivated) then 'deceased_active'
            else 'possibly_deceased'
        end as flag,
        case
            when same_aadhaar and (death_record_fits or kyr_deactivated) then 'confirmed'
            else 'to_verify'
        end as certainty,
        'death registered on ' || cast(date_of_death as varchar)
        || coalesce(' (registration ' || {{ quoted_id('death_registration_no') }} || ')', '')
        || case
            when same_aadhaar and (death_record_fits or kyr_deactivated)
                then ' under the same Aadhaar as this record, which is still active'
            when coalesce(same_aadhaar, false)
                then
                    ' under the same Aadhaar as this record, but the death record''s name or'
                    || ' age does not fit this record and KYR has not deactivated the Aadhaar'
                    || ' (a namesake or relative?); still active: verify before stopping'
            else
                ', linked to this person by name, age and place only; still active:'
                || ' verify before stopping'
        end as reason
    from death_evidence

),

preseeded_evidence as (

    select
        base.enrolment_id,
        preseeded.preseeded_uid_last4,
        preseeded.preseeded_uid_token,
        base.match_status,
        base.seeded_uid_token,
        coalesce(preseeded.uid_valid, true) as uid_valid,
        coalesce(preseeded.token_in_kyr, preseeded.disagreement_reason <> 'not_in_kyr')
            as token_in_kyr,
        concat_ws(
            ' and ',
            case when preseeded.name_similarity < 0.85 then 'name' end,
            case when not preseeded.gender_agrees then 'gender' end,
            case when not preseeded.birth_year_agrees then 'birth year' end
        ) as differs,
        (case when preseeded.name_similarity < 0.85 then 1 else 0 end)
        + (case when not preseeded.gender_agrees then 1 else 0 end)
        + (case when not preseeded.birth_year_agrees then 1 else 0 end) as differs_count
    from base
    inner join preseeded
        on
            base.source = preseeded.source
            and base.source_record_id = preseeded.source_record_id

),

preseeded_judged as (

    select
        enrolment_id,
        preseeded_uid_last4,
        differs,
        case
            when
                match_status = 'seeded'
                and coalesce(seeded_uid_token <> preseeded_uid_token, true)
                then 'seeded_other'
            when match_status = 'seeded' then 'seeded_same'
            when not uid_valid then 'invalid'
            when not token_in_kyr then 'not_in_kyr'
            when differs_count >= 2 then 'strongly_differs'
            when differs_count = 1 then 'differs'
        end as finding,
        'the pre-seeded Aadhaar ending ' || coalesce(preseeded_uid_last4, '????') as uid_text
    from preseeded_evidence

),

preseeded_flags as (

    select
        enrolment_id,
        case
            when finding in ('seeded_other', 'invalid', 'strongly_differs')
                then 'preseeded_uid_disagrees'
            else 'preseeded_uid_unconfirmed'
        end as flag,
        case
            when finding in ('seeded_other', 'invalid', 'strongly_differs') then 'confirmed'
            else 'to_verify'
        end as certainty,
        case finding
            when 'seeded_other'
                then
                    'SRDH links this record with confidence to another Aadhaar holder than '
                    || uid_text
            when 'invalid' then uid_text || ' fails the Aadhaar checksum: a digit is wrong'
            when 'not_in_kyr'
                then
                    uid_text || ' is not in the KYR feed and SRDH finds no confident match:'
                    || ' ask for the Aadhaar letter'
            else
                'the KYR holder of ' || uid_text || ' has another '
                || differs
                || case
                    when finding = 'strongly_differs' then ''
                    else '; SRDH could not confirm the pair: verify the Aadhaar letter'
                end
        end as reason
    from preseeded_judged
    where finding is not null and finding <> 'seeded_same'

),

unioned as (

    select * from ghost_flags
    union all
    select * from deceased_flags
    union all
    select * from preseeded_flags

),

final as (

    select
        unioned.enrolment_id || ':' || unioned.flag as flag_id,
        unioned.enrolment_id,
        base.source,
        base.source_record_id,
        base.resident_id,
        unioned.flag,
        unioned.certainty,
        unioned.reason
    from unioned
    inner join base
        on unioned.enrolment_id = base.enrolment_id

)

select * from final
