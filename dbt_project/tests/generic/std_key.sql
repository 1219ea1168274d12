{#- A std table's declared key: fails for every key seen more than once among rows that
    carry it. A feed that never arrived has no std table (a landing may hold any subset of
    feeds), so a missing table passes; a present one is held to its key. -#}
{% test std_key(model, key_columns) %}
    {%- set present = adapter.get_relation(database=model.database, schema=model.schema,
                                           identifier=model.identifier) if execute else none -%}
    {%- if present is none %}
    select null as missing_table where false
    {%- else %}
    select {{ key_columns | join(', ') }}, count(*) as n_rows
    from {{ model }}
    where {{ key_columns[0] }} is not null
    group by {{ key_columns | join(', ') }}
    having count(*) > 1
    {%- endif %}
{% endtest %}
