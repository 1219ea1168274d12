{#
    Grid cells for the proximity search.

    grid_cell(deg, size) is the integer index of the cell of `size` degrees that
    holds the coordinate `deg`.

    grid_block_clearance_km(lat, lon, size) is a lower bound, in km, on the
    great-circle distance from the point (lat, lon) to ANY point outside the
    3x3 block of cells centred on the point's own cell:
      * north / south: leaving the block needs a latitude change of at least
        the gap to the block edge, i.e. that many radians of arc;
      * east / west: the distance from a point at latitude lat to the meridian
        dlon degrees away is asin(cos(lat) * sin(dlon)) radians, and every point
        further round in longitude is further still (dlon <= 90 degrees).
    A candidate found inside the block that is strictly closer than this bound
    is therefore the true nearest. Valid away from the poles and the
    antimeridian (Chhattisgarh: 17.8-24.1 N, 80.2-84.4 E).
#}
{% macro grid_cell(deg, size) -%}
    cast(floor(({{ deg }}) / {{ size }}) as bigint)
{%- endmacro %}

{% macro grid_block_clearance_km(lat, lon, size) -%}
    ({{ earth_radius_km() }} * least(
        radians(({{ lat }}) - ({{ grid_cell(lat, size) }} - 1) * {{ size }}),
        radians(({{ grid_cell(lat, size) }} + 2) * {{ size }} - ({{ lat }})),
        asin(cos(radians({{ lat }})) * sin(radians(least(90.0,
            ({{ lon }}) - ({{ grid_cell(lon, size) }} - 1) * {{ size }},
            ({{ grid_cell(lon, size) }} + 2) * {{ size }} - ({{ lon }})
        ))))
    ))
{%- endmacro %}
