"""The web app's security layer: headers, body limits, request ids, signed cookies, CSRF and rate limits.

- ``SecurityMiddleware`` (pure ASGI): a request id on every request; refuses bodies over
  ``settings.upload_max_bytes`` with 413 before anything parses them; adds CSP (only 'self', no inline script),
  ``object-src 'none'``, ``base-uri 'none'``, ``frame-ancestors 'none'``, nosniff, Referrer-Policy, and
  ``Cache-Control: no-store`` on everything that is not a static file.
- Cookies: the session cookie holds a random token signed with ``itsdangerous``; HttpOnly, SameSite=Lax, and
  Secure with the ``__Host-`` prefix when ``settings.behind_tls``.
- CSRF: a token bound to the session (HMAC of the session token; before login, of a random pre-session cookie)
  must come back in the form field ``csrf_token`` or the ``X-CSRF-Token`` header of every unsafe request; a
  cross-site ``Origin``, ``Origin: null`` or ``Sec-Fetch-Site: cross-site`` is refused as well.
- ``RateLimiter``: a sliding window per key (client IP, account) kept in memory. ``rate_limit(ctx, bucket)``
  applies the per-user+IP limits of searches, exports and imports (settings ``search_rate``, ``export_rate``,
  ``import_rate`` per ``rate_window_s``): 429 past the limit, with an audit row.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from itsdangerous import BadSignature, Signer

from xinlian.settings import Settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; style-src-elem 'self'; "
       # ECharts writes style attributes into its tooltip HTML; attributes only, never <style> elements
       "style-src-attr 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")

BASE_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
]


def security_headers(static: bool) -> list[tuple[bytes, bytes]]:
    cache = b"public, max-age=86400" if static else b"no-store"
    return [*BASE_HEADERS, (b"cache-control", cache)]


class SecurityMiddleware:
    """Request id, body-size limit (413 before parsing) and security headers on every response."""

    def __init__(self, app, *, max_body: int):
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = secrets.token_hex(8)
        scope.setdefault("state", {})["request_id"] = request_id
        static = scope.get("path", "").startswith("/static/")
        extra = [*security_headers(static), (b"x-request-id", request_id.encode())]

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                headers = list(message.get("headers", []))
                headers.extend((k, v) for k, v in extra if k not in names)
                headers.extend((b"set-cookie", v) for v in scope["state"].get("set_cookies", ()))
                message["headers"] = headers
            await send(message)

        length = None
        for key, value in scope.get("headers", []):
            if key == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    length = -1
        if length is not None and (length < 0 or length > self.max_body):
            await _plain(send_with_headers, 413, "请求体过大 request body too large", request_id)
            return

        if length is None and scope.get("method") not in SAFE_METHODS:
            # No Content-Length (chunked): read the body up to the limit first, then replay it to the app.
            chunks, received = [], 0
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    break
                received += len(message.get("body", b""))
                if received > self.max_body:
                    await _plain(send_with_headers, 413, "请求体过大 request body too large", request_id)
                    return
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    break
            body = b"".join(chunks)
            sent = False

            async def replay():
                nonlocal sent
                if not sent:
                    sent = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            await self.app(scope, replay, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)


async def _plain(send, status: int, text: str, request_id: str) -> None:
    body = f"{status} {text} (request {request_id})\n".encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


# --- cookies ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CookieNames:
    session: str
    pre: str
    secure: bool

    @classmethod
    def for_settings(cls, settings: Settings) -> "CookieNames":
        if settings.behind_tls:
            return cls("__Host-xl_session", "__Host-xl_pre", True)
        return cls("xl_session", "xl_pre", False)


class CookieSigner:
    def __init__(self, secret: str):
        self._session = Signer(secret, salt="xinlian.session")
        self._pre = Signer(secret, salt="xinlian.pre-session")
        self._csrf_key = hashlib.sha256(("xinlian.csrf|" + secret).encode()).digest()

    def sign_session(self, token: str) -> str:
        return self._session.sign(token).decode()

    def unsign_session(self, value: str | None) -> str | None:
        return _unsign(self._session, value)

    def sign_pre(self, token: str) -> str:
        return self._pre.sign(token).decode()

    def unsign_pre(self, value: str | None) -> str | None:
        return _unsign(self._pre, value)

    def csrf_token(self, binding: str) -> str:
        return hmac.new(self._csrf_key, binding.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, binding: str | None, submitted: str | None) -> bool:
        if not binding or not submitted:
            return False
        return hmac.compare_digest(self.csrf_token(binding), submitted)


def _unsign(signer: Signer, value: str | None) -> str | None:
    if not value:
        return None
    try:
        return signer.unsign(value).decode()
    except (BadSignature, UnicodeDecodeError):
        return None


def cross_site_reason(headers, own_origin: str) -> str | None:
    """Why an unsafe request looks cross-site, or None. ``own_origin`` is ``scheme://host[:port]``."""
    site = headers.get("sec-fetch-site")
    if site == "cross-site":
        return "sec-fetch-site cross-site"
    origin = headers.get("origin")
    if origin is not None:
        if origin == "null":
            return "origin null"
        if origin.rstrip("/") != own_origin:
            return f"origin {origin[:100]}"
    elif headers.get("referer"):
        ref = urlsplit(headers["referer"])
        if f"{ref.scheme}://{ref.netloc}" != own_origin:
            return "referer cross-site"
    return None


