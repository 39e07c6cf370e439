{#- The regions indicators are reported for, at each level, with the parent they rank
    within: every current region of every province that appears in the data. Province-
    administered county-level cities (仙桃, 神农架 …) are reported both as counties and at
    prefecture level, where their parent is the province; as counties their parent is the
    prefecture-level row of themselves. -#}
with regions as (
    select * from {{ ref('dim_region') }}
    where is_current and region_code <> '-1'
),

fact_regions as (
    select region_code from {{ ref('fct_grant') }}
    union
    select from_region_code from {{ ref('fct_transfer') }}
    union
    select pledgor_region_code from {{ ref('fct_pledge') }}
    union
    select applicant_region_code from {{ ref('fct_pct_application') }}
    union
    select holder_region_code from {{ ref('fct_patent_holding') }}
),

provinces_in_scope as (
    select distinct r.province_code
    from fact_regions as f
    inner join regions as r on f.region_code = r.region_code
    where r.province_code is not null
),

levels as (
    select
        region_code,
        region_name,
        'province' as region_level,
        cast(null as varchar) as parent_code,
        province_code
    from regions
    where region_level = 'province'
    union all
    select
        region_code,
        region_name,
        'prefecture',
        province_code as parent_code,
        province_code
    from regions
    where region_level = 'prefecture' or reports_as_prefecture
    union all
    select
        region_code,
        region_name,
        'county',
        prefecture_code,
        province_code
    from regions
    where region_level = 'county'
)

select l.*
from levels as l
where l.province_code in (select p.province_code from provinces_in_scope as p)
