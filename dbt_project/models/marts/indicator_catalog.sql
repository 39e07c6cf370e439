{#- The indicator codes with their Chinese names, kind and unit, served beside the values,
    with the settings and data vintage every mart row carries. -#}
with definitions as (
    select * from {{ ref('indicator_definitions') }}
),

final as (
    select
        indicator_code,
        name_zh,
        kind,
        unit,
        {{ run_stamp() }}
    from definitions
)

select * from final
