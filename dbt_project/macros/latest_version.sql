{#- Keep the newest version of each key: the latest load wins, then the latest row.
    Most keys arrive once, so only the keys loaded more than once are sorted; sorting every
    row of the biggest feed was the most expensive step of a build. Keys are contract-required
    (never null), so the NOT IN below cannot meet a null. -#}
{% macro latest_version(relation, key) -%}
    {%- set repeated_keys -%}
        select ({{ key }}) as version_key
        from {{ relation }}
        group by all
        having count(*) > 1
    {%- endset -%}
    select *
    from {{ relation }}
    where ({{ key }}) not in ({{ repeated_keys }})
    union all
    select *
    from {{ relation }}
    where ({{ key }}) in ({{ repeated_keys }})
    qualify row_number() over (
        partition by {{ key }} order by _loaded_at desc, _ingest_hash desc, _row desc
    ) = 1
{%- endmacro %}
