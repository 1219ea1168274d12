-- Per feed and batch: rows loaded, rows quarantined, and the seeding outcome of the
-- records whose current version came in that batch.
with

loaded as (

    select * from {{ ref('stg_std__batch_rows') }}

),

quarantined as (

    select * from {{ ref('stg_quarantine__rows') }}

),

batches as (

    select * from {{ ref('stg_meta__batches') }}

),

records as (

    select * from {{ ref('int_person_records') }}

),

seeding as (

    select * from {{ ref('stg_matching__seeding') }}

),

quarantine_counts as (

    select
        feed,
        batch_id,
        count(distinct file_name || '#' || source_row) as rows_quarantined,
        count(*) as quarantine_problems,
        mode(reason) as top_quarantine_reason
    from quarantined
    group by feed, batch_id

),

seeding_counts as (

    select
        records.source as feed,
        records.batch_id,
        count(*) filter (where seeding.match_status = 'seeded') as seeded,
        count(*) filter (where seeding.match_status = 'review') as in_review,
        count(*) filter (where seeding.match_status = 'unmatched') as unmatched
    from records
    inner join seeding
        on
            records.source = seeding.source
            and records.source_record_id = seeding.source_record_id
    group by records.source, records.batch_id

),

keys as (

    select
        feed,
        batch_id
    from loaded
    union
    select
        feed,
        batch_id
    from batches
    where feed is not null
    union
    select
        feed,
        batch_id
    from quarantine_counts
    union
    select
        feed,
        batch_id
    from seeding_counts

),

final as (

    select
        keys.feed,
        keys.batch_id,
        {{ batch_date_from_id('keys.batch_id') }} as batch_date,
        batches.batch_status,
        batches.rows_read,
        coalesce(batches.rows_loaded, loaded.rows_loaded, 0) as rows_loaded,
        coalesce(batches.rows_quarantined, quarantine_counts.rows_quarantined, 0) as rows_quarantined,
        coalesce(quarantine_counts.quarantine_problems, 0) as quarantine_problems,
        quarantine_counts.top_quarantine_reason,
        coalesce(seeding_counts.seeded, 0) as seeded,
        coalesce(seeding_counts.in_review, 0) as in_review,
        coalesce(seeding_counts.unmatched, 0) as unmatched,
        round(
            coalesce(seeding_counts.seeded, 0)
            / nullif(seeding_counts.seeded + seeding_counts.in_review + seeding_counts.unmatched, 0),
            4
        ) as seeded_share
    from keys
    left join batches
        on keys.batch_id = batches.batch_id
    left join loaded
        on keys.feed = loaded.feed and keys.batch_id = loaded.batch_id
    left join quarantine_counts
        on keys.feed = quarantine_counts.feed and keys.batch_id = quarantine_counts.batch_id
    left join seeding_counts
        on keys.feed = seeding_counts.feed and keys.batch_id = seeding_counts.batch_id

)

select * from final
