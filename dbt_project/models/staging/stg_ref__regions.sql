with source as (
    select * from {{ source('raw', 'regions') }}
),

final as (
    select distinct
        region_code,
        name as region_name,
        level as region_level,
        nullif(parent_code, '') as parent_code,
        valid_from,
        valid_to,
        nullif(successor_code, '') as successor_code
    from source
    where region_code is not null
)

select * from final
