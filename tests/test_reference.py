"""Built-in reference data: the region hierarchy, the population anchors, the SEI concordance.

The census files under ../shared/reference are read here only to check coverage (every
county code of Hubei and Hunan is known) and that the product's county figures are
synthetic rather than copied; the product itself never reads them.
"""

from __future__ import annotations

import re
import time
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from ingestion.reference import (
    CENSUS_2020_PROVINCE_POPULATION,
    builtin_industries,
    builtin_population,
    builtin_regions,
    builtin_sei_ipc,
)

CENSUS_DIR = Path(__file__).resolve().parents[2] / "shared" / "reference"


@pytest.fixture(scope="module")
def regions() -> pd.DataFrame:
    return builtin_regions()


@pytest.fixture(scope="module")
def population(regions: pd.DataFrame) -> pd.DataFrame:
    return builtin_population(regions)


def _current(regions: pd.DataFrame) -> pd.DataFrame:
    return regions[regions["valid_to"].isna()]


def test_regions_shape_and_integrity(regions: pd.DataFrame) -> None:
    assert list(regions.columns) == [
        "region_code",
        "name",
        "level",
        "parent_code",
        "valid_from",
        "valid_to",
        "successor_code",
    ]
    assert regions["region_code"].is_unique
    assert regions["region_code"].str.fullmatch(r"\d{6}").all()
    assert set(regions["level"]) == {"province", "prefecture", "county"}
    current = _current(regions)
    assert current["successor_code"].isna().all()
    old = regions[regions["valid_to"].notna()]
    assert old["successor_code"].notna().all()
    assert old["successor_code"].isin(current["region_code"]).all()
    assert (old["valid_from"] <= old["valid_to"]).all()
    assert (old["valid_to"] >= date(1990, 1, 1)).all()
    # every parent exists and is a current province or prefecture (or a province for 省直辖)
    parents = regions["parent_code"].dropna()
    assert parents.isin(current["region_code"]).all()
    assert regions.loc[regions["level"] == "province", "parent_code"].isna().all()
    assert len(current[current["level"] == "province"]) == 31
    assert not current["region_code"].str[:2].isin(["71", "81", "82"]).any()


def test_hubei_hierarchy(regions: pd.DataFrame) -> None:
    current = _current(regions)
    children = current[current["parent_code"] == "420000"]
    prefectures = children[children["level"] == "prefecture"]
    assert len(prefectures) == 13  # 12 prefecture-level cities + 恩施土家族苗族自治州
    assert "422800" in set(prefectures["region_code"])
    assert set(prefectures["region_code"].str[4:]) == {"00"}
    direct_counties = children[children["level"] == "county"]
    assert set(direct_counties["region_code"]) == {"429004", "429005", "429006", "429021"}
    name = dict(zip(current["region_code"], current["name"], strict=True))
    assert name["429004"] == "仙桃市" and name["429021"] == "神农架林区"
    wuhan = current[current["parent_code"] == "420100"]
    assert (wuhan["level"] == "county").all() and len(wuhan) == 13


def test_old_codes_map_to_current(regions: pd.DataFrame) -> None:
    row = regions.set_index("region_code").loc["420821"]
    assert row["name"] == "京山县"
    assert row["successor_code"] == "420882"
    assert row["valid_to"] == date(2018, 1, 1)
    assert row["level"] == "county" and row["parent_code"] == "420800"
    assert regions.set_index("region_code").loc["421023", "successor_code"] == "421088"  # 监利
    assert regions.set_index("region_code").loc["431121", "successor_code"] == "431181"  # 祁阳
    # a chain through a supplementary event: 522423 -> 520522 (2011) -> 520581 黔西市 (2021)
    assert regions.set_index("region_code").loc["522423", "successor_code"] == "520581"
    # chains are followed to the current code: 襄樊市 kept its code, 襄阳县 -> 襄州区
    assert regions.set_index("region_code").loc["420621", "successor_code"] == "420607"


def test_municipalities_have_one_prefecture(regions: pd.DataFrame) -> None:
    current = _current(regions).set_index("region_code")
    municipalities = (("110000", "北京市"), ("120000", "天津市"), ("310000", "上海市"), ("500000", "重庆市"))
    for prov, name in municipalities:
        pref = prov[:2] + "0100"
        assert current.loc[pref, "name"] == name
        assert current.loc[pref, "level"] == "prefecture"
        assert current.loc[pref, "parent_code"] == prov
        counties = current[(current.index.str[:2] == prov[:2]) & (current["level"] == "county")]
        assert len(counties) >= 16 and (counties["parent_code"] == pref).all()


def test_regions_are_fast_and_cached() -> None:
    start = time.perf_counter()
    builtin_regions()
    assert time.perf_counter() - start < 1.0
    a, b = builtin_regions(), builtin_regions()
    a.loc[0, "name"] = "changed"
    assert b.loc[0, "name"] != "changed"  # callers get copies


