-- The baseline: the main indicators of marts.indicator_values computed once, in plain DuckDB
-- SQL, straight from the raw tables (attached read-only as `w`), without dbt, Dagster or GX.
-- It is what the platform's transform stages (dbt staging -> core -> marts) would cost if
-- they were written for speed: project only the columns needed, aggregate before rolling up
-- to the three levels, turn stock spans into +1/-1 month-end deltas per patent (not per span
-- x criterion x level), and materialise nothing that is not needed.
--
-- Indicators (same rules as indicators.md, same region resolution as dim_region):
--   grants_total, grants_invention, grants_utility_model, grants_design  (flows)
--   invention_in_force (stock: current holder; lapse/invalidation/abandonment unless a
--     later-or-same-day restoration; not in force from the 20th filing anniversary)
--   transfers, licenses, transfer_license_total, pledge_amount_100m_cny, pledge_count (flows)
-- period_type ytd (every month end) and year (complete years), county/prefecture/province,
-- with yoy_pct and rank_in_parent. Ten of the 22 codes: the ratio platform/baseline is
-- therefore an upper bound of what the platform's extra indicators could justify.
-- Statements are separated by ';' at the end of a line (bench.baseline splits on that).

-- Regions: every code ever issued -> current code; current code -> reporting regions.
create or replace temp table b_src_regions as
select distinct
    region_code, name as region_name, level as region_level, nullif(parent_code, '') as parent_code,
    valid_from, valid_to, nullif(successor_code, '') as successor_code
from w.raw.regions
where region_code is not null;

create or replace temp table b_current as
select
    c.region_code, c.region_name, c.region_level, c.parent_code,
    case when c.region_level = 'county' then c.region_code end as county_code,
    case
        when c.region_level = 'prefecture' then c.region_code
        when c.region_level = 'county' and p.region_level = 'province' then c.region_code
        when c.region_level = 'county' then c.parent_code
    end as prefecture_code,
    case
        when c.region_level = 'province' then c.region_code
        when c.region_level = 'prefecture' then c.parent_code
        when c.region_level = 'county' and p.region_level = 'province' then c.parent_code
        when c.region_level = 'county' then p.parent_code
    end as province_code,
    coalesce(c.region_level = 'county' and p.region_level = 'province', false) as reports_as_prefecture
from (select * from b_src_regions where valid_to is null) as c
left join (select * from b_src_regions where valid_to is null) as p on c.parent_code = p.region_code;

create or replace temp table b_code_map as
with old as (
    select *
    from b_src_regions
    where valid_to is not null and region_code not in (select region_code from b_current)
    qualify row_number() over (partition by region_code order by valid_to desc) = 1
),
stems as (
    select region_code, parent_code,
        regexp_replace(region_name, '(自治县|自治旗|县|市|区|旗|林区)$', '') as stem
    from b_current
),
old_resolved as (
    select o.region_code,
        coalesce(
            case when o.successor_code in (select region_code from b_current) then o.successor_code end,
            (select min(s.region_code) from stems as s
             where s.parent_code = o.parent_code
               and s.stem = regexp_replace(o.region_name, '(自治县|自治旗|县|市|区|旗|林区)$', ''))
        ) as current_code
    from old as o
)
select region_code, region_code as current_code from b_current
union all
select region_code, current_code from old_resolved where current_code is not null;

-- Any recorded code -> (level, reporting code): a county code counts at three levels, a
-- prefecture-only code at two, a province-only code at one.
create or replace temp table b_rollup as
select m.region_code as code, l.region_level, l.report_code, c.province_code
from b_code_map as m
inner join b_current as c on m.current_code = c.region_code
cross join lateral (
    select 'county' as region_level, c.county_code as report_code
    union all select 'prefecture', c.prefecture_code
    union all select 'province', c.province_code
) as l
where l.report_code is not null;

-- Grants: newest version of each application, only the columns the indicators need.
create or replace temp table b_grants as
select
    application_number, patent_type, filing_date, grant_date,
    case when upper(coalesce(nullif(trim(patentee_country), ''), 'CN')) = 'CN'
        then coalesce(patentee_region_code, '-1') else '-1' end as code
from w.raw.grants
qualify row_number() over (
    partition by application_number order by _loaded_at desc, _ingest_hash desc, _row desc) = 1;

create or replace temp table b_transfers as
select application_number, kind, registration_date, coalesce(from_region_code, '-1') as from_code,
    coalesce(to_region_code, '-1') as to_code, record_id
