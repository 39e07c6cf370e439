{#- The feeds' record keys, for `stg_raw__repeated_keys` and its load mark. `key` is one SQL
    expression over contract-required (never null) columns; for pledges the JSON array
    [pledge_id, status], so no two keys collide. -#}
{% macro repeated_key_feeds() -%}
    {{- return([
        ('grants', 'application_number'),
        ('legal_events', 'event_id'),
        ('transfers', 'record_id'),
        ('pledges', "cast(to_json([pledge_id, coalesce(status, 'registered')]) as varchar)"),
        ('pct', 'pct_application_number'),
    ]) -}}
{%- endmacro %}

{#- The newest `_loaded_at` of each feed when the repeated keys were last counted. -#}
{% macro loaded_through_relation() -%}
    {{- return(this.incorporate(path={"identifier": this.identifier ~ '__loaded_through'})) -}}
{%- endmacro %}

{#- Post-hook, outside the model's transaction: kept only once the model is committed. -#}
{% macro save_loaded_through() -%}
    create or replace table {{ loaded_through_relation() }} as
    {% for feed, _ in repeated_key_feeds() -%}
        select
            '{{ feed }}' as feed,
            max(_loaded_at) as loaded_through
        from {{ source('raw', feed) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
{%- endmacro %}
