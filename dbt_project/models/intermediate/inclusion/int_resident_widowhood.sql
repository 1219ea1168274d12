-- Widows: a living woman aged 18 or more whose husband is dead - her care-of is W/O and
-- a CRS death record of that name, of a man born within 15 years of her, exists in her
-- district (village, when both are known) while no living man of her village of her
-- generation bears that name; or her husband in the household is recorded dead, by a death
-- record seeded to his own Aadhaar that fits him (name, birth year) or a KYR deactivation
-- (sound_deaths: a namesake's death seeded to a living husband makes no widow) - and no
-- living husband is in her household (husband_alive).
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
        end as widowhood_evidence
    from women
    left join husband_in_crs
        on women.resident_id = husband_in_crs.resident_id
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
