-- Per district: residents, households, active beneficiary records, UID seeding and the
-- centroid of its villages (the Superset dataset marts.district_overview).
with

residents as (

    select * from {{ ref('dim_resident') }}

),

leakage as (

    select * from {{ ref('mart_scheme_leakage') }}

),

villages as (

    select * from {{ ref('mart_village_facilities') }}

),

resident_counts as (

    select
        district,
        count(*) as residents,
        count(distinct household_id) as households,
        count(*) filter (where has_kyr) as residents_with_kyr,
        count(*) filter (where is_deceased) as residents_deceased
    from residents
    where district is not null
    group by district

),

scheme_counts as (

    select
        district,
        sum(beneficiaries) as beneficiaries,
        sum(uid_seeded) as uid_seeded
    from leakage
    group by district

),

village_centroids as (

    select
        district_name as district,
        count(*) as villages,
        -- summed as decimals: a float sum's last digits follow the threads' order
        avg(latitude::decimal(18, 9))::double as latitude,
        avg(longitude::decimal(18, 9))::double as longitude
    from villages
    group by district_name

),

final as (

    select
        coalesce(resident_counts.district, scheme_counts.district) as district,
        coalesce(resident_counts.residents, 0) as residents,
        coalesce(resident_counts.households, 0) as households,
        coalesce(resident_counts.residents_with_kyr, 0) as residents_with_kyr,
        coalesce(resident_counts.residents_deceased, 0) as residents_deceased,
        coalesce(scheme_counts.beneficiaries, 0) as beneficiaries,
        coalesce(scheme_counts.uid_seeded, 0) as uid_seeded,
        village_centroids.villages,
        village_centroids.latitude,
        village_centroids.longitude
    from resident_counts
    full outer join scheme_counts
        on resident_counts.district = scheme_counts.district
    left join village_centroids
        on coalesce(resident_counts.district, scheme_counts.district) = village_centroids.district

)

select * from final
