with pledges as (
    select
        pledge_id,
        application_numbers
    from {{ ref('stg_raw__pledges') }}
    qualify row_number() over (
        partition by pledge_id order by (status = 'registered') desc, _loaded_at desc
    ) = 1
),

final as (
    select distinct
        p.pledge_id,
        {{ surrogate_key('trim(n.unnest)') }} as patent_key,
        trim(n.unnest) as application_number
    from pledges as p,
        unnest(string_split(p.application_numbers, ';')) as n
    where trim(n.unnest) <> ''
)

select * from final
