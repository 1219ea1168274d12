-- Tasks per field user per ISO week (weeks start on Monday): allocated to them, started,
-- submitted and approved in that week.
with

tasks as (

    select * from {{ ref('stg_raw__pm_tasks') }}

),

events as (

    select
        project_id,
        assigned_to,
        'allocated' as event_type,
        allocated_at as event_at
    from tasks
    union all
    select
        project_id,
        assigned_to,
        'started' as event_type,
        started_at as event_at
    from tasks
    union all
    select
        project_id,
        assigned_to,
        'submitted' as event_type,
        submitted_at as event_at
    from tasks
    union all
    select
        project_id,
        assigned_to,
        'approved' as event_type,
        approved_at as event_at
    from tasks

),

final as (

    select
        project_id,
        assigned_to,
        cast(date_trunc('week', event_at) as date) as week_start,
        count(*) filter (where event_type = 'allocated') as tasks_allocated,
        count(*) filter (where event_type = 'started') as tasks_started,
        count(*) filter (where event_type = 'submitted') as tasks_submitted,
        count(*) filter (where event_type = 'approved') as tasks_approved
    from events
    where event_at is not null and project_id is not null and assigned_to is not null
    group by project_id, assigned_to, week_start

)

select * from final
