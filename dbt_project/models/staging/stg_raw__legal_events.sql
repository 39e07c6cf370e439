with latest as (
    {{ latest_version(source('raw', 'legal_events'), 'event_id', 'legal_events') }}
),

final as (
    select
        event_id,
        application_number,
        event_date,
        event_type,
        _loaded_at
    from latest
)

select * from final
