-- Ageing by status: per project and current status, how long tasks have been in that
-- status on the reference date (as_of_date), bucketed. A task's status starts at the
-- timestamp that moved it there (allocated, started, submitted, approved), falling back
-- to the previous one when the app did not fill it.
with

tasks as (

    select * from {{ ref('stg_raw__pm_tasks') }}

),

status_since as (

    select
        project_id,
        project_name,
        status,
        case status
            when 'ALLOCATED' then allocated_at
            when 'IN_PROGRESS' then coalesce(started_at, allocated_at)
            when 'PENDING_APPROVAL' then coalesce(submitted_at, started_at, allocated_at)
            else coalesce(approved_at, submitted_at, started_at, allocated_at)
        end as in_status_since
    from tasks
    where project_id is not null and status is not null

),

aged as (

    select
        *,
        greatest(date_diff('day', cast(in_status_since as date), {{ as_of_date() }}), 0)
            as age_days
    from status_since

),

final as (

    select
        project_id,
        any_value(project_name) as project_name,
        status,
        count(*) as task_count,
        count(*) filter (where age_days <= 7) as aged_0_7_days,
        count(*) filter (where age_days between 8 and 30) as aged_8_30_days,
        count(*) filter (where age_days between 31 and 90) as aged_31_90_days,
        count(*) filter (where age_days > 90) as aged_over_90_days,
        round(avg(age_days), 1) as avg_age_days,
        max(age_days) as max_age_days,
        {{ as_of_date() }} as as_of_date
    from aged
    group by project_id, status

)

select * from final