from w.raw.transfers
qualify row_number() over (
    partition by record_id order by _loaded_at desc, _ingest_hash desc, _row desc) = 1;

-- Pledges: one row per pledge (its registration; a pledge known only from its cancellation
-- is dated by that record), the amount counted once.
create or replace temp table b_pledges as
with latest as (
    select pledge_id, coalesce(status, 'registered') as status, registration_date,
        pledgor_region_code, amount_10k_cny
    from w.raw.pledges
    qualify row_number() over (
        partition by pledge_id, coalesce(status, 'registered')
        order by _loaded_at desc, _ingest_hash desc, _row desc) = 1
)
select * from latest where status = 'registered'
union all
select * from latest
where status = 'cancelled' and pledge_id not in (select pledge_id from latest where status = 'registered');

-- Monthly flow amounts per recorded code (tiny), before any roll-up.
create or replace temp table b_flow as
with grants_by_type as (
    select patent_type, code, last_day(grant_date) as month_end, count(*) as n
    from b_grants where code <> '-1' group by all
),
transfers_by_kind as (
    select kind, from_code as code, last_day(registration_date) as month_end, count(*) as n
    from b_transfers where from_code <> '-1' group by all
)
select 'grants_total' as indicator_code, code, month_end, sum(n)::double as amount
from grants_by_type group by all
union all
select 'grants_' || patent_type, code, month_end, sum(n)::double from grants_by_type group by all
union all
select case kind when 'assignment' then 'transfers' else 'licenses' end, code, month_end, sum(n)::double
from transfers_by_kind group by all
union all
select 'transfer_license_total', code, month_end, sum(n)::double from transfers_by_kind group by all
union all
select 'pledge_amount_100m_cny', coalesce(pledgor_region_code, '-1'), last_day(registration_date),
    sum(cast(amount_10k_cny as double)) / 10000.0
from b_pledges where registration_date is not null group by all
union all
select 'pledge_count', coalesce(pledgor_region_code, '-1'), last_day(registration_date), count(*)::double
from b_pledges where registration_date is not null group by all;

-- invention_in_force: per invention, the holder region and the in-force state at the end
-- of each month in which something changed; a state counts from its month end to the month
-- end of the next change or of the expiry (20 years from filing), as +1/-1 deltas.
create or replace temp table b_stock as
with inv as (
    select application_number, grant_date, code,
        cast(filing_date + interval 20 year as date) as expiry_date
    from b_grants where patent_type = 'invention'
),
changes as (
    select application_number, grant_date as change_date, 0 as change_order,
        application_number as change_id, code as holder, null::date as term, null::date as rest
    from inv
    union all
    select t.application_number, greatest(t.registration_date, i.grant_date), 1, t.record_id,
        t.to_code, null, null
    from b_transfers as t inner join inv as i using (application_number)
    where t.kind = 'assignment'
    union all
    select e.application_number, greatest(e.event_date, i.grant_date),
        case when e.event_type = 'restored' then 3 else 2 end, e.event_id, null,
        case when e.event_type in ('lapse_nonpayment', 'invalidated', 'abandoned')
            then greatest(e.event_date, i.grant_date) end,
        case when e.event_type = 'restored' then greatest(e.event_date, i.grant_date) end
    from (
        select event_id, application_number, event_date, event_type
        from w.raw.legal_events
        qualify row_number() over (
            partition by event_id order by _loaded_at desc, _ingest_hash desc, _row desc) = 1
    ) as e
    inner join inv as i using (application_number)
    where e.event_type in ('lapse_nonpayment', 'invalidated', 'abandoned', 'restored')
),
monthly as (
    select application_number, last_day(change_date) as month_end,
        arg_max(holder, (change_date, change_order, change_id)) filter (where holder is not null) as holder,
        max(term) as term, max(rest) as rest
    from changes group by all
),
states as (
    select m.application_number, m.month_end,
        last_value(m.holder ignore nulls) over w as holder,
        max(m.term) over w as term,
        max(m.rest) over w as rest,
        lead(m.month_end) over w as next_month_end
    from monthly as m
    window w as (partition by m.application_number order by m.month_end
                 rows between unbounded preceding and current row)
),
spans as (
    select s.holder, s.month_end as span_start,
        least(coalesce(s.next_month_end, last_day(i.expiry_date)), last_day(i.expiry_date)) as span_end
    from states as s inner join inv as i using (application_number)
    where s.holder <> '-1' and (s.term is null or coalesce(s.rest >= s.term, false))
)
select holder as code, month_end, sum(amount)::double as amount
from (
    select holder, span_start as month_end, 1 as amount from spans where span_start < span_end
    union all
    select holder, span_end, -1 from spans where span_start < span_end
)
group by all;

