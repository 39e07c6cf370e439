"""Stand-in for dbt's `adapter` where models ask whether a relation exists, so sqlfluff's
jinja templater renders the branch that reads it (dbt itself asks the database)."""


def get_relation(database: object = None, schema: object = None, identifier: object = None) -> str:
    return "existing_relation"
