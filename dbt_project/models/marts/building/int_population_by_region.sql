{#- Population of each reporting region and year: its own row in `population`, else the
    sum of its counties' rows. Old codes count under their current code. -#}
with population as (
    select
        coalesce(r.current_code, p.region_code) as region_code,
        p.year,
        sum(p.resident_population) as resident_population
    from {{ ref('stg_ref__population') }} as p
    left join {{ ref('dim_region') }} as r on p.region_code = r.region_code
    group by 1, 2
),

population_years as (
    select distinct year from population
),

county_population as (
    select p.*
    from population as p
    inner join {{ ref('dim_region') }} as r on p.region_code = r.region_code
    where r.region_level = 'county'
),

summed as (
    select
        u.region_level,
        u.report_code as region_code,
        c.year,
        sum(c.resident_population) as resident_population
    from county_population as c
    inner join {{ ref('int_region_rollup') }} as u on c.region_code = u.region_code
    group by 1, 2, 3
),

final as (
    select
        g.region_level,
        g.region_code,
        y.year,
        coalesce(direct.resident_population, summed.resident_population) as resident_population
    from {{ ref('int_reporting_regions') }} as g
    cross join population_years as y
    left join population as direct
        on g.region_code = direct.region_code and y.year = direct.year
    left join summed
        on
            g.region_level = summed.region_level
            and g.region_code = summed.region_code
            and y.year = summed.year
)

select * from final
where resident_population is not null
