with days as (
    select cast(d.generate_series as date) as date_day
    from generate_series(date '2000-01-01', date '2040-12-31', interval 1 day) as d
),

final as (
    select
        date_day,
        cast(extract(year from date_day) as integer) as year,
        cast(extract(quarter from date_day) as integer) as quarter,
        cast(extract(month from date_day) as integer) as month,
        cast({{ dbt.last_day('date_day', 'month') }} as date) as month_end,
        cast(make_date(cast(extract(year from date_day) as integer), 12, 31) as date) as year_end,
        date_day = cast({{ dbt.last_day('date_day', 'month') }} as date) as is_month_end
    from days
)

select * from final
