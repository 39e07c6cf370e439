{#- The indicator codes with their Chinese names, kind and unit, served beside the values,
    with the settings and data vintage every mart row carries. -#}
with definitions as (
    select * from {{ ref('indicator_definitions') }}
),

context as (
    select * from {{ ref('int_run_context') }}
),

final as (
    select
        d.indicator_code,
        d.name_zh,
        d.kind,
        d.unit,
        c.settings_hash,
        c.data_vintage
    from definitions as d
    cross join context as c
)

select * from final
