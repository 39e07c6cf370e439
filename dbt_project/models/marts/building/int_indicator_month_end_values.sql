{#- Every count-type indicator for every reporting region at every month end from January
    of the first year to the as-of date: flows cumulated from January (year to date), stocks
    as the running sum of +1/-1 interval boundaries. An interval [start, end) contains the
    month end D exactly when month_end(start) <= D < month_end(end). Regions with no events
    get zeros. A partition run recomputes the month ends from its window on, continuing the
    running sums from the kept month end before it (macros/marts_restart.sql). -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook=[
            {"sql": "{{ save_restart('month_end', spine=true) }}", "transaction": false},
            "{{ delete_from_restart('month_end') }}"
        ],
        post_hook={"sql": "{{ save_built_with() }}", "transaction": false},
        on_schema_change='append_new_columns'
    )
}}

with context as (
    select * from {{ ref('int_run_context') }}
),

all_month_ends as (
    select cast({{ dbt.last_day('m.generate_series', 'month') }} as date) as month_end
    from context,
        generate_series(
            cast(make_date(context.first_year, 1, 1) as timestamp),
            cast(context.as_of_date as timestamp),
            interval 1 month
        ) as m
),

spine_start as (
    select min(month_end) as first_month_end from all_month_ends
),

restart as (
    select greatest({{ restart_month_end() }}, s.first_month_end) as month_end
    from spine_start as s
),

month_ends as (
    select month_end from all_month_ends
    where month_end >= (select r.month_end from restart as r)
),

rollup as (
    select * from {{ ref('int_region_rollup') }}
),

-- Sum at the recorded region first (thousands of rows), then roll up to the levels.
flow_by_code as (
    select
        indicator_code,
        region_code,
        month_end,
        sum(amount) as amount
    from {{ ref('int_flow_events') }}
    where
        distinct_key is null
        and month_end >= (select r.month_end from restart as r)
    group by 1, 2, 3
),

flow_amounts as (
    select
        f.indicator_code,
        r.region_level,
        r.report_code as region_code,
        f.month_end,
        sum(f.amount) as amount
    from flow_by_code as f
    inner join rollup as r on f.region_code = r.region_code
    group by 1, 2, 3, 4
),

-- Distinct counts per year: a thing counts from the first month it appears that year
-- (the restart's whole year is read; things first seen before the restart are in the seed).
distinct_firsts as (
    select
        e.indicator_code,
        r.region_level,
        r.report_code as region_code,
        e.distinct_key,
        min(e.month_end) as month_end,
        extract(year from e.month_end) as year
    from {{ ref('int_flow_events') }} as e
    inner join rollup as r on e.region_code = r.region_code
    where
        e.distinct_key is not null
        and e.month_end >= date_trunc('year', (select rs.month_end from restart as rs))
    group by 1, 2, 3, 4, 6
),

distinct_amounts as (
    select
        indicator_code,
        region_level,
        region_code,
        month_end,
        cast(count(*) as decimal(38, 8)) as amount
    from distinct_firsts
    where month_end >= (select r.month_end from restart as r)
    group by 1, 2, 3, 4
),

-- A partition run reads only the intervals that start or end between the restart and the
-- as-of date, the spine's last month end (the running sums before it are kept); a restart
-- at the spine's first month end reads every interval, whose earlier starts count there.
stock_intervals as (
    {%- if is_incremental() %}
        {{ stock_intervals(
            changed_from="(select case when r.month_end > s.first_month_end"
                ~ " then cast(date_trunc('month', r.month_end) as date) else date '1900-01-01' end"
                ~ " from restart as r cross join spine_start as s)",
            counted_until="(select c.as_of_date from context as c)"
        ) }}
    {%- else %}
        {{ stock_intervals() }}
    {%- endif %}
),

-- +1 at the month end of each interval's start, -1 at that of its end (in one pass over
-- the intervals), summed per recorded region before the roll-up so the join sees thousands
-- of rows, not millions.
stock_deltas as (
    select
        indicator_code,
        region_code,
        greatest(
            unnest([
                cast({{ dbt.last_day('interval_start', 'month') }} as date),
                cast({{ dbt.last_day('interval_end', 'month') }} as date)
            ]),
            (select s.first_month_end from spine_start as s)
        ) as month_end,
        unnest([cast(1 as decimal(38, 8)), cast(-1 as decimal(38, 8))]) as amount
    from stock_intervals
),

