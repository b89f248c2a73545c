"""Fetching with the network faked by httpx.MockTransport: robots.txt, retries, limits, timeouts, schemes."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from xinlian.ingest.fetch import FetchOptions, Fetcher, check_url
from xinlian.ingest.pipeline import IngestOptions, ingest
from xinlian.store import rawstore
from xinlian.store.tables.news import Article, Page

PAGE = ("<html><head><meta charset=\"gbk\"><title>东岭区新型显示产业园开工</title></head><body>"
        "<h1>东岭区新型显示产业园开工</h1><p>发布时间：2025-07-08 10:00 来源：东岭发布</p>"
        "<p>7月8日，东岭区新型显示产业园项目开工，项目计划建设面板模组、驱动芯片封装测试和配套材料三大板块，"
        "建成后预计年产值超过六十亿元。</p><p>区领导表示，将全力做好项目服务保障，推动项目早日建成投产。</p>"
        "</body></html>")


class Server:
    """A fake site: routes by path, counts requests."""

    def __init__(self, routes: dict):
        self.routes = routes
        self.calls: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request.url.path)
        route = self.routes.get(request.url.path)
        if route is None:
            return httpx.Response(404, text="not here")
        if callable(route):
            return route(request)
        return route


def _fetcher(server: Server, sleeps: list | None = None, **opts) -> Fetcher:
    options = FetchOptions(delay_s=opts.pop("delay_s", 0.0), backoff_s=opts.pop("backoff_s", 0.0), **opts)
    return Fetcher(options, transport=httpx.MockTransport(server),
                   sleep=(sleeps.append if sleeps is not None else (lambda s: None)))


def _gbk_page() -> httpx.Response:
    return httpx.Response(200, content=PAGE.encode("gbk"), headers={"Content-Type": "text/html; charset=GBK"})


def test_robots_disallow_is_honoured():
    server = Server({"/robots.txt": httpx.Response(200, text="User-agent: *\nDisallow: /private/\n"),
                     "/private/a.html": _gbk_page(), "/news/b.html": _gbk_page()})
    with _fetcher(server) as f:
        refused = f.fetch("https://site.test/private/a.html")
        allowed = f.fetch("https://site.test/news/b.html")
    assert refused.data is None and "robots.txt" in refused.error
    assert "/private/a.html" not in server.calls  # never even asked
    assert allowed.error is None and allowed.data == PAGE.encode("gbk")
    assert server.calls.count("/robots.txt") == 1  # read once per host


def test_robots_for_our_agent_and_unreachable_robots():
    server = Server({"/robots.txt": httpx.Response(200, text="User-agent: xinlian\nDisallow: /\n\n"
                                                          "User-agent: *\nAllow: /\n")})
    with _fetcher(server) as f:
        assert f.fetch("https://a.test/x.html").error.startswith("refused")
    down = Server({"/robots.txt": httpx.Response(503), "/x.html": _gbk_page()})
    with _fetcher(down, retries=0) as f:
        error = f.fetch("https://b.test/x.html").error
    assert "robots.txt answered HTTP 503" in error and "/x.html" not in down.calls
    missing = Server({"/x.html": _gbk_page()})  # robots.txt answers 404: everything allowed
    with _fetcher(missing) as f:
        assert f.fetch("https://c.test/x.html").error is None
    moved = Server({"/robots.txt": httpx.Response(301, headers={"Location": "/site/robots.txt"}),
                    "/site/robots.txt": httpx.Response(200, text="User-agent: *\nDisallow: /x.html\n"),
                    "/x.html": _gbk_page()})
    with _fetcher(moved) as f:
        assert "robots.txt forbids" in f.fetch("https://d.test/x.html").error  # the redirect was followed


def test_retries_on_503_then_success_with_backoff():
    answers = iter([httpx.Response(503), httpx.Response(503), _gbk_page()])
    server = Server({"/a.html": lambda r: next(answers)})
    sleeps: list[float] = []
    with _fetcher(server, sleeps, retries=2, backoff_s=0.5) as f:
        page = f.fetch("https://site.test/a.html")
    assert page.error is None and page.http_status == 200
    assert server.calls.count("/a.html") == 3
    assert sleeps == [0.5, 1.0]  # 0.5 * 2**n
    assert page.content_type == "text/html; charset=GBK"


def test_retries_give_up_and_report_the_status():
    server = Server({"/a.html": httpx.Response(502)})
    with _fetcher(server, retries=1) as f:
        page = f.fetch("https://site.test/a.html")
    assert page.error == "HTTP 502" and page.http_status == 502
    assert server.calls.count("/a.html") == 2


def test_size_limit_while_streaming_and_by_header():
    def chunked(_request):
        return httpx.Response(200, content=iter([b"x" * 600, b"y" * 600]))  # no Content-Length

    server = Server({"/big.html": chunked, "/declared.html": httpx.Response(200, content=b"z" * 5000)})
    with _fetcher(server, max_bytes=1000) as f:
        streamed = f.fetch("https://site.test/big.html")
        declared = f.fetch("https://site.test/declared.html")
    assert streamed.data is None and streamed.error.startswith("too large")
    assert declared.data is None and "Content-Length" in declared.error


def test_per_host_delay():
    server = Server({"/a.html": _gbk_page(), "/b.html": _gbk_page()})
    sleeps: list[float] = []
    f = Fetcher(FetchOptions(delay_s=5.0, backoff_s=0.0), transport=httpx.MockTransport(server),
                sleep=sleeps.append, clock=lambda: 0.0)
    with f:
        f.fetch("https://one.test/a.html")  # robots + page: the page waits for robots
        f.fetch("https://one.test/b.html")
        f.fetch("https://two.test/a.html")  # another host: its robots.txt does not wait
    assert sleeps == [5.0, 5.0, 5.0]  # one.test page after robots, one.test second page, two.test page


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://site.test/a.html", "gopher://site.test/",
                                 "javascript:alert(1)", "site.test/a.html", "http:///nohost"])
def test_non_http_schemes_are_refused(url):
    server = Server({})
    with _fetcher(server) as f:
        page = f.fetch(url)
    assert page.data is None and page.error.startswith("refused")
    assert server.calls == []
    with pytest.raises(ValueError):
        check_url(url)


def test_redirect_to_another_scheme_is_refused():
    server = Server({"/go.html": httpx.Response(302, headers={"Location": "file:///etc/passwd"}),
                     "/moved.html": httpx.Response(301, headers={"Location": "/a.html"}), "/a.html": _gbk_page()})
    with _fetcher(server) as f:
        assert f.fetch("https://site.test/go.html").error.startswith("refused")
        moved = f.fetch("https://site.test/moved.html")
    assert moved.error is None and moved.url == "https://site.test/a.html"


def test_ingest_urls_stores_pages_and_records_a_timeout(db):
    def timeout(request):
        raise httpx.ReadTimeout("the server took too long", request=request)

    server = Server({"/ok.html": _gbk_page(), "/slow.html": timeout,
                     "/robots.txt": httpx.Response(200, text="User-agent: *\nDisallow: /no/\n"),
                     "/no/x.html": _gbk_page()})
    opts = IngestOptions(transport=httpx.MockTransport(server), fetch=FetchOptions(delay_s=0, backoff_s=0, retries=1))
    urls = ["https://site.test/ok.html", "https://site.test/slow.html", "https://site.test/no/x.html",
            "file:///etc/passwd"]
    summary = ingest(db, urls=urls, options=opts)
    assert summary.ingested == 1 and summary.failed == 3
    assert server.calls.count("/slow.html") == 2
    with db.session() as s:
        rows = {p.source: (p, a) for p, a in s.execute(select(Page, Article).outerjoin(Article))}
    page, art = rows["https://site.test/ok.html"]
    assert page.status == "ok" and page.http_status == 200 and page.content_type == "text/html; charset=GBK"
    assert rawstore.read_raw(page.raw_sha256) == PAGE.encode("gbk")
    assert art.title == "东岭区新型显示产业园开工" and art.encoding.lower() in ("gbk", "gb18030")
    assert art.published == "2025-07-08T10:00:00+08:00"
    assert rows["https://site.test/slow.html"][0].status == "failed"
    assert rows["https://site.test/slow.html"][0].error.startswith("timeout")
    assert "robots.txt" in rows["https://site.test/no/x.html"][0].error
    assert rows["file:///etc/passwd"][0].error.startswith("refused")

    # a second run does not fetch the stored page again; failed ones are tried again
    server.calls.clear()
    again = ingest(db, urls=urls, options=opts)
    assert "/ok.html" not in server.calls and again.skipped == 1 and again.ingested == 0
