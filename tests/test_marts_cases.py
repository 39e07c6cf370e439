"""Hand-built cases through the real pipeline (`ipind run --source files`), marts checked
against numbers worked out by hand from the contract (indicators.md).

One landing folder holds every case; each case lives in its own county so the cases do not
disturb each other's numbers. The newest event is a grant on 2023-06-20, so the as-of date
is 2023-06-30: years up to 2022 are complete, 2023 exists only as year-to-date periods.

Regions used (GB/T 2260, built-in regions reference):
  湖北 420000 — 武汉 420100 (江岸 420102, 硚口 420104, 武昌 420106, 洪山 420111,
  东西湖 420112, 江夏 420115), 黄石 420200 (黄石港 420202, 大冶 420281), 十堰 420300
  (茅箭 420302), 宜昌 420500 (西陵 420502, 伍家岗 420503), 襄阳 420600 (樊城 420606),
  荆门 420800 (京山市 420882, formerly 京山县 420821), 仙桃 429004.
  湖南 430000 — 长沙 430100 (芙蓉 430102).
"""

from __future__ import annotations

import csv
import tempfile
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ipind

# --------------------------------------------------------------------------------------
# Dataset
# --------------------------------------------------------------------------------------

_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)


def appno(body: str) -> str:
    """Application number with its check character (feeds.md): digits × 2,3,4,5,6,7,8,9,2,3,4,5,
    summed, modulo 11, 10 written X."""
    assert body.isdigit() and len(body) in (8, 12)
    check = sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=False)) % 11
    return f"{body}.{'X' if check == 10 else check}"


def _inv(year: int, serial: int) -> str:
    return appno(f"{year}1{serial:07d}")


def _um(year: int, serial: int) -> str:
    return appno(f"{year}2{serial:07d}")


def _design(year: int, serial: int) -> str:
    return appno(f"{year}3{serial:07d}")


# Inventions ------------------------------------------------------------------------------
A1 = _inv(2015, 1)  # 江岸 → assigned to 西陵 (宜昌) on 2021-06-15
B1 = _inv(2016, 1)  # 武昌, lapsed 2021-03-01, restored 2021-09-01
B2 = _inv(2016, 2)  # 武昌, lapsed 2022-02-01 for good
C1 = appno("01100001")  # 洪山, filed 2001-12-31: expires on 2021-12-31
C2 = appno("02100001")  # 洪山, filed 2002-01-02: in force on 2021-12-31, expired 2022-01-02
D1, D2, D3, D4 = (_inv(2019, i) for i in (1, 2, 3, 4))  # 黄石港, pledged
E1 = _inv(2008, 1)  # 大冶: SEI + overseas family + maintained >10 y (+ award 2022)
E2 = _inv(2018, 1)  # 大冶: award 2022 only
F1 = _inv(2017, 1)  # 茅箭 (十堰): no population anywhere in 十堰
HK1 = _inv(2017, 2)  # HK patentee (code 420115 given), assigned to 江夏 on 2022-05-20

# Utility models / designs ----------------------------------------------------------------
UA = _um(2019, 1)  # 江岸, licensed 2021-08-01
HY = [_um(2021, i) for i in range(1, 7)]  # 硚口 grants (YTD / YoY)
HY_DESIGN = _design(2022, 1)  # 硚口 design 2022 (zero base)
XT = _um(2022, 1)  # 仙桃 429004
JS = _um(2022, 2)  # old code 420821 京山县 → 420882 京山市
XY1 = _um(2022, 3)  # address only, resolves to 樊城区 420606
XY2 = _um(2022, 4)  # address only, resolves to 襄阳市 420600 only
TW1 = _um(2022, 5)  # TW patentee: counted nowhere
HU1, HU2, HU3 = _um(2019, 11), _um(2019, 12), _um(2023, 1)  # 湖南 芙蓉区

GRANT_COLUMNS = [
    "application_number",
    "patent_type",
    "title",
    "filing_date",
    "grant_date",
    "ipc_main",
    "ipc_all",
    "patentee_name",
    "patentee_type",
    "patentee_region_code",
    "patentee_address",
    "patentee_country",
    "overseas_family_grants",
]


def _g(
    app,
    ptype,
    filed,
    granted,
    name,
    ptype_holder,
    code,
    *,
    ipc="G06F 16/00",
    address="",
    country="CN",
    overseas=0,
):
    return [
        app,
        ptype,
        f"专利{app}",
        filed,
        granted,
        ipc,
        ipc,
        name,
        ptype_holder,
        code,
        address,
        country,
        overseas,
    ]


