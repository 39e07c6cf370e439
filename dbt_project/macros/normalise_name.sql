{#- Holder names compared the way registries write them: half-width ASCII, ASCII brackets,
    no inner or trailing spaces, 有限责任公司 written 有限公司. -#}
{% macro normalise_name(column) -%}
    nullif(
        replace(
            replace(
                translate(
                    {{ column }},
                    '（）【】［］　ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ０１２３４５６７８９',
                    '()[][] ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
                ),
                ' ', ''
            ),
            '有限责任公司', '有限公司'
        ),
        ''
    )
{%- endmacro %}
