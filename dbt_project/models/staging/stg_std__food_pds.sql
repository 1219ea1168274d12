-- Ration-card members: the latest version of each member record.
with

source as (

    {{ select_columns(source('std', 'food_pds'), person_columns_with({
        'card_type': 'varchar',
        'relation_with_hof': 'varchar',
        'fps_code': 'varchar',
        'monthly_amount_inr': 'double'
    }), aliases={'monthly_amount_inr': ['monthly_amount']}) }}

),

latest as (

    select *
    from source
    where source_record_id is not null
    qualify row_number() over (
            partition by source_record_id order by batch_id desc, source_row desc
        ) = 1

),

renamed as (

    select
        'food_pds' as source,
        source_record_id,
        batch_id,
        {{ batch_date_from_id('batch_id') }} as batch_date,
        source_row,
        name_std,
        first_name,
        last_name,
        relative_name_std,
        relation_type,
        gender,
        dob,
        birth_year,
        district_std,
        block_std,
        village_std,
        village_code,
        mobile,
        uid_token,
        uid_last4,
        uid_valid,
        household_ref as ration_card_no,
        upper(card_type) as card_type,
        upper(relation_with_hof) as relation_with_hof,
        fps_code,
        'PDS' as scheme_code,
        'ACTIVE' as scheme_status,
        -- PDS is in kind: notional monthly grain subsidy per member (ingest/sources/food_pds.yaml)
        coalesce(
            monthly_amount_inr,
            case upper(card_type) when 'AAY' then 350 when 'GEN' then 0 else 175 end
        ) as monthly_amount_inr
    from latest

)

select * from renamed