GRANTS = [
    _g(A1, "invention", "2015-03-01", "2018-05-10", "武汉江岸甲公司", "enterprise", "420102"),
    _g(B1, "invention", "2016-01-04", "2019-01-08", "武昌乙公司", "enterprise", "420106"),
    _g(B2, "invention", "2016-02-01", "2019-02-01", "武昌丙公司", "enterprise", "420106"),
    _g(C1, "invention", "2001-12-31", "2004-06-01", "洪山甲研究所", "research_institute", "420111"),
    _g(C2, "invention", "2002-01-02", "2004-06-01", "洪山乙研究所", "research_institute", "420111"),
    _g(D1, "invention", "2019-03-01", "2020-08-01", "黄石甲公司", "enterprise", "420202"),
    _g(D2, "invention", "2019-03-01", "2020-08-01", "黄石甲公司", "enterprise", "420202"),
    _g(D3, "invention", "2019-03-01", "2020-08-01", "黄石甲公司", "enterprise", "420202"),
    _g(D4, "invention", "2019-05-01", "2020-09-01", "黄石甲公司", "enterprise", "420202"),
    _g(
        E1,
        "invention",
        "2008-05-06",
        "2011-03-01",
        "大冶丙公司",
        "enterprise",
        "420281",
        ipc="H01M 10/052",
        overseas=2,
    ),
    _g(E2, "invention", "2018-01-10", "2021-02-01", "大冶丁公司", "enterprise", "420281"),
    _g(F1, "invention", "2017-01-01", "2020-01-01", "十堰甲公司", "enterprise", "420302"),
    _g(HK1, "invention", "2017-06-01", "2020-03-03", "香港甲有限公司", "enterprise", "420115", country="HK"),
    _g(UA, "utility_model", "2019-01-02", "2019-07-01", "武汉江岸甲公司", "enterprise", "420102"),
    # 硚口: 2 grants in 2021, 4 utility models + 1 design in 2022
    _g(HY[0], "utility_model", "2021-01-04", "2021-05-10", "硚口甲公司", "enterprise", "420104"),
    _g(HY[1], "utility_model", "2021-01-04", "2021-12-20", "硚口甲公司", "enterprise", "420104"),
    _g(HY[2], "utility_model", "2021-06-01", "2022-01-15", "硚口甲公司", "enterprise", "420104"),
    _g(HY[3], "utility_model", "2021-06-01", "2022-03-10", "硚口甲公司", "enterprise", "420104"),
    _g(HY[4], "utility_model", "2021-06-01", "2022-03-31", "硚口甲公司", "enterprise", "420104"),
    _g(HY[5], "utility_model", "2021-06-01", "2022-07-01", "硚口甲公司", "enterprise", "420104"),
    _g(HY_DESIGN, "design", "2022-01-05", "2022-08-08", "硚口甲公司", "enterprise", "420104", ipc=""),
    _g(XT, "utility_model", "2022-01-05", "2022-04-01", "仙桃甲公司", "enterprise", "429004"),
    _g(JS, "utility_model", "2022-01-05", "2022-05-05", "京山甲公司", "enterprise", "420821"),
    _g(
        XY1,
        "utility_model",
        "2022-01-05",
        "2022-06-06",
        "襄阳甲公司",
        "enterprise",
        "",
        address="湖北省襄阳市樊城区人民路1号",
    ),
    _g(
        XY2,
        "utility_model",
        "2022-01-05",
        "2022-06-07",
        "襄阳乙公司",
        "enterprise",
        "",
        address="湖北省襄阳市",
    ),
    _g(
        TW1,
        "utility_model",
        "2022-01-05",
        "2022-02-02",
        "台湾甲股份有限公司",
        "enterprise",
        "",
        address="台湾省台北市信义路五段7号",
        country="TW",
    ),
    _g(HU1, "utility_model", "2019-06-01", "2020-05-01", "湖南甲大学", "university", "430102"),
    _g(HU2, "utility_model", "2019-06-01", "2020-06-01", "湖南乙公司", "enterprise", "430102"),
    _g(HU3, "utility_model", "2023-01-03", "2023-06-20", "湖南丙公司", "enterprise", "430102"),
]

LEGAL_EVENTS = [
    ["LE1", B1, "2021-03-01", "lapse_nonpayment"],
    ["LE2", B1, "2021-09-01", "restored"],
    ["LE3", B2, "2022-02-01", "lapse_nonpayment"],
    ["LE4", D4, "2023-03-01", "lapse_nonpayment"],  # the only stock change of 2023
]

TRANSFER_COLUMNS = [
    "record_id",
    "application_number",
    "kind",
    "license_type",
    "registration_date",
    "from_name",
    "from_type",
    "from_region_code",
    "to_name",
    "to_type",
    "to_region_code",
    "to_is_sme",
]

TRANSFERS = [
    [
        "TA1",
        A1,
        "assignment",
        "",
        "2021-06-15",
        "武汉江岸甲公司",
        "enterprise",
        "420102",
        "宜昌西陵乙公司",
        "enterprise",
        "420502",
        "false",
    ],
    [
        "LA1",
        UA,
        "license",
        "ordinary",
        "2021-08-01",
        "武汉江岸甲公司",
        "enterprise",
        "420102",
        "武汉许可甲公司",
        "enterprise",
        "420102",
        "true",
    ],
    [
        "THK",
        HK1,
        "assignment",
        "",
        "2022-05-20",
        "香港甲有限公司",
        "enterprise",
        "",
        "武汉江夏丁公司",
        "enterprise",
        "420115",
        "false",
    ],
    # 湖南: university / institute → SME
    [
        "TH1",
        HU1,
        "assignment",
        "",
        "2021-03-03",
        "湖南甲大学",
        "university",
        "430102",
        "长沙小微甲公司",
        "enterprise",
        "430102",
        "true",
    ],
    [
        "TH2",
        HU1,
        "license",
        "ordinary",
        "2022-02-02",
        "湖南甲大学",
        "university",
        "430102",
        "长沙小微乙公司",
        "enterprise",
        "430102",
        "true",
    ],
    [
        "TH3",
        HU1,
        "license",
        "ordinary",
        "2022-04-04",
        "湖南丙研究所",
        "research_institute",
        "430102",
        "长沙小微丙公司",
        "enterprise",
        "430102",
        "",
    ],  # SME according to entities.csv
    [
        "TH4",
        HU1,
        "license",
        "exclusive",
        "2022-05-05",
        "湖南甲大学",
        "university",
        "430102",
        "长沙大型丁集团",
        "enterprise",
        "430102",
        "false",
    ],
    [
        "TH5",
        HU2,
        "assignment",
        "",
        "2022-06-06",
        "湖南乙公司",
        "enterprise",
        "430102",
        "长沙小微甲公司",
        "enterprise",
        "430102",
        "true",
    ],
]

