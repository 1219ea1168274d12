-- One row per project: tasks by status (allocated / in progress / pending approval /
-- completed / rejected) and how long approval takes.
with

tasks as (

    select * from {{ ref('stg_raw__pm_tasks') }}

),

final as (

    select
        project_id,
        any_value(project_name) as project_name,
        any_value(department) as department,
        count(*) as tasks_total,
        count(*) filter (where status = 'ALLOCATED') as tasks_allocated,
        count(*) filter (where status = 'IN_PROGRESS') as tasks_in_progress,
        count(*) filter (where status = 'PENDING_APPROVAL') as tasks_pending_approval,
        count(*) filter (where status = 'COMPLETED') as tasks_completed,
        count(*) filter (where status = 'REJECTED') as tasks_rejected,
        round(count(*) filter (where status = 'COMPLETED') / count(*), 4) as completion_rate,
        count(distinct assigned_to) as field_users,
        round(avg(epoch(approved_at) - epoch(submitted_at)) / 3600.0, 2)
            as avg_hours_to_approve,
        round(median(epoch(approved_at) - epoch(submitted_at)) / 3600.0, 2)
            as median_hours_to_approve,
        round(
            avg(epoch(approved_at) - epoch(allocated_at))
            filter (where status = 'COMPLETED') / 86400.0, 2
        ) as avg_days_to_complete,
        min(allocated_at) as first_allocated_at,
        greatest(
            max(allocated_at), max(started_at), max(submitted_at), max(approved_at)
        ) as last_activity_at
    from tasks
    where project_id is not null
    group by project_id

)

select * from final
