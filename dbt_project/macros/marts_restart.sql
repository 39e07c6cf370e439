{#- The incremental marts keep the month ends before the run's window and recompute the
    rest: everything from the restart month end on (the month end of the window's first
    month; the one after the last kept month end if that is earlier, so a gap left by a
    skipped month is filled). A build restarts from the beginning when there is nothing to
    keep, when the settings differ from the kept rows', and, for the models that cover
    every month end of every reporting region (`spine=true`), when the first month end, the
    set of regions, the regions reference (its fingerprint) or the as-of date moved. Data
    dated before the window must be unchanged, which a partition run guarantees; other
    reference data reach earlier months in a full build.

    The restart is decided once, before the pre-hook deletes the month ends it replaces,
    and kept in a one-row table of the working database that the model reads (deciding it
    again after the delete would see what was deleted); it is written outside the model's
    transaction, which may write only to the model's own database. -#}
{% macro restart_relation() -%}
    "{{ target.database }}"."intermediate"."{{ this.identifier }}__restart"
{%- endmacro %}

{% macro save_restart(month_end_column, spine=false) -%}
    {%- if is_incremental() -%}
        {%- if spine %}
            {{ create_built_with_if_missing() }}
        {%- endif %}
        create or replace table {{ restart_relation() }} as
        with previous as (
            select
                min({{ month_end_column }}) as first_month_end,
                max({{ month_end_column }}) as last_month_end,
                bool_and(coalesce(settings_hash = '{{ var("settings_hash") }}', false)) as same_settings
            from (
                -- a table built before it had the column reads as other settings
                select * from {{ this }}
                union all by name
                select cast(null as varchar) as settings_hash
                where false
            ) as t
        ),

        {%- if spine %}
        context as (
            select
                make_date(first_year, 1, 31) as first_month_end,
                as_of_date
            from {{ ref('int_run_context') }}
        ),

        previous_regions as (
            select distinct
                region_level,
                region_code
            from {{ this }}
            where {{ month_end_column }} = (select p.first_month_end from previous as p)
        ),

        regions as (
            select
                region_level,
                region_code
            from {{ ref('int_reporting_regions') }}
        ),

        changed_regions as (
            select count(*) as n
            from (
                (select * from previous_regions except select * from regions)
                union all
                (select * from regions except select * from previous_regions)
            ) as c
        ),
        {%- endif %}

        restart as (
            select
                case
                    when
                        p.last_month_end is not null
                        and p.same_settings
                        {%- if spine %}
                            and p.first_month_end = c.first_month_end
                            and p.last_month_end <= c.as_of_date
                            and (select r.n from changed_regions as r) = 0
                            and coalesce(
                                (select b.regions_fingerprint from {{ built_with_relation() }} as b)
                                = {{ regions_fingerprint() }},
                                false
                            )
                        {%- endif %}
                        then least(
                            cast({{ dbt.last_day("cast('" ~ window_start() ~ "' as date)", 'month') }} as date),
                            cast({{ dbt.last_day('p.last_month_end + interval 1 month', 'month') }} as date)
                        )
                    else date '1900-01-31'
                end as restart_month_end
            from previous as p
            {%- if spine %}
                cross join context as c
            {%- endif %}
        )

        select restart_month_end from restart
    {%- endif -%}
{%- endmacro %}

{#- The regions reference the kept month ends were computed with: the roll-up of codes to
    reporting regions and the reporting regions' names and parents. Kept by a post-hook once
    the model is committed (a failed build leaves the fingerprint of the rows it left), and
    compared by the next partition run: another reference recomputes every month end. -#}
{% macro built_with_relation(model=none) -%}
    "{{ target.database }}"."intermediate"."{{ model or this.identifier }}__built_with"
{%- endmacro %}

{#- Before a warehouse's first build with fingerprints: empty, so nothing is kept. -#}
{% macro create_built_with_if_missing(model=none) -%}
    create table if not exists {{ built_with_relation(model) }} (regions_fingerprint varchar);
{%- endmacro %}

{% macro regions_fingerprint() -%}
    (
        select md5(coalesce(string_agg(f.row_json, ',' order by f.row_json), ''))
        from (
            select 'rollup' || cast(to_json(r) as varchar) as row_json
            from {{ ref('int_region_rollup') }} as r
            union all
            select 'reporting' || cast(to_json(g) as varchar)
            from {{ ref('int_reporting_regions') }} as g
        ) as f
    )
{%- endmacro %}

{#- `inputs_of`: a model that reads another's month ends records the fingerprint those were
    built with, so a build of it alone after a reference change (a subset of the marts)
    is not kept by the next partition run. -#}
{% macro save_built_with(inputs_of=none) -%}
    {%- if inputs_of is none %}
        create or replace table {{ built_with_relation() }} as
        select {{ regions_fingerprint() }} as regions_fingerprint
    {%- else %}
        {{ create_built_with_if_missing(inputs_of) }}
        create or replace table {{ built_with_relation() }} as
        select regions_fingerprint from {{ built_with_relation(inputs_of) }}
    {%- endif %}
{%- endmacro %}

{% macro delete_from_restart(month_end_column) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ month_end_column }} >= (select r.restart_month_end from {{ restart_relation() }} as r)
    {%- endif -%}
{%- endmacro %}

{#- The first month end this build computes: every month end in a build from scratch. -#}
{% macro restart_month_end() -%}
    {%- if is_incremental() -%}
        (select r.restart_month_end from {{ restart_relation() }} as r)
    {%- else -%}
        date '1900-01-31'
    {%- endif -%}
{%- endmacro %}

{#- Every row carries the vintage of the newest input, also the rows a partition run kept. -#}
{% macro stamp_data_vintage() -%}
    {%- if is_incremental() -%}
        update {{ this }} as t
        set data_vintage = c.data_vintage
        from {{ ref('int_run_context') }} as c
        where t.data_vintage is distinct from c.data_vintage
    {%- endif -%}
{%- endmacro %}
