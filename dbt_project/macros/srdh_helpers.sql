{#- Reference date for ages and payment periods: var srdh_as_of_date, else today. -#}
{% macro as_of_date() -%}
    {%- if var('srdh_as_of_date', none) -%}
        date '{{ var("srdh_as_of_date") }}'
    {%- else -%}
        current_date
    {%- endif -%}
{%- endmacro %}

{#- The delivery date inside a batch id (the landing folder's YYYY-MM-DD), or null. -#}
{% macro batch_date_from_id(batch_id) -%}
    try_cast(nullif(regexp_extract({{ batch_id }}, '(\d{4}-\d{2}-\d{2})', 1), '') as date)
{%- endmacro %}

{#- A stable, readable surrogate key: PREFIX-<16 hex of md5(parts joined by '|')>. -#}
{% macro stable_id(prefix, parts) -%}
    '{{ prefix }}-' || left(md5(concat_ws('|', {{ parts | join(', ') }})), 16)
{%- endmacro %}

{#- A UID for display: only the last four digits, ever. -#}
{% macro masked_uid(last4) -%}
    case when {{ last4 }} is not null then 'XXXX XXXX ' || {{ last4 }} end
{%- endmacro %}

{#- Age in whole years on the reference date, from dob or else the birth-year estimate. -#}
{% macro age_years(dob, birth_year) -%}
    coalesce(
        date_diff('year', {{ dob }}, {{ as_of_date() }})
        - case when strftime({{ dob }}, '%m%d') > strftime({{ as_of_date() }}, '%m%d') then 1 else 0 end,
        year({{ as_of_date() }}) - {{ birth_year }}
    )
{%- endmacro %}

{#- The rows of CTE `relation` that are the latest version per `key` (order_by: a SQL
    ORDER BY list, first = kept). Only keys delivered more than once go through the
    window, so the usual one-version-per-record table costs a hash anti-join, not a sort
    of every row with all its columns. `key` must not be null. -#}
{% macro latest_version(relation, key, order_by) -%}
    select *
    from {{ relation }}
    where {{ key }} not in (
        select {{ key }} from {{ relation }} group by {{ key }} having count(*) > 1
    )
    union all
    select *
    from {{ relation }}
    where {{ key }} in (
        select {{ key }} from {{ relation }} group by {{ key }} having count(*) > 1
    )
    qualify row_number() over (partition by {{ key }} order by {{ order_by }}) = 1
{%- endmacro %}

{#- latest_version's order for a raw feed: the later batch, then the file loaded last
    (meta.files.loaded_at as _loaded_at: a sender's corrected file in a delivery already
    loaded), then the later file name and row. -#}
{% macro raw_version_order() -%}
    _batch_id desc nulls last, _loaded_at desc nulls last, _file_name desc nulls last, _source_row desc nulls last
{%- endmacro %}

{#- The latest version of each record of a std feed's CTE: rows without a record id are
    dropped, then the later batch and row win (the order ingest/standardise uses). -#}
{% macro latest_std_record(relation) -%}
    {{ latest_version('(select * from ' ~ relation ~ ' where source_record_id is not null)',
                      'source_record_id', 'batch_id desc, source_row desc') }}
{%- endmacro %}

{#- The latest version of each record of a raw feed's CTE, by ``key``: each row gets the
    time its file was loaded (meta.files, for a sender's corrected file), rows without a
    key are dropped, and raw_version_order() picks the winner. -#}
{% macro latest_raw_record(relation, key) -%}
    {%- set files = select_columns(source('meta', 'files'),
                                   {'file_sha256': 'varchar', 'loaded_at': 'timestamp'}) -%}
    {%- set loaded -%}
        (select raw_rows.*, files.loaded_at as _loaded_at
         from {{ relation }} as raw_rows
         left join ({{ files }}) as files on raw_rows._file_sha256 = files.file_sha256
         where raw_rows.{{ key }} is not null)
    {%- endset -%}
    {{ latest_version(loaded, key, raw_version_order()) }}
{%- endmacro %}

{#- A name compared regardless of word order and of the filler words lists add or drop
    (Devi, Bai, Kumar, Lal, honorifics): "Devi Chandrika Sahu" and "Sahu Chandrika" give
    the same key. Used to look for a resident a record may be, not to link. -#}
{% macro order_free_name(name) -%}
    array_to_string(
        list_sort(list_filter(
            string_split(coalesce({{ name }}, ''), ' '),
            lambda t: t not in ('DEVI', 'BAI', 'KUMAR', 'KUMARI', 'LAL', 'SMT', 'SHRI', 'KU', '')
        )),
        ' '
    )
{%- endmacro %}

{#- Ghost look-alikes: the factor a second agreeing attribute (relative's name, date of
    birth, mobile) puts on the look-alikes expected by chance (int_enrolment_flags). -#}
{% macro second_attribute_factor(second_agrees) -%}
    (case when {{ second_agrees }} then {{ var('srdh_ghost_second_attribute_chance') }} else 1 end)
{%- endmacro %}

{#- True when every word of name key `a` is like some word of `b` (Jaro-Winkler >= threshold;
    with initials=true an initial matches a word it begins, either way). -#}
{% macro words_alike(a, b, threshold, initials=false) -%}
    list_bool_and(list_transform(
        string_split({{ a }}, ' '),
        lambda w: list_bool_or(list_transform(
            string_split({{ b }}, ' '),
            lambda p: jaro_winkler_similarity(w, p) >= {{ threshold }}
            {%- if initials %}
                or (length(w) = 1 and left(p, 1) = w)
                or (length(p) = 1 and left(w, 1) = p)
            {%- endif %}
        ))
    ))
{%- endmacro %}

{#- A death record (stg_std__crs_death, alias `crs`) fits a person of this name and birth
    year: its name word for word alike (either way, initials allowed) and its birth year (year
    of death less age at death) within 3. A death seeded to the wrong UID - a namesake, a
    father of the same name - does not fit (int_enrolment_flags, int_resident_widowhood). -#}
{% macro death_record_fits(name, birth_year, crs='crs') -%}
    coalesce(
        abs((year({{ crs }}.date_of_death) - {{ crs }}.age_at_death) - {{ birth_year }}) <= 3
        and (
            {{ words_alike(order_free_name(name), order_free_name(crs ~ '.name_std'), 0.85, initials=true) }}
            or {{ words_alike(order_free_name(crs ~ '.name_std'), order_free_name(name), 0.85, initials=true) }}
        ),
        false
    )
{%- endmacro %}

{#- Multiplier of the chance look-alikes when `count` independent attributes (relative's
    name, date of birth, mobile) agree as well: var srdh_ghost_second_attribute_chance each. -#}
{% macro agreeing_attributes_factor(count) -%}
    power({{ var('srdh_ghost_second_attribute_chance') }}, {{ count }})
{%- endmacro %}


{# A department's own record id quoted in a reason. An id holding 12 digits or more,
   anywhere ("234567890124", "CG123456789012", "PDS/1234 5678 9012": food_pds member ids
   may be 12 digits) could hold an Aadhaar number, so it is shown as any UID is
   (masked_uid: its last 4 digits only); uid_gate would otherwise stop publish on it. #}
{% macro quoted_id(expr) -%}
    case
        when length(regexp_replace({{ expr }}, '[^0-9]', '', 'g')) >= 12
            then {{ masked_uid("right(regexp_replace(" ~ expr ~ ", '[^0-9]', '', 'g'), 4)") }}
        else {{ expr }}
    end
{%- endmacro %}
