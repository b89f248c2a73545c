"""Verb for briefings: ``xinlian report`` writes the periodic 研判 briefing as Word, Excel, HTML or PDF."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from xinlian.cli.app import app, console, fail, open_database


@app.command("report")
def report_cmd(
    period: str = typer.Option(..., "--period", help="报告期：月 2025-03、季度 2025-Q1 或年 2025 / period"),
    fmt: str = typer.Option("docx", "--format", help="docx | xlsx | html | pdf"),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="输出文件（默认按标题命名）/ output file"),
    chain: Optional[str] = typer.Option(None, "--chain", help="产业链 / chain; default: settings.chain"),
    region: Optional[str] = typer.Option(None, "--region", help="区划代码 / GB/T 2260 code; default: settings.region"),
    issuer: Optional[str] = typer.Option(None, "--issuer", help="发布单位 / issuing unit, e.g. 武进区工业和信息化局"),
    date_: Optional[str] = typer.Option(None, "--date", help="落款日期 YYYY-MM-DD（默认报告期末）/ date line"),
):
    """研判简报 Write the periodic briefing (Word / Excel / HTML / PDF) for a period."""
    from datetime import date

    from xinlian.report.pdf import PdfUnavailable
    from xinlian.report.period import PeriodError
    from xinlian.report.render import FORMATS, render_briefing
    from xinlian.settings import get_settings

    if fmt not in FORMATS:
        fail(f"未知格式 {fmt!r}：应为 {' | '.join(FORMATS)}")
    s = get_settings()
    try:
        when = date.fromisoformat(date_) if date_ else None
        data, _media, name = render_briefing(open_database(), chain or s.chain, region or s.region, period, fmt,
                                             issuer=issuer, now=when)
    except (PeriodError, PdfUnavailable, ValueError) as exc:
        fail(str(exc))
    target = output or Path(name)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    console.print(f"已生成 written: {target} ({len(data):,} bytes)")
