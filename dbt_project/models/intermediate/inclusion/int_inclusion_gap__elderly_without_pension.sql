-- Rule ELDERLY_NO_PENSION: aged 60 or more, living, in an AAY/PHH ration-card household,
-- and on no old-age pension (IGNOAPS, SSPY).
with

profile as (

    select * from {{ ref('int_resident_profile') }}

),

gaps as (

    select
        'ELDERLY_NO_PENSION' as rule_id,
        resident_id,
        household_id,
        district_std as district,
        block_std as block,
        'IGNOAPS' as suggested_scheme_code,
        'aged ' || age_years || ' in a ' || card_type
        || ' household and on no old-age pension' as reason
    from profile
    where
        age_years >= 60
        and card_type in ('AAY', 'PHH')
        and not is_deceased
        and not on_old_age_pension

)

select * from gaps
