"""Time-based one-time codes for the second login factor (等保 身份鉴别 d at level 3; 密评 8.4 a).

Two algorithms, both over 30-second steps counted from the Unix epoch:

- ``sha1``: TOTP as in RFC 6238 (HOTP of RFC 4226 with HMAC-SHA-1 and dynamic truncation). Every common
  authenticator app accepts it through an ``otpauth://`` URI.
- ``sm3``: a GM/T 0021-style dynamic token: ``SM3(K ‖ T)`` where T is the step as 8 big-endian bytes, the 32-byte
  digest folded into 32 bits by adding its eight big-endian words mod 2^32, then taken mod 10^digits. This is the
  construction as we recall it from the standard (no time-offset or counter/challenge factors), not checked
  against a vendor's token: confirm with the token maker's test vectors before relying on it.

Pure functions; storing the secret and the last used step is ``xinlian.users.totp``'s job.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
from datetime import datetime
from urllib.parse import quote, urlencode

from xinlian.crypto.provider import CryptoProvider

STEP_SECONDS = 30
DIGITS = 6
WINDOW = 1  # steps accepted either side of now (clock drift between phone and server)
SECRET_BYTES = 20  # 160 bits, RFC 4226's recommended length for SHA-1
ALGORITHMS = ("sha1", "sm3")


def time_step(now: datetime | float, step_seconds: int = STEP_SECONDS) -> int:
    """The step number at ``now`` (a datetime with a zone, or Unix seconds)."""
    seconds = now.timestamp() if isinstance(now, datetime) else float(now)
    return int(seconds // step_seconds)


def code_at(secret: bytes, step: int, *, algorithm: str = "sha1", digits: int = DIGITS,
            provider: CryptoProvider | None = None) -> str:
    """The code for ``step``, zero-padded to ``digits``.

    >>> code_at(b"12345678901234567890", 59 // 30, digits=8)  # RFC 6238 appendix B, T = 59 s
    '94287082'
    """
    counter = struct.pack(">Q", step)
    if algorithm == "sha1":
        mac = hmac.new(secret, counter, hashlib.sha1).digest()
        offset = mac[-1] & 0x0F
        value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    elif algorithm == "sm3":
        if provider is None:
            from xinlian.crypto.provider import get_provider

            provider = get_provider()
        digest = provider.sm3(secret + counter)
        value = sum(struct.unpack(">8I", digest)) & 0xFFFFFFFF
    else:
        raise ValueError(f"unknown one-time code algorithm {algorithm!r}; one of {', '.join(ALGORITHMS)}")
    return str(value % 10 ** digits).zfill(digits)


def match_step(secret: bytes, code: str, now: datetime | float, *, last_step: int | None = None,
               algorithm: str = "sha1", window: int = WINDOW, provider: CryptoProvider | None = None) -> int | None:
    """The step whose code equals ``code`` within ``window`` steps of ``now`` and after ``last_step`` (a code is
    used once), or ``None``. Every candidate is compared in constant time."""
    code = (code or "").strip().replace(" ", "")
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return None
    here = time_step(now)
    found = None
    for step in range(here - window, here + window + 1):
        if step < 0:
            continue
        ok = hmac.compare_digest(code_at(secret, step, algorithm=algorithm, provider=provider), code)
        if ok and found is None and (last_step is None or step > last_step):
            found = step
    return found


def to_base32(secret: bytes) -> str:
    """The secret as apps expect it: base32 without padding."""
    return base64.b32encode(secret).decode("ascii").rstrip("=")


def from_base32(text: str) -> bytes:
    text = text.strip().replace(" ", "").upper()
    return base64.b32decode(text + "=" * (-len(text) % 8))


def otpauth_uri(secret: bytes, account: str, *, issuer: str = "xinlian", algorithm: str = "sha1") -> str:
    """The ``otpauth://totp/...`` URI an authenticator app reads (usually as a QR code)."""
    label = quote(f"{issuer}:{account}", safe="")
    query = urlencode({"secret": to_base32(secret), "issuer": issuer, "algorithm": algorithm.upper(),
                       "digits": DIGITS, "period": STEP_SECONDS})
    return f"otpauth://totp/{label}?{query}"
