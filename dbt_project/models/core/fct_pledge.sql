{#- One row per pledge: the registration counts in its own period; a later cancellation
    only sets cancelled_date. A pledge known only from its cancellation record is dated by
    that record. -#}
with pledges as (
    select * from {{ ref('stg_raw__pledges') }}
),

registered as (
    select * from pledges
    where status = 'registered'
),

cancelled as (
    select
        pledge_id,
        min(registration_date) as cancelled_date
    from pledges
    where status = 'cancelled'
    group by pledge_id
),

only_cancelled as (
    select * from pledges
    where
        status = 'cancelled'
        and pledge_id not in (select r.pledge_id from registered as r)
),

pledge_rows as (
    select * from registered
    union all
    select * from only_cancelled
),

regions as (
    select
        region_code,
        current_code
    from {{ ref('dim_region') }}
),

final as (
    select
        p.pledge_id,
        p.registration_date,
        c.cancelled_date,
        coalesce({{ surrogate_key('p.pledgor_name_normalised') }}, -1) as pledgor_entity_key,
        p.pledgor_type,
        coalesce(r.current_code, '-1') as pledgor_region_code,
        p.pledgee_name,
        cast(p.amount_10k_cny as decimal(18, 4)) as amount_10k_cny,
        cast(len(string_split(p.application_numbers, ';')) as integer) as patent_count
    from pledge_rows as p
    left join cancelled as c on p.pledge_id = c.pledge_id
    left join regions as r on p.pledgor_region_code = r.region_code
)

select * from final