create or replace temp table b_context as
select
    last_day(greatest(
        (select max(grant_date) from b_grants),
        (select max(event_date) from w.raw.legal_events),
        (select max(registration_date) from b_transfers),
        (select max(registration_date) from b_pledges),
        (select max(filing_date) from w.raw.pct)
    )) as as_of_date,
    (select cast(extract(year from min(grant_date)) as integer) from b_grants) as first_year;

-- Reporting regions: every current region of every province with data.
create or replace temp table b_reporting as
with provinces as (
    select distinct r.province_code
    from (select distinct code from b_grants union select from_code from b_transfers
          union select pledgor_region_code from b_pledges union select code from b_stock) as f
    inner join b_rollup as r on f.code = r.code
),
regions as (select * from b_current where province_code in (select province_code from provinces))
select region_code, region_name, 'province' as region_level, cast(null as varchar) as parent_code
from regions where region_level = 'province'
union all
select region_code, region_name, 'prefecture', province_code
from regions where region_level = 'prefecture' or reports_as_prefecture
union all
select region_code, region_name, 'county', prefecture_code from regions where region_level = 'county';

create or replace table indicator_values as
with month_ends as (
    select cast(last_day(m.generate_series) as date) as month_end
    from b_context, generate_series(
        cast(make_date(b_context.first_year, 1, 1) as timestamp),
        cast(b_context.as_of_date as timestamp), interval 1 month) as m
),
first_month as (select min(month_end) as first_month_end from month_ends),
amounts as (
    select f.indicator_code, r.region_level, r.report_code as region_code, f.month_end,
        sum(f.amount) as amount
    from b_flow as f inner join b_rollup as r on f.code = r.code
    group by all
    union all
    select 'invention_in_force', r.region_level, r.report_code,
        greatest(s.month_end, (select first_month_end from first_month)), sum(s.amount)
    from b_stock as s inner join b_rollup as r on s.code = r.code
    group by all
),
indicators as (
    select * from (values
        ('grants_total', 'flow'), ('grants_invention', 'flow'), ('grants_utility_model', 'flow'),
        ('grants_design', 'flow'), ('invention_in_force', 'stock'), ('transfers', 'flow'),
        ('licenses', 'flow'), ('transfer_license_total', 'flow'),
        ('pledge_amount_100m_cny', 'flow'), ('pledge_count', 'flow')
    ) as t (indicator_code, indicator_kind)
),
spine as (
    select i.indicator_code, i.indicator_kind, g.region_level, g.region_code, g.region_name,
        g.parent_code, m.month_end, coalesce(a.amount, 0) as amount
    from indicators as i
    cross join b_reporting as g
    cross join month_ends as m
    left join amounts as a
        on a.indicator_code = i.indicator_code and a.region_level = g.region_level
        and a.region_code = g.region_code and a.month_end = m.month_end
),
valued as (
    select *,
        year(month_end) as year, month(month_end) as month,
        case indicator_kind
            when 'flow' then sum(amount) over (
                partition by indicator_code, region_level, region_code, year(month_end)
                order by month_end rows between unbounded preceding and current row)
            else sum(amount) over (
                partition by indicator_code, region_level, region_code
                order by month_end rows between unbounded preceding and current row)
        end as value
    from spine
),
periods as (
    select *, 'ytd' as period_type from valued
    union all
    select *, 'year' from valued where month = 12
),
with_previous as (
    select *,
        lag(value) over (
            partition by indicator_code, region_level, region_code, period_type, month
            order by year) as previous_value
    from periods
)
select
    region_code, region_name, region_level, parent_code, period_type,
    month_end as period_end, year, case when period_type = 'ytd' then month end as month,
    indicator_code, value,
    case when previous_value <> 0 then (value - previous_value) / previous_value * 100.0 end as yoy_pct,
    value - previous_value as yoy_abs,
    cast(rank() over (
        partition by region_level, parent_code, period_type, month_end, indicator_code
        order by value desc nulls last) as integer) as rank_in_parent
from with_previous;
