{#- Holder names compared the way registries write them: half-width ASCII, ASCII brackets,
    no inner or trailing spaces, 有限责任公司 written 有限公司. The translate() over the
    full-width map costs microseconds per row, so it only runs on names that need it. -#}
{% macro normalise_name(column) -%}
    nullif(
        case
            when regexp_matches({{ column }}, '[（）【】［］　Ａ-Ｚａ-ｚ０-９ ]|有限责任公司')
                then replace(
                    replace(
                        translate(
                            {{ column }},
                            '（）【】［］　ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ０１２３４５６７８９',
                            '()[][] ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
                        ),
                        ' ', ''
                    ),
                    '有限责任公司', '有限公司'
                )
            else {{ column }}
        end,
        ''
    )
{%- endmacro %}
