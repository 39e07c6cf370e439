{#- A surrogate key: the top 63 bits of `md5_number(expression)` (DuckDB's md5 digest read
    as a 128-bit integer, little-endian, so not the digest's first bytes), as a BIGINT.
    Why not md5 text: a 32-character random string is the costliest column DuckDB can
    store, so the keys were half the bytes of the biggest facts and of every publish (the
    fct_grant copy took 23 s with text keys, 12 s with these, at scale 10). Why not hash():
    it may change between DuckDB releases, and incremental facts keep keys across releases.
    63 bits keep the key a signed BIGINT every BI tool reads and leave -1 for "unknown";
    two keys colliding among 34 million patents has odds of about 1 in 16,000, and the GX
    core gate's key uniqueness would stop the marts if it ever happened. -#}
{% macro surrogate_key(expression) -%}
    cast(md5_number({{ expression }}) >> 65 as bigint)
{%- endmacro %}
