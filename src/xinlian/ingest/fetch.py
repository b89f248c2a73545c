"""Fetching pages over HTTP, politely and safely.

``Fetcher.fetch(url)`` never raises: it gives a ``PageInput`` with the bytes, or with an error saying why not.
Rules, in the order they apply:

1. Only ``http`` and ``https`` URLs are fetched (also after a redirect): ``file:``, ``ftp:``, ``gopher:`` and
   friends are refused, so a URL list cannot make us read local files or speak other protocols.
2. ``robots.txt`` is read once per host (``urllib.robotparser`` over the text we fetched) and honoured for our
   User-Agent. No robots.txt (4xx) allows everything; 401/403 or an unreachable one (5xx, network error) forbids
   the host, as RFC 9309 advises.
3. Two requests to one host are at least ``delay_s`` apart.
4. A timeout, a connection error or a 5xx answer is retried ``retries`` times, waiting ``backoff_s * 2**n``.
5. The body is streamed and cut off past ``max_bytes`` (the page fails as too large).
6. The charset in ``Content-Type`` travels with the page to the cleaner.

The transport is injectable (``httpx.MockTransport`` in tests), and so are ``sleep`` and ``clock``.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from xinlian.ingest.files import PageInput
from xinlian.settings import get_settings

ALLOWED_SCHEMES = ("http", "https")
MAX_REDIRECTS = 5


@dataclass
class FetchOptions:
    """How to fetch. Defaults come from settings (``XINLIAN_FETCH_*``, ``XINLIAN_USER_AGENT``)."""

    delay_s: float | None = None
    timeout_s: float | None = None
    max_bytes: int | None = None
    retries: int | None = None
    user_agent: str | None = None
    backoff_s: float = 0.5
    respect_robots: bool = True

    def resolved(self) -> "FetchOptions":
        s = get_settings()
        return FetchOptions(
            delay_s=s.fetch_delay_s if self.delay_s is None else self.delay_s,
            timeout_s=s.fetch_timeout_s if self.timeout_s is None else self.timeout_s,
            max_bytes=s.fetch_max_bytes if self.max_bytes is None else self.max_bytes,
            retries=s.fetch_retries if self.retries is None else self.retries,
            user_agent=self.user_agent or s.user_agent,
            backoff_s=self.backoff_s,
            respect_robots=self.respect_robots,
        )


class _Refused(Exception):
    """A URL we will not fetch (scheme, robots.txt)."""


class _TooLarge(Exception):
    pass


class _Retry(Exception):
    """A 5xx answer that is worth another try."""


def check_url(url: str) -> str:
    """The URL if it may be fetched; raises ValueError naming the reason otherwise."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        raise ValueError(f"only http and https URLs are fetched, not {parts.scheme or 'no scheme'!r}")
    if not parts.hostname:
        raise ValueError("the URL has no host")
    return url.strip()


