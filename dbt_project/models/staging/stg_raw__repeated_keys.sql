{#- Keys of each feed loaded more than once (a corrected record, a file loaded again under
    another name). Usually none; see the macro latest_version. -#}
{%- set feeds = [
    ('grants', 'application_number'),
    ('legal_events', 'event_id'),
    ('transfers', 'record_id'),
    ('pledges', "cast(to_json([pledge_id, coalesce(status, 'registered')]) as varchar)"),
    ('pct', 'pct_application_number'),
] %}

with
{% for feed, key in feeds %}
    {{ feed }}_repeated as (
        select
            '{{ feed }}' as feed,
            {{ key }} as version_key
        from {{ source('raw', feed) }}
        group by all
        having count(*) > 1
    ),
{% endfor %}

final as (
    {% for feed, _ in feeds %}
        select * from {{ feed }}_repeated
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select * from final
