with latest as (
    {{ latest_version(source('raw', 'grants'), 'application_number', 'grants') }}
),

final as (
    select
        application_number,
        publication_number,
        patent_type,
        title,
        filing_date,
        grant_date,
        ipc_main,
        ipc_all,
        patentee_name,
        {{ normalise_name('patentee_name') }} as patentee_name_normalised,
        coalesce(patentee_type, 'other') as patentee_type,
        patentee_region_code,
        patentee_region_match,
        upper(coalesce(nullif(trim(patentee_country), ''), 'CN')) as patentee_country,
        upper(coalesce(nullif(trim(patentee_country), ''), 'CN')) = 'CN' as is_domestic,
        coalesce(overseas_family_grants, 0) as overseas_family_grants,
        priority_date,
        _loaded_at
    from latest
)

select * from final
