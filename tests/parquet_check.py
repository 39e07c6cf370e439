"""The Parquet export read back as BI tools read it: a table is one file or a folder of files."""

from __future__ import annotations

from pathlib import Path

import duckdb


def parquet_source(parquet_dir: Path, schema: str, table: str) -> str:
    folder = parquet_dir / schema / table
    path = f"{folder}/*.parquet" if folder.is_dir() else f"{folder}.parquet"
    return "read_parquet('" + path.replace("'", "''") + "')"


def differing_rows(database: Path, parquet_dir: Path) -> dict[str, int]:
    """Rows each table of `database`'s core and marts has that its Parquet lacks, and the other
    way round (duplicates counted)."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_schema in ('core', 'marts') and table_type = 'BASE TABLE' order by 1, 2"
        ).fetchall()
        result = {}
        for schema, table in tables:
            source = parquet_source(parquet_dir, schema, table)
            relation = f'"{schema}"."{table}"'
            result[f"{schema}.{table}"] = con.execute(
                f"select count(*) from ((select * from {relation} except all select * from {source})"
                f" union all (select * from {source} except all select * from {relation}))"
            ).fetchall()[0][0]
        return result
    finally:
        con.close()
