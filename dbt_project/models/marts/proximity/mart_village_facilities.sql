-- One row per village: its infrastructure (all-weather road, electrification) and, for
-- each facility type, the nearest facility (id, name, great-circle km) and how many of
-- that type lie within 5 km. Types with no facility anywhere are null / 0.
{%- set facility_types = ['DISTRICT_HOSPITAL', 'CHC', 'PHC', 'SCHOOL', 'ANGANWADI',
                          'RAILWAY_STATION'] %}

with

villages as (

    select * from {{ ref('stg_std__lgd_villages') }}

),

nearest as (

    select * from {{ ref('int_village_nearest_facilities') }}

),

pivoted as (

    select
        village_code,
    {%- for ftype in facility_types %}
        {%- set t = ftype | lower %}
        any_value(facility_id) filter (where facility_type = '{{ ftype }}')
            as nearest_{{ t }}_id,
        any_value(facility_name) filter (where facility_type = '{{ ftype }}')
            as nearest_{{ t }}_name,
        any_value(distance_km) filter (where facility_type = '{{ ftype }}')
            as nearest_{{ t }}_km,
        coalesce(
            any_value(count_within_5km) filter (where facility_type = '{{ ftype }}'), 0
        ) as {{ t }}_within_5km
        {{- "," if not loop.last }}
    {%- endfor %}
    from nearest
    group by village_code

),

final as (

    select
        villages.village_code,
        villages.village_name,
        villages.block_name,
        villages.district_name,
        villages.latitude,
        villages.longitude,
        villages.has_all_weather_road as all_weather_road,
        villages.is_electrified as electrified,
    {%- for ftype in facility_types %}
        {%- set t = ftype | lower %}
        pivoted.nearest_{{ t }}_id,
        pivoted.nearest_{{ t }}_name,
        pivoted.nearest_{{ t }}_km,
        coalesce(pivoted.{{ t }}_within_5km, 0) as {{ t }}_within_5km
        {{- "," if not loop.last }}
    {%- endfor %}
    from villages
    left join pivoted
        on villages.village_code = pivoted.village_code

)

select * from final
