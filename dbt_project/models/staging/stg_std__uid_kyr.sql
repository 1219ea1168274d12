-- KYR residents: the latest version of each UID (by last_updated, then batch, then row).
with

source as (

    {{ select_columns(source('std', 'uid_kyr'), person_columns_with({
        'name_local': 'varchar',
        'house': 'varchar',
        'street': 'varchar',
        'lm': 'varchar',
        'loc': 'varchar',
        'pc': 'varchar',
        'last_updated': 'timestamp',
        'action': 'varchar'
    }), required=person_columns()) }}

),

keyed as (

    select
        *,
        coalesce(source_record_id, uid_token) as record_key
    from source
    where coalesce(source_record_id, uid_token) is not null

),

latest as (

    {{ latest_version('keyed', 'record_key',
                      'last_updated desc nulls last, batch_id desc, source_row desc') }}

),

renamed as (

    select
        coalesce(source_record_id, uid_token) as source_record_id,
        coalesce(uid_token, source_record_id) as uid_token,
        uid_last4,
        batch_id,
        {{ batch_date_from_id('batch_id') }} as batch_date,
        source_row,
        name_std,
        name_local,
        first_name,
        last_name,
        relative_name_std,
        relation_type,
        gender,
        dob,
        dob_precision,
        birth_year,
        district_std,
        block_std,
        village_std,
        village_code,
        mobile,
        house,
        street,
        lm as landmark,
        loc as locality,
        pc as pincode,
        last_updated,
        coalesce(upper(action) = 'D', false) as is_deactivated
    from latest

)

select * from renamed
