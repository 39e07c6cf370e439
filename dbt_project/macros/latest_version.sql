{#- Keep the newest version of each key: the latest load wins; within one load (files
    dropped together) the file last in path order (grants_2024-02.csv over grants_2024-01.csv),
    then the latest row.
    Most keys arrive once: `stg_raw__repeated_keys` lists the few that do not, so every
    other row passes straight through (a hash probe into a tiny table) and only the repeated
    keys are sorted. The feeds' staging models can then stay views: a reader pays for the
    columns and the dates it reads, and a month's run reads a month. `key` is one SQL
    expression over contract-required (never null) columns. -#}
{% macro latest_version(relation, key, feed) -%}
    {%- set is_repeated -%}
        exists (
            select 1
            from {{ ref('stg_raw__repeated_keys') }} as repeated
            where repeated.feed = '{{ feed }}' and repeated.version_key = ({{ key }})
        )
    {%- endset -%}
    select *
    from {{ relation }} as versions
    where not {{ is_repeated }}
    union all
    select *
    from {{ relation }} as versions
    where {{ is_repeated }}
    qualify row_number() over (
        partition by ({{ key }}) order by _loaded_at desc, _source desc, _ingest_hash desc, _row desc
    ) = 1
{%- endmacro %}
