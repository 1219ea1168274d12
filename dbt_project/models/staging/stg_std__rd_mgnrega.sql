-- MGNREGA job-card workers: the latest version of each worker record.
with

source as (

    {{ select_columns(source('std', 'rd_mgnrega'), person_columns_with({
        'caste_category': 'varchar',
        'panchayat': 'varchar',
        'days_worked_fy': 'integer',
        'wages_paid_inr': 'double',
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
        'rd_mgnrega' as source,
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
        household_ref as job_card_no,
        caste_category,
        panchayat,
        days_worked_fy,
        wages_paid_inr,
        'MGNREGA' as scheme_code,
        'ACTIVE' as scheme_status,
        -- wages of the financial year spread over 12 months
        coalesce(monthly_amount_inr, wages_paid_inr / 12.0, 0) as monthly_amount_inr
    from latest

)

select * from renamed
