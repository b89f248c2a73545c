"""Field-level masking of the briefing (checklist 3): a reader without ``sensitive`` gets no output or tax figure
in any format, while counts and verdicts stay; the unmasked briefing still has them (so the test can fail)."""

from __future__ import annotations

import io

import pytest

from xinlian.report.content import build_briefing
from xinlian.report.masking import MASK, NOTE, mask_briefing, mask_text
from xinlian.report.render import render_briefing

TOTAL_YI = (5 * 1.1e9 + 5 * 4e8 + 5e8) / 1e8  # the district fixture's chain output in 2024, 亿元


def test_mask_text_hides_amounts_only_in_clauses_naming_a_sensitive_figure():
    text = "2024年全产业链产值1,234.56亿元，同比增长5.0%，签约项目总投资20亿元。纳税3,000万元；产值由12亿元变为15亿元。"
    out = mask_text(text)
    assert "1,234.56" not in out and "3,000万元" not in out and "12亿元" not in out and "15亿元" not in out
    assert "总投资20亿元" in out and "同比增长5.0%" in out  # project money and growth rates are not masked
    assert out.count(MASK) == 4
    assert mask_text("本地企业12家。") == "本地企业12家。"


def _xlsx_rows(data: bytes):
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data))
    return wb, [(ws.title, row) for ws in wb.worksheets for row in ws.iter_rows(values_only=True)]


def test_masked_briefing_has_no_output_figure_in_any_format(db, district):
    plain = build_briefing(db, "semiconductor", "320412", "2024")
    assert plain.headline["output_yuan"] == pytest.approx(TOTAL_YI * 1e8)
    masked = mask_briefing(build_briefing(db, "semiconductor", "320412", "2024"))
    assert masked.headline["output_yuan"] is None and masked.headline["local_firms"] == plain.headline["local_firms"]
    for t_plain, t_masked in zip(plain.tables(), masked.tables()):
        for i, col in enumerate(t_masked.columns):
            values = [row[i] for row in t_masked.rows]
            if "产值" in col.name:
                assert all(v is None for v in values), t_masked.caption
                assert NOTE in (t_masked.note or "")
            else:
                assert values == [row[i] for row in t_plain.rows], (t_masked.caption, col.name)
    shown_total = f"{TOTAL_YI:,.2f}"

    data, _, _ = render_briefing(db, "semiconductor", "320412", "2024", "html")
    assert shown_total in data.decode("utf-8")  # the unmasked file has the figure: the check below can fail
    data, _, _ = render_briefing(db, "semiconductor", "320412", "2024", "html", masked=True)
    page = data.decode("utf-8")
    assert shown_total not in page and MASK in page and NOTE in page

    data, _, _ = render_briefing(db, "semiconductor", "320412", "2024", "xlsx", masked=True)
    _, rows = _xlsx_rows(data)
    total = next(r for title, r in rows if title == "一、总体情况" and r and r[0] == "全产业链")
    assert total[4] is None and total[6] is None and isinstance(total[1], int)
    assert not any(isinstance(v, float) and v == pytest.approx(TOTAL_YI) for _, r in rows for v in r)

    from docx import Document

    data, _, _ = render_briefing(db, "semiconductor", "320412", "2024", "docx", masked=True)
    doc = Document(io.BytesIO(data))
    text = "\n".join(p.text for p in doc.paragraphs) + "\n".join(
        c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert shown_total not in text and MASK in text


def test_hidden_firms_are_left_out_of_every_table_and_paragraph(db, district):
    from xinlian.report.masking import HIDDEN_FIRM, hide_firms
    from xinlian.report.model import Paragraph

    plain = build_briefing(db, "semiconductor", "320412", "2024")
    named = sorted({c for t in plain.tables() for row in t.rows for c in row
                    if isinstance(c, str) and c.endswith("公司") and "<" not in c})  # HTML escapes the hostile one
    assert named, "the district briefing names firms in its tables"
    firm = named[0]
    rows_with = sum(1 for t in plain.tables() for row in t.rows if firm in [c for c in row if isinstance(c, str)])
    rows_all = sum(len(t.rows) for t in plain.tables())
    cut = hide_firms(build_briefing(db, "semiconductor", "320412", "2024"), [firm])
    assert sum(len(t.rows) for t in cut.tables()) == rows_all - rows_with
    paragraphs = [b.text for s in cut.sections for b in s.blocks if isinstance(b, Paragraph)]
    assert not any(firm in p for p in paragraphs)
    html = render_briefing(db, "semiconductor", "320412", "2024", "html", hidden_firms=[firm])[0].decode("utf-8")
    assert firm not in html and "受限企业" in html
    assert firm in render_briefing(db, "semiconductor", "320412", "2024", "html")[0].decode("utf-8")
    assert HIDDEN_FIRM not in " ".join(b.text for s in plain.sections for b in s.blocks if isinstance(b, Paragraph))
