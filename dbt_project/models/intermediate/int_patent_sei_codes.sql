{#- Strategic-emerging-industry codes of each patent: any of its IPC codes starts with a
    concordance prefix (compared without spaces, upper case). Incremental on the grant date
    like dim_patent, its only reader. (Its predecessor int_patents_sei, a table without the
    date, may be left in an older warehouse; nothing reads it.) -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_window('grant_date') }}",
        on_schema_change='fail'
    )
}}

with grants as (
    select
        application_number,
        grant_date,
        ipc_main,
        ipc_all
    from {{ ref('stg_raw__grants') }}
    where {{ in_window('grant_date') }}
),

split_codes as (
    select
        application_number,
        grant_date,
        unnest(string_split(coalesce(ipc_all, '') || ';' || coalesce(ipc_main, ''), ';')) as code
    from grants
),

prefixes as (
    select distinct
        sei_code,
        replace(ipc_prefix, ' ', '') as ipc_prefix
    from {{ ref('stg_ref__sei_ipc') }}
),

prefix_lengths as (
    select distinct length(ipc_prefix) as prefix_length from prefixes
),

-- Most codes belong to no industry: a code goes on to the prefix join only if its first
-- characters (as many as the shortest prefix has) begin some prefix.
heads as (
    select distinct left(p.ipc_prefix, (select min(l.prefix_length) from prefix_lengths as l)) as head
    from prefixes as p
),

ipc_codes as (
    select
        application_number,
        grant_date,
        upper(replace(trim(code), ' ', '')) as ipc
    from split_codes
    where
        trim(code) <> ''
        and left(upper(replace(trim(code), ' ', '')), (select min(l.prefix_length) from prefix_lengths as l))
        in (select h.head from heads as h)
),

-- An equi-join on each prefix length instead of a starts_with join, which would compare
-- every code with every prefix.
matched as (
    select distinct
        i.application_number,
        i.grant_date,
        p.sei_code
    from ipc_codes as i
    cross join prefix_lengths as l
    inner join prefixes as p on left(i.ipc, l.prefix_length) = p.ipc_prefix
),

final as (
    select
        application_number,
        grant_date,
        string_agg(sei_code, ';' order by sei_code) as sei_codes
    from matched
    group by application_number, grant_date
)

select * from final
