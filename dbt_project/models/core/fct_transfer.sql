{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_window('registration_date') }}",
        on_schema_change='fail'
    )
}}

with transfers as (
    select * from {{ ref('stg_raw__transfers') }}
),

regions as (
    select
        region_code,
        current_code
    from {{ ref('dim_region') }}
),

-- The window's patents that have a grant: the grants are probed with the window's
-- transfers (hashing every granted application number took seconds in a month run).
granted as (
    select distinct g.application_number
    from {{ ref('stg_raw__grants') }} as g
    where
        g.application_number in (
            select t.application_number
            from transfers as t
            where {{ in_window('t.registration_date') }}
        )
),

entities as (
    select
        name_normalised,
        is_sme
    from {{ ref('stg_ref__entities') }}
),

final as (
    select
        t.record_id,
        {{ surrogate_key('t.application_number') }} as patent_key,
        t.application_number,
        t.kind,
        t.license_type,
        t.registration_date,
        coalesce({{ surrogate_key('t.from_name_normalised') }}, -1) as from_entity_key,
        t.from_type,
        coalesce(fr.current_code, '-1') as from_region_code,
        coalesce({{ surrogate_key('t.to_name_normalised') }}, -1) as to_entity_key,
        t.to_type,
        coalesce(tr.current_code, '-1') as to_region_code,
        coalesce(t.to_is_sme, e.is_sme, false) as to_is_sme,
        gr.application_number is not null as has_grant
    from transfers as t
    left join regions as fr on t.from_region_code = fr.region_code
    left join regions as tr on t.to_region_code = tr.region_code
    left join entities as e on t.to_name_normalised = e.name_normalised
    left join granted as gr on t.application_number = gr.application_number
    where {{ in_window('t.registration_date') }}
)

select * from final
