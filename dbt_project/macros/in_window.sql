{#- Incremental facts rebuild the run's partition window [min_date, max_date): a pre-hook
    deletes every row dated in it (so a record removed upstream disappears too) and the
    model inserts the window's rows again. A full build keeps everything. -#}
{% macro in_window(column) -%}
    {%- if is_incremental() -%}
        {{ column }} >= cast('{{ var("min_date") }}' as date)
        and {{ column }} < cast('{{ var("max_date") }}' as date)
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{% macro delete_window(column) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ column }} >= cast('{{ var("min_date") }}' as date)
            and {{ column }} < cast('{{ var("max_date") }}' as date)
    {%- endif -%}
{%- endmacro %}

{#- A run without a partition window passes the defaults, which cover every date. -#}
{% macro window_is_everything() -%}
    {{- return(var('min_date') <= '1900-01-01' and var('max_date') >= '2100-01-01') -}}
{%- endmacro %}
