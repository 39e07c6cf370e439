{#- The two columns every mart row carries after its own (indicators.md, Settings): the
    settings it was built with and the load time of the newest feed row. -#}
{% macro run_stamp() -%}
    (select rc.settings_hash from {{ ref('int_run_context') }} as rc) as settings_hash,
    (select rc.data_vintage from {{ ref('int_run_context') }} as rc) as data_vintage
{%- endmacro %}
