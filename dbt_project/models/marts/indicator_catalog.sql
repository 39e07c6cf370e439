{#- The indicator codes with their Chinese names, kind and unit, served beside the values. -#}
select
    indicator_code,
    name_zh,
    kind,
    unit
from {{ ref('indicator_definitions') }}
