"""Field-level masking in downloads (checklist 3): the briefing a viewer downloads from /reports hides output
figures in Word, Excel and HTML, as the pages do; an analyst's download keeps them. The export audit row says
which one was given."""

from __future__ import annotations

import io

import pytest


def _overview_total(data: bytes):
    import openpyxl

    ws = openpyxl.load_workbook(io.BytesIO(data))["一、总体情况"]
    return next(r for r in ws.iter_rows(values_only=True) if r and r[0] == "全产业链")


@pytest.fixture
def briefing_web(sqlite_web):
    pytest.importorskip("xinlian.report.render")
    return sqlite_web


def test_viewer_download_is_masked_and_analyst_download_is_not(briefing_web):
    from xinlian.store.tables.auth import AuditLog

    params = {"period": "2025-Q1", "fmt": "xlsx"}
    full = _overview_total(briefing_web.client("analyst").get("/reports/briefing", params=params).content)
    masked = _overview_total(briefing_web.client("viewer").get("/reports/briefing", params=params).content)
    assert isinstance(full[4], (int, float)) and full[4] > 0  # the seeded firms' output, 亿元
    assert masked[4] is None and masked[1] == full[1]  # figures hidden, counts kept
    shown = f"{full[4]:,.2f}"
    html_full = briefing_web.client("analyst").get("/reports/briefing", params={**params, "fmt": "html"}).text
    html_masked = briefing_web.client("viewer").get("/reports/briefing", params={**params, "fmt": "html"}).text
    assert shown in html_full and shown not in html_masked and "脱敏" in html_masked

    from docx import Document

    r = briefing_web.client("viewer").get("/reports/briefing", params={**params, "fmt": "docx"})
    doc = Document(io.BytesIO(r.content))
    text = "\n".join(p.text for p in doc.paragraphs) + "".join(
        c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert shown not in text
    with briefing_web.db.session() as s:
        rows = [(r.username, (r.after or {}).get("masked")) for r in
                s.query(AuditLog).filter_by(action="report.export").order_by(AuditLog.id)]
    assert ("viewer", True) in rows and ("analyst", False) in rows


def test_admin_roles_get_the_masked_download(briefing_web):
    r = briefing_web.client("audit_admin").get("/reports/briefing", params={"period": "2025-Q1", "fmt": "xlsx"})
    assert r.status_code == 200 and _overview_total(r.content)[4] is None
    assert briefing_web.client("viewer").get("/reports.json").json()["masked"] is True
