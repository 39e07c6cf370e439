{#- A cancellation is a second record with the same pledge_id; both versions are kept so
    the registration stays counted in its own period. The key is (pledge_id, status). -#}
{%- set pledge_key = "cast(to_json([pledge_id, coalesce(status, 'registered')]) as varchar)" %}
with latest as (
    {{ latest_version(source('raw', 'pledges'), pledge_key, 'pledges') }}
),

final as (
    select
        pledge_id,
        coalesce(status, 'registered') as status,
        registration_date,
        pledgor_name,
        {{ normalise_name('pledgor_name') }} as pledgor_name_normalised,
        coalesce(pledgor_type, 'other') as pledgor_type,
        pledgor_region_code,
        pledgee_name,
        amount_10k_cny,
        application_numbers,
        _loaded_at
    from latest
)

select * from final
