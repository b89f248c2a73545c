"""The second login factor at 等保 level 3: one-time codes from an authenticator app or an SM3 token.

Enrolment (``xinlian user totp enrol NAME``, by the security administrator) makes a random 160-bit secret and
shows it once, as base32 and as an ``otpauth://`` URI; the database keeps only its SM4-GCM ciphertext under the
field key (``xinlian.crypto.fields``, AAD ``app_user/<id>/totp_secret``, so a secret copied to another user does not
decrypt), together with the algorithm it was made for. At login a 6-digit code is accepted for the current
30-second step or one step either side, and only for a step later than the last one used (``totp_last_step``):
each code works once. The algorithms are in ``xinlian.crypto.otp``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy.orm import Session

from xinlian.crypto import otp
from xinlian.crypto.fields import decrypt_bytes, encrypt_bytes, load_key
from xinlian.store.tables.auth import User
from xinlian.users import audit

COLUMN = ("app_user", "totp_secret")


class TotpError(ValueError):
    """A refused enrolment (already enrolled, no field key)."""


@dataclass(frozen=True)
class Enrolment:
    username: str
    algorithm: str
    secret: str  # base32, shown once
    uri: str

    def as_dict(self) -> dict:
        return {"username": self.username, "algorithm": self.algorithm, "secret": self.secret, "uri": self.uri}


def _provider():
    from xinlian.crypto import get_provider

    return get_provider()


def is_enrolled(user: User) -> bool:
    return bool(user.totp_secret)


def enrol(session: Session, user: User, *, replace: bool = False, algorithm: str | None = None,
          actor: User | None = None, ip: str | None = None, now: datetime | None = None) -> Enrolment:
    """Give ``user`` a new secret; refuses to replace an existing one unless ``replace``."""
    from xinlian.settings import get_settings

    if is_enrolled(user) and not replace:
        raise TotpError(f"用户 {user.username} 已登记动态口令；如需更换（如手机丢失）请加 --replace")
    algorithm = algorithm or get_settings().totp_algorithm
    if algorithm not in otp.ALGORITHMS:
        raise TotpError(f"未知的动态口令算法 {algorithm!r}")
    provider = _provider()
    key = load_key()
    secret = provider.random_bytes(otp.SECRET_BYTES)
    session.flush()  # the user has an id
    user.totp_secret = encrypt_bytes(provider, key, COLUMN[0], user.id, COLUMN[1],
                                     algorithm.encode("ascii") + b":" + secret)
    user.totp_last_step = None
    user.totp_enrolled_at = now or datetime.now(timezone.utc)
    session.flush()
    audit.record(session, actor, "user.totp_enrol", ("user", user.id), ip=ip,
                 detail=f"algorithm {algorithm}" + (", replaced the previous secret" if replace else ""))
    return Enrolment(user.username, algorithm, otp.to_base32(secret),
                     otp.otpauth_uri(secret, user.username, algorithm=algorithm))


def remove(session: Session, user: User, *, actor: User | None = None, ip: str | None = None) -> None:
    """Take the factor away (lost phone); at level 3 the user cannot log in until enrolled again."""
    user.totp_secret = None
    user.totp_last_step = None
    user.totp_enrolled_at = None
    session.flush()
    audit.record(session, actor, "user.totp_remove", ("user", user.id), ip=ip)


def _secret(user: User) -> tuple[str, bytes]:
    plain = decrypt_bytes(_provider(), load_key(), COLUMN[0], user.id, COLUMN[1], user.totp_secret)
    algorithm, _, secret = plain.partition(b":")
    return algorithm.decode("ascii"), secret


def check_code(user: User, code: str, now: datetime) -> bool:
    """True (and the step recorded as used) when ``code`` is valid for ``user`` at ``now`` and not used before.

    A secret that fails to decrypt (edited, copied from another user, other key) counts as a wrong code; the
    caller audits the failure.
    """
    from xinlian.crypto import CryptoError

    if not is_enrolled(user):
        return False
    try:
        algorithm, secret = _secret(user)
    except CryptoError:
        return False
    step = otp.match_step(secret, code, now, last_step=user.totp_last_step, algorithm=algorithm,
                          provider=_provider())
    if step is None:
        return False
    user.totp_last_step = step
    return True
