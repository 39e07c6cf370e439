"""Each contract setting changes the numbers the documented way (indicators.md, "Settings").

The case dataset of test_marts_cases.py runs three times: with the defaults and with two
combinations of non-default settings. Each combination only joins settings that act on
disjoint indicators, so every number below moves for exactly one documented reason:

- run X: attribution=holder_at_grant (stocks), pct_basis=origin (pct_applications),
  inclusive_pledge_threshold_10k_cny=3000 (inclusive_pledge_enterprises);
- run Y: population_basis=current_year_end (ratio denominators),
  high_value_pledge_threshold_10k_cny=800 (hv_pledge and the high-value stock).

Expected values are worked out by hand from the dataset (see test_marts_cases.py).
"""

from __future__ import annotations

import pytest

from orchestration.resources import IndicatorSettings, settings_hash
from tests.test_marts_cases import Served, warehouse_for

RUN_X = (
    "attribution=holder_at_grant",
    "pct_basis=origin",
    "inclusive_pledge_threshold_10k_cny=3000",
)
RUN_Y = (
    "population_basis=current_year_end",
    "high_value_pledge_threshold_10k_cny=800",
)


@pytest.fixture(scope="module")
def default() -> Served:
    served = Served(warehouse_for())
    yield served
    served.con.close()


@pytest.fixture(scope="module")
def x() -> Served:
    served = Served(warehouse_for(*RUN_X))
    yield served
    served.con.close()


@pytest.fixture(scope="module")
def y() -> Served:
    served = Served(warehouse_for(*RUN_Y))
    yield served
    served.con.close()


def _hash(served: Served) -> str:
    (row,) = served.rows("select distinct settings_hash from marts.indicator_values")
    return row[0]


def test_settings_hash_is_the_hash_of_the_settings_built_with(default: Served, x: Served, y: Served) -> None:
    expected_default = settings_hash(IndicatorSettings().values())
    expected_x = settings_hash(
        IndicatorSettings(
            attribution="holder_at_grant", pct_basis="origin", inclusive_pledge_threshold_10k_cny=3000
        ).values()
    )
    expected_y = settings_hash(
        IndicatorSettings(
            population_basis="current_year_end", high_value_pledge_threshold_10k_cny=800
        ).values()
    )
    assert (_hash(default), _hash(x), _hash(y)) == (expected_default, expected_x, expected_y)
    assert len({expected_default, expected_x, expected_y}) == 3
    # every single setting moves the hash on its own
    singles = [
        IndicatorSettings(attribution="holder_at_grant"),
        IndicatorSettings(pct_basis="origin"),
        IndicatorSettings(population_basis="current_year_end"),
        IndicatorSettings(high_value_pledge_threshold_10k_cny=800),
        IndicatorSettings(inclusive_pledge_threshold_10k_cny=3000),
    ]
    hashes = {settings_hash(s.values()) for s in singles} | {expected_default}
    assert len(hashes) == 6
    # the hash reaches the other marts too
    for table in ("marts.target_tracking", "marts.reconciliation"):
        cols = {r[0] for r in x.rows(f"select column_name from (describe {table})")}
        if "settings_hash" in cols:
            assert x.rows(f"select distinct settings_hash from {table}") == [(expected_x,)]


def test_attribution_holder_at_grant(default: Served, x: Served) -> None:
    # A1: granted to 江岸 (武汉), assigned to 西陵 (宜昌) on 2021-06-15
    assert (
        default.v("420102", "invention_in_force", "2021-12-31"),
        x.v("420102", "invention_in_force", "2021-12-31"),
    ) == (0, 1)
    assert (
        default.v("420502", "invention_in_force", "2021-12-31"),
        x.v("420502", "invention_in_force", "2021-12-31"),
    ) == (1, 0)
    assert x.v("420100", "invention_in_force", "2021-12-31", level="prefecture") == 4
    assert x.v("420500", "invention_in_force", "2021-12-31", level="prefecture") == 0
    assert x.v("420500", "invention_in_force_per_10k", "2021-12-31", level="prefecture") == 0
    # HK1: granted to an HK patentee, assigned to 江夏 on 2022-05-20: at grant it is foreign
    assert (
        default.v("420115", "invention_in_force", "2022-12-31"),
        x.v("420115", "invention_in_force", "2022-12-31"),
    ) == (1, 0)
    # 湖北 end 2021: A1 stays inside the province, 11 either way; end 2022: 10 → 9 without HK1
    assert x.v("420000", "invention_in_force", "2021-12-31", level="province") == 11
    assert x.v("420000", "invention_in_force", "2022-12-31", level="province") == 9
    assert x.v("420000", "invention_in_force_per_10k", "2022-12-31", level="province") == pytest.approx(
        9 / 58_300_000 * 1e4
    )
    # flows do not depend on it
    assert x.v("420102", "transfers", "2021-12-31") == 1
    assert x.v("420000", "grants_total", "2022-12-31", level="province") == 9


