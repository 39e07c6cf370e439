{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_window('grant_date') }}",
        on_schema_change='fail'
    )
}}

with grants as (
    select * from {{ ref('stg_raw__grants') }}
),

regions as (
    select
        region_code,
        current_code
    from {{ ref('dim_region') }}
),

final as (
    select
        {{ surrogate_key('g.application_number') }} as grant_key,
        {{ surrogate_key('g.application_number') }} as patent_key,
        g.application_number,
        g.patent_type,
        g.filing_date,
        g.grant_date,
        coalesce({{ surrogate_key('g.patentee_name_normalised') }}, -1) as patentee_entity_key,
        g.patentee_type,
        g.patentee_country,
        g.is_domestic,
        coalesce(r.current_code, '-1') as region_code,
        g.patentee_region_code as region_code_as_recorded,
        g.patentee_region_match as region_match
    from grants as g
    left join regions as r on g.patentee_region_code = r.region_code
    where {{ in_window('g.grant_date') }}
)

select * from final
