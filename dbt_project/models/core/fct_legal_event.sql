{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_window('event_date') }}",
        on_schema_change='fail'
    )
}}

-- Events whose patent has no grant are orphans: kept in raw, listed in
-- raw.legal_events_quarantine by the loader, re-checked on every load, not counted here.
with events as (
    select * from {{ ref('stg_raw__legal_events') }}
),

final as (
    select
        e.event_id,
        {{ surrogate_key('e.application_number') }} as patent_key,
        e.application_number,
        e.event_date,
        e.event_type,
        e.event_type in ('lapse_nonpayment', 'invalidated', 'abandoned') as is_termination
    from events as e
    where
        e.application_number in (select g.application_number from {{ ref('stg_raw__grants') }} as g)
        and {{ in_window('e.event_date') }}
)

select * from final
