-- Rows the ingest loaded into std, per person feed and batch (every version, not only the
-- latest): KYR, every configured department (var srdh_department_feeds) and CRS deaths.
{%- set feeds = [{'feed': 'uid_kyr', 'declared': true}] + department_feeds()
                + [{'feed': 'crs_death', 'declared': true}] %}

with

{% for d in feeds %}
    {{ d.feed }} as (

        {{ select_columns(std_feed_relation(d), {'batch_id': 'varchar'}) }}

    ),

{% endfor %}
unioned as (

    {%- for d in feeds %}
        select
            '{{ d.feed }}' as feed,
            batch_id
        from {{ d.feed }}
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
