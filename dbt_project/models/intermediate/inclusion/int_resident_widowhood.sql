-- Widows: a living woman aged 18 or more whose husband is dead - her care-of is W/O and
-- a CRS death record of that name, of a man born within 15 years of her, exists in her
-- district (village, when both are known) while no living man of her village of her
-- generation bears that name; or her husband (a man of her generation, born within 15
-- years of her) in the household is recorded dead, by a death
-- record seeded to his own Aadhaar that fits him (name, birth year) or a KYR deactivation
-- (sound_deaths: a namesake's death seeded to a living husband makes no widow) - and no
-- living husband is in her household (husband_alive).
--
-- certainty: a CRS death record found by name is her husband's only when a namesake's
-- death is unlikely in the area searched, and the number of namesakes grows with the
-- state: a record with no village is searched for in the whole district. So, as for ghost
-- look-alikes, the CRS evidence is `confirmed` only when the deaths of namesakes expected by
-- chance - the share of the state's men who bear her W/O name (+1, so a name nobody else
-- holds is not taken as impossible) x the CRS deaths of men of her generation in the area
-- searched (her village and the deaths of her district that give no village; her district
-- when she has no village) - are at most var srdh_widow_max_chance_namesake_deaths; else it
-- is `to_verify` (a field check asks whether her husband is alive). A husband recorded dead
-- in her household is `confirmed`.
with

profile as (

    select * from {{ ref('int_resident_profile') }}

),

deaths as (

    select * from {{ ref('stg_std__crs_death') }}

),

resident_deaths as (

    select * from {{ ref('int_resident_deaths') }}

),

residents as (

    select * from {{ ref('int_resident_survivorship') }}

),

