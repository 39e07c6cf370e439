{#- For each stock indicator, the intervals [interval_start, interval_end) during which an
    invention patent counts for it at a region: its in-force holding spans, from the day it
    meets the criterion. Attribution picks the region of the span's holder (current_holder)
    or of the patentee at grant (holder_at_grant). Its one reader (the month-end values)
    sums them by month end in a single pass; writing their tens of millions of rows cost
    as much as that, so they are never a table.

    With `changed_from` and `counted_until` (dates, SQL expressions), only the intervals that
    start or end in [changed_from, counted_until]: a partition run adds those to the running
    sums it keeps. A holding that starts or ends in it brings all its intervals; any other
    holding only those whose criterion starts in it (a pledge, a tenth anniversary). -#}
{% macro stock_intervals(changed_from=none, counted_until=none) %}
{%- set pair_columns = "h.valid_from, h.valid_to, h.region_code, s.indicator_code, s.criterion_start" %}
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

{%- if changed_from is not none %}

holding_changes as (
    select
        *,
        valid_from >= {{ changed_from }}
        or valid_to between {{ changed_from }} and {{ counted_until }} as is_changed
    from holdings
),

-- Materialised: inlined, its filter (on scalar subqueries) ran after the join below, on
-- 44 M joined rows at scale 10 (the month-end values took 3.9 s instead of 1.9).
starts_changed as materialized (
    select * from starts
    where criterion_start between {{ changed_from }} and {{ counted_until }}
),

-- Two joins on each side's own filter, not one join under an OR of both sides' columns:
-- DuckDB would join every holding to every start first (1.6 s against 0.9 at scale 10).
pairs as (
    select {{ pair_columns }}
    from holding_changes as h
    inner join starts as s on h.patent_key = s.patent_key
    where h.is_changed and s.criterion_start is not null
    union all
    select {{ pair_columns }}
    from holding_changes as h
    inner join starts_changed as s on h.patent_key = s.patent_key
    where not h.is_changed
),
{%- else %}

pairs as (
    select {{ pair_columns }}
    from holdings as h
    inner join starts as s on h.patent_key = s.patent_key
    where s.criterion_start is not null
),
{%- endif %}

final as (
    select
        indicator_code,
        region_code,
        greatest(valid_from, criterion_start) as interval_start,
        valid_to as interval_end
    from pairs
    where
        region_code <> '-1'
        and greatest(valid_from, criterion_start) < valid_to
)

select * from final
{% endmacro %}
