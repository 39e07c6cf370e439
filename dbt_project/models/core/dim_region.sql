with resolved as (
    select * from {{ ref('int_regions_resolved') }}
),

unknown_member as (
    select
        '-1' as region_code,
        '未知' as region_name,
        'unknown' as region_level,
        cast(null as varchar) as parent_code,
        cast(null as date) as valid_from,
        cast(null as date) as valid_to,
        true as is_current,
        '-1' as current_code,
        cast(null as varchar) as county_code,
        cast(null as varchar) as prefecture_code,
        cast(null as varchar) as province_code,
        false as reports_as_prefecture
),

final as (
    select * from resolved
    union all
    select * from unknown_member
)

select
    region_code,
    region_name,
    region_level,
    parent_code,
    valid_from,
    valid_to,
    is_current,
    coalesce(current_code, '-1') as current_code,
    county_code,
    prefecture_code,
    province_code,
    reports_as_prefecture
from final
