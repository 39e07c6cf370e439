{#- Incremental facts rebuild the run's partition window [min_date, max_date): a pre-hook
    deletes every row dated in it (so a record removed upstream disappears too) and the
    model inserts the window's rows again. A full build keeps everything.

    The window comes from the environment (IPIND_MIN_DATE, IPIND_MAX_DATE), which Dagster
    sets for each dbt step, or from --vars min_date / max_date, which win. Not from --vars
    alone: dbt parses the whole project again whenever the vars change, and the window
    changes every run (~2.5 s of each dbt step); these macros run only when models are
    compiled, so the window's value is never part of the parse. Without either, the
    window covers every date. -#}
{% macro window_start() -%}
    {{- return(var('min_date', env_var('IPIND_MIN_DATE', '1900-01-01'))) -}}
{%- endmacro %}

{% macro window_end() -%}
    {{- return(var('max_date', env_var('IPIND_MAX_DATE', '2100-01-01'))) -}}
{%- endmacro %}

{% macro in_window(column) -%}
    {%- if is_incremental() -%}
        {{ column }} >= cast('{{ window_start() }}' as date)
        and {{ column }} < cast('{{ window_end() }}' as date)
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- A served model also logs, in the star, the months it rebuilds (all of them when it is
    built whole), and once the column they are months of, so publishing rewrites only those
    months' Parquet files (ingestion/parquet_export.py); logged before the delete, in the
    model's transaction. The log tables are created once a run, by `create_publish_log()`
    (on-run-start), not by each model's pre-hook: models built at once (`dbt --threads`)
    would otherwise conflict on the catalog. -#}
{% macro create_publish_log() -%}
    create schema if not exists star.publish;
    create table if not exists star.publish.changed_windows (
        table_schema varchar,
        table_name varchar,
        min_date date,
        max_date date,
        logged_at timestamp
    );
    create table if not exists star.publish.month_columns (
        table_schema varchar,
        table_name varchar,
        month_column varchar,
        primary key (table_schema, table_name)
    )
{%- endmacro %}

{% macro delete_window(column) -%}
    {%- if this.schema in ['core', 'marts'] %}
    insert into star.publish.changed_windows
        (table_schema, table_name, min_date, max_date, logged_at)
    select
        '{{ this.schema }}',
        '{{ this.identifier }}',
        {% if is_incremental() -%}
            cast('{{ window_start() }}' as date),
            cast('{{ window_end() }}' as date),
        {%- else -%}
            null,
            null,
        {%- endif %}
        current_timestamp;
    insert or replace into star.publish.month_columns
    values ('{{ this.schema }}', '{{ this.identifier }}', '{{ column }}');
    {%- endif %}
    {%- if is_incremental() %}
        delete from {{ this }}
        where {{ column }} >= cast('{{ window_start() }}' as date)
            and {{ column }} < cast('{{ window_end() }}' as date)
    {%- endif -%}
{%- endmacro %}

{#- A run without a partition window has the defaults, which cover every date. -#}
{% macro window_is_everything() -%}
    {{- return(window_start() <= '1900-01-01' and window_end() >= '2100-01-01') -}}
{%- endmacro %}
