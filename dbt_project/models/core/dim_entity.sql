{#- One row per normalised holder name seen in any feed, enriched from `entities`. -#}
with seen as (
    select
        patentee_name_normalised as name_normalised,
        patentee_name as name,
        patentee_type as entity_type
    from {{ ref('stg_raw__grants') }}
    union all
    select
        from_name_normalised,
        from_name,
        from_type
    from {{ ref('stg_raw__transfers') }}
    union all
    select
        to_name_normalised,
        to_name,
        to_type
    from {{ ref('stg_raw__transfers') }}
    union all
    select
        pledgor_name_normalised,
        pledgor_name,
        pledgor_type
    from {{ ref('stg_raw__pledges') }}
    union all
    select
        applicant_name_normalised,
        applicant_name,
        applicant_type
    from {{ ref('stg_raw__pct') }}
),

observed as (
    select
        name_normalised,
        min(name) as display_name,
        mode(entity_type) as observed_type
    from seen
    where name_normalised is not null
    group by name_normalised
),

final as (
    select
        {{ surrogate_key('o.name_normalised') }} as entity_key,
        o.name_normalised,
        o.display_name,
        coalesce(e.entity_type, o.observed_type, 'other') as entity_type,
        coalesce(e.is_sme, false) as is_sme,
        coalesce(e.is_high_tech, false) as is_high_tech,
        e.region_code as registered_region_code
    from observed as o
    left join {{ ref('stg_ref__entities') }} as e on o.name_normalised = e.name_normalised
    union all
    select
        -1,
        '',
        '未知',
        'other',
        false,
        false,
        cast(null as varchar)
)

select * from final
