"""HTML → PDF (and → PNG, to look at a briefing) through the machine's headless Chromium, driven by Playwright's
Python package with ``executable_path`` (never ``playwright install``). Optional: without Playwright or Chromium,
``PdfUnavailable`` says what is missing. The page is loaded with ``set_content`` and the network is refused, so the
self-contained HTML is all Chromium sees."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

__all__ = ["PdfUnavailable", "chromium_path", "html_to_pdf", "html_to_png"]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


class PdfUnavailable(RuntimeError):
    pass


def chromium_path() -> str:
    """``XINLIAN_CHROMIUM``, else /usr/bin/chromium, else chromium or chromium-browser on PATH."""
    for candidate in (os.environ.get("XINLIAN_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file():
            return candidate
    raise PdfUnavailable("未找到 Chromium（/usr/bin/chromium）：无法生成 PDF / headless Chromium not found")


def _page(html: str, width: int = 1000):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise PdfUnavailable("未安装 playwright Python 包：无法生成 PDF / pip install playwright") from exc
    exe = chromium_path()

    class _Session:
        def __enter__(self):
            self.pw = sync_playwright().start()
            self.browser = self.pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS, headless=True)
            page = self.browser.new_page(viewport={"width": width, "height": 1200})
            page.route("**/*", lambda route: route.abort())  # self-contained: nothing may be fetched
            page.set_content(html, wait_until="load")
            return page

        def __exit__(self, *exc):
            self.browser.close()
            self.pw.stop()

    return _Session()


def _in_own_thread(fn):
    """Playwright's sync API refuses to run in a thread with a running event loop (a web request, a test that
    left one); a fresh thread has none."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn).result()


def html_to_pdf(html: str) -> bytes:
    """A4 PDF of the HTML page, with the briefing's margins."""
    def work() -> bytes:
        with _page(html) as page:
            return page.pdf(format="A4", print_background=True,
                            margin={"top": "25mm", "bottom": "22mm", "left": "20mm", "right": "18mm"})

    return _in_own_thread(work)


def html_to_png(html: str, path: str | Path, *, width: int = 1000, full_page: bool = True) -> Path:
    """A screenshot of the HTML page (to look at what a reader sees)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)

    def work() -> None:
        with _page(html, width) as page:
            page.screenshot(path=str(path), full_page=full_page)

    _in_own_thread(work)
    return path
