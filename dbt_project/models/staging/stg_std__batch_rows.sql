-- Rows the ingest loaded into std, per feed and batch (every version, not only the latest).
{%- set feeds = ['uid_kyr', 'food_pds', 'sw_pension', 'rd_mgnrega', 'edu_scholarship',
                 'crs_death'] %}

with

{% for feed in feeds %}
    {{ feed }} as (

        {{ select_columns(source('std', feed), {'batch_id': 'varchar'}) }}

    ),

{% endfor %}
unioned as (

    {%- for feed in feeds %}
        select
            '{{ feed }}' as feed,
            batch_id
        from {{ feed }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

counted as (

    select
        feed,
        coalesce(batch_id, '(none)') as batch_id,
        count(*) as rows_loaded
    from unioned
    group by 1, 2

)

select * from counted
