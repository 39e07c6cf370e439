{#- A user's targets file replaces the defaults from the policy documents (the seed). -#}
with supplied as (
    select * from {{ source('raw', 'targets') }}
),

defaults as (
    select
        cast(region_code as varchar) as region_code,
        indicator_code,
        cast(year_from as integer) as year_from,
        cast(year as integer) as year,
        cast(target_value as double) as target_value,
        comparator,
        source
    from {{ ref('default_targets') }}
    where not exists (select 1 from supplied)
),

final as (
    select
        region_code,
        indicator_code,
        year_from,
        year,
        target_value,
        comparator,
        source
    from supplied
    union all
    select
        region_code,
        indicator_code,
        year_from,
        year,
        target_value,
        comparator,
        source
    from defaults
)

select * from final
