{#
    Great-circle distance in kilometres between two WGS84 points, in plain SQL
    (the DuckDB spatial extension is not available offline). Mean earth radius
    6371.0088 km; the argument of asin is clamped to 1 against rounding.
#}
{% macro haversine_km(lat1, lon1, lat2, lon2) -%}
    (2 * {{ earth_radius_km() }} * asin(least(1.0, sqrt(
        power(sin(radians(({{ lat2 }}) - ({{ lat1 }})) / 2), 2)
        + cos(radians({{ lat1 }})) * cos(radians({{ lat2 }}))
        * power(sin(radians(({{ lon2 }}) - ({{ lon1 }})) / 2), 2)
    ))))
{%- endmacro %}

{% macro earth_radius_km() -%}
    6371.0088
{%- endmacro %}
