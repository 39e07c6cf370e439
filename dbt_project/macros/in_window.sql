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
