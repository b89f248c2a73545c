"""``xinlian serve --workers N``: N server processes on one port, each listening on its own socket.

uvicorn's own ``--workers`` binds one socket in the parent and lets every worker accept from it. Each worker's event
loop accepts all waiting connections at once when it wakes, so a burst of new connections (20 clients starting
together, a browser opening several at once) tends to land on a single worker, and keep-alive keeps them there:
measured on the 100k-enterprise bench, whole runs had all 20 connections on one worker while the other sat idle
(one core used of two; search p50 166 ms and p95 300 ms against about 70/120 ms when split).

Here each worker opens its own listening socket on the same address with ``SO_REUSEPORT``, and the kernel spreads
new connections over the sockets (by a hash of the client's address and port), one connection at a time, whatever
the workers are doing. The parent binds the address once first (without listening, so it takes no connections) to
fail at once when the port is taken, starts the workers, restarts one that dies, and stops them all on SIGTERM or
SIGINT. Each worker exits by itself if the parent disappears. Where ``SO_REUSEPORT`` is missing (not Linux), the
CLI falls back on uvicorn's shared socket.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time

log = logging.getLogger("xinlian.web")

APP = "xinlian.web.asgi:app"
FAST_DEATH_S = 5.0  # a worker that dies this soon after its start is broken, not unlucky: stop instead of looping


def reuse_port_supported() -> bool:
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` that other sockets of this user may bind as well (``SO_REUSEPORT``)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def _leave_with_parent(parent: int) -> None:
    """Stop this worker (as SIGTERM would) when the process that started it is gone."""
    def watch():
        while os.getppid() == parent:
            time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="xinlian-parent-watch", daemon=True).start()


def _worker(app: str, host: str, port: int, parent: int, log_level: str) -> None:  # runs in a child process
    import uvicorn

    _leave_with_parent(parent)
    sock = listening_socket(host, port)
    config = uvicorn.Config(app, proxy_headers=False, server_header=False, log_level=log_level)
    uvicorn.Server(config).run(sockets=[sock])


def run_workers(host: str, port: int, workers: int, *, app: str = APP, log_level: str = "info") -> int:
    """Serve ``app`` (an import path) with ``workers`` processes until SIGTERM/SIGINT; the exit status for the CLI."""
    reserve = listening_socket(host, port)  # OSError now when the port is taken; never listens, so takes nothing
    spawn = multiprocessing.get_context("spawn")
    stopping = threading.Event()

    def start() -> tuple:
        proc = spawn.Process(target=_worker, args=(app, host, port, os.getpid(), log_level), name="xinlian-web")
        proc.start()
        return proc, time.monotonic()

    def stop(signum, frame):
        stopping.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    procs = [start() for _ in range(workers)]
    status = 0
    try:
        while not stopping.is_set():
            for i, (proc, started) in enumerate(procs):
                if proc.is_alive() or stopping.is_set():
                    continue
                if time.monotonic() - started < FAST_DEATH_S:
                    log.error("web worker %s exited with %s right after starting; stopping", proc.pid, proc.exitcode)
                    print(f"xinlian: a web worker exited with {proc.exitcode} right after starting", file=sys.stderr)
                    status = 1
                    stopping.set()
                    break
                log.warning("web worker %s exited with %s; starting another", proc.pid, proc.exitcode)
                procs[i] = start()
            stopping.wait(0.5)
    finally:
        for proc, _ in procs:
            if proc.is_alive():
                proc.terminate()  # SIGTERM: uvicorn finishes the requests in flight, then exits
        deadline = time.monotonic() + 15
        for proc, _ in procs:
            proc.join(max(0.1, deadline - time.monotonic()))
            if proc.is_alive():
                proc.kill()
                proc.join(5)
        reserve.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return status
