with latest as (
    {{ latest_version(source('raw', 'pct'), 'pct_application_number', 'pct') }}
),

final as (
    select
        pct_application_number,
        filing_date,
        upper(coalesce(nullif(trim(receiving_office), ''), 'CN')) as receiving_office,
        applicant_name,
        {{ normalise_name('applicant_name') }} as applicant_name_normalised,
        coalesce(applicant_type, 'other') as applicant_type,
        applicant_region_code,
        upper(coalesce(nullif(trim(applicant_country), ''), 'CN')) as applicant_country,
        upper(coalesce(nullif(trim(applicant_country), ''), 'CN')) = 'CN' as is_domestic,
        ipc_main,
        priority_application_number,
        _loaded_at
    from latest
)

select * from final
