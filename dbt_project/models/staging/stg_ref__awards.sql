select distinct
    application_number,
    award,
    year as award_year
from {{ source('raw', 'awards') }}
where award in ('china_patent_award', 'national_sti_award')
