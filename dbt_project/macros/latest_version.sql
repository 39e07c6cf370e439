{#- Keep the newest version of each key: the latest load wins, then the latest row. -#}
{% macro latest_version(relation, key) -%}
    select *
    from {{ relation }}
    qualify row_number() over (
        partition by {{ key }} order by _loaded_at desc, _ingest_hash desc, _row desc
    ) = 1
{%- endmacro %}
