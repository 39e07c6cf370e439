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

{#- Also logs, in the star, the months the model rebuilds (all of them when it is built
    whole), so publishing rewrites only those months' Parquet files
    (ingestion/parquet_export.py); logged before the delete, in the model's transaction. -#}
{% macro delete_window(column) -%}
    create schema if not exists "{{ this.database }}"."publish";
    create table if not exists "{{ this.database }}"."publish"."changed_windows" (
        table_schema varchar,
        table_name varchar,
        month_column varchar,
        min_date date,
        max_date date,
        logged_at timestamp
    );
    insert into "{{ this.database }}"."publish"."changed_windows"
    select
        '{{ this.schema }}',
        '{{ this.identifier }}',
        '{{ column }}',
        {% if is_incremental() -%}
            cast('{{ var("min_date") }}' as date),
            cast('{{ var("max_date") }}' as date),
        {%- else -%}
            null,
            null,
        {%- endif %}
        current_timestamp;
    {%- if is_incremental() %}
        delete from {{ this }}
        where {{ column }} >= cast('{{ var("min_date") }}' as date)
            and {{ column }} < cast('{{ var("max_date") }}' as date)
    {%- endif -%}
{%- endmacro %}

{#- A run without a partition window passes the defaults, which cover every date. -#}
{% macro window_is_everything() -%}
    {{- return(var('min_date') <= '1900-01-01' and var('max_date') >= '2100-01-01') -}}
{%- endmacro %}
