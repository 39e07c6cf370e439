{#- A user's reported file replaces the defaults (the seeded Hubei 2021 figures), as every
    reference file replaces its default. -#}
with supplied as (
    select
        region_code,
        indicator_code,
        period_end,
        value,
        source
    from {{ source('raw', 'reported') }}
),

defaults as (
    select
        cast(region_code as varchar) as region_code,
        indicator_code,
        cast(period_end as date) as period_end,
        cast(value as double) as value,
        source
    from {{ ref('default_reported') }}
    where not exists (select 1 from supplied)
),

-- One figure per region, indicator and period end (a file listing one twice: the first by
-- source, then value, so a rerun picks the same).
final as (
    select * from (
        select * from supplied
        union all
        select * from defaults
    ) as reported
    qualify row_number() over (
        partition by region_code, indicator_code, period_end order by source, value
    ) = 1
)

select * from final
