{#- For each stock indicator, the intervals [interval_start, interval_end) during which an
    invention patent counts for it at a region: its in-force holding spans, from the day it
    meets the criterion. Attribution picks the region of the span's holder (current_holder)
    or of the patentee at grant (holder_at_grant). A view: its one reader sums it by month
    end in a single pass, and writing its tens of millions of rows cost as much as that. -#}
{{ config(materialized='view') }}

with holdings as (
    select
        patent_key,
        valid_from,
        valid_to,
        {% if var('attribution') == 'holder_at_grant' %}
            grant_region_code
        {% else %}
            holder_region_code
        {% endif %} as region_code
    from {{ ref('fct_patent_holding') }}
    where is_in_force
),

qualifying_pledges as (
    select
        b.patent_key,
        min(p.registration_date) as first_pledge_date
    from {{ ref('fct_pledge') }} as p
    inner join {{ ref('bridge_pledge_patent') }} as b on p.pledge_id = b.pledge_id
    where p.amount_10k_cny >= {{ var('high_value_pledge_threshold_10k_cny') }}
    group by b.patent_key
),

criteria as (
    select
        d.patent_key,
        case when d.is_sei then date '1900-01-01' end as hv_sei,
        case when d.overseas_family_grants > 0 then date '1900-01-01' end as hv_overseas_family,
        -- "snapshot day > filing_date + 10 years": from the day after the 10th anniversary
        cast(
            {{ dbt.dateadd('day', 1, dbt.dateadd('year', 10, 'd.filing_date')) }} as date
        ) as hv_maintained_10y,
        q.first_pledge_date as hv_pledge,
        case
            when d.first_award_year is not null
                then make_date(d.first_award_year, 1, 1)
        end as hv_award
    from {{ ref('dim_patent') }} as d
    left join qualifying_pledges as q on d.patent_key = q.patent_key
    where d.patent_type = 'invention'
),

starts as (
    select
        patent_key,
        'invention_in_force' as indicator_code,
        date '1900-01-01' as criterion_start
    from criteria
    union all
    select
        patent_key,
        'hv_sei',
        hv_sei
    from criteria
    union all
    select
        patent_key,
        'hv_overseas_family',
        hv_overseas_family
    from criteria
    union all
    select
        patent_key,
        'hv_maintained_10y',
        hv_maintained_10y
    from criteria
    union all
    select
        patent_key,
        'hv_pledge',
        hv_pledge
    from criteria
    union all
    select
        patent_key,
        'hv_award',
        hv_award
    from criteria
    union all
    select
        patent_key,
        'high_value_in_force',
        least(hv_sei, hv_overseas_family, hv_maintained_10y, hv_pledge, hv_award)
    from criteria
),

final as (
    select
        s.indicator_code,
        h.region_code,
        greatest(h.valid_from, s.criterion_start) as interval_start,
        h.valid_to as interval_end
    from holdings as h
    inner join starts as s on h.patent_key = s.patent_key
    where
        s.criterion_start is not null
        and h.region_code <> '-1'
        and greatest(h.valid_from, s.criterion_start) < h.valid_to
)

select * from final
