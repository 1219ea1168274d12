{#-
    Nearest facility of each type for every village, and how many of that type
    lie within the proximity radius (5 km), by great-circle distance.

    No cross join of villages and facilities: facilities are bucketed into grid
    cells and each village only looks at the 3x3 block of cells around its own.
    Levels of coarser grids catch what the finest one cannot prove:

      * level 0 (0.1 degree cells) gives the counts within the radius (exact:
        0.1 degree is > 5 km of arc at these latitudes, checked by the test
        `assert_proximity_grid_covers_radius`) and the nearest candidate;
      * a candidate is accepted only when it is strictly closer than the
        clearance of the 3x3 block (`grid_block_clearance_km`): everything
        outside the block is at least that far, so it is truly the nearest;
      * village x type pairs not yet proven go to the next, coarser level, and
        whatever no level proves (none in practice) is brute-forced against
        the facilities of that type only.
    Ties on distance go to the smallest facility_id.
-#}

{%- set levels = var('proximity_grid_levels_deg', [0.1, 0.5, 2.5, 12.5]) -%}
{%- set radius_km = var('proximity_radius_km', 5) -%}

with

villages as (

    select
        village_code,
        latitude,
        longitude
    from {{ ref('stg_std__lgd_villages') }}
    where latitude is not null and longitude is not null

),

facilities as (

    select
        facility_id,
        facility_type,
        facility_name,
        latitude,
        longitude
    from {{ ref('stg_std__facilities') }}
    where latitude is not null and longitude is not null

),

facility_types as (

    select distinct facility_type from facilities

),

block_offsets as (

    select
        d_lat.o as d_lat,
        d_lon.o as d_lon
    from range(-1, 2) as d_lat (o)
    cross join range(-1, 2) as d_lon (o)

),

village_types as (

    select
        villages.village_code,
        villages.latitude,
        villages.longitude,
        facility_types.facility_type
    from villages
    cross join facility_types

),

{% for size in levels %}
    {%- set lvl = loop.index0 %}

    facility_cells_{{ lvl }} as materialized (

        select
            *,
            {{ grid_cell('latitude', size) }} as cell_lat,
            {{ grid_cell('longitude', size) }} as cell_lon
        from facilities

    ),

    pending_{{ lvl }} as materialized (

        {%- if lvl == 0 %}

            select * from village_types

        {%- else %}

            select
                pending_{{ lvl - 1 }}.village_code,
                pending_{{ lvl - 1 }}.latitude,
                pending_{{ lvl - 1 }}.longitude,
                pending_{{ lvl - 1 }}.facility_type
            from pending_{{ lvl - 1 }}
            left join proven_{{ lvl - 1 }}
                on
                    pending_{{ lvl - 1 }}.village_code = proven_{{ lvl - 1 }}.village_code
                    and pending_{{ lvl - 1 }}.facility_type = proven_{{ lvl - 1 }}.facility_type
            where proven_{{ lvl - 1 }}.village_code is null

        {%- endif %}

    ),

    candidates_{{ lvl }} as materialized (

        select
            pending.village_code,
            pending.facility_type,
            facility_cells.facility_id,
            facility_cells.facility_name,
        {{ haversine_km('pending.latitude', 'pending.longitude',
                        'facility_cells.latitude', 'facility_cells.longitude') }}
                as distance_km,
            {{ grid_block_clearance_km('pending.latitude', 'pending.longitude', size) }}
                as clearance_km
        from pending_{{ lvl }} as pending
        cross join block_offsets
        inner join facility_cells_{{ lvl }} as facility_cells
            on
                pending.facility_type = facility_cells.facility_type
                and facility_cells.cell_lat
                = {{ grid_cell('pending.latitude', size) }} + block_offsets.d_lat
                and facility_cells.cell_lon
                = {{ grid_cell('pending.longitude', size) }} + block_offsets.d_lon

    ),

    proven_{{ lvl }} as materialized (

    -- aggregate, not a window: ties on distance go to the smallest facility id
        select
            village_code,
            facility_type,
            arg_min(facility_id, struct_pack(d := distance_km, id := facility_id))
                as facility_id,
            arg_min(facility_name, struct_pack(d := distance_km, id := facility_id))
                as facility_name,
            min(distance_km) as distance_km
        from candidates_{{ lvl }}
        group by village_code, facility_type
        having min(distance_km) < min(clearance_km)

    ),

{% endfor %}

{%- set last = levels | length - 1 %}

unproven as (

    select
        pending_{{ last }}.village_code,
        pending_{{ last }}.latitude,
        pending_{{ last }}.longitude,
        pending_{{ last }}.facility_type
    from pending_{{ last }}
    left join proven_{{ last }}
        on
            pending_{{ last }}.village_code = proven_{{ last }}.village_code
            and pending_{{ last }}.facility_type = proven_{{ last }}.facility_type
    where proven_{{ last }}.village_code is null

),

brute_force as (

    select
        unproven.village_code,
        unproven.facility_type,
        arg_min(
            facilities.facility_id,
            struct_pack(
                d := {{ haversine_km('unproven.latitude', 'unproven.longitude',
                                     'facilities.latitude', 'facilities.longitude') }},
                id := facilities.facility_id
            )
        ) as facility_id,
        arg_min(
            facilities.facility_name,
            struct_pack(
                d := {{ haversine_km('unproven.latitude', 'unproven.longitude',
                                     'facilities.latitude', 'facilities.longitude') }},
                id := facilities.facility_id
            )
        ) as facility_name,
        min({{ haversine_km('unproven.latitude', 'unproven.longitude',
                            'facilities.latitude', 'facilities.longitude') }}) as distance_km
    from unproven
    inner join facilities
        on unproven.facility_type = facilities.facility_type
    group by unproven.village_code, unproven.facility_type

),

nearest as (

    {% for size in levels %}
        select
            *,
            {{ loop.index0 }} as grid_level
        from proven_{{ loop.index0 }}
        union all
    {% endfor %}
    select
        *,
        {{ levels | length }} as grid_level
    from brute_force

),

counts_within_radius as (

    select
        village_code,
        facility_type,
        count(*) as count_within_5km
    from candidates_0
    where distance_km <= {{ radius_km }}
    group by village_code, facility_type

),

final as (

    select
        nearest.village_code,
        nearest.facility_type,
        nearest.facility_id,
        nearest.facility_name,
        round(nearest.distance_km, 3) as distance_km,
        coalesce(counts_within_radius.count_within_5km, 0) as count_within_5km,
        nearest.grid_level
    from nearest
    left join counts_within_radius
        on
            nearest.village_code = counts_within_radius.village_code
            and nearest.facility_type = counts_within_radius.facility_type

)

select * from final
