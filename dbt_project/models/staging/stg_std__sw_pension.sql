-- Pension beneficiaries: the latest version of each pension record.
with

source as (

    {{ select_columns(source('std', 'sw_pension'), person_columns_with({
        'scheme_code': 'varchar',
        'scheme_status': 'varchar',
        'monthly_amount_inr': 'double',
        'sanction_date': 'date',
        'gram_panchayat': 'varchar'
    }), aliases={
        'scheme_status': ['status'],
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
        'sw_pension' as source,
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
        coalesce(upper(scheme_status), 'ACTIVE') as scheme_status,
        monthly_amount_inr,
        sanction_date,
        gram_panchayat
    from latest

)

select * from renamed
