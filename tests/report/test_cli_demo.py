"""``xinlian report`` from the command line, and the briefing of the demo district (its numbers against SQL)."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import select, text


def xl(*args):
    """The command in-process (the db_url fixture has set XINLIAN_DB_URL); (exit code, output)."""
    from typer.testing import CliRunner

    from xinlian.cli import _load_areas, app

    _load_areas()
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_cli_writes_each_format(db, district, tmp_path):
    import docx
    import openpyxl

    for fmt in ("docx", "xlsx", "html"):
        out = tmp_path / f"brief.{fmt}"
        code, output = xl("report", "--chain", "semiconductor", "--region", "320412", "--period", "2024", "--format",
                          fmt, "-o", str(out), "--issuer", "武进区工业和信息化局")
        assert code == 0, output
        assert out.stat().st_size > 1000
    assert docx.Document(str(tmp_path / "brief.docx")).paragraphs[1].text.startswith("武进区工业和信息化局")
    assert openpyxl.load_workbook(tmp_path / "brief.xlsx").sheetnames[1] == "一、总体情况"
    assert "武进区集成电路产业链研判简报（2024年）" in (tmp_path / "brief.html").read_text("utf-8")
    code, output = xl("report", "--period", "2024-13", "--format", "docx", "-o", str(tmp_path / "x.docx"))
    assert code == 1 and "2025-Q1" in output and not (tmp_path / "x.docx").exists()


def test_demo_district_briefing(db, tmp_path):
    generator = pytest.importorskip("xinlian.demo.generator")
    work = pytest.importorskip("xinlian.demo.work")
    import docx

    from xinlian.report.content import build_briefing
    from xinlian.report.docx_writer import write_docx

    generator.build_demo(db, tmp_path / "demo")
    work.build_work_demo(db, today=date(2025, 3, 31))
    b = build_briefing(db, "semiconductor", "320412", "2025-03")
    assert all(s.available for s in b.sections)
    d = docx.Document(io.BytesIO(write_docx(b)))
    with db.session() as s:
        local = s.execute(text(
            "SELECT COUNT(DISTINCT e.id) FROM enterprise e JOIN enterprise_node n ON n.enterprise_id = e.id "
            "WHERE e.status = 'active' AND e.region_code = '320412' AND n.chain = 'semiconductor'")).scalar()
        from xinlian.store.tables.work import ProjectMove

        moves = s.execute(select(ProjectMove.at).where(ProjectMove.kind != "create")).scalars().all()
    assert int(d.tables[0].rows[-1].cells[1].text) == local > 100
    from xinlian.work.common import local_date

    in_march = sum(1 for m in moves if date(2025, 3, 1) <= local_date(m) <= date(2025, 3, 31))
    assert f"阶段变动{in_march}次" in "\n".join(p.text for p in d.paragraphs)
    assert len(d.inline_shapes) >= 3
