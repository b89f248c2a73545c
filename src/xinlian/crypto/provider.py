"""The one interface every crypto backend implements, and the registry that picks a backend by name.

A backend is small on purpose (hash, MAC, KDF, authenticated encryption, randomness) so that a hardware crypto
device (服务器密码机, GM/T 0018 SDF API) can replace the software backend without touching any caller: this is the
crypto agility ASVS 11.2.2 asks for, and what a 密评 assessor expects (keys and algorithms in a certified module).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Callable

NONCE_BYTES = 12  # 96-bit GCM nonce
TAG_BYTES = 16
KEY_BYTES = 16  # SM4 keys are 128 bits


class CryptoError(ValueError):
    """A crypto operation refused its input: wrong key size, or a ciphertext that fails authentication."""


class CryptoProvider(ABC):
    """SM-algorithm primitives. Bytes in, bytes out; every method is deterministic except ``random_bytes`` and the
    nonce chosen by ``sm4_gcm_encrypt``."""

    name: str = "abstract"

    @abstractmethod
    def sm3(self, data: bytes) -> bytes:
        """SM3 digest (GB/T 32905), 32 bytes."""

    @abstractmethod
    def hmac_sm3(self, key: bytes, data: bytes) -> bytes:
        """HMAC with SM3, 32 bytes."""

    @abstractmethod
    def pbkdf2_sm3(self, password: bytes, salt: bytes, iterations: int, length: int = 32) -> bytes:
        """PBKDF2 with HMAC-SM3 (for GM-profile password hashes)."""

    @abstractmethod
    def sm4_gcm_encrypt(self, key: bytes, plaintext: bytes, aad: bytes = b"") -> bytes:
        """SM4-GCM (GB/T 32907) with a fresh random 96-bit nonce. Returns nonce (12) | ciphertext | tag (16)."""

    @abstractmethod
    def sm4_gcm_decrypt(self, key: bytes, blob: bytes, aad: bytes = b"") -> bytes:
        """Inverse of ``sm4_gcm_encrypt``; raises ``CryptoError`` when the blob or the AAD was changed."""

    @abstractmethod
    def random_bytes(self, n: int) -> bytes:
        """``n`` bytes from a cryptographically secure source."""


_REGISTRY: dict[str, Callable[[], CryptoProvider]] = {}


def register_provider(name: str, factory: Callable[[], CryptoProvider]) -> None:
    """Make a backend available to ``get_provider(name)``."""
    _REGISTRY[name] = factory


def _builtin() -> None:
    if "software" not in _REGISTRY:
        from xinlian.crypto.sdf import SdfProvider
        from xinlian.crypto.software import SoftwareProvider

        register_provider("software", SoftwareProvider)
        register_provider("sdf", SdfProvider)


def get_provider(name: str | None = None) -> CryptoProvider:
    """The backend called ``name``; ``None`` reads ``settings.crypto_provider`` (default ``software``).

    >>> get_provider("software").sm3(b"abc").hex()[:8]
    '66c7f0f4'
    """
    _builtin()
    if name is None:
        from xinlian.settings import get_settings

        name = get_settings().crypto_provider
    try:
        factory = _REGISTRY[name]
    except KeyError:
        raise CryptoError(f"未知的密码服务后端 {name!r}（可选：{', '.join(sorted(_REGISTRY))}）") from None
    return factory()
