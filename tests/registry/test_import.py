"""Importing enterprises from messy sheets, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv

import openpyxl
import pytest
from sqlalchemy import func, select

from sheets import HEADER, code, rows_basic, write_csv, write_xlsx
from xinlian.ingest.sheets import SheetError
from xinlian.registry.importer import ImportOptions, import_enterprises
from xinlian.store.tables.files import ImportBatch, ImportError_, RawFile
from xinlian.store.tables.registry import Enterprise, EnterpriseFigure, EnterpriseNode


def count(db, model):
    with db.session() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def by_name(db, name):
    with db.session() as s:
        e = s.execute(select(Enterprise).where(Enterprise.name == name)).scalar_one()
        figs = {f.year: f for f in s.execute(select(EnterpriseFigure).where(
            EnterpriseFigure.enterprise_id == e.id)).scalars()}
        nodes = sorted(s.execute(select(EnterpriseNode.node_id).where(EnterpriseNode.enterprise_id == e.id)).scalars())
        return e, figs, nodes


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_csv_in_every_encoding(db, tmp_path, encoding):
    path = write_csv(tmp_path / "list.csv", rows_basic(), encoding=encoding)
    report = import_enterprises(db, path, ImportOptions(year=2024))
    assert (report.rows_ok, report.rows_bad, report.inserted) == (4, 0, 4)
    e, figs, nodes = by_name(db, "星衡微电子(常州)有限公司")
    assert e.credit_code == code(1) and e.region_code == "320412" and e.specialised is True
    assert figs[2024].output_value == pytest.approx(1.2e8) and figs[2024].employees == 120
    assert nodes == ["power_devices"]
    e, figs, _ = by_name(db, "晟拓光学科技有限公司")
    assert figs[2024].output_value == pytest.approx(3.5e7)  # 3,500 in a 万元 column
    e, _, _ = by_name(db, "凌睿碳化硅材料有限公司")
    assert e.region_code == "320583"


def test_bad_rows_are_reported_and_good_rows_imported(db, tmp_path):
    rows = rows_basic() + [
        [code(5)[:-1] + ("0" if code(5)[-1] != "0" else "1"), "坏码公司", "武进区", "", 1, 1, "否"],
        [code(6), "", "武进区", "", 1, 1, "否"],
        [code(7), "坏金额公司", "武进区", "", "一亿", 1, "否"],
        [code(8), "坏区县公司", "火星区", "", 1, 1, "否"],
        [code(9), "坏标志公司", "武进区", "", 1, 1, "也许"],
    ]
    path = write_csv(tmp_path / "bad.csv", rows)
    report = import_enterprises(db, path, ImportOptions(year=2024, errors_path=str(tmp_path / "errors.csv")))
    assert report.rows_ok == 4 and report.rows_bad == 5
    assert count(db, Enterprise) == 4
    with open(tmp_path / "errors.csv", encoding="utf-8-sig") as fh:
        lines = list(csv.reader(fh))[1:]
    by_row = {int(r[0]): r for r in lines}
    assert sorted(by_row) == [6, 7, 8, 9, 10]
    assert by_row[6][1].startswith("A") and "校验码" in by_row[6][3]
    assert "企业名称为空" in by_row[7][3]
    assert by_row[8][1].startswith("E") and "金额" in by_row[8][3] and by_row[8][2] == "一亿"
    assert "火星区" in by_row[9][3]
    assert by_row[10][1].startswith("G")
    with db.session() as s:
        stored = s.execute(select(func.count()).select_from(ImportError_)).scalar_one()
    assert stored == 5


def test_reimport_of_the_same_file_changes_nothing(db, tmp_path):
    path = write_csv(tmp_path / "list.csv", rows_basic())
    first = import_enterprises(db, path, ImportOptions(year=2024))
    before = (count(db, Enterprise), count(db, EnterpriseFigure), count(db, EnterpriseNode))
    second = import_enterprises(db, path, ImportOptions(year=2024))
    assert second.already_imported and second.batch_id == first.batch_id
    assert (count(db, Enterprise), count(db, EnterpriseFigure), count(db, EnterpriseNode)) == before
    # the same rows under another file name: matched by credit code or name + region, nothing new
    copy = write_xlsx(tmp_path / "copy.xlsx", rows_basic())
    third = import_enterprises(db, copy, ImportOptions(year=2024))
    assert (third.inserted, third.updated) == (0, 4)
    assert (count(db, Enterprise), count(db, EnterpriseFigure), count(db, EnterpriseNode)) == before


def test_duplicates_and_conflicts_inside_one_file(db, tmp_path):
    rows = rows_basic()
    rows.append(list(rows[0]))  # the same firm again, identical: counted once
    conflicting = list(rows[1])
    conflicting[4] = "9,999"  # same code, other output: refused, first row kept
    rows.append(conflicting)
    report = import_enterprises(db, write_csv(tmp_path / "dup.csv", rows), ImportOptions(year=2024))
    assert report.duplicates_in_file == 1 and report.rows_bad == 1 and report.rows_ok == 4
    assert any("冲突" in p.reason and p.row == 7 for p in report.problems)
    _, figs, _ = by_name(db, "晟拓光学科技有限公司")
    assert figs[2024].output_value == pytest.approx(3.5e7)


def test_xlsx_with_title_row_merged_year_headers_blank_rows_and_formulas(db, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2024年武进区集成电路企业名录（工信局）"])
    ws.merge_cells("A1:H1")
    ws.append(["统一社会信用代码", "企业名称", "产业链环节", "产值(万元)", None, "从业人员", "成立日期", "是否链主"])
    ws.append([None, None, None, "2023年", "2024年", None, None, None])
    ws.merge_cells("D2:E2")
    ws.append([code(11), "示例星衡功率半导体有限公司", "功率器件", 5000, 6000, 80, 45000, "是"])
    ws.append([None] * 8)
    ws.append([code(12), "示例润川封测有限公司", "封装测试、先进封装", "1.5亿", "=D4*2", 40, "2019年5月", "否"])
    ws.append([code(13), "示例晟拓光学有限公司", "光学元件", "800", "900", "三十", "2018-01-02", "否"])
    path = tmp_path / "list.xlsx"
    wb.save(path)
    report = import_enterprises(db, path, ImportOptions())
    assert report.rows_total == 3 and report.rows_ok == 1 and report.rows_bad == 2
    reasons = {p.row: p.reason for p in report.problems}
    assert "公式" in reasons[6] and "整数" in reasons[7]
    e, figs, nodes = by_name(db, "示例星衡功率半导体有限公司")
    assert figs[2023].output_value == pytest.approx(5e7) and figs[2024].output_value == pytest.approx(6e7)
    assert figs[2024].employees == 80 and e.chain_leader is True and str(e.founded) == "2023-03-15"
    # the region comes from the credit code when the sheet has no region column
    assert e.region_code == "320412"


def test_blank_cells_never_erase_known_values(db, tmp_path):
    import_enterprises(db, write_csv(tmp_path / "a.csv", rows_basic()), ImportOptions(year=2024))
    later = [[code(1), "星衡微电子(常州)有限公司", "武进区", None, None, None, None]]
    import_enterprises(db, write_csv(tmp_path / "b.csv", later), ImportOptions(year=2024))
    e, figs, nodes = by_name(db, "星衡微电子(常州)有限公司")
    assert e.specialised is True and figs[2024].output_value == pytest.approx(1.2e8) and nodes == ["power_devices"]


def test_a_firm_known_by_name_gets_its_code_later_without_duplicating(db, tmp_path):
    import_enterprises(db, write_csv(tmp_path / "a.csv", [[None, "润川封测有限公司", "武进区", "", 1, 1, "否"]]),
                       ImportOptions(year=2024))
    import_enterprises(db, write_csv(tmp_path / "b.csv", [[code(3), "润川封测有限公司", "武进区", "", 2, 1, "否"]]),
                       ImportOptions(year=2024))
    assert count(db, Enterprise) == 1
    e, figs, _ = by_name(db, "润川封测有限公司")
    assert e.credit_code == code(3) and figs[2024].output_value == pytest.approx(2e4)


def test_dry_run_writes_nothing(db, tmp_path):
    report = import_enterprises(db, write_csv(tmp_path / "a.csv", rows_basic()), ImportOptions(dry_run=True))
    assert report.rows_ok == 4 and report.inserted == 0
    assert count(db, Enterprise) == 0 and count(db, ImportBatch) == 0


def test_a_crash_half_way_leaves_the_database_as_it_was(db, tmp_path, monkeypatch):
    import xinlian.registry.importer as importer

    rows = [[code(100 + i), f"示例企业{i:03d}有限公司", "武进区", "功率器件", i, i, "否"] for i in range(50)]
    path = write_csv(tmp_path / "big.csv", rows)
    real = importer._write_chunk
    calls = {"n": 0}

    def crashing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("simulated crash after two chunks were written")
        return real(*args, **kwargs)

    monkeypatch.setattr(importer, "_write_chunk", crashing)
    with pytest.raises(RuntimeError, match="simulated crash"):
        import_enterprises(db, path, ImportOptions(chunk_rows=10, year=2024))
    assert calls["n"] == 3
    assert count(db, Enterprise) == 0 and count(db, EnterpriseFigure) == 0 and count(db, ImportBatch) == 0
    assert count(db, RawFile) == 1  # the raw file is kept even when the import fails
    monkeypatch.setattr(importer, "_write_chunk", real)
    report = import_enterprises(db, path, ImportOptions(chunk_rows=10, year=2024))
    assert report.inserted == 50 and count(db, Enterprise) == 50


def test_unreadable_files_say_which_file_and_why(db, tmp_path):
    nohead = tmp_path / "nohead.csv"
    nohead.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(SheetError, match="nohead.csv.*表头"):
        import_enterprises(db, nohead)
    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(b"not a zip at all")
    with pytest.raises(SheetError, match="fake.xlsx.*XLSX"):
        import_enterprises(db, fake)
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(SheetError, match=r"\.xls"):
        import_enterprises(db, old)


def test_mapping_file_for_other_headers(db, tmp_path):
    mapping = tmp_path / "map.yaml"
    mapping.write_text("name: [单位]\ncredit_code: [代码]\noutput_value: [年产值]\n", encoding="utf-8")
    path = write_csv(tmp_path / "odd.csv", [[code(21), "示例单位甲有限公司", "2.0亿"]], header=["代码", "单位", "年产值"])
    report = import_enterprises(db, path, ImportOptions(mapping_file=str(mapping), year=2023))
    assert report.rows_ok == 1
    _, figs, _ = by_name(db, "示例单位甲有限公司")
    assert figs[2023].output_value == pytest.approx(2e8)


def test_unknown_chain_node_is_a_warning_and_the_firm_is_kept(db, tmp_path):
    rows = [[code(31), "示例甲有限公司", "武进区", "功率器件、量子纠缠", 1, 1, "否"]]
    report = import_enterprises(db, write_csv(tmp_path / "n.csv", rows), ImportOptions(year=2024))
    assert report.rows_ok == 1
    assert [p.severity for p in report.problems] == ["warning"] and "量子纠缠" in report.problems[0].reason
    _, _, nodes = by_name(db, "示例甲有限公司")
    assert nodes == ["power_devices"]


def test_search_finds_imported_names_in_chinese(db, tmp_path):
    from xinlian.store import dialect

    import_enterprises(db, write_csv(tmp_path / "a.csv", rows_basic()), ImportOptions(year=2024))
    with db.session() as s:
        hits = dialect.search(s, "enterprise", "光学")
        names = {s.get(Enterprise, i).name for i in hits}
        assert names == {"晟拓光学科技有限公司"}
        assert len(dialect.search(s, "enterprise", "有限公司")) == 4
        assert dialect.search(s, "enterprise", "不存在的名字") == []
        assert dialect.search(s, "enterprise", "';--") == []


def test_an_import_announces_a_change_for_running_web_workers(db, tmp_path):
    from xinlian.store.changes import current_generation

    path = write_csv(tmp_path / "list.csv", rows_basic())
    before = current_generation()
    import_enterprises(db, path, ImportOptions(year=2024, dry_run=True))
    assert current_generation() == before
    import_enterprises(db, path, ImportOptions(year=2024))
    assert current_generation() not in (None, before)
