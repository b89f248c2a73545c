"""How many requests one server process works on at once (``settings.web_concurrency``).

Our routes are plain functions that run in the thread pool, and a worker process runs Python on one core at a
time (the GIL). Letting every open connection into the app at once does not make a worker faster: with 20 requests
in flight in one process, 20 threads take turns at the GIL, each request is sliced into many short turns, and the
switching costs CPU (measured: 8-9 ms of CPU a search with 20 at once against 6-7 ms with 2-3 at once, on the same
process and data). ``ConcurrencyGate`` lets at most ``limit`` requests into the app and keeps the others
waiting in arrival order on the event loop, where waiting costs nothing, so each request runs nearly to its end
once started and the slowest answers come close to the typical ones.

Two at once by default rather than one: the next request is ready in its thread when the running one hands its
answer to the event loop, and a request waiting for the database (PostgreSQL over the network, a cold SQLite page)
leaves the core to the other. On the 100k bench two gave the lowest CPU a search and the lowest p95 (one: about a
third fewer requests a second; three, four or no limit: 10-20% more CPU a request). Static files (``/static/``)
skip the queue: they cost well under a millisecond and a page's CSS should not wait behind other users' searches.
So do the few requests that may take seconds (a sheet upload being parsed, a briefing being built: ``LONG``):
holding one of two places for that long would stop the worker's other users; outside the gate they share the core
with the queue as before. ``limit`` 0 turns the gate off.
"""

from __future__ import annotations

import asyncio
import weakref


BYPASS_PREFIXES = ("/static/",)
LONG = {("POST", "/imports"), ("GET", "/reports/briefing")}  # seconds of work each; rate-limited per user


class ConcurrencyGate:
    """ASGI middleware: at most ``limit`` HTTP requests of this process inside ``app`` at once, the rest in order."""

    def __init__(self, app, *, limit: int):
        self.app = app
        self.limit = limit
        # one semaphore per event loop: a test client may run the same app on several loops in turn
        self._gates: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self.inside = 0  # requests inside the app now (for tests and debugging)
        self.most_inside = 0

    def _gate(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        gate = self._gates.get(loop)
        if gate is None:
            gate = self._gates[loop] = asyncio.Semaphore(self.limit)
        return gate

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if (scope["type"] != "http" or self.limit <= 0 or path.startswith(BYPASS_PREFIXES)
                or (scope.get("method"), path) in LONG):
            await self.app(scope, receive, send)
            return
        async with self._gate():
            self.inside += 1
            self.most_inside = max(self.most_inside, self.inside)
            try:
                await self.app(scope, receive, send)
            finally:
                self.inside -= 1