def test_population_anchors(population: pd.DataFrame) -> None:
    assert list(population.columns) == ["region_code", "year", "resident_population"]
    assert set(population["year"]) == set(range(2010, 2026))
    p2020 = population[population["year"] == 2020].set_index("region_code")["resident_population"]
    assert p2020["420000"] == 57_752_557
    assert p2020["430000"] == 66_444_864
    for code, anchor in CENSUS_2020_PROVINCE_POPULATION.items():
        assert p2020[code] == anchor
    # the bulletin's 1,411,778,724 minus the 2,000,000 not attributed to a province
    assert sum(CENSUS_2020_PROVINCE_POPULATION.values()) == 1_409_778_724
    hubei = population[population["region_code"] == "420000"].set_index("year")["resident_population"]
    assert hubei[2021] / hubei[2020] == pytest.approx(1.003, abs=1e-6)


def test_population_rolls_up(regions: pd.DataFrame, population: pd.DataFrame) -> None:
    current = _current(regions)
    level = dict(zip(current["region_code"], current["level"], strict=True))
    parent = dict(zip(current["region_code"], current["parent_code"], strict=True))
    pop = population.assign(level=population["region_code"].map(level))
    assert pop["level"].notna().all()
    counties = pop[pop["level"] == "county"]
    assert set(counties["region_code"]) == set(current.loc[current["level"] == "county", "region_code"])
    prov_of = counties["region_code"].str[:2] + "0000"
    by_prov = counties.groupby([prov_of, "year"])["resident_population"].sum()
    provs = pop[pop["level"] == "province"].set_index(["region_code", "year"])["resident_population"]
    assert (by_prov.sort_index() == provs.sort_index()).all()
    counties = counties.assign(parent=counties["region_code"].map(parent))
    in_pref = counties[counties["parent"].map(level) == "prefecture"]
    by_pref = in_pref.groupby(["parent", "year"])["resident_population"].sum()
    prefs = pop[pop["level"] == "prefecture"].set_index(["region_code", "year"])["resident_population"]
    assert (by_pref.sort_index() == prefs.sort_index()).all()
    assert (population["resident_population"] > 0).all()


def test_population_subset_and_determinism(regions: pd.DataFrame, population: pd.DataFrame) -> None:
    sub = builtin_population(regions, {"420000"})
    assert set(sub["region_code"].str[:2]) == {"42"}
    full = population[population["region_code"].str[:2] == "42"].reset_index(drop=True)
    pd.testing.assert_frame_equal(sub.reset_index(drop=True), full)


def test_census_counties_of_hubei_hunan_are_known(regions: pd.DataFrame) -> None:
    census = pd.read_csv(CENSUS_DIR / "census2020_county_population.csv", dtype={"region_code": str})
    codes = census["region_code"]
    counties = codes[codes.str[:2].isin(["42", "43"]) & (codes.str[4:] != "00")]
    # x7x codes (荆州经济技术开发区 421071, 云龙示范区 430271 …) are the census's statistical
    # functional zones, not GB/T 2260 divisions: no record can carry them as an address code
    counties = counties[counties.str[4] != "7"]
    assert len(counties) > 200
    missing = set(counties) - set(regions["region_code"])
    assert not missing, sorted(missing)


def test_prefecture_figures_are_synthetic_not_copied(regions: pd.DataFrame, population: pd.DataFrame) -> None:
    census = pd.read_csv(CENSUS_DIR / "census2020_prefecture_population.csv", dtype={"region_code": str})
    census = census[census["province_code"].astype(str).isin(["420000", "430000"])]
    ours = population[population["year"] == 2020].set_index("region_code")["resident_population"]
    both = census[census["region_code"].isin(ours.index)]
    assert len(both) >= 25
    ours_share = both["region_code"].map(ours) / both["province_code"].astype(str).map(ours)
    census_share = both["resident_population_2020"] / both.groupby("province_code")[
        "resident_population_2020"
    ].transform("sum")
    # nothing copied: no prefecture equals its census figure ...
    assert (both["region_code"].map(ours) != both["resident_population_2020"]).all()
    # ... yet the synthetic shares are of the right order (every unit 0.2 %-30 % of its province)
    assert ours_share.between(0.002, 0.30).all()
    assert census_share.between(0.001, 0.30).all()


def test_sei_concordance() -> None:
    sei = builtin_sei_ipc()
    assert list(sei.columns) == ["sei_code", "sei_name", "ipc_prefix"]
    assert sei["sei_code"].nunique() == 9
    assert {
        "新一代信息技术",
        "高端装备制造",
        "新材料",
        "生物",
        "新能源汽车",
        "新能源",
        "节能环保",
        "数字创意",
        "相关服务业",
    } == set(sei["sei_name"])
    assert all(re.fullmatch(r"[A-H]\d\d[A-Z]", p) for p in sei["ipc_prefix"])
    assert sei["ipc_prefix"].is_unique
    assert {"H01L", "G06F", "H04W", "C12N", "B60L"} <= set(sei["ipc_prefix"])
    assert (sei.groupby("sei_code").size() >= 3).all()
    industries = builtin_industries()
    assert list(industries.columns) == ["sei_code", "sei_name", "sector"]
    assert len(industries) == 9
