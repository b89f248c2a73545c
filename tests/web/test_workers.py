"""``xinlian serve --workers N`` (``xinlian.web.workers``): one listening socket per worker, spread by the kernel."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from xinlian.web import workers

pytestmark = pytest.mark.skipif(not workers.reuse_port_supported(), reason="SO_REUSEPORT is Linux-only here")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_connections_are_spread_over_the_sockets_not_taken_by_one():
    """The kernel hands each new connection to one of the listening sockets: a burst of 40 never all lands on one
    (the shared-socket failure this replaces; the chance of 40 in a row on one of two is 2**-39)."""
    port = _free_port()
    a, b = workers.listening_socket("127.0.0.1", port), workers.listening_socket("127.0.0.1", port)
    clients = []
    try:
        for s in (a, b):
            s.listen(64)
            s.setblocking(False)
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]
        time.sleep(0.1)
        got = []
        for s in (a, b):
            n = 0
            while True:
                try:
                    conn, _ = s.accept()
                except BlockingIOError:
                    break
                conn.close()
                n += 1
            got.append(n)
        assert sum(got) == 40 and min(got) > 0, got
    finally:
        for c in clients:
            c.close()
        a.close()
        b.close()


def test_a_port_in_use_is_refused_at_once():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        with pytest.raises(OSError):
            workers.listening_socket("127.0.0.1", taken.getsockname()[1])


PID_APP = textwrap.dedent('''
    import os

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = str(os.getpid()).encode()
        headers = [(b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
''')


def _serve(tmp_path: Path, app: str, port: int) -> subprocess.Popen:
    (tmp_path / "pid_app.py").write_text(PID_APP, encoding="utf-8")
    code = (f"import sys; from xinlian.web.workers import run_workers; "
            f"sys.exit(run_workers('127.0.0.1', {port}, 2, app={app!r}, log_level='warning'))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    return subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


def test_two_workers_both_answer_and_stop_with_the_parent(tmp_path):
    port = _free_port()
    server = _serve(tmp_path, "pid_app:app", port)
    try:
        deadline = time.monotonic() + 60
        pids: set[str] = set()
        while time.monotonic() < deadline and len(pids) < 2:
            try:
                for _ in range(20):  # a new connection each time: each one goes to either worker
                    pids.add(httpx.get(f"http://127.0.0.1:{port}/", timeout=2).text)
            except httpx.HTTPError:
                time.sleep(0.2)
        assert len(pids) == 2, pids
        kids = [int(p) for p in pids]
        assert set(kids) <= set(_children(server.pid))
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(30) == 0
    for pid in kids:  # no worker outlives the parent
        for _ in range(50):
            if not Path(f"/proc/{pid}").exists():
                break
            time.sleep(0.1)
        assert not Path(f"/proc/{pid}").exists()


def test_a_worker_that_cannot_start_stops_the_server(tmp_path):
    server = _serve(tmp_path, "no_such_module_here:app", _free_port())
    try:
        assert server.wait(60) == 1
    finally:
        if server.poll() is None:
            server.kill()
    assert b"right after starting" in server.stderr.read()
