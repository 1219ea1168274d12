{#- Build models into the schema named in config (staging, intermediate, marts),
    not <target_schema>_<custom>, so every environment sees the same names. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
