"""Keys for integrity checks (the audit chain, the user-row seal), derived from one master key.

The master key is the field key (``XINLIAN_FIELD_KEY_FILE``, needed at level 3 anyway) when one is configured,
otherwise the cookie-signing secret (``XINLIAN_SECRET_KEY``, needed outside demo/test mode); in demo and test mode
without either, a fixed built-in key (those databases hold nothing real). Each use gets its own subkey,
``HMAC-SM3(master, "xinlian/" + label)``, so one MAC can never stand in for another.

Changing the master key (setting a field key where there was none, a new secret) changes every subkey: sealed user
rows must be resealed (``xinlian user reseal``) and the audit chain only verifies with the key it was made with
(``audit_chain_head.key_id`` tells which one).
"""

from __future__ import annotations

import os

from xinlian.crypto.provider import CryptoError, CryptoProvider, get_provider

_TEST_MASTER = b"xinlian demo/test integrity key - never used in production"
_cache: dict[tuple, bytes] = {}


def master_key() -> bytes:
    """The master key from the settings (see the module docstring for the order)."""
    from xinlian.settings import get_settings

    s = get_settings()
    if s.field_key_file is not None:
        path = str(s.field_key_file)
        try:
            st = os.stat(path)
            stamp = (path, st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = None
        if stamp is not None and stamp in _cache:
            return _cache[stamp]
        from xinlian.crypto.fields import load_key

        key = load_key(path)
        if stamp is not None:
            _cache.clear()
            _cache[stamp] = key
        return key
    if s.secret_key:
        return s.secret_key.encode("utf-8")
    if s.mode in ("demo", "test"):
        return _TEST_MASTER
    raise CryptoError("完整性校验需要密钥：请设置 XINLIAN_SECRET_KEY 或 XINLIAN_FIELD_KEY_FILE")


def subkey(label: str, provider: CryptoProvider | None = None) -> bytes:
    """The 32-byte key for one use, e.g. ``subkey("audit-chain")``."""
    provider = provider or get_provider()
    return provider.hmac_sm3(master_key(), b"xinlian/" + label.encode("ascii"))


def key_id(key: bytes, provider: CryptoProvider | None = None) -> str:
    """A short public fingerprint of ``key`` (16 hex characters of SM3), safe to store next to what it sealed."""
    provider = provider or get_provider()
    return provider.sm3(b"xinlian key id|" + key).hex()[:16]
