"""Password hashing (argon2id, or PBKDF2-HMAC-SM3 in the GM scheme) and the password policy.

Hashing: ``settings.password_hash`` picks the scheme of new hashes (``argon2id`` with ``argon2_time_cost`` /
``argon2_memory_kib``, or ``pbkdf2_sm3`` with ``pbkdf2_sm3_iterations``, see ``xinlian.crypto.passwords``). A stored
hash of either scheme verifies whatever the setting says, and ``needs_rehash`` is true when the stored hash was made
with another scheme or other parameters, so a successful login moves it to the current ones (ASVS 11.4.2).

Two profiles (``settings.password_profile``): ``dengbao`` (the default for government systems: at least
``password_min_length`` characters drawn from 3 of the 4 classes upper / lower / digit / symbol, and a change
period) and ``asvs`` (length and blocklist only, as OWASP ASVS 5.0 asks). Both refuse passwords from the common
password list ``data/security/common_passwords.txt`` and passwords containing context words (the username,
芯链/xinlian, 招商 ...), and both accept long passphrases (up to 256 characters).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from xinlian.crypto import passwords as gm

MAX_LENGTH = 256
CONTEXT_WORDS = ("xinlian", "芯链", "招商", "password", "admin", "qwerty")

@lru_cache(maxsize=4)
def _hasher_for(time_cost: int, memory_kib: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)  # argon2id is the library's default type


def _hasher() -> PasswordHasher:
    from xinlian.settings import get_settings

    s = get_settings()
    return _hasher_for(s.argon2_time_cost, s.argon2_memory_kib)


def _scheme() -> str:
    from xinlian.settings import get_settings

    return get_settings().password_hash


def _gm_iterations() -> int:
    from xinlian.settings import get_settings

    return get_settings().pbkdf2_sm3_iterations


def hash_password(password: str) -> str:
    """A new hash of ``password`` in the configured scheme."""
    if _scheme() == "pbkdf2_sm3":
        return gm.hash_password(password, iterations=_gm_iterations())
    return _hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """True when ``password`` matches; never raises for a wrong password or a malformed hash."""
    if gm.is_gm_hash(stored_hash):
        return gm.verify_password(stored_hash, password)
    try:
        return _hasher().verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when ``stored_hash`` is not in the configured scheme with the configured parameters."""
    if _scheme() == "pbkdf2_sm3":
        return not gm.is_gm_hash(stored_hash) or gm.needs_rehash(stored_hash, _gm_iterations())
    if gm.is_gm_hash(stored_hash):
        return True
    try:
        return _hasher().check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


@lru_cache(maxsize=4)
def _dummy_hash(time_cost: int, memory_kib: int) -> str:
    return _hasher_for(time_cost, memory_kib).hash("xl-dummy-password-for-timing")


@lru_cache(maxsize=4)
def _dummy_gm_hash(iterations: int) -> str:
    return gm.hash_password("xl-dummy-password-for-timing", iterations=iterations)


def burn_time(password: str) -> None:
    """Spend the same time as a real verification (used for unknown users, so timing does not tell)."""
    if _scheme() == "pbkdf2_sm3":
        verify_password(_dummy_gm_hash(_gm_iterations()), password)
        return
    h = _hasher()
    verify_password(_dummy_hash(h.time_cost, h.memory_cost), password)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    text = resources.files("xinlian.data.security").joinpath("common_passwords.txt").read_text(encoding="utf-8")
    words = set()
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            words.add(line.lower())
    return frozenset(words)


@dataclass(frozen=True)
class PolicyProblem:
    code: str  # an i18n key under password.*
    message: str  # Chinese, for the CLI and logs


def check_password(password: str, *, profile: str = "dengbao", min_length: int = 8,
                   context: tuple[str, ...] = ()) -> list[PolicyProblem]:
    """Every way ``password`` breaks the policy; an empty list means it is acceptable.

    >>> [p.code for p in check_password("abc")]
    ['password.too_short', 'password.classes']
    >>> check_password("Lan-Tian 7 Hao")
    []
    """
    problems: list[PolicyProblem] = []
    if len(password) < min_length:
        problems.append(PolicyProblem("password.too_short", f"密码至少 {min_length} 个字符"))
    if len(password) > MAX_LENGTH:
        problems.append(PolicyProblem("password.too_long", f"密码最多 {MAX_LENGTH} 个字符"))
    if profile == "dengbao":
        classes = sum([
            any(c.isupper() for c in password),
            any(c.islower() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ])
        if classes < 3:
            problems.append(PolicyProblem("password.classes", "密码须包含大写字母、小写字母、数字、符号中的至少三类"))
    low = password.lower()
    if low in common_passwords():
        problems.append(PolicyProblem("password.common", "密码过于常见"))
    words = [w.lower() for w in (*CONTEXT_WORDS, *context) if w and len(w) >= 2]
    if any(w in low for w in words):
        problems.append(PolicyProblem("password.context", "密码不能包含用户名、系统名称等上下文词"))
    return problems
