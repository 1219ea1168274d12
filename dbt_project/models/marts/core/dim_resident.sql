-- The golden resident register: one row per SRDH resident_id.
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

scheme_ids as (

    select
        resident_id,
        -- list_sort after the aggregate: much cheaper than an ordered aggregate
        list_sort(list(
            struct_pack(
                source := source,
                source_record_id := source_record_id,
                scheme_code := scheme_code,
                scheme_status := scheme_status
            )
        )) as scheme_identifiers,
        count(*) filter (where is_active) as active_enrolments
    from enrolments
    where resident_id is not null
    group by resident_id

),

final as (

    select
        residents.resident_id,
        residents.uid_token,
        residents.uid_last4,
        {{ masked_uid('residents.uid_last4') }} as uid_masked,
        residents.has_kyr,
        residents.kyr_deactivated,
        residents.name_std,
        residents.name_local,
        residents.first_name,
        residents.last_name,
        residents.gender,
        residents.dob,
        residents.birth_year,
        {{ age_years('residents.dob', 'residents.birth_year') }} as age_years,
        residents.relative_name_std,
        residents.relation_type,
        residents.district_std as district,
        residents.block_std as block,
        residents.village_std as village,
        residents.village_code,
        residents.house,
        residents.street,
        residents.locality,
        residents.pincode,
        residents.mobile,
        deaths.date_of_death,
        deaths.death_registration_no,
        deaths.resident_id is not null as is_deceased,
        households.household_id,
        households.relation_to_head,
        coalesce(households.is_head, false) as is_household_head,
        coalesce(scheme_ids.scheme_identifiers, []) as scheme_identifiers,
        coalesce(scheme_ids.active_enrolments, 0) as active_enrolments,
        residents.sources,
        residents.source_records,
        residents.name_source,
        residents.name_batch_id,
        residents.gender_source,
        residents.gender_batch_id,
        residents.birth_source,
        residents.birth_batch_id,
        residents.relative_source,
        residents.relative_batch_id,
        residents.address_source,
        residents.address_batch_id,
        residents.mobile_source,
        residents.mobile_batch_id
    from residents
    left join deaths
        on residents.resident_id = deaths.resident_id
    left join households
        on residents.resident_id = households.resident_id
    left join scheme_ids
        on residents.resident_id = scheme_ids.resident_id

)

select * from final
