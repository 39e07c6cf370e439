"""Benchmark of the ipind platform against a plain-DuckDB baseline (`make bench`)."""