PLEDGE_COLUMNS = [
    "pledge_id",
    "registration_date",
    "pledgor_name",
    "pledgor_type",
    "pledgor_region_code",
    "pledgee_name",
    "amount_10k_cny",
    "application_numbers",
    "status",
]

PLEDGES = [
    [
        "PL1",
        "2021-04-20",
        "黄石甲公司",
        "enterprise",
        "420202",
        "中国银行黄石分行",
        "1500",
        f"{D1};{D2};{D3}",
        "registered",
    ],
    [
        "PL1",
        "2022-03-15",
        "黄石甲公司",
        "enterprise",
        "420202",
        "中国银行黄石分行",
        "1500",
        f"{D1};{D2};{D3}",
        "cancelled",
    ],
    [
        "PL2",
        "2021-10-10",
        "黄石甲公司",
        "enterprise",
        "420202",
        "中国银行黄石分行",
        "800",
        f"{D1};{D4}",
        "registered",
    ],
    # the same enterprise again, registered in 大冶: one enterprise for 黄石 and 湖北
    ["PL3", "2021-11-11", "黄石甲公司", "enterprise", "420281", "中国银行黄石分行", "100", E2, "registered"],
    ["PH1", "2021-07-07", "湖南乙公司", "enterprise", "430102", "长沙银行", "2000", HU2, "registered"],
    ["PH2", "2022-03-03", "湖南丙公司", "enterprise", "430102", "长沙银行", "500", HU2, "registered"],
    ["PH3", "2022-09-09", "湖南丙公司", "enterprise", "430102", "长沙银行", "300", HU2, "registered"],
    ["PH4", "2022-11-11", "湖南乙公司", "enterprise", "430102", "长沙银行", "2700", HU2, "registered"],
    ["PH5", "2022-12-12", "湖南甲大学", "university", "430102", "长沙银行", "200", HU1, "registered"],
    ["PH6", "2023-05-05", "湖南丁公司", "enterprise", "430102", "长沙银行", "1000", HU2, "registered"],
]

PCT_COLUMNS = [
    "pct_application_number",
    "filing_date",
    "receiving_office",
    "applicant_name",
    "applicant_type",
    "applicant_region_code",
    "applicant_country",
    "ipc_main",
]

PCTS = [
    ["PCT/CN2022/000001", "2022-03-01", "CN", "东西湖甲公司", "enterprise", "420112", "CN", "H04L 5/00"],
    ["PCT/IB2022/050002", "2022-04-01", "IB", "东西湖甲公司", "enterprise", "420112", "CN", "H04L 5/00"],
    ["PCT/CN2022/000003", "2022-05-01", "CN", "台湾乙公司", "enterprise", "", "TW", "H04L 5/00"],
    # filed before the first grant (2004-06-01): the periods must start in 2003
    ["PCT/CN2003/000004", "2003-11-20", "CN", "东西湖甲公司", "enterprise", "420112", "CN", "H04L 5/00"],
]

POPULATION = [
    ["420000", 2020, 57_750_000],
    ["420000", 2021, 58_300_000],
    ["420000", 2022, 58_440_000],
    ["420106", 2020, 1_000_000],
    ["420106", 2021, 1_100_000],
    ["420106", 2022, 1_200_000],
    # 宜昌 has no row of its own: its population is the sum of its counties' rows
    ["420502", 2020, 500_000],
    ["420503", 2020, 300_000],
    ["420502", 2021, 510_000],
    ["420503", 2021, 310_000],
    # filed under the old code 京山县 420821: counts for 京山市 420882
    ["420821", 2020, 600_000],
]

TARGET_COLUMNS = [
    "region_code",
    "indicator_code",
    "year_from",
    "year",
    "target_value",
    "comparator",
    "source",
]

TARGETS = [
    ["430000", "pledge_amount_100m_cny", 2021, 2022, 0.5, "cumulative>=", "t-cum-met"],
    ["430000", "pledge_amount_100m_cny", 2022, 2023, 1.0, "cumulative>=", "t-cum-risk"],
    ["430000", "grants_total", 2023, 2023, 2, ">=", "t-ontrack"],
    ["420281", "high_value_in_force", 2022, 2022, 10, "growth>=", "t-growth"],
    ["420000", "grants_total", 2022, 2022, 1000, ">", "t-missed"],
    ["440000", "grants_total", 2022, 2022, 1, ">", "t-nodata"],
    ["430000", "patent_product_filings", 2022, 2022, 2500, ">=", "t-reported"],
    ["420202", "invention_in_force", 2023, 2023, 3, ">=", "t-stock-risk"],
    ["420202", "invention_in_force", 2023, 2023, 2, ">=", "t-stock-ontrack"],
    ["420281", "high_value_in_force", 2023, 2023, 10, "growth>=", "t-growth-risk"],
]

REPORTED = [
    ["420104", "grants_total", "2022-12-31", 4, "r-year"],
    ["420104", "grants_total", "2022-03-31", 3, "r-ytd"],
    ["430000", "patent_product_filings", "2022-12-31", 2600, "r-external"],
]


