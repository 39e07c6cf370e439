"""Calibration constants and the per-(province, year) volume tables of the generator.

Everything the generator draws at random is drawn in SQL; what is decided here is how many
records of each kind each province gets each year, so calibrated figures are exact counts
(not expectations) and scale only multiplies them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ingestion.reference import builtin_regions, builtin_sei_ipc, county_weights

HUBEI = "420000"
HUNAN = "430000"
FOREIGN = "XX"  # pseudo-province of the ~1 % foreign grants
BASE_YEARS = range(2011, 2026)
MIN_START_YEAR = 2010  # inventions filed up to 6 years before grant: filing >= 2004, 12-digit
MAX_END_YEAR = 2035

# Hubei, domestic records, by year. 2020 and 2021 reproduce the published figures
# (indicators.md: 2021 grants 155,000 +40.93 %, inventions 22,400 +27.46 %, PCT 1,691
# +12.43 %, transfers 18,700 +37.96 %, pledges 50.26 亿元 +54.4 %); the other years are
# plausible shapes (rough orders of magnitude of the provincial bulletins), not data.
HUBEI_GRANTS = dict(
    zip(
        BASE_YEARS,
        (
            19_035,
            24_475,
            28_760,
            28_290,
            38_781,
            41_822,
            46_369,
            64_106,
            68_726,
            109_984,
            155_000,
            146_500,
            132_000,
            138_000,
            145_000,
        ),
        strict=True,
    )
)
HUBEI_INVENTIONS = dict(
    zip(
        BASE_YEARS,
        (
            3_160,
            4_050,
            4_250,
            4_600,
            6_820,
            7_930,
            8_850,
            10_200,
            11_600,
            17_574,
            22_400,
            29_800,
            33_500,
            40_500,
            46_000,
        ),
        strict=True,
    )
)
DESIGN_SHARE = 0.13  # of all grants; utility models are the rest (~60-73 %)
HUBEI_ASSIGNMENTS = dict(
    zip(
        BASE_YEARS,
        (
            2_100,
            2_600,
            3_100,
            3_600,
            4_300,
            5_400,
            6_900,
            8_600,
            10_800,
            13_555,
            18_700,
            22_500,
            25_800,
            28_900,
            31_500,
        ),
        strict=True,
    )
)
HUBEI_LICENSES = dict(
    zip(
        BASE_YEARS,
        (300, 340, 380, 420, 470, 520, 580, 650, 730, 820, 1_200, 2_000, 4_500, 8_000, 11_000),
        strict=True,
    )
)
HUBEI_PCT_CN = dict(
    zip(
        BASE_YEARS,
        (420, 510, 590, 660, 760, 880, 1_030, 1_180, 1_340, 1_504, 1_691, 1_750, 1_820, 1_900, 1_980),
        strict=True,
    )
)
PCT_OTHER_RO_SHARE = 0.06  # extra PCT filings at IB / other receiving offices
HUBEI_PLEDGE_100M_CNY = dict(
    zip(
        BASE_YEARS,
        (4.2, 5.6, 7.4, 9.8, 12.5, 15.6, 19.4, 23.1, 27.8, 32.55, 50.26, 78.5, 103.0, 128.0, 152.0),
        strict=True,
    )
)
HUBEI_PLEDGE_COUNT = dict(
    zip(
        BASE_YEARS,
        (90, 120, 150, 190, 240, 300, 370, 450, 560, 690, 1_050, 1_600, 2_100, 2_600, 3_000),
        strict=True,
    )
)
HUBEI_AWARDS = 170  # awarded inventions over the whole period (Hunan ~100: "a few hundred")
FOREIGN_SHARE = 0.01  # foreign grants on top of the domestic ones
# Outside 2011-2025: -12 %/yr before, +5 %/yr after (only used for custom year ranges).
GROWTH_BEFORE, GROWTH_AFTER = 0.12, 0.05

# Volumes of the other provinces relative to Hubei (approximate 2021 patent grants,
# rounded, CNIPA annual statistics; only used to shape the synthetic volumes). Fixed order:
# Hubei and Hunan (scale 1), then the large ones first; scale n >= 1 includes the first
# n + 1 provinces, scale 30 the whole mainland.
PROVINCE_GRANTS_2021: dict[str, int] = {
    HUBEI: 155_000,
    HUNAN: 94_500,
    "440000": 872_000,
    "320000": 641_000,
    "330000": 465_000,
    "370000": 275_000,
    "110000": 199_000,
    "310000": 179_000,
    "510000": 146_000,
    "340000": 155_000,
    "410000": 158_000,
    "350000": 173_000,
    "610000": 74_000,
    "120000": 97_000,
    "500000": 76_000,
    "360000": 105_000,
    "130000": 112_000,
    "210000": 77_000,
    "450000": 53_000,
    "530000": 38_000,
    "140000": 37_000,
    "230000": 38_000,
    "520000": 36_000,
    "220000": 30_000,
    "620000": 25_000,
    "150000": 20_000,
    "650000": 17_000,
    "460000": 11_000,
    "640000": 10_000,
    "630000": 5_000,
    "540000": 2_400,
}
PROVINCE_ORDER: tuple[str, ...] = tuple(PROVINCE_GRANTS_2021)
WHOLE_COUNTRY_SCALE = 30

# Serial space of application numbers: serial = lag * M + i (7 digits), unique per
# (filing year, type) because grant year = filing year + lag. Inventions: lags 0-6.
SERIAL_STRIDE = {1: 1_400_000, 2: 4_900_000, 3: 4_900_000}
# Publication numbers CN + type digit + 8 digits: (grant year - 2010) * stride + index, so
# at most 3.5 million grants of one type a year (the whole country has ~3 million utility
# models at scale 30) and grant years up to 2038.
PUBLICATION_STRIDE = 3_500_000
PRIORITY_SERIAL_BASE = 9_800_000  # invention serials never granted: PCT priority numbers

# Legal status: time from grant to the first termination, Weibull(shape k, scale eta) in
# years, per patent type. eta of inventions is the calibration knob of invention_in_force.
LAPSE_WEIBULL = {1: (1.3, 24.2), 2: (1.2, 4.5), 3: (1.2, 4.0)}
INVALIDATED_SHARE, ABANDONED_SHARE = 0.01, 0.015  # of first terminations
RESTORED_SHARE = 0.06  # of lapses, 2-12 months later
RELAPSE_SHARE = 0.35  # of restorations, lapse again 1-4 years later

ENTERPRISES_PER_COUNTY = 200
SLOTS = 10_000  # county lookup resolution per province

# IPC: share of main classes in the SEI concordance, by type; secondary codes are SEI with
# SEI_SECONDARY_SHARE. Non-SEI subclasses below never start with an SEI prefix.
SEI_MAIN_SHARE = {1: 0.20, 2: 0.16}
SEI_SECONDARY_SHARE = 0.12
NON_SEI_IPC = (
    "A01B",
    "A01G",
    "A23L",
    "A47J",
    "A47L",
    "A61B",
    "A61G",
    "A61M",
    "B01F",
    "B08B",
    "B21D",
    "B23P",
    "B24B",
    "B29C",
    "B65D",
    "B65G",
    "B66C",
    "E01D",
    "E02D",
    "E04B",
    "E04G",
    "E21B",
    "F16B",
    "F16K",
    "F16L",
    "F24C",
    "F25D",
    "G01B",
    "G01R",
    "G08B",
    "G09F",
    "H01R",
    "H02K",
    "H02G",
    "H05B",
)

# Street names checked (tests) not to contain any region name, so addresses resolve only
# through their administrative prefix.
STREETS = (
    "科技路",
    "创业大道",
    "文化路",
    "工业大道",
    "学院路",
    "腾飞路",
    "创新大道",
    "发展大道",
    "高新大道",
    "光谷大道",
    "民族路",
    "幸福路",
    "青年路",
    "团结路",
    "迎宾大道",
    "金融街",
    "紫荆路",
    "桂花路",
    "梧桐路",
    "银杏路",
    "香樟大道",
    "明珠路",
    "星光大道",
    "阳光路",
)


def hubei_series(series: dict[int, float], year: int) -> float:
    """A Hubei series at any year: the table inside 2011-2025, extrapolated outside."""
    if year in series:
        return float(series[year])
    first, last = min(series), max(series)
    if year < first:
        return series[first] * (1 - GROWTH_BEFORE) ** (first - year)
    return series[last] * (1 + GROWTH_AFTER) ** (year - last)


@dataclass(frozen=True)
class Plan:
    """Which provinces, with what volume multiplier each, at a given scale."""

    provinces: tuple[str, ...]
    factors: dict[str, float]  # province -> multiplier of Hubei's series

    @classmethod
    def for_scale(cls, scale: float) -> Plan:
        if not scale > 0:
            raise ValueError(f"scale must be > 0, got {scale}")
        if scale <= 1:
            provinces, mult = PROVINCE_ORDER[:2], scale
        else:
            n = min(len(PROVINCE_ORDER), 1 + math.floor(min(scale, WHOLE_COUNTRY_SCALE)))
            provinces, mult = PROVINCE_ORDER[:n], 1.0
        factors = {p: PROVINCE_GRANTS_2021[p] / PROVINCE_GRANTS_2021[HUBEI] * mult for p in provinces}
        return cls(provinces=provinces, factors=factors)


def _blocks(df: pd.DataFrame, order_cols: list[str], within: list[str]) -> pd.DataFrame:
    """Add `off` (start of each row's index range within `within`, in province order) and
    `base` (start of its dense `_row` range over the whole table)."""
    df = df.sort_values(order_cols, kind="stable").reset_index(drop=True)
    df["base"] = df["n"].cumsum() - df["n"]
    by_within = df.sort_values([*within, "pord"], kind="stable")
    by_within["off"] = by_within.groupby(within)["n"].cumsum() - by_within["n"]
    df["off"] = by_within["off"].reindex(df.index)
    return df


def volume_tables(plan: Plan, years: range) -> dict[str, pd.DataFrame]:
    """Exact counts per (province, year, kind) for every table, with index offsets."""
    pord = {p: k for k, p in enumerate((*plan.provinces, FOREIGN))}
    grants, transfers, pledges, pct, awards = [], [], [], [], []
    for p in plan.provinces:
        f = plan.factors[p]
        for y in years:
            total = round(hubei_series(HUBEI_GRANTS, y) * f)
            inv = round(hubei_series(HUBEI_INVENTIONS, y) * f)
            des = round(hubei_series(HUBEI_GRANTS, y) * DESIGN_SHARE * f)
            for t, n in ((1, inv), (2, total - inv - des), (3, des)):
                grants.append((p, t, y, max(n, 1)))
            transfers.append((p, 1, y, max(1, round(hubei_series(HUBEI_ASSIGNMENTS, y) * f))))
            transfers.append((p, 2, y, max(1, round(hubei_series(HUBEI_LICENSES, y) * f))))
            amount = hubei_series(HUBEI_PLEDGE_100M_CNY, y) * 10_000 * f
            pledges.append((p, y, max(1, round(hubei_series(HUBEI_PLEDGE_COUNT, y) * f)), amount))
            n_cn = max(1, round(hubei_series(HUBEI_PCT_CN, y) * f))
            pct.append((p, 1, y, n_cn))
            pct.append((p, 2, y, round(n_cn * PCT_OTHER_RO_SHARE)))
        awards.append((p, max(1, round(HUBEI_AWARDS * f * len(years) / len(BASE_YEARS)))))
    g = pd.DataFrame(grants, columns=["prov", "t", "g", "n"])
    foreign = g.groupby(["t", "g"], as_index=False)["n"].sum()
    foreign["n"] = (foreign["n"] * FOREIGN_SHARE).round().astype(int)
    foreign["prov"] = FOREIGN
    g = pd.concat([g, foreign[["prov", "t", "g", "n"]]], ignore_index=True)
    out = {
        "grants": g,
        "transfers": pd.DataFrame(transfers, columns=["prov", "kind", "y", "n"]),
        "pledges": pd.DataFrame(pledges, columns=["prov", "y", "n", "amount_10k"]),
        "pct": pd.DataFrame(pct, columns=["prov", "ro", "y", "n"]),
        "awards": pd.DataFrame(awards, columns=["prov", "n"]),
    }
    for df in out.values():
        df["pord"] = df["prov"].map(pord)
    out["grants"] = _blocks(out["grants"], ["pord", "t", "g"], ["t", "g"])
    out["transfers"] = _blocks(out["transfers"], ["kind", "pord", "y"], ["kind", "y"])
    out["pledges"] = _blocks(out["pledges"], ["pord", "y"], ["y"])
    out["pct"] = _blocks(out["pct"], ["pord", "ro", "y"], ["ro", "y"])
    aw = out["awards"]
    aw["base"] = aw["n"].cumsum() - aw["n"]
    totals = out["grants"].groupby(["t", "g"])["n"].sum()
    for (t, y), n in totals.items():
        if n > min(SERIAL_STRIDE[int(t)], PUBLICATION_STRIDE):
            raise ValueError(f"{n} grants of type {t} in {y} exceed the application-number space")
    return out


def _short(name: str) -> str:
    """A region's short name as used in organisation names (武汉市 -> 武汉, 恩施州 -> 恩施)."""
    if name.endswith("自治区"):
        base = name[:-3]
        for ethnic in ("壮族", "回族", "维吾尔"):
            base = base.removesuffix(ethnic)
        return base
    if name.endswith("省"):
        return name[:-1]
    if name.endswith(("自治州", "自治县", "自治旗")) and len(name) > 4:
        return name[:2]
    if name.endswith(("地区", "林区", "新区")) and len(name) > 3:
        return name[:-2]
    if name.endswith(("市", "区", "县", "盟", "旗", "州")) and len(name) > 2:
        return name[:-1]
    return name


def county_slots(provinces: tuple[str, ...]) -> pd.DataFrame:
    """Per province, SLOTS equal-probability slots -> county, weighted by population.

    Carries each county's naming and address parts, and the retired code (and name) that
    some records still use (420882 京山市 <- 420821 京山县).
    """
    regions = builtin_regions()
    cur = regions[regions["valid_to"].isna()].set_index("region_code")
    weights = county_weights(regions)
    old = regions[regions["valid_to"].notna() & (regions["level"] == "county")]
    old = old[old["successor_code"].isin(weights["region_code"])]
    old = old[old["valid_to"] >= pd.Timestamp("2015-01-01").date()]
    old = (
        old.sort_values(["successor_code", "valid_to", "region_code"])
        .drop_duplicates("successor_code", keep="last")
        .set_index("successor_code")
    )
    frames = []
    for p in provinces:
        cw = weights[weights["province_code"] == p].reset_index(drop=True)
        cum = np.cumsum(cw["share"].to_numpy())
        cum[-1] = 1.0
        idx = np.searchsorted(cum, (np.arange(SLOTS) + 0.5) / SLOTS, side="right")
        prov_name = cur.loc[p, "name"]
        rows = []
        for k in range(len(cw)):
            code = cw.loc[k, "region_code"]
            name = cw.loc[k, "name"]
            parent = cw.loc[k, "parent_code"]
            municipality = parent.endswith("0100") and cur.loc[parent, "name"] == prov_name
            if parent == p:  # province-administered county-level unit
                pref_name, pref_short, pref_code = "", _short(name), code
            else:
                pref_name = "" if municipality else cur.loc[parent, "name"]
                pref_short, pref_code = _short(cur.loc[parent, "name"]), parent
            prefix = pref_short + ("" if parent == p else _short(name))
            oc = old.loc[code] if code in old.index else None
            rows.append(
                {
                    "county_code": code,
                    "pref_code": pref_code,
                    "pref_short": pref_short,
                    "prov_short": _short(prov_name),
                    "name_prefix": prefix,
                    "addr_prefix": prov_name + pref_name + name,
                    "old_code": None if oc is None else oc["region_code"],
                    "old_addr_prefix": None if oc is None else prov_name + pref_name + oc["name"],
                }
            )
        info = pd.DataFrame(rows)
        # two counties of one prefecture can share a short name (临夏市/临夏县): keep the suffix
        dup = info["name_prefix"].duplicated(keep=False)
        info.loc[dup, "name_prefix"] = info.loc[dup, "pref_short"] + cw.loc[dup, "name"]
        slots = info.iloc[idx].reset_index(drop=True)
        slots.insert(0, "slot", np.arange(SLOTS, dtype=np.int64))
        slots.insert(0, "prov", p)
        frames.append(slots)
    return pd.concat(frames, ignore_index=True)


def sei_prefixes() -> list[str]:
    return sorted(builtin_sei_ipc()["ipc_prefix"])
