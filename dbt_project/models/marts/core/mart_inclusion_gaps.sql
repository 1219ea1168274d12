-- Residents who look eligible but are not enrolled: one row per rule and resident.
-- Rules live in the seed inclusion_rules (a state adds one there, no code change).
with

gaps as (

    select * from {{ ref('int_inclusion_gaps') }}

),

final as (

    select
        rule_id,
        resident_id,
        household_id,
        district,
        block,
        suggested_scheme_code,
        certainty,
        reason
    from gaps

)

select * from final