def _write(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def write_landing(landing: Path) -> Path:
    landing.mkdir(parents=True, exist_ok=True)
    _write(landing / "grants_cases.csv", GRANT_COLUMNS, GRANTS)
    _write(
        landing / "legal_events_cases.csv",
        ["event_id", "application_number", "event_date", "event_type"],
        LEGAL_EVENTS,
    )
    _write(landing / "transfers_cases.csv", TRANSFER_COLUMNS, TRANSFERS)
    _write(landing / "pledges_cases.csv", PLEDGE_COLUMNS, PLEDGES)
    _write(landing / "pct_cases.csv", PCT_COLUMNS, PCTS)
    _write(landing / "population.csv", ["region_code", "year", "resident_population"], POPULATION)
    _write(
        landing / "sei_ipc.csv",
        ["sei_code", "sei_name", "ipc_prefix"],
        [["6", "新能源汽车产业", "H01M"], ["1", "新一代信息技术产业", "H04L"]],
    )
    _write(
        landing / "awards.csv",
        ["application_number", "award", "year"],
        [[E1, "china_patent_award", 2022], [E2, "national_sti_award", 2022]],
    )
    _write(
        landing / "entities.csv",
        ["name", "entity_type", "is_sme", "is_high_tech", "region_code"],
        [["长沙小微丙公司", "enterprise", "true", "false", "430102"]],
    )
    _write(landing / "targets.csv", TARGET_COLUMNS, TARGETS)
    _write(
        landing / "reported.csv", ["region_code", "indicator_code", "period_end", "value", "source"], REPORTED
    )
    return landing


# --------------------------------------------------------------------------------------
# Runs (one per settings combination, shared by test_settings.py)
# --------------------------------------------------------------------------------------

_RUNS: dict[tuple[str, ...], Path] = {}
# removed when the test process exits (each run leaves ~250 MB of warehouses)
_BASE_DIR = tempfile.TemporaryDirectory(prefix="ipind_marts_cases_")
_BASE = Path(_BASE_DIR.name)


def warehouse_for(*settings: str) -> Path:
    """Run the pipeline on the case dataset with `--set` settings (cached per combination)."""
    key = tuple(sorted(settings))
    if key not in _RUNS:
        root = _BASE / f"run{len(_RUNS)}"
        landing = write_landing(root / "landing")
        warehouse = root / "warehouse"
        warehouse.mkdir()
        args = ["run", "--source", "files", "--landing", str(landing)]
        for s in key:
            args += ["--set", s]
        result = ipind(*args, warehouse=warehouse)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
        _RUNS[key] = warehouse
    return _RUNS[key]


class Served:
    """Read-only access to one run's serving.duckdb."""

    def __init__(self, warehouse: Path) -> None:
        self.con = duckdb.connect(str(warehouse / "serving.duckdb"), read_only=True)

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        return self.con.execute(sql, params or []).fetchall()

    def row(
        self,
        region: str,
        indicator: str,
        period_end: str,
        *,
        level: str = "county",
        period_type: str | None = None,
    ) -> dict:
        """The indicator_values row; period_type defaults to year for 31 Dec, else ytd."""
        if period_type is None:
            period_type = "year" if period_end.endswith("-12-31") else "ytd"
        found = self.con.execute(
            "select * from marts.indicator_values where region_code = ? and region_level = ?"
            " and indicator_code = ? and period_type = ? and period_end = ?",
            [region, level, indicator, period_type, date.fromisoformat(period_end)],
        )
        names = [d[0] for d in found.description]
        rows = found.fetchall()
        assert len(rows) == 1, (region, level, indicator, period_type, period_end, rows)
        return dict(zip(names, rows[0], strict=True))

    def v(
        self,
        region: str,
        indicator: str,
        period_end: str,
        *,
        level: str = "county",
        period_type: str | None = None,
    ) -> float | None:
        return self.row(region, indicator, period_end, level=level, period_type=period_type)["value"]


@pytest.fixture(scope="module")
def s() -> Served:
    served = Served(warehouse_for())
    yield served
    served.con.close()


# --------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------


def test_check_character_helper_matches_contract_examples() -> None:
    assert appno("201710601862") == "201710601862.3"
    assert appno("95115608") == "95115608.X"


def test_transfer_across_prefectures_counts_where_held_on_31_december(s: Served) -> None:
    # A1 granted 2018 to 江岸 (武汉), assigned on 2021-06-15 to 西陵 (宜昌).
    assert s.v("420102", "invention_in_force", "2021-05-31") == 1  # still held in 江岸
    assert s.v("420502", "invention_in_force", "2021-05-31") == 0
    assert s.v("420102", "invention_in_force", "2021-06-30") == 0  # moved mid-year
    assert s.v("420502", "invention_in_force", "2021-06-30") == 1
    assert s.v("420102", "invention_in_force", "2021-12-31") == 0
    assert s.v("420502", "invention_in_force", "2021-12-31") == 1
    assert s.v("420500", "invention_in_force", "2021-12-31", level="prefecture") == 1
    # 武汉 on 2021-12-31: B1, B2 (武昌) + C2 (洪山); A1 left, C1 expired, HK1 is not domestic
    assert s.v("420100", "invention_in_force", "2021-12-31", level="prefecture") == 3
    # the flows count for the assignor's / licensor's region
    assert s.v("420102", "transfers", "2021-12-31") == 1
    assert s.v("420102", "licenses", "2021-12-31") == 1
    assert s.v("420102", "transfer_license_total", "2021-12-31") == 2
    assert s.v("420502", "transfers", "2021-12-31") == 0


def test_lapsed_and_restored_patent(s: Served) -> None:
    # 武昌: B1 lapsed 2021-03-01 and restored 2021-09-01; B2 lapsed 2022-02-01 for good.
    expected = {
        "2020-12-31": 2,
        "2021-02-28": 2,
        "2021-03-31": 1,
        "2021-08-31": 1,
        "2021-09-30": 2,
        "2021-12-31": 2,
        "2022-01-31": 2,
        "2022-02-28": 1,
        "2022-12-31": 1,
        "2023-06-30": 1,
    }
    got = {d: s.v("420106", "invention_in_force", d) for d in expected}
    assert got == expected


def test_expiry_on_the_20th_anniversary(s: Served) -> None:
    # 洪山: C1 filed 2001-12-31 (not in force on 2021-12-31), C2 filed 2002-01-02 (in force on
    # 2021-12-31, gone on 2022-01-02); both granted 2004-06-01.
    assert s.v("420111", "invention_in_force", "2004-05-31") == 0
    assert s.v("420111", "invention_in_force", "2004-06-30") == 2
    assert s.v("420111", "invention_in_force", "2021-11-30") == 2
    assert s.v("420111", "invention_in_force", "2021-12-31") == 1
    assert s.v("420111", "invention_in_force", "2022-01-31") == 0
    # maintained > 10 years: snapshot day strictly after filing + 10 years
    # 2011-12-31 is C1's 10th anniversary itself → not yet; 2012-01-31 > both anniversaries
    assert s.v("420111", "hv_maintained_10y", "2011-12-31") == 0
    assert s.v("420111", "hv_maintained_10y", "2012-01-31") == 2
    assert s.v("420111", "hv_maintained_10y", "2021-11-30") == 2
    assert s.v("420111", "high_value_in_force", "2021-12-31") == 1
    assert s.v("420111", "high_value_in_force", "2022-12-31") == 0


def test_pledge_of_three_patents_counts_once_and_makes_them_high_value(s: Served) -> None:
    # 黄石港: PL1 2021-04-20 1,500 万元 on D1, D2, D3 (cancelled 2022-03-15);
    #         PL2 2021-10-10 800 万元 on D1, D4 (below both thresholds).
    assert s.v("420202", "pledge_amount_100m_cny", "2021-04-30") == pytest.approx(0.15)
    assert s.v("420202", "pledge_count", "2021-04-30") == 1
    assert s.v("420202", "pledged_patents", "2021-04-30") == 3
    assert s.v("420202", "hv_pledge", "2021-03-31") == 0
    assert s.v("420202", "hv_pledge", "2021-04-30") == 3
    # year 2021: (1500 + 800) / 10000 亿元; D1 pledged twice counts once
    assert s.v("420202", "pledge_amount_100m_cny", "2021-12-31") == pytest.approx(0.23)
    assert s.v("420202", "pledge_count", "2021-12-31") == 2
    assert s.v("420202", "pledged_patents", "2021-12-31") == 4
    # 黄石 and 湖北 also have PL3 (100 万元, 大冶)
    assert s.v("420200", "pledge_amount_100m_cny", "2021-12-31", level="prefecture") == pytest.approx(0.24)
    assert s.v("420000", "pledge_amount_100m_cny", "2021-12-31", level="province") == pytest.approx(0.24)
    assert s.v("420200", "pledged_patents", "2021-12-31", level="prefecture") == 5  # D1-D4, E2
    assert s.v("420202", "invention_in_force", "2021-12-31") == 4
    assert s.v("420202", "hv_pledge", "2021-12-31") == 3  # D4 only in the 800 万元 pledge
    assert s.v("420202", "high_value_in_force", "2021-12-31") == 3
    # PL2 (800 < 1,000) by an enterprise: one inclusive enterprise
    assert s.v("420202", "inclusive_pledge_enterprises", "2021-12-31") == 1
    assert s.v("420202", "inclusive_pledge_enterprises", "2021-04-30") == 0
    # 黄石甲 pledged below the threshold in 黄石港 and in 大冶: one enterprise above county level
    assert s.v("420281", "inclusive_pledge_enterprises", "2021-12-31") == 1
    assert s.v("420200", "inclusive_pledge_enterprises", "2021-12-31", level="prefecture") == 1
    assert s.v("420000", "inclusive_pledge_enterprises", "2021-12-31", level="province") == 1
    # the cancellation neither counts as a pledge of 2022 nor removes the high value
    assert s.v("420202", "pledge_count", "2022-12-31") == 0
    assert s.v("420202", "pledge_amount_100m_cny", "2022-12-31") == 0
    assert s.v("420202", "pledge_amount_100m_cny", "2021-12-31") == pytest.approx(0.23)
    assert s.v("420202", "hv_pledge", "2022-03-31") == 3
    assert s.v("420202", "hv_pledge", "2022-12-31") == 3


def test_patent_meeting_several_criteria_counts_once(s: Served) -> None:
    # 大冶: E1 (filed 2008-05-06, H01M = SEI, 2 overseas family grants, award 2022),
    #       E2 (granted 2021-02-01, award 2022 only).
    y2021 = {
        c: s.v("420281", c, "2021-12-31")
        for c in (
            "hv_sei",
            "hv_overseas_family",
            "hv_maintained_10y",
            "hv_pledge",
            "hv_award",
            "high_value_in_force",
            "invention_in_force",
        )
    }
    assert y2021 == {
        "hv_sei": 1,
        "hv_overseas_family": 1,
        "hv_maintained_10y": 1,
        "hv_pledge": 0,
        "hv_award": 0,
        "high_value_in_force": 1,
        "invention_in_force": 2,
    }
    y2022 = {c: s.v("420281", c, "2022-12-31") for c in y2021}
    assert y2022 == {
        "hv_sei": 1,
        "hv_overseas_family": 1,
        "hv_maintained_10y": 1,
        "hv_pledge": 0,
        "hv_award": 2,
        "high_value_in_force": 2,
        "invention_in_force": 2,
    }
    # maintained from the day after 2018-05-06
    assert s.v("420281", "hv_maintained_10y", "2018-04-30") == 0
    assert s.v("420281", "hv_maintained_10y", "2018-05-31") == 1
    # awards count from 1 January of the award year
    assert s.v("420281", "hv_award", "2022-01-31") == 2
    row = s.row("420281", "high_value_in_force", "2022-12-31")
    assert row["yoy_pct"] == pytest.approx(100.0) and row["yoy_abs"] == 1


def test_ratios_null_without_population_and_divided_by_previous_year_end(s: Served) -> None:
    # 十堰: F1 in force, no population row for 420302, 420300 or any of its counties
    assert s.v("420302", "invention_in_force", "2021-12-31") == 1
    assert s.v("420302", "invention_in_force_per_10k", "2021-12-31") is None
    assert s.v("420300", "invention_in_force_per_10k", "2021-12-31", level="prefecture") is None
    assert s.v("420302", "high_value_per_10k", "2021-12-31") is None  # 0 / missing → null
    # 武昌: 2 in force end 2021 over the 2020 year-end population 1,000,000
    assert s.v("420106", "invention_in_force_per_10k", "2021-12-31") == pytest.approx(2 / 1_000_000 * 1e4)
    row = s.row("420106", "invention_in_force_per_10k", "2022-12-31")
    assert row["value"] == pytest.approx(1 / 1_100_000 * 1e4)
    assert row["yoy_abs"] == pytest.approx(1 / 1_100_000 * 1e4 - 0.02)
    assert row["yoy_pct"] == pytest.approx((1 / 110 - 0.02) / 0.02 * 100)
    # 宜昌 has no own row: the sum of its counties (500,000 + 300,000)
    assert s.v("420500", "invention_in_force_per_10k", "2021-12-31", level="prefecture") == pytest.approx(
        1 / 800_000 * 1e4
    )
    # 湖北 in force end 2021: A1, B1, B2, C2, D1-D4, E1, E2, F1 = 11; high value C2, D1-D3, E1 = 5
    assert s.v("420000", "invention_in_force", "2021-12-31", level="province") == 11
    assert s.v("420000", "high_value_in_force", "2021-12-31", level="province") == 5
    assert s.v("420000", "invention_in_force_per_10k", "2021-12-31", level="province") == pytest.approx(
        11 / 57_750_000 * 1e4
    )
    assert s.v("420000", "high_value_per_10k", "2021-12-31", level="province") == pytest.approx(
        5 / 57_750_000 * 1e4
    )
    # end 2022: A1, B1, D1-D4, E1, E2, F1, HK1 (now held in 江夏) = 10
    assert s.v("420000", "invention_in_force", "2022-12-31", level="province") == 10
    assert s.v("420000", "invention_in_force_per_10k", "2022-12-31", level="province") == pytest.approx(
        10 / 58_300_000 * 1e4
    )
    # 2023 year to date (D4 lapsed on 2023-03-01: 9): divided by the 2022 year end
    assert s.v("420000", "invention_in_force_per_10k", "2023-06-30", level="province") == pytest.approx(
        9 / 58_440_000 * 1e4
    )
    # a population row under the old code 420821: 京山市 has 0 per 10k (not null), and so has 荆门
    assert s.v("420882", "invention_in_force_per_10k", "2021-12-31") == 0
    assert s.v("420800", "invention_in_force_per_10k", "2021-12-31", level="prefecture") == 0
    assert s.v("420882", "invention_in_force_per_10k", "2022-12-31") is None  # no 2021 row


def test_ytd_periods_and_yoy(s: Served) -> None:
    # 硚口 utility models: 2021-05-10, 2021-12-20; 2022-01-15, 2022-03-10, 2022-03-31, 2022-07-01
    expected = {1: 1, 2: 1, 3: 3, 4: 3, 5: 3, 6: 3, 7: 4, 8: 4, 9: 4, 10: 4, 11: 4, 12: 4}
    rows = s.rows(
        "select month, value from marts.indicator_values where region_code = '420104'"
        " and indicator_code = 'grants_utility_model' and period_type = 'ytd' and year = 2022"
    )
    assert dict(rows) == expected
    year = s.row("420104", "grants_utility_model", "2022-12-31")
    assert year["month"] is None and year["value"] == 4
    assert year["yoy_pct"] == pytest.approx(100.0) and year["yoy_abs"] == 2
    # 2022-03 against 2021-03 (0): no yoy_pct, yoy_abs 3; 2022-05 against 2021-05 (1): +200 %
    march = s.row("420104", "grants_utility_model", "2022-03-31")
    assert march["month"] == 3 and march["yoy_pct"] is None and march["yoy_abs"] == 3
    assert s.row("420104", "grants_utility_model", "2022-05-31")["yoy_pct"] == pytest.approx(200.0)
    # design: 0 in 2021, 1 in 2022 → zero base
    design = s.row("420104", "grants_design", "2022-12-31")
    assert design["value"] == 1 and design["yoy_pct"] is None and design["yoy_abs"] == 1
    total = s.row("420104", "grants_total", "2022-12-31")
    assert total["value"] == 5 and total["yoy_pct"] == pytest.approx(150.0)
    # 2023 to June: nothing against 3 a year earlier
    june = s.row("420104", "grants_total", "2023-06-30")
    assert june["value"] == 0 and june["yoy_pct"] == pytest.approx(-100.0) and june["yoy_abs"] == -3
    # year periods only for complete years (as of 2023-06-30), ytd up to the as-of month
    assert s.rows("select max(year) from marts.indicator_values where period_type = 'year'") == [(2022,)]
    assert s.rows("select max(period_end) from marts.indicator_values where period_type = 'ytd'") == [
        (date(2023, 6, 30),)
    ]
    # the first year is that of the oldest event in any flow feed (a 2003 PCT filing), not of the
    # oldest grant (2004)
    assert s.rows("select min(year) from marts.indicator_values") == [(2003,)]


def test_province_administered_city_old_code_and_address_only(s: Served) -> None:
    # 仙桃 429004: a county under itself and a prefecture-level row under 湖北
    county = s.row("429004", "grants_total", "2022-12-31")
    pref = s.row("429004", "grants_total", "2022-12-31", level="prefecture")
    assert (county["value"], county["parent_code"]) == (1, "429004")
    assert (pref["value"], pref["parent_code"], pref["region_name"]) == (1, "420000", "仙桃市")
    # 京山县 420821 counts under 京山市 420882
    assert s.v("420882", "grants_total", "2022-12-31") == 1
    assert s.v("420800", "grants_total", "2022-12-31", level="prefecture") == 1
    assert s.rows("select count(*) from marts.indicator_values where region_code = '420821'") == [(0,)]
    # address only: 樊城区 resolves to the county, "湖北省襄阳市" to the prefecture only
    assert s.v("420606", "grants_total", "2022-12-31") == 1
    assert s.v("420600", "grants_total", "2022-12-31", level="prefecture") == 2
    # 湖北 2022: 硚口 5, 仙桃 1, 京山 1, 襄阳 2 = 9 (the TW patentee excluded)
    assert s.v("420000", "grants_total", "2022-12-31", level="province") == 9
    prefectures = s.rows(
        "select sum(value) from marts.indicator_values where region_level = 'prefecture'"
        " and parent_code = '420000' and indicator_code = 'grants_total' and period_type = 'year'"
        " and year = 2022"
    )
    assert prefectures == [(9,)]
    counties = s.rows(
        "select sum(value) from marts.indicator_values where region_level = 'county'"
        " and region_code like '42%' and indicator_code = 'grants_total' and period_type = 'year'"
        " and year = 2022"
    )
    assert counties == [(8,)]  # 襄阳乙 resolved to no county


def test_domestic_scope(s: Served) -> None:
    # HK1: HK patentee carrying code 420115, granted 2020-03-03, assigned 2022-05-20 to 江夏
    assert s.v("420115", "grants_invention", "2020-12-31") == 0
    # 湖北 inventions granted 2020: D1-D4, F1 (HK1 excluded)
    assert s.v("420000", "grants_invention", "2020-12-31", level="province") == 5
    assert s.v("420115", "invention_in_force", "2021-12-31") == 0
    assert s.v("420115", "invention_in_force", "2022-04-30") == 0
    assert s.v("420115", "invention_in_force", "2022-05-31") == 1
    assert s.v("420115", "transfers", "2022-12-31") == 0
    # no region outside 湖北/湖南 is reported (the TW grant and PCT count nowhere)
    assert s.rows("select distinct left(region_code, 2) from marts.indicator_values order by 1") == [
        ("42",),
        ("43",),
    ]


def test_pct_receiving_office_cn_by_default(s: Served) -> None:
    # 东西湖: one PCT received by CN, one by IB; the TW applicant's is excluded
    assert s.v("420112", "pct_applications", "2022-12-31") == 1
    assert s.v("420000", "pct_applications", "2022-12-31", level="province") == 1
    assert s.v("420112", "pct_applications", "2022-03-31") == 1
    assert s.v("420112", "pct_applications", "2022-02-28") == 0
    # a filing older than every grant still counts in its own year
    assert s.v("420112", "pct_applications", "2003-12-31") == 1
    assert s.v("420112", "pct_applications", "2003-10-31") == 0
    assert s.v("420112", "invention_in_force", "2003-12-31") == 0


def test_university_to_sme_and_inclusive_pledges(s: Served) -> None:
    # 芙蓉: 2021 TH1 (university → SME); 2022 TH2 (university → SME), TH3 (institute → SME per
    # entities.csv), TH4 (university → large firm, no), TH5 (enterprise → SME, no)
    assert s.v("430102", "univ_to_sme_transfer_license", "2021-12-31") == 1
    row = s.row("430102", "univ_to_sme_transfer_license", "2022-12-31")
    assert row["value"] == 2 and row["yoy_pct"] == pytest.approx(100.0)  # TH2 + TH3 against TH1
    assert s.v("430000", "univ_to_sme_transfer_license", "2022-12-31", level="province") == 2
    assert s.v("430102", "transfers", "2022-12-31") == 1
    assert s.v("430102", "licenses", "2022-12-31") == 3
    assert s.v("430102", "transfer_license_total", "2022-12-31") == 4
    # pledges 2022: 丙 500 + 丙 300 + 乙 2,700 + 甲大学 200 = 3,700 万元
    assert s.v("430102", "pledge_amount_100m_cny", "2022-12-31") == pytest.approx(0.37)
    assert s.v("430102", "pledge_count", "2022-12-31") == 4
    assert s.v("430102", "pledged_patents", "2022-12-31") == 2  # HU2, HU1
    # below 1,000 万元 and an enterprise: only 湖南丙公司 (twice → once); 甲大学 is no enterprise
    assert s.v("430102", "inclusive_pledge_enterprises", "2022-12-31") == 1
    assert s.v("430102", "inclusive_pledge_enterprises", "2022-03-31") == 1
    assert s.v("430102", "inclusive_pledge_enterprises", "2021-12-31") == 0  # 2,000 万元
    assert s.v("430102", "inclusive_pledge_enterprises", "2023-06-30") == 0  # 1,000 is not below
    assert s.v("430102", "pledge_amount_100m_cny", "2023-06-30") == pytest.approx(0.1)


def test_ranks_within_parent(s: Served) -> None:
    # 武汉 counties, in force end 2021: 武昌 2, 洪山 1, the others 0 (tied)
    ranks = dict(
        s.rows(
            "select region_code, rank_in_parent from marts.indicator_values where region_level = 'county'"
            " and parent_code = '420100' and indicator_code = 'invention_in_force'"
            " and period_type = 'year' and year = 2021"
        )
    )
    assert ranks["420106"] == 1 and ranks["420111"] == 2
    assert ranks["420102"] == 3 and ranks["420115"] == 3


def test_target_tracking_statuses(s: Served) -> None:
    got = {
        r[0]: r[1:]
        for r in s.rows(
            "select source, status, actual_value, progress_pct, actual_period_end from marts.target_tracking"
        )
    }
    assert set(got) == {t[-1] for t in TARGETS}
    # 湖南 pledges 2021 + 2022 = 0.2 + 0.37 = 0.57 ≥ 0.5
    assert got["t-cum-met"][0] == "met"
    assert got["t-cum-met"][1] == pytest.approx(0.57)
    assert got["t-cum-met"][2] == pytest.approx(114.0)
    # 2022 + 2023 to June = 0.37 + 0.1 = 0.47; projected 0.37 + 0.1 × 12 / 6 = 0.57 < 1.0
    assert got["t-cum-risk"][0] == "at_risk"
    assert got["t-cum-risk"][1] == pytest.approx(0.47)
    assert got["t-cum-risk"][3] == date(2023, 6, 30)
    # 湖南 grants to June 2023: 1, projected 1 × 12 / 6 = 2 ≥ 2
    assert got["t-ontrack"][0:3] == ("on_track", 1, pytest.approx(50.0))
    # 大冶 high value 1 → 2: +100 % ≥ 10 %
    assert got["t-growth"][0] == "met" and got["t-growth"][1] == pytest.approx(100.0)
    # 湖北 2022 grants 9, not > 1,000
    assert got["t-missed"][0:3] == ("missed", 9, pytest.approx(0.9))
    assert got["t-nodata"][0:2] == ("no_data", None)
    # from the reported file: 2,600 ≥ 2,500
    assert got["t-reported"][0:3] == ("met", 2600, pytest.approx(104.0))
    # a stock in 2023: 黄石港 4 at end 2022, 3 in June 2023 (D4 lapsed); projected
    # 4 + (3 − 4) × 12 / 6 = 2: below 3 (at risk), meets 2 (on track)
    assert got["t-stock-risk"][0:4] == ("at_risk", 3, pytest.approx(100.0), date(2023, 6, 30))
    assert got["t-stock-ontrack"][0:2] == ("on_track", 3)
    # 大冶 high value in June 2023: 2, as in June 2022 → 0 % growth, projected 0 %: at risk
    assert got["t-growth-risk"][0:2] == ("at_risk", 0)
    projected = dict(s.rows("select source, projected_value from marts.target_tracking"))
    assert projected["t-stock-risk"] == pytest.approx(2.0)
    assert projected["t-cum-risk"] == pytest.approx(0.57)
    assert projected["t-ontrack"] == pytest.approx(2.0)


def test_reconciliation(s: Served) -> None:
    got = {
        r[0]: r[1:]
        for r in s.rows(
            "select source, period_type, computed_value, reported_value, diff_pct from marts.reconciliation"
        )
    }
    assert set(got) == {"r-year", "r-ytd", "r-external"}, "the user's file replaces the seeded figures"
    assert got["r-year"] == ("year", 5, 4, pytest.approx(25.0))
    assert got["r-ytd"] == ("ytd", 3, 3, 0)
    assert got["r-external"][1:] == (None, 2600, None)


def test_every_row_carries_settings_and_vintage(s: Served) -> None:
    assert s.rows(
        "select count(distinct settings_hash), count(*) filter (where settings_hash is null"
        " or data_vintage is null) from marts.indicator_values"
    ) == [(1, 0)]


def test_region_indicators_annual_is_the_wide_year_view(s: Served) -> None:
    rows = s.rows(
        "select region_level, parent_code, grants_total, pledge_amount_100m_cny, invention_in_force,"
        " invention_in_force_per_10k from marts.region_indicators_annual"
        " where region_code = '420202' and year = 2021"
    )
    assert rows == [("county", "420200", 0, pytest.approx(0.23), 4, None)]
    # 仙桃 twice: as a county and at prefecture level
    assert s.rows(
        "select region_level, parent_code, grants_total from marts.region_indicators_annual"
        " where region_code = '429004' and year = 2022 order by region_level"
    ) == [("county", "429004", 1), ("prefecture", "420000", 1)]
    assert s.rows("select max(year) from marts.region_indicators_annual") == [(2022,)]
