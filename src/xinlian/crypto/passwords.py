"""GM-profile password hashes: ``pbkdf2_sm3$ITERATIONS$SALT_HEX$HASH_HEX`` (PBKDF2 with HMAC-SM3, per-user salt).

For deployments whose 密评 asks for SM3 in login authentication (8.4 a). The default profile hashes with argon2id
(``xinlian.users.passwords``). Comparison is constant-time; a malformed stored hash verifies as ``False``.
"""

from __future__ import annotations

import hmac

from xinlian.crypto.provider import CryptoProvider

SCHEME = "pbkdf2_sm3"
DEFAULT_ITERATIONS = 200_000
SALT_BYTES = 16


def _provider(provider: CryptoProvider | None) -> CryptoProvider:
    if provider is None:
        from xinlian.crypto.provider import get_provider

        return get_provider()
    return provider


def hash_password(password: str, *, iterations: int = DEFAULT_ITERATIONS, salt: bytes | None = None,
                  provider: CryptoProvider | None = None) -> str:
    """A new hash string for ``password`` (a fresh random salt unless one is given)."""
    p = _provider(provider)
    salt = p.random_bytes(SALT_BYTES) if salt is None else salt
    digest = p.pbkdf2_sm3(password.encode("utf-8"), salt, iterations)
    return f"{SCHEME}${iterations}${salt.hex()}${digest.hex()}"


def is_gm_hash(stored: str) -> bool:
    return isinstance(stored, str) and stored.startswith(SCHEME + "$")


def verify_password(stored: str, password: str, *, provider: CryptoProvider | None = None) -> bool:
    """True when ``password`` matches ``stored``; never raises for a wrong password or a malformed hash."""
    try:
        scheme, iters, salt_hex, hash_hex = stored.split("$")
        iterations = int(iters)
        salt, want = bytes.fromhex(salt_hex), bytes.fromhex(hash_hex)
    except (AttributeError, ValueError):
        return False
    if scheme != SCHEME or iterations < 1 or not want:
        return False
    got = _provider(provider).pbkdf2_sm3(password.encode("utf-8"), salt, iterations, len(want))
    return hmac.compare_digest(got, want)


def needs_rehash(stored: str, iterations: int = DEFAULT_ITERATIONS) -> bool:
    """True when ``stored`` is not a GM hash with exactly ``iterations`` (rehash it at the next successful login;
    a changed count moves hashes either way, as argon2's parameter check does)."""
    if not is_gm_hash(stored):
        return True
    try:
        return int(stored.split("$")[1]) != iterations
    except (AttributeError, IndexError, ValueError):
        return True
