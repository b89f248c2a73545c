"""Spreadsheet formula injection (checklist 18): every xlsx/csv xinlian writes stores text that starts with
= + - @ tab or CR as plain text with a leading apostrophe, so Excel/WPS never runs it. Checked by reading the
files back: no cell is a formula (``data_type != 'f'``) and no text cell starts with a dangerous character."""

from __future__ import annotations

import csv
import io
import sys
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from xinlian.store.sheetsafe import DANGEROUS_START, safe_cell

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "chain"))

PAYLOADS = ["=cmd|' /C calc'!A0", "+1", "-1+1", "@SUM(1)", "\tEVIL()", "\rEVIL()", '=HYPERLINK("http://x","点我")']


def _cells(wb):
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            yield from row


def _assert_neutral(wb, expect: list[str]) -> None:
    seen = []
    for cell in _cells(wb):
        assert cell.data_type != "f", (cell.parent.title, cell.coordinate, cell.value)
        if isinstance(cell.value, str):
            assert not cell.value.startswith(DANGEROUS_START), (cell.parent.title, cell.coordinate, cell.value)
            seen.append(cell.value)
    for payload in expect:
        assert any(v.startswith("'" + payload.strip("\t\r")) or v == "'" + payload for v in seen), payload


def test_shared_helper():
    for p in PAYLOADS + ["\0x", "\nx"]:
        assert safe_cell(p) == "'" + p
    for ok in ["示例公司", "1+1", "", "'=already quoted"]:
        assert safe_cell(ok) == ok
    assert safe_cell(-3) == -3 and safe_cell(None) is None and safe_cell(2.5) == 2.5


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_registry_import_error_report(tmp_path, suffix):
    from xinlian.registry.importer import ImportOptions, ImportReport, RowProblem, write_problems

    report = ImportReport(file=str(tmp_path / "名录.xlsx"), sha256="0" * 64, rows_total=len(PAYLOADS),
                          rows_bad=len(PAYLOADS),
                          problems=[RowProblem(row=i + 2, column="企业名称", value=p, reason=f"无法识别 {p}")
                                    for i, p in enumerate(PAYLOADS)])
    out = write_problems(report, ImportOptions(errors_path=str(tmp_path / f"errors{suffix}")))
    if suffix == ".xlsx":
        _assert_neutral(openpyxl.load_workbook(out), PAYLOADS)
    else:
        rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"), newline="")))
        values = [r[2] for r in rows[1:]]
        assert values == ["'" + p for p in PAYLOADS]
        assert not any(v.startswith(DANGEROUS_START) for r in rows for v in r)


def test_diagnosis_workbook(sqlite_db, tmp_path):
    from diagnose_fixtures import OUTSIDE, build_district, write_chain

    from xinlian.chain.diagnose import diagnose
    from xinlian.chain.workbook import write_workbook
    from xinlian.store.tables.registry import Enterprise, EnterpriseFigure, EnterpriseNode

    build_district(sqlite_db)
    with sqlite_db.session() as s:  # outside firms on the missing node become attraction targets, names and all
        for i, p in enumerate(PAYLOADS):
            s.add(Enterprise(match_key=f"test:evil{i}", name=f"{p}", name_norm=f"evil{i}", region_code=OUTSIDE,
                             nodes=[EnterpriseNode(chain="minichain", node_id="substrate")],
                             figures=[EnterpriseFigure(year=2025, output_value=1e8 * (i + 1))]))
    result = diagnose(sqlite_db, write_chain(tmp_path), "320412", "2026-06-30")
    out = write_workbook(result, tmp_path / "诊断.xlsx")
    wb = openpyxl.load_workbook(out)
    names = [r[5] for r in wb["招引目标"].iter_rows(min_row=2, values_only=True)]
    assert "'=cmd|' /C calc'!A0" in names and "'@SUM(1)" in names and "'-1+1" in names
    _assert_neutral(wb, [])


def test_work_sheet_export(db, tmp_path):
    from xinlian.work import projects as P
    from xinlian.work import sheets as S

    for i, p in enumerate(PAYLOADS):
        P.add_project(db, name=f"示例项目{i}", notes=p, user="甲")
    out = tmp_path / "projects.xlsx"
    assert S.export_sheet(db, "projects", out) == len(PAYLOADS)
    wb = openpyxl.load_workbook(out)
    notes = [wb.worksheets[0].cell(row=2 + i, column=18).value for i in range(len(PAYLOADS))]
    assert notes == ["'" + p for p in PAYLOADS]
    _assert_neutral(wb, [])


def test_report_xlsx():
    from xinlian.report.model import Briefing, Column, Paragraph, Section, Table
    from xinlian.report.xlsx_writer import write_xlsx

    table = Table(caption=PAYLOADS[0], columns=[Column("企业"), Column("说明", wide=True), Column("产值", "yi")],
                  rows=[[p, p, 1.5] for p in PAYLOADS], number=1, note=PAYLOADS[3])
    section = Section(key="overview", number="一", title="总体情况",
                      blocks=[Paragraph(text=p) for p in PAYLOADS] + [table])
    b = Briefing(title=PAYLOADS[1], chain="semiconductor", chain_name="集成电路", region="320412",
                 region_name="示例区", period="2025-03", period_label="2025年3月", previous_period="2025-02",
                 start=date(2025, 3, 1), end=date(2025, 3, 31), issuer=PAYLOADS[2], issued_on=date(2025, 4, 1),
                 sections=[section], warnings=list(PAYLOADS))
    wb = openpyxl.load_workbook(io.BytesIO(write_xlsx(b)))
    _assert_neutral(wb, PAYLOADS)
