{#- Every region code ever issued, resolved to the current code it is counted under, and
    that current code's reporting hierarchy (county -> prefecture -> province). -#}
with regions as (
    select * from {{ ref('stg_ref__regions') }}
),

current_regions as (
    select * from regions
    where valid_to is null
),

old_regions as (
    select *
    from regions
    where
        valid_to is not null
        and region_code not in (select c.region_code from current_regions as c)
    qualify row_number() over (partition by region_code order by valid_to desc) = 1
),

name_stems as (
    select
        region_code,
        parent_code,
        regexp_replace(region_name, '(自治县|自治旗|县|市|区|旗|林区)$', '') as stem
    from current_regions
),

old_resolved as (
    select
        o.*,
        coalesce(
            case
                when o.successor_code in (select c.region_code from current_regions as c)
                    then o.successor_code
            end,
            (
                select min(s.region_code)
                from name_stems as s
                where
                    s.parent_code = o.parent_code
                    and s.stem = regexp_replace(o.region_name, '(自治县|自治旗|县|市|区|旗|林区)$', '')
            )
        ) as current_code
    from old_regions as o
),

hierarchy as (
    select
        c.region_code,
        case when c.region_level = 'county' then c.region_code end as county_code,
        case
            when c.region_level = 'prefecture' then c.region_code
            when c.region_level = 'county' and p.region_level = 'province' then c.region_code
            when c.region_level = 'county' then c.parent_code
        end as prefecture_code,
        case
            when c.region_level = 'province' then c.region_code
            when c.region_level = 'prefecture' then c.parent_code
            when c.region_level = 'county' and p.region_level = 'province' then c.parent_code
            when c.region_level = 'county' then p.parent_code
        end as province_code,
        c.region_level = 'county' and p.region_level = 'province' as reports_as_prefecture
    from current_regions as c
    left join current_regions as p on c.parent_code = p.region_code
),

all_codes as (
    select
        region_code,
        region_name,
        region_level,
        parent_code,
        valid_from,
        valid_to,
        true as is_current,
        region_code as current_code
    from current_regions
    union all
    select
        region_code,
        region_name,
        region_level,
        parent_code,
        valid_from,
        valid_to,
        false as is_current,
        current_code
    from old_resolved
),

final as (
    select
        a.region_code,
        a.region_name,
        a.region_level,
        a.parent_code,
        a.valid_from,
        a.valid_to,
        a.is_current,
        a.current_code,
        h.county_code,
        h.prefecture_code,
        h.province_code,
        coalesce(h.reports_as_prefecture, false) as reports_as_prefecture
    from all_codes as a
    left join hierarchy as h on a.current_code = h.region_code
)

select * from final
