{#- Each current region code mapped to the reporting region it counts for at each level: a
    county-level code counts for its county, prefecture and province; a record resolved only
    to a prefecture counts for the prefecture and the province, never for a county. -#}
with regions as (
    select * from {{ ref('dim_region') }}
    where is_current and region_code <> '-1'
)

select
    region_code,
    'county' as region_level,
    county_code as report_code
from regions
where county_code is not null
union all
select
    region_code,
    'prefecture',
    prefecture_code
from regions
where prefecture_code is not null
union all
select
    region_code,
    'province',
    province_code
from regions
where province_code is not null
