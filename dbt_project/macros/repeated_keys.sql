{#- The newest `_loaded_at` of each feed when the repeated keys were last counted. -#}
{% macro loaded_through_relation() -%}
    {{- return(this.incorporate(path={"identifier": this.identifier ~ '__loaded_through'})) -}}
{%- endmacro %}

{#- Post-hook, outside the model's transaction: kept only once the model is committed. -#}
{% macro save_loaded_through(feeds) -%}
    create or replace table {{ loaded_through_relation() }} as
    {% for feed in feeds -%}
        select
            '{{ feed }}' as feed,
            max(_loaded_at) as loaded_through
        from {{ source('raw', feed) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
{%- endmacro %}
