-- Reviewers' decisions on record pairs, the latest per pair (matching/review.py).
with

source as (

    {{ select_columns(source('matching', 'review_decisions'), {
        'decision_id': 'varchar',
        'kind': 'varchar',
        'source_l': 'varchar',
        'record_l': 'varchar',
        'source_r': 'varchar',
        'record_r': 'varchar',
        'decision': 'varchar',
        'reviewer': 'varchar',
        'decided_at': 'timestamp',
        'reason': 'varchar',
        'imported_at': 'timestamp'
    }) }}

),

latest as (

    select
        kind as pair_kind,
        source_l as left_source,
        record_l as left_record_id,
        source_r as right_source,
        record_r as right_record_id,
        decision,
        decision = 'match' as is_match,
        reviewer,
        decided_at,
        reason as decision_reason
    from source
    where decision_id is not null
    qualify row_number() over (
            partition by kind, source_l, record_l, source_r, record_r
            order by decided_at desc, imported_at desc, decision_id desc
        ) = 1

)

select * from latest
