{#- The frame every indicator shares: the last day with data (the end of the month of the
    newest event in any feed), the first year (of the oldest event of any flow feed, so a PCT
    filing or a pledge older than every grant still counts in its own year), the settings and
    the data vintage. -#}
with event_dates as (
    select
        max(grant_date) as last_date,
        min(grant_date) as first_date
    from {{ ref('fct_grant') }}
    union all
    select
        max(event_date),
        null
    from {{ ref('fct_legal_event') }}
    union all
    select
        max(registration_date),
        min(registration_date)
    from {{ ref('fct_transfer') }}
    union all
    select
        max(registration_date),
        min(registration_date)
    from {{ ref('fct_pledge') }}
    union all
    select
        max(filing_date),
        min(filing_date)
    from {{ ref('fct_pct_application') }}
),

loads as (
    select max(_loaded_at) as loaded_at from {{ source('raw', 'grants') }}
    union all
    select max(_loaded_at) from {{ source('raw', 'legal_events') }}
    union all
    select max(_loaded_at) from {{ source('raw', 'transfers') }}
    union all
    select max(_loaded_at) from {{ source('raw', 'pledges') }}
    union all
    select max(_loaded_at) from {{ source('raw', 'pct') }}
),

final as (
    select
        cast({{ dbt.last_day('max(e.last_date)', 'month') }} as date) as as_of_date,
        cast(extract(year from min(e.first_date)) as integer) as first_year,
        '{{ var("settings_hash") }}' as settings_hash,
        (select max(l.loaded_at) from loads as l) as data_vintage
    from event_dates as e
)

select * from final
