"""The per-process concurrency gate (``xinlian.web.gate``, ``settings.web_concurrency``)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import httpx

from xinlian.web.gate import ConcurrencyGate


def _run(coro):
    """``asyncio.run`` in a thread of its own: the browser tests' Playwright (sync API) keeps an event loop running
    in the main thread of the pytest worker that ran them, where ``asyncio.run`` refuses to start."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result(timeout=60)


def _held_app(release: asyncio.Event, seen: list):
    """An ASGI app whose requests stay inside until ``release`` is set."""

    async def app(scope, receive, send):
        seen.append(scope["path"])
        if not scope["path"].startswith(("/static/", "/reports/briefing")):
            await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})

    return app


def test_gate_lets_limit_requests_in_and_queues_the_rest_in_order():
    async def run():
        release = asyncio.Event()
        seen: list[str] = []
        gate = ConcurrencyGate(_held_app(release, seen), limit=2)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gate), base_url="http://t") as c:
            tasks = []
            for i in range(6):
                tasks.append(asyncio.create_task(c.get(f"/page/{i}")))
                await asyncio.sleep(0.01)  # arrive in order
            await asyncio.sleep(0.05)
            assert gate.inside == 2 and seen == ["/page/0", "/page/1"]  # the other four wait outside the app
            static = await asyncio.wait_for(c.get("/static/app.css"), 2)  # static files do not queue
            assert static.status_code == 200
            long = await asyncio.wait_for(c.get("/reports/briefing"), 2)  # nor do the few slow downloads
            assert long.status_code == 200 and gate.inside == 2
            release.set()
            done = await asyncio.gather(*tasks)
        assert [r.status_code for r in done] == [200] * 6
        assert gate.most_inside == 2 and gate.inside == 0
        assert [p for p in seen if p.startswith("/page/")] == [f"/page/{i}" for i in range(6)]

    _run(run())


def test_gate_zero_is_no_limit():
    async def run():
        release = asyncio.Event()
        gate = ConcurrencyGate(_held_app(release, []), limit=0)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gate), base_url="http://t") as c:
            tasks = [asyncio.create_task(c.get(f"/page/{i}")) for i in range(5)]
            await asyncio.sleep(0.05)
            release.set()
            assert [r.status_code for r in await asyncio.gather(*tasks)] == [200] * 5

    _run(run())


def test_gate_works_on_successive_event_loops():
    """A test client (or a restarted server) may run the same app on another loop: each loop gets its own gate."""
    gate = ConcurrencyGate(None, limit=1)

    async def one():
        release = asyncio.Event()
        release.set()
        gate.app = _held_app(release, [])
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gate), base_url="http://t") as c:
            rs = await asyncio.gather(*(c.get(f"/p/{i}") for i in range(3)))
        return [r.status_code for r in rs]

    assert _run(one()) == [200] * 3
    assert _run(one()) == [200] * 3


def test_app_has_the_gate_from_settings(sqlite_web, monkeypatch):
    from xinlian.settings import get_settings, reset_settings
    from xinlian.web.app import create_app

    def gate_limit(app):
        return [m.kwargs["limit"] for m in app.user_middleware if m.cls is ConcurrencyGate]

    assert gate_limit(sqlite_web.app) == [get_settings().web_concurrency] == [2]
    monkeypatch.setenv("XINLIAN_WEB_CONCURRENCY", "3")
    reset_settings()
    app = create_app(sqlite_web.db, get_settings())
    assert gate_limit(app) == [3]
    from fastapi.testclient import TestClient

    from xinlian.web.gate import LONG

    routes = {(m.upper(), path) for path, ops in app.openapi()["paths"].items() for m in ops}
    assert LONG <= routes  # the slow routes the gate lets past still exist under these names
    with TestClient(app) as client:  # the real pages still answer through the gate
        assert client.get("/login").status_code == 200
        assert client.get("/static/app.css").status_code == 200
