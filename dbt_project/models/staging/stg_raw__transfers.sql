with latest as (
    {{ latest_version(source('raw', 'transfers'), 'record_id', 'transfers') }}
),

final as (
    select
        record_id,
        application_number,
        kind,
        license_type,
        registration_date,
        from_name,
        {{ normalise_name('from_name') }} as from_name_normalised,
        coalesce(from_type, 'other') as from_type,
        from_region_code,
        to_name,
        {{ normalise_name('to_name') }} as to_name_normalised,
        coalesce(to_type, 'other') as to_type,
        to_region_code,
        to_is_sme,
        _loaded_at
    from latest
)

select * from final