stock_deltas_by_code as (
    select
        indicator_code,
        region_code,
        month_end,
        sum(amount) as amount
    from stock_deltas
    where month_end >= (select r.month_end from restart as r)
    group by 1, 2, 3
),

stock_amounts as (
    select
        d.indicator_code,
        r.region_level,
        r.report_code as region_code,
        d.month_end,
        sum(d.amount) as amount
    from stock_deltas_by_code as d
    inner join rollup as r on d.region_code = r.region_code
    group by 1, 2, 3, 4
),

amounts as (
    select * from flow_amounts
    union all
    select * from distinct_amounts
    union all
    select * from stock_amounts
    {%- if is_incremental() %}
        union all
        -- The running sums so far: the kept value at the month end before the restart,
        -- added at the restart (a flow's only within the year it cumulates over).
        select
            t.indicator_code,
            t.region_level,
            t.region_code,
            r.month_end,
            t.value
        from {{ this }} as t
        cross join restart as r
        where
            t.month_end = cast({{ dbt.last_day('r.month_end - interval 1 month', 'month') }} as date)
            and (t.indicator_kind = 'stock' or extract(month from r.month_end) > 1)
    {%- endif %}
),

amounts_by_month_end as (
    select
        indicator_code,
        region_level,
        region_code,
        month_end,
        sum(amount) as amount
    from amounts
    group by 1, 2, 3, 4
),

indicators as (
    select * from (
        values
        ('grants_total', 'flow'), ('grants_invention', 'flow'),
        ('grants_utility_model', 'flow'), ('grants_design', 'flow'),
        ('invention_in_force', 'stock'), ('high_value_in_force', 'stock'),
        ('hv_sei', 'stock'), ('hv_overseas_family', 'stock'), ('hv_maintained_10y', 'stock'),
        ('hv_pledge', 'stock'), ('hv_award', 'stock'),
        ('pct_applications', 'flow'), ('transfers', 'flow'), ('licenses', 'flow'),
        ('transfer_license_total', 'flow'), ('univ_to_sme_transfer_license', 'flow'),
        ('pledge_amount_100m_cny', 'flow'), ('pledge_count', 'flow'),
        ('pledged_patents', 'flow'), ('inclusive_pledge_enterprises', 'flow')
    ) as t (indicator_code, indicator_kind)  -- noqa: AL05
),

spine as (
    select
        i.indicator_code,
        i.indicator_kind,
        g.region_level,
        g.region_code,
        m.month_end
    from indicators as i
    cross join {{ ref('int_reporting_regions') }} as g
    cross join month_ends as m
),

joined as (
    select
        s.*,
        coalesce(a.amount, cast(0 as decimal(38, 8))) as amount
    from spine as s
    left join amounts_by_month_end as a
        on
            s.indicator_code = a.indicator_code
            and s.region_level = a.region_level
            and s.region_code = a.region_code
            and s.month_end = a.month_end
),

-- Flows cumulate within the year, stocks over all time: one window whose partition
-- carries the year for flows only (a CASE over two windows computed both for every row).
final as (
    select
        indicator_code,
        indicator_kind,
        region_level,
        region_code,
        month_end,
        cast(extract(year from month_end) as integer) as year,
        cast(extract(month from month_end) as integer) as month,
        sum(amount) over (
            partition by
                indicator_code,
                region_level,
                region_code,
                case when indicator_kind = 'flow' then extract(year from month_end) end
            order by month_end
            rows between unbounded preceding and current row
        ) as value,
        '{{ var("settings_hash") }}' as settings_hash
    from joined
)

select * from final
