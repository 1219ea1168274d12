-- Scholarship students: the latest version of each student record.
with

source as (

    {{ select_columns(source('std', 'edu_scholarship'), person_columns_with({
        'scheme_code': 'varchar',
        'amount_inr': 'double',
        'monthly_amount_inr': 'double',
        'udise_code': 'varchar',
        'school_class': 'integer',
        'mother_name': 'varchar'
    }), aliases={
        'scheme_code': ['scheme'],
        'school_class': ['class'],
        'monthly_amount_inr': ['monthly_amount']
    }) }}

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
        'edu_scholarship' as source,
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
        household_ref,
        upper(scheme_code) as scheme_code,
        'ACTIVE' as scheme_status,
        amount_inr as yearly_amount_inr,
        -- scholarships are paid per year: spread over 12 months
        coalesce(monthly_amount_inr, amount_inr / 12.0) as monthly_amount_inr,
        udise_code,
        school_class
    from latest

)

select * from renamed
