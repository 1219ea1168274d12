-- Survey answers summarised per project, survey and question: yes/no counts, the most
-- common choice, numeric average / min / max, and counts of text answers.
-- Per-choice counts: mart_survey_choice_counts.
with

answers as (

    select * from {{ ref('stg_raw__pm_survey') }}

),

typed as (

    select
        *,
        try_cast(answer as double) as answer_number,
        case
            when upper(answer) in ('Y', 'YES', 'HAAN', 'HA', 'TRUE', '1') then 'YES'
            when upper(answer) in ('N', 'NO', 'NAHI', 'NAHIN', 'FALSE', '0') then 'NO'
        end as answer_yes_no
    from answers

),

modal_choice as (

    select
        project_id,
        survey_id,
        question_id,
        answer as top_choice,
        count(*) as top_choice_count
    from answers
    where answer_type = 'CHOICE' and answer is not null
    group by project_id, survey_id, question_id, answer
    qualify row_number() over (
            partition by project_id, survey_id, question_id
            order by count(*) desc, answer
        ) = 1

),

summary as (

    select
        project_id,
        survey_id,
        question_id,
        any_value(question_text) as question_text,
        any_value(answer_type) as answer_type,
        count(*) as responses,
        count(answer) as answered,
        count(*) - count(answer) as blank,
        count(distinct task_id) as task_count,
        count(distinct answer) as distinct_answers,
        count(*) filter (where answer_type = 'YESNO' and answer_yes_no = 'YES') as yes_count,
        count(*) filter (where answer_type = 'YESNO' and answer_yes_no = 'NO') as no_count,
        round(avg(answer_number) filter (where answer_type = 'NUMBER'), 3) as number_avg,
        min(answer_number) filter (where answer_type = 'NUMBER') as number_min,
        max(answer_number) filter (where answer_type = 'NUMBER') as number_max,
        count(*) filter (
            where answer_type = 'NUMBER' and answer is not null and answer_number is null
        ) as number_unparseable,
        count(answer) filter (where answer_type = 'TEXT') as text_answers
    from typed
    where project_id is not null and survey_id is not null and question_id is not null
    group by project_id, survey_id, question_id

),

final as (

    select
        summary.*,
        modal_choice.top_choice,
        modal_choice.top_choice_count
    from summary
    left join modal_choice
        on
            summary.project_id = modal_choice.project_id
            and summary.survey_id = modal_choice.survey_id
            and summary.question_id = modal_choice.question_id

)

select * from final
