-- Inclusion gaps: one row per rule of the seed inclusion_rules and living resident who fits
-- it (age band - the lower bound on the youngest the person can be -, gender, ration-card
-- category, widowhood, KYR-verified when asked) and draws none of the benefits
-- the rule excludes - every scheme the person already draws is checked, and a record in
-- clerical review that may be the person's counts until the review decides.
with

rules as (

    select
        *,
        string_split(coalesce(card_types, ''), ' ') as card_type_list,
        string_split(excluded_benefit_types, ' ') as excluded_list
    from {{ ref('inclusion_rules') }}

),

profile as (

    select * from {{ ref('int_resident_profile') }}

),

widows as (

    select * from {{ ref('int_resident_widowhood') }}

),

gaps as (

    select
        rules.rule_id,
        profile.resident_id,
        profile.household_id,
        profile.district_std as district,
        profile.block_std as block,
        rules.suggested_scheme_code,
        concat_ws(
            ', ',
            'aged ' || profile.age_years,
            case when rules.card_types is not null then 'in a ' || profile.card_type || ' household' end,
            widows.widowhood_evidence,
            rules.not_drawing
        ) as reason
    from profile
    cross join rules
    left join widows
        on profile.resident_id = widows.resident_id
    where
        not profile.is_deceased
        and profile.age_years_min >= coalesce(rules.min_age, 0)
        and profile.age_years <= coalesce(rules.max_age, 1000)
        and (rules.gender is null or profile.gender = rules.gender)
        and (rules.card_types is null or list_contains(rules.card_type_list, profile.card_type))
        and (not coalesce(rules.requires_widowhood, false) or widows.resident_id is not null)
        and (
            not coalesce(rules.requires_kyr, false)
            or (profile.has_kyr and not coalesce(profile.kyr_deactivated, false))
        )
        and not coalesce(list_has_any(profile.active_benefit_types, rules.excluded_list), false)
        and not coalesce(list_has_any(profile.pending_benefit_types, rules.excluded_list), false)

)

select * from gaps
