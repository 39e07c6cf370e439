"""The synthetic generator: determinism, Hubei 2021 calibration, realistic shapes, speed.

Calibration is recomputed here with plain SQL over the generated rows, following
indicators.md literally, and never through pipeline code, so a pipeline bug and a
generator bug cannot hide each other. Address-only records are attributed by the province
name their address starts with; old codes (420821) by their first two digits.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import duckdb
import pytest

from ingestion.reference import builtin_regions
from ingestion.schema import FEEDS
from ingestion.synthetic import generate
from ingestion.synthetic.params import STREETS

SCHEMA = "landing_synthetic"
HUBEI_2020_POPULATION = 57_752_557


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    """One scale-1 run shared by the calibration and shape tests."""
    c = duckdb.connect()
    c.execute("set enable_progress_bar = false")
    generate(c, scale=1.0, seed=42)
    yield c
    c.close()


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    return con.execute(sql).fetchone()[0]


def _is_hubei(code: str, address: str) -> str:
    return f"coalesce(substr({code}, 1, 2) = '42', {address} like '湖北省%', false)"


def _table_hash(con: duckdb.DuckDBPyConnection, table: str) -> tuple[int, int]:
    """Order-independent content hash of a table."""
    return con.execute(f"select count(*), sum(hash(t::VARCHAR)) from {table} t").fetchone()


def check_char(number12: str) -> str:
    """Independent implementation of the CNIPA check character (feeds.md)."""
    weights = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5]
    total = sum(int(d) * w for d, w in zip(number12, weights, strict=True))
    r = total % 11
    return "X" if r == 10 else str(r)


def test_check_char_examples() -> None:
    assert check_char("201710601862") == "3"
    assert check_char("202110123456") in "0123456789X"


# --- contract shape ---------------------------------------------------------------------


def test_tables_and_columns(con: duckdb.DuckDBPyConnection) -> None:
    for feed, spec in FEEDS.items():
        described = con.execute(f"describe {SCHEMA}.{feed}").fetchall()
        names = [r[0] for r in described]
        assert names == [*spec.column_names, "_source", "_row", "_extra"], feed
        types = {r[0]: r[1] for r in described}
        for col in spec.columns:
            assert types[col.name] == col.type, (feed, col.name)
        assert types["_row"] == "BIGINT"
        n, lo, hi, distinct = con.execute(
            f"select count(*), min(_row), max(_row), count(distinct _row) from {SCHEMA}.{feed}"
        ).fetchone()
        assert (lo, hi, distinct) == (1, n, n), feed  # dense, 1-based, unique
        assert _one(con, f"select count(distinct _source) from {SCHEMA}.{feed}") == 1
        assert _one(con, f"select any_value(_source) from {SCHEMA}.{feed}") == "synthetic:seed=42:scale=1"
    for name in ("awards", "entities", "population"):
        assert _one(con, f"select count(*) from {SCHEMA}.{name}") > 0


# --- calibration: Hubei 2021 at scale 1 -----------------------------------------------------


def test_hubei_2021_flows(con: duckdb.DuckDBPyConnection) -> None:
    grants, inventions = con.execute(
        f"""select count(*), count(*) filter (where patent_type = 'invention')
        from {SCHEMA}.grants
        where patentee_country = 'CN' and {_is_hubei("patentee_region_code", "patentee_address")}
          and grant_date between date '2021-01-01' and date '2021-12-31'"""
    ).fetchone()
    assert grants == pytest.approx(155_000, rel=0.01)
    assert inventions == pytest.approx(22_400, rel=0.01)
    pct = _one(
        con,
        f"""select count(*) from {SCHEMA}.pct
        where receiving_office = 'CN' and coalesce(applicant_country, 'CN') = 'CN'
          and {_is_hubei("applicant_region_code", "applicant_address")}
          and year(filing_date) = 2021""",
    )
    assert pct == pytest.approx(1_691, rel=0.01)
    transfers = _one(
        con,
        f"""select count(*) from {SCHEMA}.transfers
        where kind = 'assignment' and {_is_hubei("from_region_code", "from_address")}
          and year(registration_date) = 2021""",
    )
    assert transfers == pytest.approx(18_700, rel=0.01)
    pledge = _one(
        con,
        f"""select sum(amount_10k_cny) / 10000 from (
            select distinct on (pledge_id) pledge_id, amount_10k_cny, registration_date,
                pledgor_region_code, pledgor_address
            from {SCHEMA}.pledges)
        where {_is_hubei("pledgor_region_code", "pledgor_address")}
          and year(registration_date) = 2021""",
    )
    assert float(pledge) == pytest.approx(50.26, rel=0.01)


def test_hubei_2021_growth(con: duckdb.DuckDBPyConnection) -> None:
    by_year = dict(
        con.execute(
            f"""select year(grant_date), count(*) from {SCHEMA}.grants
            where patentee_country = 'CN' and {_is_hubei("patentee_region_code", "patentee_address")}
            group by 1"""
        ).fetchall()
    )
    assert by_year[2021] / by_year[2020] - 1 == pytest.approx(0.4093, abs=0.005)
    assert set(by_year) == set(range(2011, 2026))


def test_hubei_invention_in_force_per_10k(con: duckdb.DuckDBPyConnection) -> None:
    in_force = _one(
        con,
        f"""
        with inv as (
            select application_number from {SCHEMA}.grants
            where patent_type = 'invention' and patentee_country = 'CN'
              and {_is_hubei("patentee_region_code", "patentee_address")}
              and grant_date <= date '2021-12-31'
              and date '2021-12-31' < filing_date + interval 20 year
        ),
        latest as (
            select application_number, arg_max(event_type, event_date) as last_type
            from {SCHEMA}.legal_events
            where event_date <= date '2021-12-31'
            group by 1
        )
        select count(*) from inv left join latest using (application_number)
        where last_type is null or last_type = 'restored'
        """,
    )
    population = _one(
        con,
        f"select resident_population from {SCHEMA}.population where region_code = '420000' and year = 2020",
    )
    assert population == HUBEI_2020_POPULATION
    assert in_force == pytest.approx(92_900, rel=0.03)
    assert in_force / population * 10_000 == pytest.approx(16.09, rel=0.03)


# --- shapes ---------------------------------------------------------------------------------


def test_patent_type_mix(con: duckdb.DuckDBPyConnection) -> None:
    um, design, inv = con.execute(
        f"""select avg((patent_type = 'utility_model')::int), avg((patent_type = 'design')::int),
            avg((patent_type = 'invention')::int) from {SCHEMA}.grants"""
    ).fetchone()
    assert 0.60 <= um <= 0.72
    assert 0.10 <= design <= 0.15
    assert 0.12 <= inv <= 0.25
    family = _one(con, f"select avg((overseas_family_grants > 0)::int) from {SCHEMA}.grants")
    assert 0.001 < family < 0.05
    assert (
        _one(
            con, f"select count(*) from {SCHEMA}.grants where patent_type = 'design' and ipc_main is not null"
        )
        == 0
    )
    ipc = con.execute(
        f"select ipc_main, ipc_all from {SCHEMA}.grants where ipc_main is not null limit 2000"
    ).fetchall()
    for main, all_ in ipc:
        assert re.fullmatch(r"[A-H]\d\d[A-Z] \d{1,3}/\d{2,}", main)
        assert all_.split(";")[0] == main


def test_application_numbers_are_valid_and_unique(con: duckdb.DuckDBPyConnection) -> None:
    total, distinct = con.execute(
        f"select count(*), count(distinct application_number) from {SCHEMA}.grants"
    ).fetchone()
    assert total == distinct
    rows = con.execute(
        f"""select application_number, year(filing_date), patent_type
        from {SCHEMA}.grants using sample 50000 rows (reservoir, 7)"""
    ).fetchall()
    type_digit = {"invention": "1", "utility_model": "2", "design": "3"}
    for number, filing_year, patent_type in rows:
        m = re.fullmatch(r"(\d{12})\.([\dX])", number)
        assert m, number
        assert m.group(2) == check_char(m.group(1)), number
        assert int(m.group(1)[:4]) == filing_year
        assert m.group(1)[4] == type_digit[patent_type]
    assert _one(con, f"select count(*) from {SCHEMA}.grants where grant_date < filing_date") == 0


def test_addresses_foreign_and_old_codes(con: duckdb.DuckDBPyConnection) -> None:
    address_only, foreign, old_code = con.execute(
        f"""select avg((patentee_region_code is null and patentee_country = 'CN')::int),
            avg((patentee_country <> 'CN')::int), count(*) filter (where patentee_region_code = '420821')
        from {SCHEMA}.grants"""
    ).fetchone()
    assert 0.03 <= address_only <= 0.07
    assert 0.005 <= foreign <= 0.015
    assert old_code > 0
    assert (
        _one(
            con,
            f"select count(*) from {SCHEMA}.grants"
            " where patentee_country <> 'CN' and patentee_region_code is not null",
        )
        == 0
    )
    assert {
        r[0] for r in con.execute(f"select distinct patentee_country from {SCHEMA}.grants").fetchall()
    } >= {
        "CN",
        "US",
        "JP",
        "HK",
        "TW",
    }


def test_addresses_resolve_to_their_county(con: duckdb.DuckDBPyConnection) -> None:
    """Rows with both a code and an address: the address spells that county with real names."""
    regions = builtin_regions().set_index("region_code")

    def expected_prefix(code: str) -> str:
        county = regions.loc[code]
        parent = regions.loc[county["parent_code"]]
        if parent["level"] == "province":
            return parent["name"] + county["name"]
        province = regions.loc[parent["parent_code"]]
        pref = "" if parent["name"] == province["name"] else parent["name"]
        return province["name"] + pref + county["name"]

    rows = con.execute(
        f"""select patentee_region_code, patentee_address from {SCHEMA}.grants
        where patentee_region_code is not null and patentee_address is not null
        using sample 3000 rows (reservoir, 3)"""
    ).fetchall()
    assert rows
    for code, address in rows:
        prefix = expected_prefix(code)
        assert address.startswith(prefix), (code, address)
        rest = address[len(prefix) :]
        assert re.fullmatch(r"(" + "|".join(STREETS) + r")\d+号", rest), address
    assert (
        _one(con, f"select count(*) from {SCHEMA}.grants where patentee_address like '湖北省荆门市京山县%'")
        > 0
    )


def test_random_streams_are_independent(con: duckdb.DuckDBPyConnection) -> None:
    """Attributes drawn from different hash streams must not depend on each other (DuckDB's
    multi-argument hash is nearly linear; a regression made county fix the street)."""
    streets = _one(
        con,
        f"""select count(distinct regexp_extract(patentee_address, '洪山区(.+?)[0-9]', 1))
        from {SCHEMA}.grants where patentee_region_code = '420111' and patentee_address is not null""",
    )
    assert streets >= len(STREETS) - 2
    shares = [
        r[0]
        for r in con.execute(
            f"""select avg((patentee_type = 'enterprise')::int) from {SCHEMA}.grants
            where patentee_region_code is not null group by patentee_region_code having count(*) > 5000"""
        ).fetchall()
    ]
    assert len(shares) > 20 and min(shares) > 0.6 and max(shares) < 0.8
    corr = _one(
        con,
        f"""select corr(dayofyear(grant_date), dayofyear(filing_date)) from {SCHEMA}.grants
        where year(grant_date) > year(filing_date)""",
    )
    assert abs(corr) < 0.02


def test_street_names_hold_no_region_name() -> None:
    names = set(builtin_regions()["name"])
    for street in STREETS:
        assert not [n for n in names if n in street or (len(n) > 2 and n[:-1] in street)], street


def test_legal_events(con: duckdb.DuckDBPyConnection) -> None:
    total, distinct = con.execute(
        f"select count(*), count(distinct event_id) from {SCHEMA}.legal_events"
    ).fetchone()
    assert total == distinct and total > 0
    bad = _one(
        con,
        f"""select count(*) from {SCHEMA}.legal_events e join {SCHEMA}.grants g using (application_number)
        where e.event_date <= g.grant_date or e.event_date >= g.filing_date + interval 20 year
           or e.event_date > date '2025-12-31'""",
    )
    assert bad == 0
    assert (
        _one(
            con,
            f"""select count(*) from {SCHEMA}.legal_events e
        anti join {SCHEMA}.grants g using (application_number)""",
        )
        == 0
    )
    mix = dict(con.execute(f"select event_type, count(*) from {SCHEMA}.legal_events group by 1").fetchall())
    assert set(mix) == {"lapse_nonpayment", "invalidated", "abandoned", "restored"}
    assert mix["lapse_nonpayment"] > 10 * (mix["invalidated"] + mix["abandoned"])
    assert mix["restored"] < 0.1 * mix["lapse_nonpayment"]
    # most utility models granted 2011-2013 are gone by the end (10-year term, lapse on top)
    um_lapsed = _one(
        con,
        f"""select avg((e.application_number is not null)::int) from {SCHEMA}.grants g
        left join (select distinct application_number from {SCHEMA}.legal_events
                   where event_type <> 'restored') e using (application_number)
        where g.patent_type = 'utility_model' and year(g.grant_date) <= 2013""",
    )
    assert um_lapsed > 0.5


def test_transfers(con: duckdb.DuckDBPyConnection) -> None:
    assert _one(con, f"select count(*) - count(distinct record_id) from {SCHEMA}.transfers") == 0
    bad_license = _one(
        con,
        f"""select count(*) from {SCHEMA}.transfers
        where (kind = 'license') <> (license_type is not null)""",
    )
    assert bad_license == 0
    assert (
        _one(
            con,
            f"select count(*) from {SCHEMA}.transfers t"
            f" anti join {SCHEMA}.grants g using (application_number)",
        )
        == 0
    )
    # to_is_sme agrees with the entities reference for enterprise assignees with a code
    disagree = _one(
        con,
        f"""select count(*) from {SCHEMA}.transfers t join {SCHEMA}.entities e
            on e.name = t.to_name and e.region_code = t.to_region_code
        where t.to_type = 'enterprise' and t.to_is_sme <> e.is_sme""",
    )
    assert disagree == 0
    univ_to_sme = _one(
        con,
        f"""select count(*) from {SCHEMA}.transfers
        where from_type in ('university', 'research_institute') and to_is_sme""",
    )
    assert univ_to_sme > 100
    # every transfer is registered on or after its patent's grant
    assert (
        _one(
            con,
            f"""select count(*) from {SCHEMA}.transfers t join {SCHEMA}.grants g using (application_number)
        where t.registration_date < g.grant_date""",
        )
        == 0
    )


def test_pledges(con: duckdb.DuckDBPyConnection) -> None:
    sizes = dict(
        con.execute(
            f"""select len(string_split(application_numbers, ';')) as n, count(*)
            from {SCHEMA}.pledges where status = 'registered' group by 1"""
        ).fetchall()
    )
    assert set(sizes) <= set(range(1, 7)) and sizes[1] > 0 and max(sizes) >= 5
    assert sum(v for k, v in sizes.items() if k > 1) > sizes[1]  # bundles are the norm
    assert _one(con, f"select min(amount_10k_cny) from {SCHEMA}.pledges") > 0
    cancelled = _one(
        con,
        f"""select count(*) from {SCHEMA}.pledges c join {SCHEMA}.pledges r using (pledge_id)
        where c.status = 'cancelled' and r.status = 'registered'
          and c.registration_date = r.registration_date and c._row > r._row""",
    )
    assert cancelled > 0
    assert cancelled == _one(con, f"select count(*) from {SCHEMA}.pledges where status = 'cancelled'")
    # pledged patents exist and belong to the pledgor's province
    same_province = _one(
        con,
        f"""select avg((substr(coalesce(g.patentee_region_code, '00'), 1, 2)
                       = substr(coalesce(p.pledgor_region_code, g.patentee_region_code, '00'), 1, 2))::int)
        from (select unnest(string_split(application_numbers, ';')) as application_number, pledgor_region_code
              from {SCHEMA}.pledges where status = 'registered') p
        join {SCHEMA}.grants g using (application_number)
        where g.patentee_region_code is not null""",
    )
    assert same_province == 1.0


def test_reference_tables(con: duckdb.DuckDBPyConnection) -> None:
    awards = _one(con, f"select count(*) from {SCHEMA}.awards")
    assert 150 <= awards <= 600
    assert (
        _one(
            con,
            f"""select count(*) from {SCHEMA}.awards a join {SCHEMA}.grants g using (application_number)
        where g.patent_type = 'invention' and a.year > year(g.grant_date)
          and a.award in ('china_patent_award', 'national_sti_award')""",
        )
        == awards
    )
    assert _one(con, f"select count(*) - count(distinct name) from {SCHEMA}.entities") == 0
    # every enterprise patentee of a grant with a current code is in entities, same county
    regions = builtin_regions()
    old_codes = ", ".join(f"'{c}'" for c in regions.loc[regions["valid_to"].notna(), "region_code"])
    missing = _one(
        con,
        f"""select count(*) from (select distinct patentee_name, patentee_region_code from {SCHEMA}.grants
            where patentee_type = 'enterprise' and patentee_country = 'CN'
              and patentee_region_code is not null and patentee_region_code not in ({old_codes})) g
        anti join {SCHEMA}.entities e
            on e.name = g.patentee_name and e.region_code = g.patentee_region_code""",
    )
    assert missing == 0
    assert {
        r[0]
        for r in con.execute(f"select distinct substr(region_code, 1, 2) from {SCHEMA}.population").fetchall()
    } == {"42", "43"}


# --- determinism and scale ---------------------------------------------------------------------


def test_grants_lie_in_grant_year_order(con: duckdb.DuckDBPyConnection) -> None:
    """A month's load filters the landed grants on grant_date: DuckDB skips the row groups
    whose dates cannot match only if each holds few grant years (landed in one statement,
    every row group held all fifteen)."""
    years_per_row_group = con.execute(
        f"""select avg(years) from (
            select count(distinct year(grant_date)) as years
            from (select grant_date, rowid // 122880 as row_group from {SCHEMA}.grants)
            group by row_group)"""
    ).fetchone()[0]
    assert years_per_row_group <= 4
    plan = con.execute(
        f"explain analyze select * from {SCHEMA}.grants"
        " where grant_date >= date '2025-12-01' and grant_date < date '2026-01-01'"
    ).fetchall()[0][1]
    scanned, total = (int(n) for n in re.search(r"Row Groups Scanned: (\d+) / (\d+)", plan).groups())
    assert scanned <= total // 2, plan


def test_determinism_and_small_scale() -> None:
    def run(seed: int) -> tuple[dict[str, tuple[int, int]], float]:
        c = duckdb.connect()
        c.execute("set enable_progress_bar = false")
        start = time.perf_counter()
        tables = generate(c, scale=0.05, seed=seed)
        elapsed = time.perf_counter() - start
        hashes = {name: _table_hash(c, table) for name, table in tables.items()}
        c.close()
        return hashes, elapsed

    a, elapsed = run(42)
    b, _ = run(42)
    c, _ = run(7)
    assert a == b
    for name in ("grants", "legal_events", "transfers", "pledges", "pct"):
        assert a[name] != c[name], name
    assert 80_000 <= a["grants"][0] <= 120_000  # 5 % of ~1.93 million
    assert elapsed < 30  # a few seconds on an idle 2-core machine


def _hubei_rows_hash(c: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    return c.execute(
        f"""select count(*), sum(hash(s::VARCHAR)) from (
            select * exclude (_source) from {SCHEMA}.grants
            where patentee_country = 'CN' and {_is_hubei("patentee_region_code", "patentee_address")}) s"""
    ).fetchone()


def test_hubei_volumes_do_not_change_with_scale() -> None:
    c = duckdb.connect()
    c.execute("set enable_progress_bar = false")
    generate(c, scale=1, seed=42, start_year=2020, end_year=2021)
    at_scale_1 = _hubei_rows_hash(c)
    generate(c, scale=2, seed=42, start_year=2020, end_year=2021)
    assert _hubei_rows_hash(c) == at_scale_1  # same rows, only `_source` differs
    provinces = {
        r[0]
        for r in c.execute(
            f"select distinct substr(patentee_region_code, 1, 2) from {SCHEMA}.grants"
        ).fetchall()
    }
    assert provinces >= {"42", "43", "44"}
    grants = _one(
        c,
        f"""select count(*) from {SCHEMA}.grants where patentee_country = 'CN'
        and {_is_hubei("patentee_region_code", "patentee_address")} and year(grant_date) = 2021""",
    )
    assert grants == 155_000
    c.close()


def test_bad_arguments() -> None:
    c = duckdb.connect()
    with pytest.raises(ValueError):
        generate(c, scale=0)
    with pytest.raises(ValueError):
        generate(c, scale=1, start_year=2005)
    with pytest.raises(ValueError):
        generate(c, scale=1, start_year=2020, end_year=2019)
    c.close()