-- residents whose death is sound evidence of widowhood: the death record is seeded to their
-- own Aadhaar and fits them (name, birth year), or KYR has deactivated their Aadhaar. A
-- death linked by demographics alone, or seeded to the wrong UID (a namesake's), is not
sound_deaths as (

    select resident_deaths.resident_id
    from resident_deaths
    inner join residents
        on resident_deaths.resident_id = residents.resident_id
    left join deaths as crs
        on resident_deaths.death_registration_no = crs.registration_no
    where
        coalesce(residents.kyr_deactivated, false)
        or (
            resident_deaths.death_uid_token = residents.uid_token
            and {{ death_record_fits('residents.name_std', 'residents.birth_year') }}
        )

),

women as (

    select *
    from profile
    where
        gender = 'F'
        and age_years >= 18
        and not is_deceased

),

husband_in_crs as (

    select distinct women.resident_id
    from women
    inner join deaths
        on
            women.relative_name_std = deaths.name_std
            and women.district_std = deaths.district_std
            and coalesce(women.village_code = deaths.village_code, true)
    where
        women.relation_type = 'W/O'
        and coalesce(deaths.gender, 'M') = 'M'
        and deaths.date_of_death <= {{ as_of_date() }}
        -- a namesake of another generation is not her husband: born within 15 years of her
        and abs(
            (year(deaths.date_of_death) - deaths.age_at_death)
            - (year({{ as_of_date() }}) - women.age_years)
        ) <= 15

),

-- men of the state by name: how common her W/O name is
male_names as (

    select
        name_std,
        count(*) as holders,
        sum(count(*)) over () as men
    from profile
    where gender = 'M'
    group by name_std

),

-- CRS deaths of men by place and birth year, for the deaths a search meets by chance
crs_cohorts as (

    select
        district_std,
        village_code,
        year(date_of_death) - age_at_death as birth_year,
        count(*) as deaths
    from deaths
    where
        coalesce(gender, 'M') = 'M'
        and date_of_death <= {{ as_of_date() }}
    group by all

),

-- per W/O woman with a CRS match: the namesakes' deaths expected by chance where she was
-- searched for
crs_chance as (

    select
        women.resident_id,
        (coalesce(any_value(male_names.holders), 0) + 1)
        / coalesce(any_value(male_names.men), 1)
        * coalesce(sum(crs_cohorts.deaths), 0) as chance_deaths
    from women
    inner join husband_in_crs
        on women.resident_id = husband_in_crs.resident_id
    left join male_names
        on women.relative_name_std = male_names.name_std
    left join crs_cohorts
        on
            women.district_std = crs_cohorts.district_std
            and coalesce(women.village_code = crs_cohorts.village_code, true)
            and abs(crs_cohorts.birth_year - (year({{ as_of_date() }}) - women.age_years)) <= 15
    group by women.resident_id

),

husband_in_household as (

    select distinct women.resident_id
    from women
    inner join profile as husband
        on
            women.household_id = husband.household_id
            and women.resident_id <> husband.resident_id
    inner join sound_deaths
        on husband.resident_id = sound_deaths.resident_id
    where
        husband.is_deceased
        and husband.gender = 'M'
        -- of her generation, as for a CRS record: a man of her W/O name 30 years older in
        -- her household is her father-in-law of the same name, not her husband
        and coalesce(abs(husband.age_years - women.age_years) <= 15, true)
        and (
            (women.relation_to_head = 'WIFE' and husband.is_head)
            or (women.is_head and husband.relation_to_head = 'HUSBAND')
            or (women.relation_type = 'W/O' and women.relative_name_std = husband.name_std)
        )

),

-- a living man of her village bears her W/O name and is of her generation: a CRS record of
-- that name may be a namesake's, so it proves nothing (her household may be incomplete)
namesake_alive_nearby as (

    select distinct women.resident_id
    from women
    inner join profile as man
        on
            women.village_code = man.village_code
            and women.resident_id <> man.resident_id
    where
        women.relation_type = 'W/O'
        and not man.is_deceased
        and coalesce(man.gender, 'M') = 'M'
        and abs(man.age_years - women.age_years) <= 15
        and jaro_winkler_similarity(women.relative_name_std, man.name_std) >= 0.9

),

-- a husband alive in her household rules her out: a living man there whose name is her
-- W/O name give or take a middle name or a spelling (Jaro-Winkler >= 0.9, or the same first
-- and last word), or the living head whose WIFE she is, or her living HUSBAND when she heads it
husband_alive as (

    select distinct women.resident_id
    from women
    inner join profile as husband
        on
            women.household_id = husband.household_id
            and women.resident_id <> husband.resident_id
    where
        not husband.is_deceased
        and coalesce(husband.gender, 'M') = 'M'
        and (
            (
                women.relation_type = 'W/O'
                and (
                    jaro_winkler_similarity(women.relative_name_std, husband.name_std) >= 0.9
                    or (
                        split_part(women.relative_name_std, ' ', 1)
                        = split_part(husband.name_std, ' ', 1)
                        and string_split(women.relative_name_std, ' ')[-1]
                        = string_split(husband.name_std, ' ')[-1]
                    )
                )
            )
            or (women.relation_to_head = 'WIFE' and husband.is_head)
            or (women.is_head and husband.relation_to_head = 'HUSBAND')
        )

),

widows as (

    select
        women.resident_id,
        case
            when husband_in_crs.resident_id is not null and namesake_alive_nearby.resident_id is null
                then 'husband has a CRS death record'
            else 'husband recorded dead in the household'
        end as widowhood_evidence,
        case
            when husband_in_household.resident_id is not null then 'confirmed'
            when crs_chance.chance_deaths <= {{ var('srdh_widow_max_chance_namesake_deaths') }}
                then 'confirmed'
            else 'to_verify'
        end as certainty,
        crs_chance.chance_deaths as chance_namesake_deaths
    from women
    left join husband_in_crs
        on women.resident_id = husband_in_crs.resident_id
    left join crs_chance
        on women.resident_id = crs_chance.resident_id
    left join husband_in_household
        on women.resident_id = husband_in_household.resident_id
    left join husband_alive
        on women.resident_id = husband_alive.resident_id
    left join namesake_alive_nearby
        on women.resident_id = namesake_alive_nearby.resident_id
    where
        (
            (husband_in_crs.resident_id is not null and namesake_alive_nearby.resident_id is null)
            or husband_in_household.resident_id is not null
        )
        and husband_alive.resident_id is null

)

select * from widows
