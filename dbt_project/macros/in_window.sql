{#- In an incremental build, keep only records dated in the run's partition window
    [min_date, max_date); in a full build keep everything. -#}
{% macro in_window(column) -%}
    {%- if is_incremental() -%}
        {{ column }} >= cast('{{ var("min_date") }}' as date)
        and {{ column }} < cast('{{ var("max_date") }}' as date)
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
