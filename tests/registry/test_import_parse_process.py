"""A large sheet is parsed in a second process (setting import_parse_process_min_bytes): the database and the
report must come out exactly as when the writer parses the sheet itself. All firms are fictional."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sheets import code, write_csv
from xinlian.ingest.sheets import SheetError
from xinlian.registry.importer import ImportOptions, import_enterprises
from xinlian.settings import reset_settings
from xinlian.store import dialect
from xinlian.store.db import open_db
from xinlian.store.tables.registry import Enterprise, EnterpriseAlias, EnterpriseFigure, EnterpriseNode

HEADER = ["统一社会信用代码", "企业名称", "曾用名", "所属区县", "产业链环节", "年份", "产值(万元)", "从业人员",
          "是否专精特新", "成立日期", "主营产品"]


def _rows(with_dates: bool) -> list[list]:
    founded = "2019年5月" if with_dates else None
    rows = [
        [code(1), "示例星衡微电子(常州)有限公司", "示例星衡电子", "武进区", "功率器件", 2023, "1.2亿", "120人", "是",
         founded, "IGBT 模块"],
        [code(1), "示例星衡微电子(常州)有限公司", None, "武进区", "功率器件", 2024, "1.5亿", "130", "是", None, None],
        [code(2), "示例晟拓光学科技有限公司", None, "常州市武进区", "光学元件、量子纠缠", 2024, "3,500", 35, "否",
         None, "VCSEL"],
        [None, "示例润川封测有限公司", "示例润川、示例川封", "320412", "封装测试", 2024, 800, 60, "否", None, None],
        [code(4, "320583"), "示例凌睿碳化硅材料有限公司", None, "昆山市", "碳化硅衬底", 2024, "2.5亿元", 300, "是",
         None, "SiC 衬底"],
        [code(5)[:-1] + ("0" if code(5)[-1] != "0" else "1"), "示例坏码有限公司", None, "武进区", "", 2024, 1, 1, "否",
         None, None],
        [code(6), "示例坏金额有限公司", None, "武进区", "", 2024, "一亿", 1, "否", None, None],
        [code(2), "示例晟拓光学科技有限公司", None, "常州市武进区", "光学元件、量子纠缠", 2024, "3,500", 35, "否",
         None, "VCSEL"],  # the same row again: counted once
        [code(4, "320583"), "示例凌睿碳化硅材料有限公司", None, "昆山市", "碳化硅衬底", 2024, "9.9亿元", 300, "是",
         None, "SiC 衬底"],  # conflicting: refused
    ]
    rows += [[code(100 + i), f"示例企业{i:04d}科技有限公司", None, "武进区", "功率器件", 2024, i + 1, i % 50 + 1,
              "否" if i % 3 else "是", None, None] for i in range(120)]
    return rows


def _snapshot(database) -> dict:
    """Everything the import wrote, by credit code or name (ids differ between databases)."""
    with database.session() as s:
        firms = {e.id: e for e in s.scalars(select(Enterprise))}
        key = {i: e.credit_code or e.name for i, e in firms.items()}
        snap = {
            "enterprise": sorted((e.credit_code or "", e.name, e.name_norm, e.region_code or "", e.specialised,
                                  str(e.founded), e.products or "", e.version) for e in firms.values()),
            "alias": sorted((key[a.enterprise_id], a.alias, a.alias_norm, a.kind) for a in s.scalars(
                select(EnterpriseAlias))),
            "node": sorted((key[n.enterprise_id], n.node_id, n.evidence) for n in s.scalars(select(EnterpriseNode))),
            "figure": sorted((key[f.enterprise_id], f.year, f.output_value, f.employees) for f in s.scalars(
                select(EnterpriseFigure))),
            "search": {q: sorted(key[i] for i in dialect.search(s, "enterprise", q, limit=1000))
                       for q in ("星", "示例", "光学", "碳化硅", "sic", "封 川", "0007", "衡 igbt", "司")},
        }
    return snap


def _import(database, path, monkeypatch, min_bytes: int):
    monkeypatch.setenv("XINLIAN_IMPORT_PARSE_PROCESS_MIN_BYTES", str(min_bytes))
    reset_settings()
    report = import_enterprises(database, path, ImportOptions(chunk_rows=25))
    summary = (report.rows_total, report.rows_ok, report.rows_bad, report.duplicates_in_file, report.inserted,
               report.updated, sorted((p.row, p.column, p.value, p.reason, p.severity) for p in report.problems))
    return summary


@pytest.mark.parametrize("with_dates", [False, True], ids=["plain", "with-founding-dates"])
def test_second_process_gives_what_the_writer_parses_itself(db, tmp_path, monkeypatch, with_dates):
    path = write_csv(tmp_path / "list.csv", _rows(with_dates), header=HEADER)
    by_process = _import(db, path, monkeypatch, 0)  # 0: always in a second process
    alone = open_db(f"sqlite:///{tmp_path / 'alone.db'}")
    try:
        in_process = _import(alone, path, monkeypatch, -1)  # -1: never
        assert by_process == in_process
        assert _snapshot(db) == _snapshot(alone)
    finally:
        alone.dispose()
    rows_total, rows_ok, rows_bad, duplicates, inserted, updated, problems = by_process
    assert (rows_total, rows_ok, rows_bad, duplicates, inserted, updated) == (129, 125, 3, 1, 124, 0)
    assert {p[4] for p in problems} == {"error", "warning"} and any("冲突" in p[3] for p in problems)
    snap = _snapshot(db)
    assert snap["search"]["星"] == [code(1)] and snap["search"]["司"] and len(snap["search"]["示例"]) == 124
    assert snap["search"]["sic"] == [code(4, "320583")] and snap["search"]["衡 igbt"] == [code(1)]
    assert [a for a in snap["alias"] if a[0] == "示例润川封测有限公司"] == [
        ("示例润川封测有限公司", "示例川封", "示例川封", "former"), ("示例润川封测有限公司", "示例润川", "示例润川", "former")]
    assert [f[1] for f in snap["figure"] if f[0] == code(1)] == [2023, 2024]
    founded = {e[0]: e[5] for e in snap["enterprise"]}
    assert founded[code(1)] == ("2019-05-01" if with_dates else "None")


def test_an_import_puts_the_collector_thresholds_back(db, tmp_path, monkeypatch):
    import gc

    before = gc.get_threshold()
    path = write_csv(tmp_path / "list.csv", _rows(False), header=HEADER)
    _import(db, path, monkeypatch, -1)
    assert gc.get_threshold() == before
    with pytest.raises(SheetError):  # also after a failed import
        import_enterprises(db, tmp_path / "missing.csv")
    monkeypatch.setattr("xinlian.registry.importer._write_chunk", _fail)
    with pytest.raises(RuntimeError, match="write failed"):
        import_enterprises(db, write_csv(tmp_path / "other.csv", _rows(True), header=HEADER), ImportOptions())
    assert gc.get_threshold() == before


def _fail(*args, **kwargs):
    raise RuntimeError("write failed")
