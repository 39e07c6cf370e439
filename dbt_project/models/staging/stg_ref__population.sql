select
    region_code,
    year,
    max(resident_population) as resident_population
from {{ source('raw', 'population') }}
where resident_population is not null
group by region_code, year
