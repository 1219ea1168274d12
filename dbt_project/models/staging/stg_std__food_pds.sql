-- Ration-card members, the household source: the latest version of each member record
-- with card number, card type and relation to the head of family. (PDS enrolments come
-- from stg_std__department_records, like every other department's.)
with

source as (

    {{ select_columns(source('std', 'food_pds'), person_columns_with({
        'card_type': 'varchar',
        'relation_with_hof': 'varchar'
    }), required=person_columns()) }}

),

latest as (

    {{ latest_std_record('source') }}

),

renamed as (

    select
        source_record_id,
        batch_id,
        district_std,
        block_std,
        village_code,
        birth_year,
        household_ref as ration_card_no,
        upper(card_type) as card_type,
        upper(relation_with_hof) as relation_with_hof
    from latest

)

select * from renamed
