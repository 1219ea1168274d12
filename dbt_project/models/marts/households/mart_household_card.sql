-- The household card: one row per household with its head, members (demographics,
-- masked UID, schemes, monthly amounts) and the village's nearest facilities.
{%- set facility_types = ['DISTRICT_HOSPITAL', 'CHC', 'PHC', 'SCHOOL', 'ANGANWADI',
                          'RAILWAY_STATION'] %}

with

households as (

    select * from {{ ref('dim_household') }}

),

members as (

    select * from {{ ref('dim_household_member') }}

),

residents as (

    select * from {{ ref('dim_resident') }}

),

enrolments as (

    select * from {{ ref('fct_scheme_enrolment') }}

),

facilities as (

    select * from {{ ref('int_village_nearest_facilities') }}

),

member_schemes as (

    select
        resident_id,
        -- sorted after the aggregate (by scheme code first): cheaper than an ordered aggregate
        list_sort(list(
            struct_pack(
                scheme_code := scheme_code,
                department := department,
                status := scheme_status,
                monthly_amount_inr := monthly_amount_inr
            )
        )) as schemes,
        coalesce(sum(monthly_amount_inr) filter (where is_active), 0) as monthly_amount_inr
    from enrolments
    where resident_id is not null
    group by resident_id

),

member_rows as (

    select
        members.household_id,
        members.is_head,
        struct_pack(
            resident_id := members.resident_id,
            name := residents.name_std,
            relation_to_head := members.relation_to_head,
            gender := residents.gender,
            age_years := residents.age_years,
            dob := residents.dob,
            uid_masked := residents.uid_masked,
            is_deceased := residents.is_deceased,
            schemes := coalesce(member_schemes.schemes, []),
            monthly_amount_inr := coalesce(member_schemes.monthly_amount_inr, 0)
        ) as member,
        coalesce(member_schemes.monthly_amount_inr, 0) as monthly_amount_inr,
        residents.age_years
    from members
    inner join residents
        on members.resident_id = residents.resident_id
    left join member_schemes
        on members.resident_id = member_schemes.resident_id

),

household_members as (

    select
        member_rows.household_id,
        -- head first, then eldest, then resident id: sort keys lead the struct
        list_transform(
            list_sort(list(struct_pack(
                not_head := not member_rows.is_head,
                younger := coalesce(-member_rows.age_years, 2147483647),
                resident_id := member_rows.member.resident_id,
                member := member_rows.member
            ))),
            lambda sorted_member: sorted_member.member
        ) as members,
        sum(monthly_amount_inr) as monthly_amount_inr
    from member_rows
    group by member_rows.household_id

),

village_facilities as (

    select
        village_code,
        list_sort(list(
            struct_pack(
                facility_type := facility_type,
                facility_id := facility_id,
                facility_name := facility_name,
                distance_km := distance_km
            )
        )) as nearest_facilities,
    {%- for ftype in facility_types %}
        any_value(facility_name) filter (where facility_type = '{{ ftype }}')
            as nearest_{{ ftype | lower }}_name,
        any_value(distance_km) filter (where facility_type = '{{ ftype }}')
            as nearest_{{ ftype | lower }}_km
        {{- "," if not loop.last }}
    {%- endfor %}
    from facilities
    group by village_code

),

final as (

    select
        households.household_id,
        households.household_source,
        households.ration_card_no,
        households.card_type,
        households.head_resident_id,
        head.name_std as head_name,
        head.uid_masked as head_uid_masked,
        households.district,
        households.block,
        households.village,
        households.village_code,
        households.members as member_count,
        household_members.members,
        coalesce(household_members.monthly_amount_inr, 0) as monthly_amount_inr,
        village_facilities.nearest_facilities,
    {%- for ftype in facility_types %}
        village_facilities.nearest_{{ ftype | lower }}_name,
        village_facilities.nearest_{{ ftype | lower }}_km
        {{- "," if not loop.last }}
    {%- endfor %}
    from households
    left join residents as head
        on households.head_resident_id = head.resident_id
    left join household_members
        on households.household_id = household_members.household_id
    left join village_facilities
        on households.village_code = village_facilities.village_code

)

select * from final
