"""The web app under load: dashboard, a chain node page and a Chinese search at 20 concurrent clients.

    python bench/bench_web.py [--size N] [--clients C] [--requests R] [--seconds S] [--workers W] [--client raw|httpx]

Builds a SQLite database with N fictional enterprises (default 100,000; 3% local to the configured region, every
one on a chain node with a year of figures, names and products in the search index) and N/2 news articles (when
the news tables exist), serves it with ``xinlian serve --workers W`` (default 2, one per core) in a child process on
127.0.0.1, logs in, and sends R requests per page (or for S seconds, whichever ends first) from C concurrent
keep-alive connections (a minimal HTTP/1.1 client, so the client's CPU is not taken from the server on a 2-core
machine; ``--client httpx`` for the general one). The anchor is a static file (``/static/app.css``) served by the
same server and measured by the same client in the same way. Prints ``web_dashboard``, ``web_node`` and
``web_search`` with p95 latency in ms (ratio = anchor p95 / ours, so > 1 would beat the static file), plus p50 and
requests/s for both.

The search is never one query repeated: ``search_queries`` draws a fixed list (seeded) from the words the data is
made of (product words that match thousands of firms, name fragments that match a few hundred, a fragment with a
product that matches a few dozen, single characters), and each request takes the next query of the list, so
consecutive requests search for different things. The server keeps no search results between requests.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

from common import emit, parser, size_of  # noqa: E402

PASSWORD = "Bench-Pass 7 Web"
REGION = "320412"
_SYLLABLES = list("澄江滆湖远山青禾金坛星河启明华芯恒锐博达新创天成海纳云帆嘉盛汇通德瑞")
_PRODUCTS = ["碳化硅衬底", "氮化镓外延片", "功率模块", "晶圆代工", "先进封装", "光刻胶", "湿电子化学品", "射频芯片",
             "模拟芯片", "传感器", "测试设备", "刻蚀设备", "IGBT", "MOSFET", "激光器", "光模块"]


def search_queries(count: int = 200, seed: int = 11) -> list[str]:
    """``count`` different searches over the words ``build`` uses: whole product words (thousands of matches, the
    count stops at the cap), two-character name fragments (a few hundred), a fragment and a product (a few dozen),
    a product's first two characters, and single characters (the most matches, the slowest)."""
    rng = random.Random(seed)
    kinds = [
        lambda: rng.choice(_PRODUCTS),
        lambda: rng.choice(_SYLLABLES) + rng.choice(_SYLLABLES),
        lambda: rng.choice(_SYLLABLES) + rng.choice(_SYLLABLES) + " " + rng.choice(_PRODUCTS),
        lambda: rng.choice([p for p in _PRODUCTS if not p.isascii()])[:2],
        lambda: rng.choice(_SYLLABLES),
    ]
    weights = [30, 30, 20, 10, 10]
    out: list[str] = ["碳化硅"]
    while len(out) < count:
        q = rng.choices(kinds, weights)[0]()
        if q not in out:
            out.append(q)
    return out


