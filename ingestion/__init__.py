"""Sources and loaders: plain Python and DuckDB, no Dagster imports."""