def test_pct_basis_origin(default: Served, x: Served) -> None:
    # 东西湖: PCT/CN2022/000001 (RO CN, March), PCT/IB2022/050002 (RO IB, April); TW excluded
    assert (
        default.v("420112", "pct_applications", "2022-12-31"),
        x.v("420112", "pct_applications", "2022-12-31"),
    ) == (1, 2)
    assert x.v("420112", "pct_applications", "2022-03-31") == 1
    assert x.v("420112", "pct_applications", "2022-04-30") == 2
    assert x.v("420000", "pct_applications", "2022-12-31", level="province") == 2
    assert x.v("420112", "pct_applications", "2003-12-31") == 1  # RO CN: the same under both


def test_inclusive_pledge_threshold(default: Served, x: Served) -> None:
    # 芙蓉 2022: 丙 500 + 300, 乙 2,700, 甲大学 200 (no enterprise): < 3,000 → 丙, 乙
    assert (
        default.v("430102", "inclusive_pledge_enterprises", "2022-12-31"),
        x.v("430102", "inclusive_pledge_enterprises", "2022-12-31"),
    ) == (1, 2)
    assert x.v("430102", "inclusive_pledge_enterprises", "2021-12-31") == 1  # 乙 2,000
    assert x.v("430102", "inclusive_pledge_enterprises", "2023-06-30") == 1  # 丁 1,000
    assert x.v("430000", "inclusive_pledge_enterprises", "2022-12-31", level="province") == 2
    # 黄石港 2021: 黄石甲 pledged 1,500 and 800: one enterprise either way
    assert x.v("420202", "inclusive_pledge_enterprises", "2021-12-31") == 1
    # the high-value threshold is a different setting: hv_pledge unchanged
    assert x.v("420202", "hv_pledge", "2021-12-31") == 3
    # amounts do not depend on it
    assert x.v("430102", "pledge_amount_100m_cny", "2022-12-31") == pytest.approx(0.37)


def test_population_basis_current_year_end(default: Served, y: Served) -> None:
    # 武昌: 2 in force end 2021, 1 end 2022; population 2020 1.0M, 2021 1.1M, 2022 1.2M
    assert default.v("420106", "invention_in_force_per_10k", "2021-12-31") == pytest.approx(
        2 / 1_000_000 * 1e4
    )
    assert y.v("420106", "invention_in_force_per_10k", "2021-12-31") == pytest.approx(2 / 1_100_000 * 1e4)
    row = y.row("420106", "invention_in_force_per_10k", "2022-12-31")
    assert row["value"] == pytest.approx(1 / 1_200_000 * 1e4)
    assert row["yoy_abs"] == pytest.approx(1 / 1_200_000 * 1e4 - 2 / 1_100_000 * 1e4)
    # 湖北: 11 / 58.30M end 2021, 10 / 58.44M end 2022
    assert y.v("420000", "invention_in_force_per_10k", "2021-12-31", level="province") == pytest.approx(
        11 / 58_300_000 * 1e4
    )
    assert y.v("420000", "invention_in_force_per_10k", "2022-12-31", level="province") == pytest.approx(
        10 / 58_440_000 * 1e4
    )
    # no 2023 population row: the 2023 ratio is null (default: divided by the 2022 row)
    assert y.v("420000", "invention_in_force_per_10k", "2023-06-30", level="province") is None
    assert default.v("420000", "invention_in_force_per_10k", "2023-06-30", level="province") is not None
    # 宜昌 (sum of counties): 2021 rows 510,000 + 310,000; no 2022 rows → null
    assert y.v("420500", "invention_in_force_per_10k", "2021-12-31", level="prefecture") == pytest.approx(
        1 / 820_000 * 1e4
    )
    assert y.v("420500", "invention_in_force_per_10k", "2022-12-31", level="prefecture") is None
    # the stocks themselves do not depend on it
    assert y.v("420106", "invention_in_force", "2021-12-31") == 2


def test_high_value_pledge_threshold(default: Served, y: Served) -> None:
    # 黄石港: PL1 1,500 (D1-D3) 2021-04-20, PL2 800 (D1, D4) 2021-10-10; at 800, D4 qualifies too
    assert (default.v("420202", "hv_pledge", "2021-12-31"), y.v("420202", "hv_pledge", "2021-12-31")) == (
        3,
        4,
    )
    assert y.v("420202", "hv_pledge", "2021-09-30") == 3
    assert y.v("420202", "hv_pledge", "2021-10-31") == 4
    assert y.v("420202", "high_value_in_force", "2021-12-31") == 4
    # 湖北 high value end 2021: C2, D1-D4, E1 = 6, over 58.30M (current year end, run Y)
    assert y.v("420000", "high_value_in_force", "2021-12-31", level="province") == 6
    assert y.v("420000", "high_value_per_10k", "2021-12-31", level="province") == pytest.approx(
        6 / 58_300_000 * 1e4
    )
    # inclusive pledges use their own threshold: PL2 (800 < 1,000) still inclusive
    assert y.v("420202", "inclusive_pledge_enterprises", "2021-12-31") == 1
