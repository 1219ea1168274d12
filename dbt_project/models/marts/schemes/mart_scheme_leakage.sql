-- Beneficiaries, UID seeding and leakage by scheme, district and block (active records).
-- A record at risk for several causes counts once in rupees_month_at_risk_total.
-- Rupees at risk count confirmed findings only; rupees_month_to_verify is the amount on
-- records with a finding still to verify in the field (and no confirmed one). A finding
-- confirmed in the field (is_field_confirmed) counts as confirmed.
with

enrolments as (

    select
        *,
        (is_not_in_kyr or is_possibly_deceased)
        and not (is_duplicate_extra or is_ghost or is_deceased_active or is_field_confirmed)
            as is_to_verify_only
    from {{ ref('fct_scheme_enrolment') }}
    where is_active

),

aggregated as (

    select
        scheme_code,
        department,
        district,
        block,
        count(*) as beneficiaries,
        count(*) filter (where is_uid_seeded) as uid_seeded,
        count(*) filter (where match_status = 'review') as in_review,
        count(*) filter (where is_duplicate_extra) as duplicates,
        count(*) filter (where is_ghost) as ghosts,
        count(*) filter (where is_deceased_active) as deceased_active,
        count(*) filter (where is_preseeded_uid_disagrees) as preseeded_uid_disagrees,
        count(*) filter (where is_not_in_kyr) as not_in_kyr_to_verify,
        count(*) filter (where is_possibly_deceased) as possibly_deceased_to_verify,
        count(*) filter (where is_field_confirmed) as field_confirmed,
        sum(monthly_amount_inr) as rupees_month_total,
        coalesce(sum(monthly_amount_inr) filter (where is_duplicate_extra), 0)
            as rupees_month_at_risk_duplicates,
        coalesce(sum(monthly_amount_inr) filter (where is_ghost), 0)
            as rupees_month_at_risk_ghosts,
        coalesce(sum(monthly_amount_inr) filter (where is_deceased_active), 0)
            as rupees_month_at_risk_deceased,
        coalesce(sum(monthly_amount_inr) filter (where is_field_confirmed), 0)
            as rupees_month_at_risk_field_confirmed,
        coalesce(
            sum(monthly_amount_inr) filter (
                where is_duplicate_extra or is_ghost or is_deceased_active or is_field_confirmed
            ),
            0
        ) as rupees_month_at_risk_total,
        coalesce(sum(monthly_amount_inr) filter (where is_not_in_kyr), 0)
            as rupees_month_to_verify_not_in_kyr,
        coalesce(sum(monthly_amount_inr) filter (where is_possibly_deceased), 0)
            as rupees_month_to_verify_deceased,
        coalesce(sum(monthly_amount_inr) filter (where is_to_verify_only), 0)
            as rupees_month_to_verify
    from enrolments
    group by scheme_code, department, district, block

),

final as (

    select
        scheme_code,
        department,
        district,
        block,
        beneficiaries,
        uid_seeded,
        round(uid_seeded / nullif(beneficiaries, 0), 4) as uid_seeded_share,
        in_review,
        duplicates,
        ghosts,
        deceased_active,
        preseeded_uid_disagrees,
        not_in_kyr_to_verify,
        possibly_deceased_to_verify,
        field_confirmed,
        rupees_month_total,
        rupees_month_at_risk_duplicates,
        rupees_month_at_risk_ghosts,
        rupees_month_at_risk_deceased,
        rupees_month_at_risk_field_confirmed,
        rupees_month_at_risk_total,
        rupees_month_to_verify_not_in_kyr,
        rupees_month_to_verify_deceased,
        rupees_month_to_verify
    from aggregated

)

select * from final
