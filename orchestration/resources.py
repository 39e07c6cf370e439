"""Resources the assets share, configurable in the Dagster launchpad and by `ipind --set`."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Literal

from dagster import ConfigurableResource, InitResourceContext
from pydantic import Field

from ingestion import duckdb_budget


class WarehouseResource(ConfigurableResource):
    """Where the working database, the serving database and the Parquet export live."""

    warehouse_dir: str = Field(
        default="",
        description="Directory of warehouse.duckdb, serving.duckdb and parquet/. Empty: "
        "$IPIND_WAREHOUSE_DIR, else ./warehouse.",
    )
    duckdb_memory_limit: str = Field(
        default="",
        description="DuckDB memory_limit of every connection of the run (this process, dbt, GX, "
        "publish). Empty: $IPIND_DUCKDB_MEMORY_LIMIT, else 4GB.",
    )
    duckdb_threads: int = Field(
        default=0, description="DuckDB threads of every connection. 0: $IPIND_DUCKDB_THREADS, else 2."
    )

    def setup_for_execution(self, context: InitResourceContext) -> None:
        """Hand the budget to every DuckDB of the run: dbt's profile and GX read the environment."""
        if self.duckdb_memory_limit:
            os.environ[duckdb_budget.MEMORY_LIMIT_ENV] = duckdb_budget.checked_memory_limit(
                self.duckdb_memory_limit
            )
        if self.duckdb_threads:
            os.environ[duckdb_budget.THREADS_ENV] = str(int(self.duckdb_threads))

    @property
    def root(self) -> Path:
        path = Path(self.warehouse_dir or os.environ.get("IPIND_WAREHOUSE_DIR") or "warehouse")
        path.mkdir(parents=True, exist_ok=True)
        return path.resolve()

    @property
    def database_path(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def star_path(self) -> Path:
        """core and marts, built by dbt in the serving storage version (dbt_project/profiles.yml)."""
        return self.root / "star.duckdb"

    @property
    def serving_path(self) -> Path:
        return self.root / "serving.duckdb"

    def connect(self, read_only: bool = False):  # noqa: ANN201 - duckdb connection
        import duckdb

        memory_limit = duckdb_budget.checked_memory_limit(
            self.duckdb_memory_limit or duckdb_budget.memory_limit()
        )
        threads = int(self.duckdb_threads or duckdb_budget.threads())
        try:
            con = duckdb.connect(str(self.database_path), read_only=read_only)
        except duckdb.IOException as exc:
            raise RuntimeError(
                f"{self.database_path} is held by another process (another ipind run or a tool "
                f"with the working database open); wait for it to finish. DuckDB said: {exc}"
            ) from exc
        con.execute(f"set memory_limit = '{memory_limit}'")
        con.execute(f"set threads = {threads}")
        if self.star_path.exists():
            attach_star(con, self.star_path)
        return con


def attach_star(con, star_path: Path) -> None:  # noqa: ANN001 - duckdb connection
    """Make `core.x` and `marts.x` resolve in a connection to warehouse.duckdb, as they did
    when the star lived there. Read-only: only dbt writes the star, and a read-write attach
    would lock the file for as long as a loader holds its connection."""
    con.execute(f"attach '{str(star_path).replace(chr(39), chr(39) * 2)}' as star (read_only)")
    schemas = con.execute(
        "select schema_name from information_schema.schemata"
        " where catalog_name = 'star' and schema_name in ('core', 'marts') order by 1"
    ).fetchall()
    con.execute("set search_path = '" + ",".join(["main", *(f"star.{s}" for (s,) in schemas)]) + "'")


class SourceResource(ConfigurableResource):
    """Which source feeds the raw tables, and its options."""

    kind: Literal["synthetic", "files", "http"] = Field(
        default="synthetic", description="synthetic (embedded default), files (landing folder) or http."
    )
    scale: float = Field(
        default=1.0,
        description="Synthetic volume: 1 = Hubei and Hunan in full (~2M grants 2011-2025), "
        "30 = the whole country. Fractions shrink it (tests use 0.02).",
    )
    seed: int = Field(default=42, description="Synthetic seed: same seed, same rows.")
    landing_dir: str = Field(default="landing", description="Landing folder for the files source.")
    max_file_mb: int = Field(default=2000, description="Files larger than this are refused.")
    http_config: str = Field(
        default="",
        description="JSON of the per-feed HTTP source configuration (the `http:` section of "
        "ipind.yaml); tokens come from the environment variables it names.",
    )
    http_date_from: str = Field(default="2011-01-01", description="First day fetched (HTTP).")
    http_date_to: str = Field(default="2026-01-01", description="Day after the last fetched (HTTP).")


class IndicatorSettings(ConfigurableResource):
    """The contract's settings (indicators.md, "Settings"); they reach dbt as vars."""

    attribution: Literal["current_holder", "holder_at_grant"] = Field(
        default="current_holder",
        description="Stocks count for the holder of record on the snapshot day, or the patentee at grant.",
    )
    pct_basis: Literal["receiving_office_cn", "origin"] = Field(
        default="receiving_office_cn",
        description="PCT applications received by CNIPA (as CNIPA reports) or all offices (WIPO).",
    )
    population_basis: Literal["previous_year_end", "current_year_end"] = Field(
        default="previous_year_end",
        description="Population divided by: the previous year end (provincial bulletins) or the current.",
    )
    high_value_pledge_threshold_10k_cny: float = Field(
        default=1000.0,
        description="A pledge of at least this amount (万元) makes its patents high-value (hv_pledge).",
    )
    inclusive_pledge_threshold_10k_cny: float = Field(
        default=1000.0,
        description="Pledges below this amount (万元) count for inclusive_pledge_enterprises.",
    )

    def values(self) -> dict[str, str | float]:
        return {
            "attribution": self.attribution,
            "pct_basis": self.pct_basis,
            "population_basis": self.population_basis,
            "high_value_pledge_threshold_10k_cny": float(self.high_value_pledge_threshold_10k_cny),
            "inclusive_pledge_threshold_10k_cny": float(self.inclusive_pledge_threshold_10k_cny),
        }

    def settings_hash(self) -> str:
        return settings_hash(self.values())

    def dbt_vars(self) -> dict[str, str | float]:
        return {**self.values(), "settings_hash": self.settings_hash()}


def settings_hash(values: dict[str, str | float]) -> str:
    """Short, stable hash of the settings a mart row was built with."""
    canonical = json.dumps(values, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]
