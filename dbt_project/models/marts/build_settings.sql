{#- The settings the marts were built with, by name: the values behind the settings_hash
    every mart row carries. The pledge thresholds in particular are settings, not published
    figures (../shared/contract/indicators.md asks for them in the marts' metadata). -#}
with settings as (
    select * from (
        values
        ('attribution', '{{ var("attribution") }}'),
        ('pct_basis', '{{ var("pct_basis") }}'),
        ('population_basis', '{{ var("population_basis") }}'),
        ('high_value_pledge_threshold_10k_cny', '{{ var("high_value_pledge_threshold_10k_cny") }}'),
        ('inclusive_pledge_threshold_10k_cny', '{{ var("inclusive_pledge_threshold_10k_cny") }}')
    ) as t (setting, setting_value)  -- noqa: AL05
),

final as (
    select
        setting,
        setting_value as value,
        {{ run_stamp() }}
    from settings
)

select * from final