class Fetcher:
    """One polite HTTP client for a run. Use as a context manager or call ``close()``.

    >>> with Fetcher(transport=httpx.MockTransport(lambda r: httpx.Response(200, text="hi"))) as f:
    ...     f.fetch("https://example.test/a").data
    b'hi'
    """

    def __init__(
        self,
        options: FetchOptions | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.options = (options or FetchOptions()).resolved()
        self._sleep = sleep
        self._clock = clock
        self._last: dict[str, float] = {}
        self._robots: dict[str, RobotFileParser] = {}
        self._robots_note: dict[str, str] = {}  # why a host is closed when its robots.txt could not be read
        self.client = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(self.options.timeout_s),
            headers={"User-Agent": self.options.user_agent},
            follow_redirects=False,
        )

    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    # --- politeness ---------------------------------------------------------------------------------------------

    def _wait_turn(self, host: str) -> None:
        last = self._last.get(host)
        if last is not None:
            wait = self.options.delay_s - (self._clock() - last)
            if wait > 0:
                self._sleep(wait)
        self._last[host] = self._clock()

    def _robots_for(self, url: str) -> RobotFileParser:
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}".lower()
        if key in self._robots:
            return self._robots[key]
        parser = RobotFileParser()
        try:
            target = key + "/robots.txt"
            for _hop in range(MAX_REDIRECTS + 1):  # RFC 9309: follow at least five redirects
                resp = self._get(target, limit=512_000)
                location = resp[1].get("location")
                if resp[0] not in (301, 302, 303, 307, 308) or not location:
                    break
                target = check_url(urljoin(target, location))
            status = resp[0]
            if status in (401, 403) or status >= 500 or 300 <= status < 400:
                parser.disallow_all = True
                self._robots_note[key] = f"robots.txt answered HTTP {status}: the host is treated as closed"
            elif status >= 400:
                parser.allow_all = True
            else:
                parser.parse(resp[2].decode("utf-8", "replace").splitlines())
        except (httpx.HTTPError, _TooLarge, ValueError) as exc:
            parser.disallow_all = True
            self._robots_note[key] = f"robots.txt unreachable ({type(exc).__name__}): the host is treated as closed"
        self._robots[key] = parser
        return parser

    def allowed(self, url: str) -> bool:
        """Whether robots.txt lets our User-Agent fetch ``url``."""
        if not self.options.respect_robots:
            return True
        return self._robots_for(url).can_fetch(self.options.user_agent, url)

    # --- one request with retries -------------------------------------------------------------------------------

    def _get(self, url: str, *, limit: int) -> tuple[int, httpx.Headers, bytes]:
        """GET with retries on 5xx and transport errors; the body is read up to ``limit`` bytes."""
        attempt = 0
        while True:
            self._wait_turn(urlsplit(url).netloc.lower())
            try:
                with self.client.stream("GET", url) as resp:
                    if resp.status_code >= 500 and attempt < self.options.retries:
                        raise _Retry(f"HTTP {resp.status_code}")
                    declared = resp.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > limit:
                        raise _TooLarge(f"Content-Length {declared} is over the limit of {limit} bytes")
                    chunks, size = [], 0
                    for chunk in resp.iter_bytes():
                        size += len(chunk)
                        if size > limit:
                            raise _TooLarge(f"body is over the limit of {limit} bytes")
                        chunks.append(chunk)
                    return resp.status_code, resp.headers, b"".join(chunks)
            except (_Retry, httpx.TimeoutException, httpx.TransportError) as exc:
                if isinstance(exc, httpx.UnsupportedProtocol) or attempt >= self.options.retries:
                    raise
                self._sleep(self.options.backoff_s * (2**attempt))
                attempt += 1

    def fetch(self, url: str) -> PageInput:
        """Fetch one page; failures come back as ``PageInput.error``, never as exceptions."""
        source = url
        try:
            current = check_url(url)
            for _hop in range(MAX_REDIRECTS + 1):
                if not self.allowed(current):
                    parts = urlsplit(current)
                    note = self._robots_note.get(f"{parts.scheme}://{parts.netloc}".lower())
                    raise _Refused(note or f"robots.txt forbids {current}")
                status, headers, body = self._get(current, limit=self.options.max_bytes)
                if status in (301, 302, 303, 307, 308) and headers.get("location"):
                    current = check_url(urljoin(current, headers["location"]))
                    continue
                break
            else:
                raise _Refused(f"more than {MAX_REDIRECTS} redirects")
        except ValueError as exc:
            return PageInput(source=source, url=url, error=f"refused: {exc}")
        except _Refused as exc:
            return PageInput(source=source, url=url, error=f"refused: {exc}")
        except _TooLarge as exc:
            return PageInput(source=source, url=url, error=f"too large: {exc}")
        except httpx.TimeoutException as exc:
            return PageInput(source=source, url=url, error=f"timeout after {self.options.retries + 1} tries: "
                                                            f"{type(exc).__name__}")
        except httpx.HTTPError as exc:
            return PageInput(source=source, url=url, error=f"network error: {type(exc).__name__}: {exc}")
        ctype = headers.get("content-type")
        if status >= 400:
            return PageInput(source=source, url=current, http_status=status, content_type=ctype,
                             error=f"HTTP {status}")
        return PageInput(source=source, url=current, data=body, sha256=hashlib.sha256(body).hexdigest(),
                         content_type=ctype, http_status=status, filename=None)
