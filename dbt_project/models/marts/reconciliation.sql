{#- Computed indicators beside the officially published figures (`reported`), matched on
    region, indicator and period end (a year-end figure against the year period, any other
    date against the year-to-date period ending then). -#}
with reported as (
    select * from {{ ref('stg_ref__reported') }}
),

-- Only the reported cells are ranked (the window over every value took seconds).
computed as (
    select *
    from {{ ref('indicator_values') }} as v
    where
        exists (
            select 1
            from reported as r
            where
                v.region_code = r.region_code
                and v.indicator_code = r.indicator_code
                and v.period_end = r.period_end
        )
    qualify row_number() over (
        partition by region_code, indicator_code, period_end
        order by
            (period_type = 'year') desc,
            case region_level when 'province' then 1 when 'prefecture' then 2 else 3 end
    ) = 1
),

final as (
    select
        r.region_code,
        c.region_name,
        c.region_level,
        r.indicator_code,
        coalesce(c.period_type, case
            when month(r.period_end) = 12 and day(r.period_end) = 31
                then 'year'
            else 'ytd'
        end) as period_type,
        r.period_end,
        c.value as computed_value,
        r.value as reported_value,
        cast(case when r.value <> 0 then (c.value - r.value) / r.value * 100.0 end as double)
            as diff_pct,
        r.source,
        {{ run_stamp() }}
    from reported as r
    left join computed as c
        on
            r.region_code = c.region_code
            and r.indicator_code = c.indicator_code
            and r.period_end = c.period_end
)

select * from final
