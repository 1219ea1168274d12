-- Widows: a living woman aged 18 or more whose husband is dead - her care-of is W/O and
-- either a CRS death record of that name exists in her district, or her husband in the
-- household is recorded dead - and no living man of her W/O name is in her household.
with

profile as (

    select * from {{ ref('int_resident_profile') }}

),

deaths as (

    select * from {{ ref('stg_std__crs_death') }}

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

),

husband_in_household as (

    select distinct women.resident_id
    from women
    inner join profile as husband
        on
            women.household_id = husband.household_id
            and women.resident_id <> husband.resident_id
    where
        husband.is_deceased
        and husband.gender = 'M'
        and (
            (women.relation_to_head = 'WIFE' and husband.is_head)
            or (women.is_head and husband.relation_to_head = 'HUSBAND')
            or (women.relation_type = 'W/O' and women.relative_name_std = husband.name_std)
        )

),

-- a husband alive in her household (her W/O names him) rules her out
husband_alive as (

    select distinct women.resident_id
    from women
    inner join profile as husband
        on
            women.household_id = husband.household_id
            and women.relative_name_std = husband.name_std
    where women.relation_type = 'W/O' and not husband.is_deceased

),

widows as (

    select
        women.resident_id,
        case
            when husband_in_crs.resident_id is not null then 'husband has a CRS death record'
            else 'husband recorded dead in the household'
        end as widowhood_evidence
    from women
    left join husband_in_crs
        on women.resident_id = husband_in_crs.resident_id
    left join husband_in_household
        on women.resident_id = husband_in_household.resident_id
    left join husband_alive
        on women.resident_id = husband_alive.resident_id
    where
        (husband_in_crs.resident_id is not null or husband_in_household.resident_id is not null)
        and husband_alive.resident_id is null

)

select * from widows
