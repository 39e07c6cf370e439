{#- indicator_values for calendar years, wide: one row per region (and level) and year, then
    the settings and data vintage every mart row carries. -#}
with yearly as (
    select * from {{ ref('indicator_values') }}
    where period_type = 'year'
),

final as (
    select
        region_code,
        region_name,
        region_level,
        parent_code,
        year,
        {%- for code in indicator_codes() %}
            max(case when indicator_code = '{{ code }}' then value end) as {{ code }},
        {%- endfor %}
        {{ run_stamp() }}
    from yearly
    group by region_code, region_name, region_level, parent_code, year
)

select * from final
