{#- Fails for every `group_by` value that does not have exactly one row where `condition`. -#}
{% test exactly_one_where(model, group_by, condition) %}
    select {{ group_by }}, count(*) filter (where {{ condition }}) as n_matching
    from {{ model }}
    group by {{ group_by }}
    having count(*) filter (where {{ condition }}) <> 1
{% endtest %}
