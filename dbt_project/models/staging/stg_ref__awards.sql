{#- The two counted awards, by code or by their Chinese names: 中国专利奖 of any grade
    (中国专利金奖, 银奖, 优秀奖) and 国家科学技术奖 in its categories (国家最高科学技术奖,
    自然科学奖, 技术发明奖, 科学技术进步奖, 国际科学技术合作奖). Other awards are not counted. -#}
with awards as (
    select
        application_number,
        trim(award, ' 　') as award,
        year as award_year
    from {{ source('raw', 'awards') }}
),

coded as (
    select
        application_number,
        case
            when lower(award) in ('china_patent_award', 'national_sti_award') then lower(award)
            when award like '中国专利%奖%' then 'china_patent_award'
            when
                award like '国家%科学技术%奖%'
                or award like '国家自然科学奖%'
                or award like '国家技术发明奖%'
                or award like '%国际科学技术合作奖%'
                then 'national_sti_award'
        end as award,
        award_year
    from awards
)

select distinct
    application_number,
    award,
    award_year
from coded
where award is not null
