{#- The indicator codes of the contract, in the order the wide tables list them. -#}
{% macro indicator_codes() -%}
    {{ return([
        'grants_total', 'grants_invention', 'grants_utility_model', 'grants_design',
        'invention_in_force', 'invention_in_force_per_10k', 'high_value_in_force',
        'high_value_per_10k', 'hv_sei', 'hv_overseas_family', 'hv_maintained_10y', 'hv_pledge',
        'hv_award', 'pct_applications', 'transfers', 'licenses', 'transfer_license_total',
        'univ_to_sme_transfer_license', 'pledge_amount_100m_cny', 'pledge_count',
        'pledged_patents', 'inclusive_pledge_enterprises'
    ]) }}
{%- endmacro %}
