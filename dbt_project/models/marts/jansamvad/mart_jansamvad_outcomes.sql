-- Jan Samvad call outcomes by scheme, district and block: contact rate, benefit actually
-- received, satisfaction and grievance categories.
{%- set categories = ['DELAYED_PAYMENT', 'WRONG_AMOUNT', 'NOT_RECEIVED', 'BRIBE_DEMANDED',
                      'NAME_ERROR', 'RATION_QUALITY', 'OTHER'] %}

with

calls as (

    select * from {{ ref('stg_raw__jansamvad_calls') }}

),

final as (

    select
        scheme_code,
        district_name,
        block_name,
        count(*) as calls,
        count(distinct coalesce(household_id, source || ':' || source_record_id))
            as households_called,
        count(*) filter (where is_connected) as calls_connected,
        round(count(*) filter (where is_connected) / count(*), 4) as contact_rate,
        count(*) filter (where outcome = 'CALLBACK') as calls_callback,
        count(*) filter (where outcome = 'REFUSED') as calls_refused,
        count(*) filter (where outcome = 'WRONG_NUMBER') as calls_wrong_number,
        count(*) filter (where benefit_received = 'Y') as benefit_received_yes,
        count(*) filter (where benefit_received = 'N') as benefit_received_no,
        round(
            count(*) filter (where benefit_received = 'Y')
            / nullif(count(*) filter (where benefit_received in ('Y', 'N')), 0), 4
        ) as benefit_received_rate,
        count(satisfaction) as satisfaction_answers,
        round(avg(satisfaction), 2) as avg_satisfaction,
        round(
            count(*) filter (where satisfaction >= 4) / nullif(count(satisfaction), 0), 4
        ) as satisfied_share,
        count(*) filter (where grievance_category != 'NONE') as grievances,
        {%- for category in categories %}
            count(*) filter (where grievance_category = '{{ category }}')
                as grievances_{{ category | lower }},
        {%- endfor %}
        count(*) filter (where is_do_not_call) as do_not_call_requests,
        min(call_date) as first_call_date,
        max(call_date) as last_call_date
    from calls
    group by scheme_code, district_name, block_name

)

select * from final
