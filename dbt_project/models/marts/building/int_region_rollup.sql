{#- Each region code mapped to the reporting region it counts for at each level: a
    county-level code counts for its county, prefecture and province; a record resolved only
    to a prefecture counts for the prefecture and the province, never for a county. A
    retired code counts where its current code does: a full build writes current codes into
    the facts, but facts a partition run keeps still carry the code of their build. -#}
with regions as (
    select * from {{ ref('dim_region') }}
    where region_code <> '-1'
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
