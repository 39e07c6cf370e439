{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_window('filing_date') }}",
        on_schema_change='fail'
    )
}}

with pct as (
    select * from {{ ref('stg_raw__pct') }}
),

regions as (
    select
        region_code,
        current_code
    from {{ ref('dim_region') }}
),

final as (
    select
        p.pct_application_number,
        p.filing_date,
        p.receiving_office,
        coalesce({{ surrogate_key('p.applicant_name_normalised') }}, -1) as applicant_entity_key,
        p.applicant_type,
        p.applicant_country,
        p.is_domestic,
        coalesce(r.current_code, '-1') as applicant_region_code,
        p.ipc_main
    from pct as p
    left join regions as r on p.applicant_region_code = r.region_code
    where {{ in_window('p.filing_date') }}
)

select * from final
