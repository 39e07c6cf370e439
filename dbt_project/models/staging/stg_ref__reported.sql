{#- Published figures: the seeded Hubei 2021 ones plus the user's; the user's win. -#}
with supplied as (
    select
        region_code,
        indicator_code,
        period_end,
        value,
        source,
        1 as priority
    from {{ source('raw', 'reported') }}
),

defaults as (
    select
        cast(region_code as varchar) as region_code,
        indicator_code,
        cast(period_end as date) as period_end,
        cast(value as double) as value,
        source,
        2 as priority
    from {{ ref('default_reported') }}
),

final as (
    select
        region_code,
        indicator_code,
        period_end,
        value,
        source
    from (
        select * from supplied
        union all
        select * from defaults
    ) as reported
    qualify row_number() over (
        partition by region_code, indicator_code, period_end order by priority
    ) = 1
)

select * from final
