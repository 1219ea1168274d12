-- Per YESNO / CHOICE question, how many answers chose each value (blank answers as null).
with

answers as (

    select * from {{ ref('stg_raw__pm_survey') }}

),

final as (

    select
        project_id,
        survey_id,
        question_id,
        any_value(question_text) as question_text,
        any_value(answer_type) as answer_type,
        answer,
        count(*) as answer_count,
        round(
            count(*) / sum(count(*)) over (partition by project_id, survey_id, question_id), 4
        ) as answer_share
    from answers
    where
        answer_type in ('YESNO', 'CHOICE')
        and project_id is not null and survey_id is not null and question_id is not null
    group by project_id, survey_id, question_id, answer

)

select * from final
