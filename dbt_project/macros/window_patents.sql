{#- fct_patent_holding in a run with a partition window rebuilds the spans of the patents
    whose history changed in it: a grant, an assignment or a legal event dated in the
    window, or a span of the previous build that starts in it (its change may have been
    removed upstream). The list is kept in a table of the working database because the
    pre-hook that deletes those patents' spans runs before the model reads them; it is
    written outside the model's transaction, which may write only to star.duckdb. A run
    without a window (a full build) rebuilds every patent. -#}
{% macro window_patents_relation() -%}
    "{{ target.database }}"."intermediate"."fct_patent_holding__window_patents"
{%- endmacro %}

{% macro collect_window_patents() -%}
    {%- if is_incremental() and not window_is_everything() -%}
        create or replace table {{ window_patents_relation() }} as
        select application_number from {{ ref('fct_grant') }} where {{ in_window('grant_date') }}
        union
        select application_number from {{ ref('fct_transfer') }} where {{ in_window('registration_date') }}
        union
        select application_number from {{ ref('fct_legal_event') }} where {{ in_window('event_date') }}
        union
        select application_number from {{ this }} where {{ in_window('valid_from') }}
    {%- endif -%}
{%- endmacro %}

{% macro delete_window_patents() -%}
    {%- if is_incremental() and window_is_everything() -%}
        delete from {{ this }}
    {%- elif is_incremental() -%}
        delete from {{ this }}
        where application_number in (select w.application_number from {{ window_patents_relation() }} as w)
    {%- endif -%}
{%- endmacro %}

{% macro in_window_patents(column) -%}
    {%- if is_incremental() and not window_is_everything() -%}
        {{ column }} in (select w.application_number from {{ window_patents_relation() }} as w)
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
