with concordance as (
    select * from {{ ref('stg_ref__sei_ipc') }}
),

final as (
    select
        sei_code,
        min(sei_name) as sei_name,
        string_agg(distinct ipc_prefix, ';' order by ipc_prefix) as ipc_prefixes
    from concordance
    group by sei_code
)

select * from final