def build(url: str, n: int, seed: int = 7) -> None:
    from sqlalchemy import insert

    from xinlian.chain.taxonomy import load_chain
    from xinlian.store.db import open_db
    from xinlian.store.dialect import index_documents
    from xinlian.store.tables.registry import Enterprise, EnterpriseFigure, EnterpriseNode
    from xinlian.users import accounts

    rng = random.Random(seed)
    chain = load_chain("semiconductor")
    leaves = [x.id for x in chain.leaves()]
    db = open_db(url)
    t0 = time.perf_counter()
    with db.session() as s:
        accounts.create_user(s, "bench", PASSWORD, role="admin", check_policy=False)
        for start in range(0, n, 5000):
            ents, nodes, figs, docs = [], [], [], []
            for i in range(start, min(n, start + 5000)):
                eid = i + 1
                name = "".join(rng.choice(_SYLLABLES) for _ in range(4)) + rng.choice(_PRODUCTS) + f"有限公司{i}"
                product = rng.choice(_PRODUCTS)
                local = rng.random() < 0.03
                region = REGION if local else rng.choice(["320583", "440305", "310115", "510107", "330106"])
                ents.append({"id": eid, "name": name, "name_norm": name, "match_key": f"b:{i}", "region_code": region,
                             "products": product, "status": "active", "high_tech": rng.random() < 0.2,
                             "specialised": rng.random() < 0.1, "little_giant": False, "chain_leader": False,
                             "listed": False, "is_sample": True, "version": 1})
                nodes.append({"enterprise_id": eid, "chain": "semiconductor", "node_id": rng.choice(leaves),
                              "role": "main", "source": "demo", "score": 1.0, "evidence": product})
                figs.append({"enterprise_id": eid, "year": 2024, "output_value": rng.lognormvariate(18, 1.2),
                             "revenue": rng.lognormvariate(18, 1.2), "tax": rng.lognormvariate(14, 1.0),
                             "employees": rng.randint(5, 3000)})
                docs.append((eid, f"{name} {product}"))
            s.execute(insert(Enterprise), ents)
            s.execute(insert(EnterpriseNode), nodes)
            s.execute(insert(EnterpriseFigure), figs)
            index_documents(s, "enterprise", docs)
    print(f"# {n:,} enterprises in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    try:
        from xinlian.store.tables.news import Article, Page
    except ImportError:
        print("# news tables absent: enterprises only", file=sys.stderr)
        return
    t0 = time.perf_counter()
    m = n // 2
    with db.session() as s:
        for start in range(0, m, 5000):
            pages, arts = [], []
            for i in range(start, min(m, start + 5000)):
                pid = i + 1
                pages.append({"id": pid, "source": f"bench://{pid}", "url": f"http://example.invalid/{pid}",
                              "status": "ok"})
                body = "，".join(rng.choice(_PRODUCTS) + "项目签约落地" for _ in range(20)) + "。"
                arts.append({"id": pid, "page_id": pid, "title": f"{rng.choice(_PRODUCTS)}项目签约 第{i}号",
                             "published_date": date(2025, 1 + i % 12, 1 + i % 28), "outlet": "示例日报",
                             "text": body, "warnings": [], "body_hash": f"{pid:064x}", "kind": "text",
                             "is_canonical": True, "chain": "semiconductor"})
            s.execute(insert(Page), pages)
            s.execute(insert(Article), arts)
    print(f"# {m:,} articles in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    db.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _summary(latencies: list[float], errors: int, wall: float) -> dict:
    latencies = sorted(latencies)
    return {"p50": statistics.median(latencies), "p95": latencies[max(0, int(len(latencies) * 0.95) - 1)],
            "rps": len(latencies) / wall, "n": len(latencies), "errors": errors}


async def measure(base: str, cookies: dict, paths: list[str], clients: int, requests: int, seconds: float) -> dict:
    """``requests`` GETs (or ``seconds``, whichever ends first) from ``clients`` connections; request i asks for
    ``paths[i % len(paths)]``."""
    import httpx

    latencies: list[float] = []
    errors = 0
    sent = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, cookies=cookies, limits=limits, timeout=60) as client:
        async def worker():
            nonlocal errors, sent
            while sent < requests and time.perf_counter() < deadline:
                path = paths[sent % len(paths)]
                sent += 1
                t = time.perf_counter()
                try:
                    r = await client.get(path)
                    ok = r.status_code == 200
                except httpx.HTTPError:
                    ok = False
                latencies.append((time.perf_counter() - t) * 1000)
                if not ok:
                    errors += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        wall = time.perf_counter() - t0
    return _summary(latencies, errors, wall)


async def measure_raw(base: str, cookies: dict, paths: list[str], clients: int, requests: int,
                      seconds: float) -> dict:
    """``measure`` with a minimal HTTP/1.1 client (keep-alive, one connection per client, bytes prepared once).

    httpx spends 2-3 ms of CPU per request, more than the server spends on the static anchor; on a 2-core machine
    that CPU is taken from the server being measured. This client spends a few tenths of a millisecond, so the
    figures are the server's. Responses are checked for their status and read to the end (Content-Length or
    chunked), so a request counts only when its whole body has arrived."""
    host, port = base.split("://", 1)[1].rsplit(":", 1)
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    requests_bytes = [(f"GET {quote(path, safe='/?=&%')} HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: {cookie}\r\n"
                       f"Accept: text/html\r\n\r\n").encode("latin-1") for path in paths]
    latencies: list[float] = []
    errors = 0
    sent = 0
    deadline = time.perf_counter() + seconds

    async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
        """(status, whether the server closes the connection after this response)."""
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        lower = head.lower()
        closes = b"\r\nconnection: close" in lower
        if b"transfer-encoding: chunked" in lower:
            while True:
                size = int((await reader.readline()).split(b";")[0], 16)
                await reader.readexactly(size + 2)
                if size == 0:
                    return status, closes
        at = lower.find(b"content-length:")
        if at >= 0:
            await reader.readexactly(int(lower[at + 15:lower.find(b"\r\n", at)]))
        return status, closes

    async def worker():
        nonlocal errors, sent
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while sent < requests and time.perf_counter() < deadline:
                request = requests_bytes[sent % len(requests_bytes)]
                sent += 1
                t = time.perf_counter()
                try:
                    if writer is None:  # the server closed the last one: a new connection counts in this request
                        reader, writer = await asyncio.open_connection(host, int(port))
                    writer.write(request)
                    status, closes = await read_response(reader)
                    ok = status == 200
                    if closes:
                        writer.close()
                        writer = None
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    ok = False
                    if writer is not None:
                        writer.close()
                    writer = None
                latencies.append((time.perf_counter() - t) * 1000)
                if not ok:
                    errors += 1
        finally:
            if writer is not None:
                writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    wall = time.perf_counter() - t0
    return _summary(latencies, errors, wall)


def login(base: str) -> dict:
    import httpx

    with httpx.Client(base_url=base) as c:
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
        r = c.post("/login", data={"username": "bench", "password": PASSWORD, "csrf_token": token})
        assert r.status_code in (200, 303), r.status_code
        return dict(c.cookies)


def main() -> None:
    p = parser(__doc__.splitlines()[0], full=100_000, small=5_000)
    p.add_argument("--clients", type=int, default=20)
    p.add_argument("--requests", type=int, default=1000, help="requests per page")
    p.add_argument("--queries", type=int, default=200, help="different searches the search requests go through")
    p.add_argument("--seconds", type=float, default=30.0, help="time limit per page")
    p.add_argument("--workers", type=int, default=2, help="server worker processes")
    p.add_argument("--client", choices=["raw", "httpx"], default="raw", help="load client (raw: minimal HTTP/1.1)")
    args = p.parse_args()
    n = size_of(args)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        env = {**os.environ, "XINLIAN_DB_URL": url, "XINLIAN_HOME": tmp, "XINLIAN_MODE": "production",
               "XINLIAN_SECRET_KEY": "bench-" + "k" * 40, "XINLIAN_REGION": REGION,
               "XINLIAN_LOGIN_RATE_PER_IP": "1000", "XINLIAN_SEARCH_RATE": "1000000"}
        os.environ.update({k: v for k, v in env.items() if k.startswith("XINLIAN_")})
        from xinlian.settings import reset_settings

        reset_settings()
        build(url, n)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([sys.executable, "-c", "from xinlian.cli import main; main()", "serve",
                                   "--port", str(port), "--workers", str(args.workers)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            import httpx

            for _ in range(200):
                try:
                    httpx.get(base + "/healthz", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)
            cookies = login(base)
            queries = search_queries(args.queries)
            pages = {"web_dashboard": ["/dashboard"], "web_node": ["/chain/nodes/foundry"],
                     "web_search": ["/enterprises?q=" + q for q in queries]}
            with httpx.Client(base_url=base, cookies=cookies, timeout=300) as warm:
                for paths in [*pages.values(), ["/static/app.css"]]:
                    t = time.perf_counter()
                    r = warm.get(paths[0])
                    print(f"# warm {paths[0]}: {r.status_code} {1000 * (time.perf_counter() - t):.0f} ms",
                          file=sys.stderr)
            run = measure_raw if args.client == "raw" else measure
            # every worker computes its caches before timing (connections are spread over the workers by the kernel);
            # the search warms on other queries than the measured ones
            warm_search = ["/enterprises?q=" + q for q in search_queries(args.queries + 40)[args.queries:]]
            for paths in [pages["web_dashboard"], pages["web_node"], warm_search, ["/static/app.css"]]:
                asyncio.run(run(base, cookies, paths, args.workers * 4, args.workers * 8, 120))
            anchor = asyncio.run(run(base, cookies, ["/static/app.css"], args.clients, args.requests, args.seconds))
            for bench, paths in pages.items():
                ours = asyncio.run(run(base, cookies, paths, args.clients, args.requests, args.seconds))
                path = paths[0] if len(paths) == 1 else f"/enterprises?q=… ({len(paths)} different queries in turn)"
                emit(bench, "ms_p95", ours["p95"], "static_file_p95", anchor["p95"], higher_is_better=False,
                     p50_ms=round(ours["p50"], 2), rps=round(ours["rps"], 1), requests=ours["n"],
                     errors=ours["errors"], anchor_p50_ms=round(anchor["p50"], 2), anchor_rps=round(anchor["rps"], 1),
                     clients=args.clients, workers=args.workers, client=args.client, enterprises=n, path=path,
                     load=round(os.getloadavg()[0], 2))
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


if __name__ == "__main__":
    main()
