"""The three files opened the way a reader's software opens them: the docx with python-docx, the xlsx with
openpyxl, the HTML as text; structure and numbers are checked against the database, and the bytes are stable."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime

import pytest
from sqlalchemy import text

from xinlian.report.content import build_briefing
from xinlian.report.docx_writer import write_docx
from xinlian.report.html_writer import render_html, write_html
from xinlian.report.render import render_briefing
from xinlian.report.xlsx_writer import safe_text, write_xlsx

HEADINGS = ["一、总体情况", "二、产业链图谱与研判", "三、项目推进", "四、动态监测", "五、走访与诉求", "六、招引建议"]


def _local_firms(db) -> int:
    with db.session() as s:
        return s.execute(text(
            "SELECT COUNT(DISTINCT e.id) FROM enterprise e JOIN enterprise_node n ON n.enterprise_id = e.id "
            "WHERE e.status = 'active' AND e.region_code = '320412' AND n.chain = 'semiconductor'")).scalar()


def test_docx_structure_numbers_and_fonts(db, district):
    import docx
    from docx.oxml.ns import qn
    from docx.shared import Mm

    b = build_briefing(db, "semiconductor", "320412", "2024", issuer="武进区工业和信息化局")
    d = docx.Document(io.BytesIO(write_docx(b)))
    paras = [p for p in d.paragraphs if p.text.strip()]
    assert paras[0].text == "武进区集成电路产业链研判简报（2024年）"
    assert paras[1].text == "武进区工业和信息化局　　2024年12月31日"
    headings = [p.text for p in d.paragraphs if p.style.name == "Heading 1"]
    assert headings == HEADINGS
    captions = [p.text for p in d.paragraphs if p.style.name == "Caption"]
    assert [c for c in captions if c.startswith("图")] == [c.label for c in b.charts()]
    assert [c for c in captions if c.startswith("表")] == [t.label for t in b.tables()]
    assert len(d.tables) == len(b.tables())
    first = d.tables[0]
    assert [c.text for c in first.rows[0].cells][:2] == ["环节", "本地企业（家）"]
    assert first.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None  # the header row repeats on each page
    assert first.rows[-1].cells[0].text == "全产业链" and int(first.rows[-1].cells[1].text) == _local_firms(db)
    # charts are pictures
    assert len(d.inline_shapes) == len(b.charts()) >= 4
    # A4 and East-Asian fonts on the styles and the runs
    sec = d.sections[0]
    assert abs(sec.page_width - Mm(210)) < Mm(1) and abs(sec.page_height - Mm(297)) < Mm(1)
    normal = d.styles["Normal"].element.rPr.rFonts
    assert normal.get(qn("w:eastAsia")) == "仿宋"
    assert paras[0].runs[0]._r.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    body_runs = [r for p in d.paragraphs for r in p.runs if r.text]
    assert all(r._r.rPr.rFonts.get(qn("w:eastAsia")) for r in body_runs)
    assert d.core_properties.created.replace(tzinfo=None) == datetime(2024, 12, 31)
    assert d.core_properties.modified.replace(tzinfo=None) == datetime(2024, 12, 31)


def test_xlsx_one_sheet_per_section_real_numbers(db, district):
    import openpyxl

    b = build_briefing(db, "semiconductor", "320412", "2024")
    wb = openpyxl.load_workbook(io.BytesIO(write_xlsx(b)))
    assert wb.sheetnames == ["简报信息", *HEADINGS]
    ws = wb["一、总体情况"]
    rows = list(ws.iter_rows(values_only=True))
    head = rows.index(next(r for r in rows if r[0] == "环节"))
    total = next(r for r in rows[head:] if r[0] == "全产业链")
    assert total[1] == _local_firms(db) and isinstance(total[1], int)
    assert isinstance(total[4], (int, float)) and total[4] == pytest.approx((5 * 1.1e9 + 5 * 4e8 + 5e8) / 1e8)
    cell = ws.cell(row=rows.index(total) + 1, column=5)
    assert cell.number_format == "#,##0.00"
    # every numeric column of every table is stored as numbers, never as text, and no cell is a formula
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            for c in row:
                assert c.data_type != "f", (sheet.title, c.coordinate, c.value)
    visits = [r for r in wb["五、走访与诉求"].iter_rows(values_only=True)]
    assert any(r[2] == "'=SUM(1,2)测试：扩产贷款" for r in visits)  # the formula-like demand is escaped
    assert safe_text("=1+1") == "'=1+1" and safe_text("@x") == "'@x" and safe_text("-3") == "'-3"
    assert safe_text("产值") == "产值"


def test_html_same_numbers_escaped_and_self_contained(db, district):
    b = build_briefing(db, "semiconductor", "320412", "2024")
    page = write_html(b).decode("utf-8")
    assert "<script>" not in page and "alert(1)" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;测试电子有限公司" in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt;测芯晶圆扩产项目签约" in page
    assert "&lt;b&gt;测试&lt;/b&gt;模块扩产项目" in page
    for h in HEADINGS:
        assert f"<h2>{h}</h2>" in page
    first = b.tables()[0]
    assert f"<td class=\"num\">{_local_firms(db)}</td>" in page and first.shown()[-1][4] in page
    assert len(re.findall(r'<img src="data:image/png;base64,', page)) == len(b.charts())
    assert not re.search(r'(src|href)="(https?:)?//', page) and "@import" not in page and "url(" not in page
    fragment = render_html(b, fragment=True)
    assert "<html" not in fragment and "<h1>" in fragment


def test_files_are_byte_stable(db, district):
    one = build_briefing(db, "semiconductor", "320412", "2024-Q2")
    two = build_briefing(db, "semiconductor", "320412", "2024-Q2")
    assert write_docx(one) == write_docx(two)
    assert write_xlsx(one) == write_xlsx(two)
    assert write_html(one) == write_html(two)
    with zipfile.ZipFile(io.BytesIO(write_docx(one))) as z:
        assert {i.date_time for i in z.infolist()} == {(2024, 6, 30, 0, 0, 0)}


def test_render_briefing_for_the_web(db, district):
    data, media, name = render_briefing(db, "semiconductor", "320412", "2024", "xlsx")
    assert data[:2] == b"PK" and media.endswith("spreadsheetml.sheet")
    assert name == "武进区集成电路产业链研判简报_2024.xlsx"
    with pytest.raises(ValueError, match="unknown format"):
        render_briefing(db, "semiconductor", "320412", "2024", "odt")
