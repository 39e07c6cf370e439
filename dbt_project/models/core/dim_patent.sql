{#- Expiry (the day it is no longer in force): invention 20 years from filing, utility
    model 10 years, design 10 years, or 15 years when filed on or after 2021-06-01 (the
    fourth amendment of the Patent Law). Like fct_grant, a run with a partition window
    rebuilds the patents granted in it; reference data (awards, the industry concordance)
    reach older patents in a full run. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_window('grant_date') }}",
        on_schema_change='fail'
    )
}}

with grants as (
    select * from {{ ref('stg_raw__grants') }}
    where {{ in_window('grant_date') }}
),

sei as (
    select
        application_number,
        sei_codes
    from {{ ref('int_patent_sei_codes') }}
    where {{ in_window('grant_date') }}
),

awards as (
    select
        application_number,
        min(award_year) as first_award_year,
        string_agg(distinct award, ';' order by award) as awards
    from {{ ref('stg_ref__awards') }}
    group by application_number
),

final as (
    select
        {{ surrogate_key('g.application_number') }} as patent_key,
        g.application_number,
        g.publication_number,
        g.patent_type,
        g.title,
        g.filing_date,
        g.grant_date,
        g.priority_date,
        g.ipc_main,
        g.ipc_all,
        s.sei_codes,
        s.sei_codes is not null as is_sei,
        g.overseas_family_grants,
        a.awards,
        a.first_award_year,
        cast(case g.patent_type
            when 'invention' then {{ dbt.dateadd('year', 20, 'g.filing_date') }}
            when 'utility_model' then {{ dbt.dateadd('year', 10, 'g.filing_date') }}
            when 'design' then
                case
                    when g.filing_date >= date '2021-06-01'
                        then {{ dbt.dateadd('year', 15, 'g.filing_date') }}
                    else {{ dbt.dateadd('year', 10, 'g.filing_date') }}
                end
        end as date) as expiry_date
    from grants as g
    left join sei as s on g.application_number = s.application_number
    left join awards as a on g.application_number = a.application_number
)

select * from final
