-- A household's inclusion gaps in words a caller can read to the citizen, one row per
-- household with a gap: "Ram Bai (67) may be eligible for Indira Gandhi National Old Age
-- Pension (IGNOAPS)". Names only, never an identifier; the scheme's name from the seed
-- scheme_catalogue, else its code in lower case.
with

gaps as (

    select * from {{ ref('int_inclusion_gaps') }}

),

profile as (

    select * from {{ ref('int_resident_profile') }}

),

catalogue as (

    select * from {{ ref('scheme_catalogue') }}

),

named_residents as (

    -- title case: names are stored upper case, a caller reads them aloud
    select
        resident_id,
        age_years,
        array_to_string(
            list_transform(
                string_split_regex(lower(trim(name_std)), '\s+'),
                lambda word: upper(left(word, 1)) || substr(word, 2)
            ),
            ' '
        ) as display_name
    from profile
    where name_std is not null

),

scheme_names as (

    select
        scheme_code,
        min(scheme_name) as scheme_name
    from catalogue
    where scheme_code != '*'
    group by scheme_code

),

sentences as (

    select
        gaps.household_id,
        gaps.rule_id,
        gaps.resident_id,
        named_residents.age_years,
        named_residents.display_name
        || coalesce(' (' || named_residents.age_years || ')', '')
        || ' may be eligible for '
        || coalesce(
            scheme_names.scheme_name || ' (' || gaps.suggested_scheme_code || ')',
            lower(gaps.suggested_scheme_code)
        ) as gap_sentence
    from gaps
    inner join named_residents
        on gaps.resident_id = named_residents.resident_id
    left join scheme_names
        on gaps.suggested_scheme_code = scheme_names.scheme_code
    -- a gap an unlinked record may close is the department's to check, not the caller's
    where gaps.household_id is not null and gaps.certainty = 'confirmed'

),

final as (

    select
        household_id,
        count(*) as inclusion_gap_count,
        string_agg(
            gap_sentence, '; '
            order by age_years desc nulls last, gap_sentence asc, rule_id asc
        ) as inclusion_gaps
    from sentences
    group by household_id

)

select * from final