# --- rate limits -----------------------------------------------------------------------------------------------


class RateLimiter:
    """At most ``limit`` events per ``window`` seconds per key (in memory, per process)."""

    def __init__(self, limit: int, window: float, clock=time.monotonic):
        self.limit = limit
        self.window = window
        self.clock = clock
        self._events: dict[str, deque] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> bool:
        """Count one event; False when the key is over its limit (the event is still counted)."""
        now = self.clock()
        with self._lock:
            q = self._events.setdefault(key, deque())
            while q and q[0] <= now - self.window:
                q.popleft()
            q.append(now)
            if len(self._events) > 100_000:  # keep memory bounded under a spray of keys
                for k in [k for k, v in self._events.items() if not v or v[-1] <= now - self.window]:
                    del self._events[k]
            return len(q) <= self.limit


RATE_BUCKETS = ("search", "export", "import")
_limiters_lock = threading.Lock()


def limiter_for(web, bucket: str) -> RateLimiter:
    """The app's limiter of ``bucket`` (made on first use from the settings; tests may set ``limit`` and
    ``clock`` on it)."""
    if bucket not in RATE_BUCKETS:
        raise ValueError(f"unknown rate bucket {bucket!r}")
    limiters = web.__dict__.get("rate_limiters")
    if limiters is None or bucket not in limiters:
        with _limiters_lock:
            limiters = web.__dict__.setdefault("rate_limiters", {})
            if bucket not in limiters:
                s = web.settings
                limit = {"search": s.search_rate, "export": s.export_rate, "import": s.import_rate}[bucket]
                limiters[bucket] = RateLimiter(limit, s.rate_window_s)
    return limiters[bucket]


def rate_limit(ctx, bucket: str) -> None:
    """Count one ``bucket`` event for this user and client IP; past the limit, audit and answer 429."""
    who = ctx.who["id"] if ctx.who else "-"
    if limiter_for(ctx.web, bucket).hit(f"{who}|{ctx.ip}"):
        return
    from xinlian.web.pages import WebError

    ctx.audit("rate.limited", ("route", f"{ctx.request.method} {ctx.request.url.path}"), "failure",
              detail=f"{bucket} limit {limiter_for(ctx.web, bucket).limit}/{ctx.settings.rate_window_s}s")
    ctx.session.commit()
    raise WebError(429, "rate_limited")


class ViewLog:
    """When each (user, object) view was last audited in this process, for ``Ctx.audit_view``.

    Per process on purpose: with several workers a repeated view may be recorded once per worker, which errs on the
    side of more audit rows, never fewer. Bounded like ``RateLimiter``.
    """

    def __init__(self):
        self._last: dict[tuple, datetime] = {}
        self._lock = threading.Lock()

    def due(self, key: tuple, now: datetime, window: timedelta) -> bool:
        """True (and remember ``now``) when ``key`` was not recorded within ``window`` before ``now``."""
        with self._lock:
            last = self._last.get(key)
            if last is not None and window and now - last < window:
                return False
            if len(self._last) > 100_000:
                self._last = {k: t for k, t in self._last.items() if now - t < window}
            self._last[key] = now
            return True


def client_ip(request, settings: Settings) -> str:
    host = request.client.host if request.client else "unknown"
    if settings.trusted_proxy and host == settings.trusted_proxy:
        forwarded = request.headers.get("x-forwarded-for", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()[:64]
    return host
