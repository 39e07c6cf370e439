{#- The counted flow events of each indicator, at the region they are
    attributed to (first patentee at grant, assignor/licensor, pledgor, first applicant).
    Indicators counted as distinct things carry the thing in distinct_key. Amounts are
    decimals so sums are exact whatever order they are added in. A partition run recomputes
    the months from its window on (macros/marts_restart.sql). -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook=[
            {"sql": "{{ save_restart('month_end') }}", "transaction": false},
            "{{ delete_from_restart('month_end') }}"
        ],
        on_schema_change='append_new_columns'
    )
}}
{%- set receiving_office_filter =
    "receiving_office = 'CN'" if var('pct_basis') == 'receiving_office_cn' else "true" %}
with grants as (
    select * from {{ ref('fct_grant') }}
    where is_domestic
),

transfers as (
    select * from {{ ref('fct_transfer') }}
),

pledges as (
    select * from {{ ref('fct_pledge') }}
),

pct as (
    select *
    from {{ ref('fct_pct_application') }}
    where
        is_domestic
        and {{ receiving_office_filter }}
),

events as (
    select
        'grants_total' as indicator_code,
        region_code,
        grant_date as event_date,
        cast(1 as decimal(38, 8)) as amount,
        cast(null as varchar) as distinct_key
    from grants
    union all
    select
        'grants_' || patent_type,
        region_code,
        grant_date,
        1.0,
        null
    from grants
    union all
    select
        'pct_applications',
        applicant_region_code,
        filing_date,
        1.0,
        null
    from pct
    union all
    select
        case kind when 'assignment' then 'transfers' else 'licenses' end,
        from_region_code,
        registration_date,
        1.0,
        null
    from transfers
    union all
    select
        'transfer_license_total',
        from_region_code,
        registration_date,
        1.0,
        null
    from transfers
    union all
    select
        'univ_to_sme_transfer_license',
        from_region_code,
        registration_date,
        1.0,
        null
    from transfers
    where from_type in ('university', 'research_institute') and to_is_sme
    union all
    select
        'pledge_amount_100m_cny',
        pledgor_region_code,
        registration_date,
        cast(amount_10k_cny * 0.0001 as decimal(38, 8)),
        null
    from pledges
    union all
    select
        'pledge_count',
        pledgor_region_code,
        registration_date,
        1.0,
        null
    from pledges
    union all
    select
        'pledged_patents',
        p.pledgor_region_code,
        p.registration_date,
        1.0,
        b.application_number
    from pledges as p
    inner join {{ ref('bridge_pledge_patent') }} as b on p.pledge_id = b.pledge_id
    union all
    select
        'inclusive_pledge_enterprises',
        pledgor_region_code,
        registration_date,
        1.0,
        cast(pledgor_entity_key as varchar)
    from pledges
    where
        pledgor_type = 'enterprise'
        and pledgor_entity_key <> -1
        and amount_10k_cny < {{ var('inclusive_pledge_threshold_10k_cny') }}
),

-- Summed per month at the recorded region: the marts only read month ends, and one row
-- per event and indicator was tens of millions of rows at national scale.
final as (
    select
        indicator_code,
        region_code,
        cast({{ dbt.last_day('event_date', 'month') }} as date) as month_end,
        distinct_key,
        sum(amount) as amount,
        '{{ var("settings_hash") }}' as settings_hash
    from events
    where
        region_code <> '-1'
        and event_date >= date_trunc('month', {{ restart_month_end() }})
    group by all
)

select * from final
