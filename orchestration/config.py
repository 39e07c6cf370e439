"""Run configuration from `--set KEY=VALUE`, `ipind.yaml` and the command line, as pure functions.

Each setting belongs to one resource; the same names work in the launchpad, in ipind.yaml
and on the command line, so an operator learns them once.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import yaml

from ingestion.duckdb_budget import checked_memory_limit
from orchestration.assets.report import ReportResource
from orchestration.resources import IndicatorSettings, SourceResource, WarehouseResource

RESOURCE_OF_KEY: dict[str, str] = {
    **{name: "settings" for name in IndicatorSettings.model_fields},
    **{name: "source" for name in SourceResource.model_fields},
    **{name: "warehouse" for name in WarehouseResource.model_fields},
    **{name: "report" for name in ReportResource.model_fields},
}
RESOURCE_OF_KEY["landing"] = "source"  # alias of landing_dir
RESOURCE_OF_KEY["source"] = "source"  # alias of kind


class ConfigError(ValueError):
    pass


def parse_set_options(pairs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set expects KEY=VALUE, got {pair!r}")
        out[key.strip()] = value.strip()
    return out


def load_yaml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings")
    return data


def build_run_config(options: dict[str, Any]) -> dict[str, Any]:
    """Route each option to its resource's config; unknown keys are an error naming them."""
    resources: dict[str, dict[str, Any]] = {}
    for key, value in options.items():
        if key == "http":
            resources.setdefault("source", {})["http_config"] = json.dumps(value)
            continue
        resource = RESOURCE_OF_KEY.get(key)
        if resource is None:
            raise ConfigError(f"unknown setting {key!r}; known: {', '.join(sorted(RESOURCE_OF_KEY))}")
        name = {"landing": "landing_dir", "source": "kind"}.get(key, key)
        model = {
            "settings": IndicatorSettings,
            "source": SourceResource,
            "warehouse": WarehouseResource,
            "report": ReportResource,
        }[resource]
        resources.setdefault(resource, {})[name] = _coerce(model, name, value, shown=key)
    return {"resources": {name: {"config": cfg} for name, cfg in resources.items()}}


def _coerce(model: type, name: str, value: Any, shown: str | None = None) -> Any:
    """The value as the resource expects it, or a ConfigError naming the setting.

    Checked here, before a run starts, so a typo or a value that would reach SQL (choices
    are compared in dbt, `duckdb_memory_limit` is a DuckDB `set`) fails as a clean message
    (exit 2) instead of a traceback or a failed run."""
    annotation = model.model_fields[name].annotation
    shown = shown or name
    if annotation in (float, int):
        try:
            number = float(value) if annotation is float else int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"setting {shown!r} expects a number, got {value!r}") from None
        if not math.isfinite(number):
            raise ConfigError(f"setting {shown!r} expects a finite number, got {value!r}")
        return number
    text = str(value) if not isinstance(value, str) else value
    if get_origin(annotation) is Literal and text not in get_args(annotation):
        choices = ", ".join(map(str, get_args(annotation)))
        raise ConfigError(f"setting {shown!r} must be one of {choices}; got {text!r}")
    if name == "duckdb_memory_limit":
        try:
            checked_memory_limit(text)
        except ValueError:
            raise ConfigError(f"setting {shown!r} must be a size like 4GB or 512MB; got {text!r}") from None
    return text
