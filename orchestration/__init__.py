"""Dagster definitions for ipind: ingestion -> gate -> dbt core -> gate -> marts -> serving."""
