"""HTML → PDF through the machine's headless Chromium (optional: skipped with a message when it is absent)."""

from __future__ import annotations

import pytest

from xinlian.report.content import build_briefing
from xinlian.report.html_writer import render_html
from xinlian.report.pdf import PdfUnavailable, chromium_path, html_to_pdf


@pytest.mark.browser
def test_pdf_from_the_html(sqlite_db):
    try:
        chromium_path()
        import playwright  # noqa: F401
    except (PdfUnavailable, ImportError) as exc:
        pytest.skip(f"PDF needs headless Chromium and playwright: {exc}")
    b = build_briefing(sqlite_db, "semiconductor", "320412", "2025-03")
    pdf = html_to_pdf(render_html(b))
    assert pdf[:5] == b"%PDF-" and pdf.count(b"/Type /Page") >= 2


@pytest.mark.browser
def test_pdf_works_inside_a_running_event_loop():
    import asyncio

    try:
        chromium_path()
        import playwright  # noqa: F401
    except (PdfUnavailable, ImportError) as exc:
        pytest.skip(f"PDF needs headless Chromium and playwright: {exc}")

    from concurrent.futures import ThreadPoolExecutor

    async def inside():
        asyncio.get_running_loop()  # a loop is running here, as in an async web route
        return html_to_pdf("<html><body><h1>研判简报</h1></body></html>")

    # its own thread: the test worker's main thread may hold another test's loop
    with ThreadPoolExecutor(max_workers=1) as pool:
        pdf = pool.submit(lambda: asyncio.run(inside())).result()
    assert pdf[:5] == b"%PDF-"
