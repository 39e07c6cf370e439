"""A blocking check fed bad data stops the marts and leaves serving.duckdb as it was."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from tests.conftest import ipind

GOOD = ["201710601862.3", "95115608.X"]
BAD = ["201710601862.4", "95115608.1", "202110123456.0"]  # wrong check characters


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _landing_with_bad_grants(folder: Path) -> Path:
    folder.mkdir()
    lines = ["申请号,专利类型,申请日,授权公告日,专利权人,地址代码"]
    for number in GOOD + BAD:
        lines.append(f"{number},发明,2017-04-01,2019-05-06,武汉某某科技有限公司,420111")
    (folder / "grants_2019.csv").write_text("\n".join(lines) + "\n", encoding="gbk")
    return folder


def test_bad_feed_blocks_marts_and_keeps_serving(synthetic_warehouse: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    shutil.copytree(synthetic_warehouse, warehouse)
    serving = warehouse / "serving.duckdb"
    before = _sha(serving)
    landing = _landing_with_bad_grants(tmp_path / "landing")

    result = ipind("run", "--source", "files", "--landing", str(landing), warehouse=warehouse)

    assert result.returncode != 0
    assert "gx_raw_grants" in result.stderr and "raw.grants" in result.stderr
    assert _sha(serving) == before
    import duckdb

    con = duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True)
    try:
        quarantined = con.execute(
            "select count(*) from raw.grants_quarantine where _source like '%grants_2019.csv%'"
        ).fetchall()[0][0]
    finally:
        con.close()
    assert quarantined == len(BAD)
