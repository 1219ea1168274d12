-- Rule CHILD_NO_SCHOLARSHIP: a living child aged 6 to 17 in an AAY/PHH ration-card
-- household (scholarship-eligible) who is on no scholarship.
with

profile as (

    select * from {{ ref('int_resident_profile') }}

),

gaps as (

    select
        'CHILD_NO_SCHOLARSHIP' as rule_id,
        resident_id,
        household_id,
        district_std as district,
        block_std as block,
        'SCHOLARSHIP' as suggested_scheme_code,
        'school-age child (' || age_years || ') in a ' || card_type
        || ' household and on no scholarship' as reason
    from profile
    where
        age_years between 6 and 17
        and card_type in ('AAY', 'PHH')
        and not is_deceased
        and not on_scholarship

)

select * from gaps
