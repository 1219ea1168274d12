-- One row per resident with what the inclusion rules look at: age, household, ration-card
-- category, whether deceased, and which kinds of benefit they already receive.
with

residents as (

    select * from {{ ref('int_resident_survivorship') }}

),

deaths as (

    select * from {{ ref('int_resident_deaths') }}

),

households as (

    select * from {{ ref('int_household_members') }}

),

enrolments as (

    select * from {{ ref('int_scheme_enrolments') }}

),

seeding as (

    select * from {{ ref('stg_matching__seeding') }}

),

-- active enrolments in clerical review whose best KYR candidate is this resident: whether
-- the person draws that benefit is still open
pending as (

    select
        residents.resident_id,
        list_sort(list_distinct(list(enrolments.benefit_type))) as pending_benefit_types
    from enrolments
    inner join seeding
        on
            enrolments.source = seeding.source
            and enrolments.source_record_id = seeding.source_record_id
    inner join residents
        on seeding.candidate_uid_token = residents.uid_token
    where enrolments.is_active and seeding.match_status = 'review'
    group by residents.resident_id

),

benefits as (

    select
        resident_id,
        count(*) as active_enrolments,
        bool_or(benefit_type = 'old_age_pension') as on_old_age_pension,
        bool_or(benefit_type = 'widow_pension') as on_widow_pension,
        bool_or(benefit_type = 'scholarship') as on_scholarship,
        list_sort(list_distinct(list(benefit_type))) as active_benefit_types
    from enrolments
    where is_active and resident_id is not null
    group by resident_id

),

final as (

    select
        residents.resident_id,
        residents.name_std,
        residents.gender,
        residents.relative_name_std,
        residents.relation_type,
        residents.district_std,
        residents.block_std,
        residents.village_code,
        residents.has_kyr,
        {{ age_years('residents.dob', 'residents.birth_year') }} as age_years,
        -- the age band a rule can rely on: a date of birth missing, or on 1 January (the
        -- date declared when only the year is known), leaves the age one year uncertain
        {{ age_years('residents.dob', 'residents.birth_year') }}
        - case
            when residents.dob is null or strftime(residents.dob, '%m%d') = '0101' then 1
            else 0
        end as age_years_min,
        residents.kyr_deactivated,
        households.household_id,
        households.household_source,
        households.card_type,
        households.is_head,
        households.relation_to_head,
        deaths.date_of_death,
        deaths.resident_id is not null as is_deceased,
        coalesce(benefits.active_enrolments, 0) as active_enrolments,
        coalesce(benefits.on_old_age_pension, false) as on_old_age_pension,
        coalesce(benefits.on_widow_pension, false) as on_widow_pension,
        coalesce(benefits.on_scholarship, false) as on_scholarship,
        coalesce(benefits.active_benefit_types, cast([] as varchar[])) as active_benefit_types,
        coalesce(pending.pending_benefit_types, cast([] as varchar[])) as pending_benefit_types
    from residents
    left join deaths
        on residents.resident_id = deaths.resident_id
    left join households
        on residents.resident_id = households.resident_id
    left join benefits
        on residents.resident_id = benefits.resident_id
    left join pending
        on residents.resident_id = pending.resident_id

)

select * from final
