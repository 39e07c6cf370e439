{#- Every count-type indicator for every reporting region at every month end from January
    of the first year to the as-of date: flows cumulated from January (year to date), stocks
    as the running sum of +1/-1 interval boundaries. An interval [start, end) contains the
    month end D exactly when month_end(start) <= D < month_end(end). Regions with no events
    get zeros. -#}
with context as (
    select * from {{ ref('int_run_context') }}
),

month_ends as (
    select cast({{ dbt.last_day('m.generate_series', 'month') }} as date) as month_end
    from context,
        generate_series(
            cast(make_date(context.first_year, 1, 1) as timestamp),
            cast(context.as_of_date as timestamp),
            interval 1 month
        ) as m
),

spine_start as (
    select min(month_end) as first_month_end from month_ends
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
    where distinct_key is null
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

-- Distinct counts per year: a thing counts from the first month it appears that year.
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
    where e.distinct_key is not null
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
    group by 1, 2, 3, 4
),

-- +1 at the month end of each interval's start, -1 at that of its end, summed per
-- recorded region before the roll-up so the join sees thousands of rows, not millions.
stock_deltas_by_code as (
    select
        indicator_code,
        region_code,
        month_end,
        sum(amount) as amount
    from (
        select
            indicator_code,
            region_code,
            greatest(
                cast({{ dbt.last_day('interval_start', 'month') }} as date),
                (select first_month_end from spine_start)
            ) as month_end,
            cast(1 as decimal(38, 8)) as amount
        from {{ ref('int_stock_intervals') }}
        union all
        select
            indicator_code,
            region_code,
            greatest(
                cast({{ dbt.last_day('interval_end', 'month') }} as date),
                (select first_month_end from spine_start)
            ),
            cast(-1 as decimal(38, 8))
        from {{ ref('int_stock_intervals') }}
    ) as deltas
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
    select
        *,
        'flow' as indicator_kind
    from flow_amounts
    union all
    select
        *,
        'flow'
    from distinct_amounts
    union all
    select
        *,
        'stock'
    from stock_amounts
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
    left join amounts as a
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
        ) as value
    from joined
)

select * from final
