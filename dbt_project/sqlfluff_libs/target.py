"""Stand-in for dbt's `target` in sqlfluff's jinja templater (dbt supplies the real one)."""

database = "warehouse"
