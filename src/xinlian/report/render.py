"""One call for the CLI and the web app: a briefing rendered in a format, as (bytes, media type, file name)."""

from __future__ import annotations

from datetime import date, datetime

from xinlian.report.content import build_briefing
from xinlian.report.model import Briefing

__all__ = ["FORMATS", "render", "render_briefing"]

FORMATS = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
}


def render(b: Briefing, fmt: str) -> bytes:
    """The bytes of a built briefing in ``fmt`` (docx, xlsx, html, pdf)."""
    if fmt == "docx":
        from xinlian.report.docx_writer import write_docx

        return write_docx(b)
    if fmt == "xlsx":
        from xinlian.report.xlsx_writer import write_xlsx

        return write_xlsx(b)
    if fmt == "html":
        from xinlian.report.html_writer import write_html

        return write_html(b)
    if fmt == "pdf":
        from xinlian.report.html_writer import render_html
        from xinlian.report.pdf import html_to_pdf

        return html_to_pdf(render_html(b))
    raise ValueError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")


def render_briefing(db, chain: str, region: str, period: str, fmt: str, *, issuer: str | None = None,
                    now: datetime | date | None = None, masked: bool = False,
                    hidden_firms: list[str] | None = None) -> tuple[bytes, str, str]:
    """(bytes, media type, file name) of the briefing. The file name is Chinese (武进区集成电路产业链研判简报_2025-03.docx):
    a download header carries it as ``filename*=UTF-8''…``. ``db`` is a ``Database`` or an open ``Session``.
    ``masked``: the reader may not see sensitive figures (``report.masking.mask_briefing``); ``hidden_firms``:
    names the reader may not see (security labels, ``report.masking.hide_firms``)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
    b = build_briefing(db, chain, region, period, issuer=issuer, now=now)
    if masked:
        from xinlian.report.masking import mask_briefing

        mask_briefing(b)
    if hidden_firms:
        from xinlian.report.masking import hide_firms

        hide_firms(b, hidden_firms)
    return render(b, fmt), FORMATS[fmt], f"{b.filename_stem}.{fmt}"
