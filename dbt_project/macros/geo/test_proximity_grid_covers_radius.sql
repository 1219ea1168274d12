{#
    Generic test on a latitude column: the finest proximity grid cell must span
    at least the proximity radius east-west at every village's latitude, so that
    the 3x3 block around a village holds every facility within the radius and
    `count_within_5km` is exact. Fails for rows where it does not.
#}
{% test proximity_grid_covers_radius(model, column_name) %}

{%- set size = var('proximity_grid_levels_deg', [0.1, 0.5, 2.5, 12.5])[0] -%}
{%- set radius_km = var('proximity_radius_km', 5) -%}

select {{ column_name }}
from {{ model }}
where
    {{ column_name }} is not null
    and {{ earth_radius_km() }}
    * asin(cos(radians({{ column_name }})) * sin(radians({{ size }})))
    < {{ radius_km }}

{% endtest %}
