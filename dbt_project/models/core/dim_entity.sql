{#- One row per normalised holder name seen in any feed, enriched from `entities`.
    Each spelling is counted first and normalised once, not once a record: normalising
    every record's name was half of this model's time. -#}
with seen as (
    select
        patentee_name as name,
        patentee_type as entity_type
    from {{ ref('stg_raw__grants') }}
    union all
    select
        from_name,
        from_type
    from {{ ref('stg_raw__transfers') }}
    union all
    select
        to_name,
        to_type
    from {{ ref('stg_raw__transfers') }}
    union all
    select
        pledgor_name,
        pledgor_type
    from {{ ref('stg_raw__pledges') }}
    union all
    select
        applicant_name,
        applicant_type
    from {{ ref('stg_raw__pct') }}
),

spelling_counts as (
    select
        name,
        entity_type,
        count(*) as records
    from seen
    where name is not null
    group by name, entity_type
),

spellings as (
    select
        {{ normalise_name('name') }} as name_normalised,
        name,
        entity_type,
        records
    from spelling_counts
),

observed_names as (
    select
        name_normalised,
        min(name) as display_name
    from spellings
    where name_normalised is not null
    group by name_normalised
),

type_counts as (
    select
        name_normalised,
        entity_type,
        sum(records) as records
    from spellings
    -- `other` is what staging gives a record without a type: it never outvotes a known one
    where name_normalised is not null and entity_type is not null and entity_type <> 'other'
    group by name_normalised, entity_type
),

-- The known type a name's records carry most often; a tie goes to the type last in
-- alphabetical order, so a rebuild never flips it.
observed_types as (
    select
        name_normalised,
        arg_max(entity_type, (records, entity_type)) as observed_type
    from type_counts
    group by name_normalised
),

observed as (
    select
        n.name_normalised,
        n.display_name,
        t.observed_type
    from observed_names as n
    left join observed_types as t on n.name_normalised = t.name_normalised
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
