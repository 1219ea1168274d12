-- Residents with a civil-registration death record linked to them (earliest death date),
-- and how that record was linked: seeded to a KYR UID, or by demographics only.
with

records as (

    select * from {{ ref('int_person_records') }}

),

deaths as (

    select * from {{ ref('stg_std__crs_death') }}

),

seeding as (

    select * from {{ ref('stg_matching__seeding') }}
    where source = 'crs_death'

),

linked as (

    select
        records.resident_id,
        min(deaths.date_of_death) as date_of_death,
        arg_min(deaths.registration_no, deaths.date_of_death) as death_registration_no,
        arg_min(
            case when seeding.match_status = 'seeded' then seeding.seeded_uid_token end,
            deaths.date_of_death
        ) as death_uid_token
    from records
    inner join deaths
        on records.source_record_id = deaths.source_record_id
    left join seeding
        on deaths.source_record_id = seeding.source_record_id
    where records.source = 'crs_death'
    group by records.resident_id

)

select * from linked
