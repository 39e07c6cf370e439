{#- Spans of constant holder and status for every granted invention patent, from its grant
    to its expiry (20 years from filing): a new span starts at each assignment registered
    and each legal event. Stocks on any day D are "valid_from <= D < valid_to and in force".
    Same-day changes apply in the order grant, assignment, termination, restoration, so a
    restoration dated the same day as a lapse restores the patent. Only inventions: no stock
    indicator counts another type. A run with a partition window rebuilds the patents whose
    history changed in it (macros/window_patents.sql). -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook=[
            {"sql": "{{ collect_window_patents() }}", "transaction": false},
            "{{ delete_window_patents() }}"
        ],
        on_schema_change='fail'
    )
}}

with patents as (
    select
        application_number,
        patent_key,
        grant_date,
        expiry_date
    from {{ ref('dim_patent') }}
    where patent_type = 'invention' and {{ in_window_patents('application_number') }}
),

-- Only the patents rebuilt: unfiltered, every grant was read and held (26 M at scale 10).
grants as (
    select
        g.application_number,
        g.patentee_entity_key,
        case when g.is_domestic then g.region_code else '-1' end as region_code
    from {{ ref('fct_grant') }} as g
    where {{ in_window_patents('g.application_number') }}
),

changes as (
    select
        p.application_number,
        p.grant_date as change_date,
        0 as change_order,
        p.application_number as change_id,
        g.patentee_entity_key as holder_entity_key,
        g.region_code as holder_region_code,
        false as is_termination,
        false as is_restoration
    from patents as p
    inner join grants as g on p.application_number = g.application_number
    union all
    select
        t.application_number,
        greatest(t.registration_date, p.grant_date),
        1,
        t.record_id,
        t.to_entity_key,
        t.to_region_code,
        false,
        false
    from {{ ref('fct_transfer') }} as t
    inner join patents as p on t.application_number = p.application_number
    where t.kind = 'assignment'
    union all
    select
        e.application_number,
        greatest(e.event_date, p.grant_date),
        case when e.is_termination then 2 else 3 end,
        e.event_id,
        null,
        null,
        e.is_termination,
        e.event_type = 'restored'
    from {{ ref('fct_legal_event') }} as e
    inner join patents as p on e.application_number = p.application_number
),

-- One pass over each patent's history in date order: the holder and status after every
-- change, and the date of the next change. The last change of a day holds the state at
-- the end of that day, and the next change's date is where its span ends.
running as (
    select
        application_number,
        change_date,
        last_value(holder_entity_key ignore nulls) over history as holder_entity_key,
        last_value(holder_region_code ignore nulls) over history as holder_region_code,
        max(case when is_termination then change_date end) over history as last_termination,
        max(case when is_restoration then change_date end) over history as last_restoration,
        lead(change_date) over history as next_change_date
    from changes
    window history as (
        partition by application_number
        order by change_date, change_order, change_id
        rows between unbounded preceding and current row
    )
),

spans as (
    select
        r.application_number,
        r.change_date as valid_from,
        least(coalesce(r.next_change_date, p.expiry_date), p.expiry_date) as valid_to,
        r.holder_entity_key,
        r.holder_region_code,
        r.last_termination is null
        or coalesce(r.last_restoration >= r.last_termination, false) as is_in_force
    from running as r
    inner join patents as p on r.application_number = p.application_number
    where r.next_change_date is null or r.next_change_date > r.change_date
),

final as (
    select
        {{ surrogate_key("s.application_number || '|' || cast(s.valid_from as varchar)") }} as holding_key,
        {{ surrogate_key('s.application_number') }} as patent_key,
        s.application_number,
        s.valid_from,
        s.valid_to,
        coalesce(s.holder_entity_key, -1) as holder_entity_key,
        coalesce(s.holder_region_code, '-1') as holder_region_code,
        coalesce(g.region_code, '-1') as grant_region_code,
        s.is_in_force
    from spans as s
    inner join grants as g on s.application_number = g.application_number
    where s.valid_from < s.valid_to
)

select * from final
