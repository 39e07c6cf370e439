"""The unit every source hands to the landing step: one feed's records from one input.

Files, HTTP windows and the synthetic generator all produce a `Batch`, so the landing and
loading code has a single shape to handle. `frame` holds the feed's canonical columns (as
text for files and APIs), `_row` (1-based within `source`) and `_extra` (JSON of the source
fields the contract does not name, or None). `ingest_hash` is a content hash: the same input
gives the same hash, which is what makes reloads idempotent (see `ingestion.loader`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas


@dataclass
class Batch:
    feed: str
    source: str
    ingest_hash: str
    frame: pandas.DataFrame
