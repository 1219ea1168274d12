-- Every current person record (KYR, every configured department, deaths) with its SRDH
-- resident id, delivery date, completeness and its survivorship rank within the resident.
{%- set common = ['source_record_id', 'batch_id', 'batch_date', 'name_std', 'first_name',
                  'last_name', 'relative_name_std', 'relation_type', 'gender', 'dob',
                  'birth_year', 'district_std', 'block_std', 'village_std', 'village_code',
                  'mobile'] %}

with

kyr as (

    select
        'uid_kyr' as source,
        {{ common | join(',\n        ') }}
    from {{ ref('stg_std__uid_kyr') }}

),

departments as (

    select
        source,
        {{ common | join(',\n        ') }}
    from {{ ref('stg_std__department_records') }}

),

deaths as (

    select
        'crs_death' as source,
        {{ common | join(',\n        ') }}
    from {{ ref('stg_std__crs_death') }}

),

residents as (

    select * from {{ ref('stg_matching__residents') }}

),

batches as (

    select * from {{ ref('stg_meta__batches') }}

),

unioned as (

    select * from kyr
    union all
    select * from departments
    union all
    select * from deaths

),

joined as (

    select
        residents.resident_id,
        unioned.source,
        unioned.source_record_id,
        unioned.batch_id,
        coalesce(batches.batch_date, unioned.batch_date) as batch_date,
        unioned.name_std,
        unioned.first_name,
        unioned.last_name,
        unioned.relative_name_std,
        unioned.relation_type,
        unioned.gender,
        unioned.dob,
        unioned.birth_year,
        unioned.district_std,
        unioned.block_std,
        unioned.village_std,
        unioned.village_code,
        unioned.mobile,
        unioned.source = 'uid_kyr' as is_kyr,
        (unioned.name_std is not null)::int
        + (unioned.gender is not null)::int
        + (unioned.dob is not null)::int
        + (unioned.birth_year is not null)::int
        + (unioned.relative_name_std is not null)::int
        + (unioned.village_code is not null)::int
        + (unioned.district_std is not null)::int
        + (unioned.mobile is not null)::int as completeness
    from unioned
    inner join residents
        on
            unioned.source = residents.source
            and unioned.source_record_id = residents.source_record_id
    left join batches
        on unioned.batch_id = batches.batch_id

),

ranked as (

    select
        *,
        -- survivorship order: KYR first, then the most recent delivery, then the most complete
        row_number() over (
            partition by resident_id
            order by
                is_kyr desc,
                batch_date desc nulls last,
                completeness desc,
                batch_id desc nulls last,
                source asc,
                source_record_id asc
        ) as record_rank
    from joined

)

select * from ranked
