{#- The BI contract (indicators.md, "Serving tables"): every indicator for every reporting
    region at county, prefecture and province level, for calendar years (period_type year,
    complete years only) and year-to-date periods (period_type ytd, January to each month
    end). Values are unrounded; ratios use population of the previous year end (default) or
    of the current year end, and are null where population is missing. A partition run
    recomputes the periods from its window on (macros/marts_restart.sql) and stamps every
    row with the new data vintage. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook=[
            {"sql": "{{ save_restart('period_end', spine=true) }}", "transaction": false},
            "{{ delete_from_restart('period_end') }}"
        ],
        post_hook=[
            "{{ stamp_data_vintage() }}",
            {"sql": "{{ save_built_with(inputs_of='int_indicator_month_end_values') }}", "transaction": false}
        ],
        on_schema_change='append_new_columns'
    )
}}

-- depends_on: {{ ref('int_region_rollup') }}

with context as (
    select * from {{ ref('int_run_context') }}
),

restart as (
    select {{ restart_month_end() }} as month_end
),

-- The periods from the restart on, and the year before them for the year-on-year change.
month_end_values as (
    select * exclude (settings_hash) from {{ ref('int_indicator_month_end_values') }}
    where
        month_end >= (
            select cast({{ dbt.last_day('r.month_end - interval 12 month', 'month') }} as date)
            from restart as r
        )
),

population as (
    select * from {{ ref('int_population_by_region') }}
),

ratios as (
    select
        case v.indicator_code
            when 'invention_in_force' then 'invention_in_force_per_10k'
            else 'high_value_per_10k'
        end as indicator_code,
        'ratio' as indicator_kind,
        v.region_level,
        v.region_code,
        v.month_end,
        v.year,
        v.month,
        v.value / nullif(p.resident_population, 0) * 10000.0 as value
    from month_end_values as v
    left join population as p
        on
            v.region_level = p.region_level
            and v.region_code = p.region_code
            and v.year {% if var('population_basis') == 'previous_year_end' %} - 1 {% endif %} = p.year
    where v.indicator_code in ('invention_in_force', 'high_value_in_force')
),

all_values as (
    select * from month_end_values
    union all
    select * from ratios
),

periods as (
    select
        v.*,
        'ytd' as period_type
    from all_values as v
    union all
    select
        v.*,
        'year'
    from all_values as v
    where v.month = 12
),

with_previous as (
    select
        p.*,
        prev.value as previous_value
    from periods as p
    left join periods as prev
        on
            p.indicator_code = prev.indicator_code
            and p.region_level = prev.region_level
            and p.region_code = prev.region_code
            and p.period_type = prev.period_type
            and p.month = prev.month
            and p.year = prev.year + 1
),

regions as (
    select * from {{ ref('int_reporting_regions') }}
),

units as (
    select
        indicator_code,
        unit
    from {{ ref('indicator_definitions') }}
),

final as (
    select
        w.region_code,
        g.region_name,
        w.region_level,
        g.parent_code,
        w.period_type,
        w.month_end as period_end,
        w.year,
        case when w.period_type = 'ytd' then w.month end as month,
        w.indicator_code,
        cast(w.value as double) as value,
        u.unit,
        cast(case
            when w.previous_value <> 0
                then (w.value - w.previous_value) / w.previous_value * 100.0
        end as double) as yoy_pct,
        cast(w.value - w.previous_value as double) as yoy_abs,
        cast(case when w.value is not null then rank() over (
            partition by w.region_level, g.parent_code, w.period_type, w.month_end, w.indicator_code
            order by w.value desc nulls last
        ) end as integer) as rank_in_parent,
        c.settings_hash,
        c.data_vintage
    from with_previous as w
    inner join regions as g
        on w.region_level = g.region_level and w.region_code = g.region_code
    inner join units as u on w.indicator_code = u.indicator_code
    cross join context as c
    where
        w.month_end <= c.as_of_date
        and w.month_end >= (select r.month_end from restart as r)
)

select * from final
