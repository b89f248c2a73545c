"""Known-answer checks a backend must pass before it is trusted (run by ``xinlian security selftest``)."""

from __future__ import annotations

from xinlian.crypto.provider import CryptoError, CryptoProvider

SM3_ABC = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"  # GB/T 32905 example 1


def run_selftest(provider: CryptoProvider) -> list[dict]:
    """One dict per check: ``{"check": ..., "ok": bool}``."""
    out = [{"check": "SM3('abc') 标准向量", "ok": provider.sm3(b"abc").hex() == SM3_ABC}]
    key = provider.random_bytes(16)
    blob = provider.sm4_gcm_encrypt(key, b"xinlian", b"aad")
    out.append({"check": "SM4-GCM 加解密往返", "ok": provider.sm4_gcm_decrypt(key, blob, b"aad") == b"xinlian"})
    try:
        provider.sm4_gcm_decrypt(key, blob, b"other")
        refused = False
    except CryptoError:
        refused = True
    out.append({"check": "SM4-GCM 拒绝被改动的关联数据", "ok": refused})
    return out
