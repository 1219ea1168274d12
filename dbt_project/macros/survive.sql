{#-
    survive(column, when=none, lineage=none)

    Survivorship inside a GROUP BY resident_id over int_person_records: the value of
    `column` from the best-ranked record (lowest record_rank) where `when` holds
    (default: the column is not null). With `lineage`, also emit <lineage>_source and
    <lineage>_batch_id naming the record the value came from.
-#}
{% macro survive(column, when=none, lineage=none) -%}
    {%- set condition = when if when else column ~ ' is not null' -%}
    arg_min({{ column }}, record_rank) filter (where {{ condition }}) as {{ column }}
    {%- if lineage %},
    arg_min(source, record_rank) filter (where {{ condition }}) as {{ lineage }}_source,
    arg_min(batch_id, record_rank) filter (where {{ condition }}) as {{ lineage }}_batch_id
    {%- endif -%}
{%- endmacro %}
