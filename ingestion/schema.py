"""The feed contract (../shared/contract/feeds.md) as data, so every source and loader agrees.

Each feed lists its canonical columns with the DuckDB type they have in `raw.<feed>`, the
Chinese headers loaders accept, and the key. Raw tables add the lineage columns in
`LINEAGE_COLUMNS`; quarantine tables have the shape in `QUARANTINE_COLUMNS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # DuckDB type in raw.<feed>
    aliases: tuple[str, ...] = ()
    required: bool = False


@dataclass(frozen=True)
class Feed:
    name: str
    key: str
    date_column: str  # the record's date: monthly partitions and the load window
    columns: tuple[Column, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def alias_map(self) -> dict[str, str]:
        """Every accepted header (canonical or Chinese), normalised, to its canonical name."""
        out: dict[str, str] = {}
        for col in self.columns:
            for header in (col.name, *col.aliases):
                out[normalise_header(header)] = col.name
        return out


def normalise_header(header: str) -> str:
    return "".join(str(header).split()).lower().lstrip("\ufeff")


def _party(prefix: str, label: str) -> tuple[Column, ...]:
    return (
        Column(f"{prefix}_name", "VARCHAR", (f"{label}", f"{label}名称")),
        Column(f"{prefix}_type", "VARCHAR", (f"{label}类型",)),
        Column(f"{prefix}_region_code", "VARCHAR", (f"{label}地址代码", f"{label}行政区划代码")),
        Column(f"{prefix}_address", "VARCHAR", (f"{label}地址",)),
    )


GRANTS = Feed(
    name="grants",
    key="application_number",
    date_column="grant_date",
    columns=(
        Column("application_number", "VARCHAR", ("申请号", "专利号"), required=True),
        Column("publication_number", "VARCHAR", ("授权公告号",)),
        Column("patent_type", "VARCHAR", ("专利类型",), required=True),
        Column("title", "VARCHAR", ("名称", "发明名称")),
        Column("filing_date", "DATE", ("申请日",), required=True),
        Column("grant_date", "DATE", ("授权公告日", "授权日"), required=True),
        Column("ipc_main", "VARCHAR", ("主分类号",)),
        Column("ipc_all", "VARCHAR", ("分类号",)),
        Column("patentee_name", "VARCHAR", ("专利权人",)),
        Column("patentee_type", "VARCHAR", ("专利权人类型",)),
        Column("patentee_region_code", "VARCHAR", ("地址代码", "行政区划代码")),
        Column("patentee_address", "VARCHAR", ("地址", "专利权人地址")),
        Column("patentee_country", "VARCHAR", ("国别", "国家")),
        Column("overseas_family_grants", "INTEGER", ("海外同族授权数",)),
        Column("priority_date", "DATE", ("优先权日",)),
    ),
)

LEGAL_EVENTS = Feed(
    name="legal_events",
    key="event_id",
    date_column="event_date",
    columns=(
        Column("event_id", "VARCHAR", ("事件编号",)),
        Column("application_number", "VARCHAR", ("申请号", "专利号"), required=True),
        Column("event_date", "DATE", ("事件日期", "法律状态公告日"), required=True),
        Column("event_type", "VARCHAR", ("事件类型", "法律状态"), required=True),
    ),
)

TRANSFERS = Feed(
    name="transfers",
    key="record_id",
    date_column="registration_date",
    columns=(
        Column("record_id", "VARCHAR", ("登记号", "备案号"), required=True),
        Column("application_number", "VARCHAR", ("申请号", "专利号"), required=True),
        Column("kind", "VARCHAR", ("类型",), required=True),
        Column("license_type", "VARCHAR", ("许可类型",)),
        Column("registration_date", "DATE", ("登记日", "备案日"), required=True),
        *_party("from", "转让方"),
        *_party("to", "受让方"),
        Column("to_is_sme", "BOOLEAN", ("受让方是否中小企业",)),
    ),
)

PLEDGES = Feed(
    name="pledges",
    key="pledge_id",
    date_column="registration_date",
    columns=(
        Column("pledge_id", "VARCHAR", ("质押登记号",), required=True),
        Column("registration_date", "DATE", ("登记日",), required=True),
        *_party("pledgor", "出质人"),
        Column("pledgee_name", "VARCHAR", ("质权人",)),
        Column("amount_10k_cny", "DECIMAL(18,4)", ("质押金额", "质押金额(万元)"), required=True),
        Column("application_numbers", "VARCHAR", ("专利号", "申请号"), required=True),
        Column("status", "VARCHAR", ("状态",)),
    ),
)

PCT = Feed(
    name="pct",
    key="pct_application_number",
    date_column="filing_date",
    columns=(
        Column("pct_application_number", "VARCHAR", ("PCT申请号", "国际申请号"), required=True),
        Column("filing_date", "DATE", ("国际申请日",), required=True),
        Column("receiving_office", "VARCHAR", ("受理局",)),
        *_party("applicant", "申请人"),
        Column("applicant_country", "VARCHAR", ("申请人国别", "国别")),
        Column("ipc_main", "VARCHAR", ("主分类号",)),
        Column("priority_application_number", "VARCHAR", ("优先权申请号",)),
    ),
)

FEEDS: dict[str, Feed] = {f.name: f for f in (GRANTS, LEGAL_EVENTS, TRANSFERS, PLEDGES, PCT)}

# Reference data: (column, DuckDB type). Absent files fall back to built-in defaults.
REFERENCE: dict[str, tuple[tuple[str, str], ...]] = {
    "regions": (
        ("region_code", "VARCHAR"),
        ("name", "VARCHAR"),
        ("level", "VARCHAR"),
        ("parent_code", "VARCHAR"),
        ("valid_from", "DATE"),
        ("valid_to", "DATE"),
    ),
    "population": (
        ("region_code", "VARCHAR"),
        ("year", "INTEGER"),
        ("resident_population", "BIGINT"),
    ),
    "sei_ipc": (("sei_code", "VARCHAR"), ("sei_name", "VARCHAR"), ("ipc_prefix", "VARCHAR")),
    "awards": (("application_number", "VARCHAR"), ("award", "VARCHAR"), ("year", "INTEGER")),
    "entities": (
        ("name", "VARCHAR"),
        ("entity_type", "VARCHAR"),
        ("is_sme", "BOOLEAN"),
        ("is_high_tech", "BOOLEAN"),
        ("region_code", "VARCHAR"),
    ),
    "targets": (
        ("region_code", "VARCHAR"),
        ("indicator_code", "VARCHAR"),
        ("year_from", "INTEGER"),
        ("year", "INTEGER"),
        ("target_value", "DOUBLE"),
        ("comparator", "VARCHAR"),
        ("source", "VARCHAR"),
    ),
    "reported": (
        ("region_code", "VARCHAR"),
        ("indicator_code", "VARCHAR"),
        ("period_end", "DATE"),
        ("value", "DOUBLE"),
        ("source", "VARCHAR"),
    ),
}

# A landed line the reader could not split into the header's fields (its text); the
# normaliser quarantines every row that has it. Landed only, never a raw column.
UNPARSED_COLUMN = "_unparsed"

LINEAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_extra", "VARCHAR"),  # JSON of the source columns the contract does not name
    ("_source", "VARCHAR"),  # file path, or URL and page, or the synthetic generator's id
    ("_row", "BIGINT"),  # 1-based data row of the file; for HTTP, the record's place in its window
    ("_loaded_at", "TIMESTAMP"),
    ("_ingest_hash", "VARCHAR"),  # content hash of the batch: same input, same hash
)

QUARANTINE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_source", "VARCHAR"),
    ("_row", "BIGINT"),
    ("field", "VARCHAR"),
    ("reason", "VARCHAR"),
    ("record", "VARCHAR"),  # JSON of the row as it arrived
    ("_loaded_at", "TIMESTAMP"),
    ("_ingest_hash", "VARCHAR"),
)

# Party roles whose region comes from a code or, failing that, an address. Raw tables carry,
# per role, how the region was found (`code`, `address`, `none`), the level the address
# resolved to and the resolver's confidence.
REGION_ROLES: dict[str, tuple[str, ...]] = {
    "grants": ("patentee",),
    "legal_events": (),
    "transfers": ("from", "to"),
    "pledges": ("pledgor",),
    "pct": ("applicant",),
}
RESOLUTION_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("_region_match", "VARCHAR"),
    ("_region_match_level", "VARCHAR"),
    ("_region_confidence", "DOUBLE"),
)

PATENT_TYPES = {"invention": "发明", "utility_model": "实用新型", "design": "外观设计"}
HOLDER_TYPES = ("enterprise", "university", "research_institute", "individual", "government", "other")
EVENT_TYPES = {
    "lapse_nonpayment": "未缴年费终止",
    "invalidated": "宣告无效",
    "abandoned": "放弃",
    "restored": "恢复",
}
TRANSFER_KINDS = {"assignment": "转让", "license": "许可"}
LICENSE_TYPES = {"exclusive": "独占", "sole": "排他", "ordinary": "普通", "open": "开放许可"}
PLEDGE_STATUSES = {"registered": "登记", "cancelled": "注销"}


def raw_table_ddl(feed: Feed, table: str) -> str:
    cols = [f'"{c.name}" {c.type}' for c in feed.columns]
    cols += [
        f'"{role}{suffix}" {typ}' for role in REGION_ROLES[feed.name] for suffix, typ in RESOLUTION_SUFFIXES
    ]
    cols += [f'"{name}" {typ}' for name, typ in LINEAGE_COLUMNS]
    return f"create table if not exists {table} ({', '.join(cols)})"


def quarantine_table_ddl(table: str) -> str:
    cols = [f'"{name}" {typ}' for name, typ in QUARANTINE_COLUMNS]
    return f"create table if not exists {table} ({', '.join(cols)})"
