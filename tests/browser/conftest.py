"""Browser tests: the real app served by uvicorn on 127.0.0.1, driven by Playwright's Python package against
Debian's Chromium (/usr/bin/chromium). No browser is ever downloaded; without /usr/bin/chromium every test here
is skipped with a loud message."""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
import warnings
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
_MISSING = f"{CHROMIUM} NOT FOUND: ALL BROWSER TESTS ARE SKIPPED (apt-get install chromium fonts-wqy-microhei)"



def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    def __init__(self, url: str, db, ids: dict):
        self.url = url
        self.db = db
        self.ids = ids


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        warnings.warn(_MISSING)
        print("\n" + "!" * 80 + "\n" + _MISSING + "\n" + "!" * 80, file=sys.stderr)
        pytest.skip(_MISSING)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def served(tmp_path_factory, chromium):
    """The app on a free loopback port over a fresh SQLite database with fictional data."""
    import uvicorn

    os.environ["XINLIAN_ARGON2_MEMORY_KIB"] = "1024"
    os.environ["XINLIAN_ARGON2_TIME_COST"] = "1"
    from xinlian.settings import get_settings, reset_settings

    reset_settings()
    from webdata import PASSWORD, seed  # noqa: F401
    from xinlian.store.db import open_db
    from xinlian.users.passwords import hash_password
    from xinlian.web.app import create_app

    home = tmp_path_factory.mktemp("browser")
    os.environ["XINLIAN_HOME"] = str(home)
    reset_settings()
    path = home / "browser.db"
    db = open_db(f"sqlite:///{path}")
    ids = seed(db, hash_password(PASSWORD))
    try:
        from xinlian.work import projects as wp

        with db.session() as s:
            ids["project"] = wp.add_project(s, name="澄江碳化硅衬底扩产项目", stage="lead", user="admin",
                                            department="招商一局")["id"]
    except ImportError:
        ids["project"] = None
    from webdata import seed_news

    ids.update(seed_news(db, ids))
    app = create_app(db, get_settings())
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield Served(f"http://127.0.0.1:{port}", db, ids)
    server.should_exit = True
    thread.join(timeout=10)
    db.dispose()


@pytest.fixture
def page(chromium, served):
    """A fresh browser context (no cookies) whose page records dialogs and console errors."""
    context = chromium.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN",
                                   accept_downloads=True)
    pg = context.new_page()
    pg.dialogs = []
    pg.errors = []
    pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
    yield pg
    context.close()
