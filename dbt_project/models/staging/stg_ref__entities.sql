select
    {{ normalise_name('name') }} as name_normalised,
    max(entity_type) as entity_type,
    bool_or(is_sme) as is_sme,
    bool_or(is_high_tech) as is_high_tech,
    max(region_code) as region_code
from {{ source('raw', 'entities') }}
where {{ normalise_name('name') }} is not null
group by 1
