{#- The std.<feed> person-record contract (docs/CONVENTIONS.md), as name -> type. -#}
{% macro person_columns() -%}
    {{ return({
        'source': 'varchar',
        'source_record_id': 'varchar',
        'batch_id': 'varchar',
        'source_row': 'bigint',
        'name_raw': 'varchar',
        'name_std': 'varchar',
        'honorific': 'varchar',
        'first_name': 'varchar',
        'middle_name': 'varchar',
        'last_name': 'varchar',
        'name_key': 'varchar',
        'relative_name_std': 'varchar',
        'relative_name_key': 'varchar',
        'relation_type': 'varchar',
        'gender': 'varchar',
        'dob': 'date',
        'dob_precision': 'varchar',
        'birth_year': 'integer',
        'birth_year_min': 'integer',
        'birth_year_max': 'integer',
        'district_std': 'varchar',
        'block_std': 'varchar',
        'village_std': 'varchar',
        'village_code': 'varchar',
        'mobile': 'varchar',
        'uid_token': 'varchar',
        'uid_last4': 'varchar',
        'uid_valid': 'boolean',
        'household_ref': 'varchar'
    }) }}
{%- endmacro %}

{#- person_columns() plus feed-specific extras (a mapping). -#}
{% macro person_columns_with(extra) -%}
    {%- set cols = {} -%}
    {%- do cols.update(person_columns()) -%}
    {%- do cols.update(extra) -%}
    {{ return(cols) }}
{%- endmacro %}

{#- The identity columns every person staging model passes through, in order (a person's
    name, relative, gender, birth and place): one list instead of a copy per model. -#}
{% macro person_identity_columns() -%}
    {{ return(['name_std', 'first_name', 'last_name', 'relative_name_std', 'relation_type',
               'gender', 'dob', 'birth_year', 'district_std', 'block_std', 'village_std',
               'village_code']) }}
{%- endmacro %}
