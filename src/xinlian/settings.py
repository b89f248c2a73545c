"""Every setting of xinlian, declared once with its default and help.

Settings are read from the environment (prefix ``XINLIAN_``) and from an optional ``xinlian.env`` file in the
working directory. ``docs/settings.md`` lists them; a test checks that every field here is documented there.
"""

from __future__ import annotations

import datetime as dt
import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_home() -> Path:
    """Where xinlian keeps its files when nothing else is said: ``./xinlian-data``."""
    return Path(os.environ.get("XINLIAN_HOME", "xinlian-data")).resolve()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="XINLIAN_", env_file="xinlian.env", extra="ignore")

    home: Path = Field(default_factory=default_home, description="Folder for the SQLite file, raw pages, reports.")
    db_url: str = Field(
        default="",
        description="SQLAlchemy URL. Empty means sqlite:///HOME/xinlian.db; for PostgreSQL 15 use "
        "postgresql+psycopg://user:password@host:5432/dbname.",
    )
    mode: Literal["production", "demo", "test"] = Field(
        default="production", description="demo allows the demo login; test is used by the test suite."
    )
    secret_key: str = Field(default="", description="Key that signs session cookies. Required outside demo/test.")
    chain: str = Field(default="semiconductor", description="Default chain taxonomy (a file in data/chains).")
    region: str = Field(default="320412", description="Default region, a GB/T 2260 county or city code.")
    sqlite_synchronous: Literal["FULL", "NORMAL"] = Field(
        default="FULL", description="SQLite synchronous pragma. FULL survives power loss; NORMAL only app crashes."
    )
    import_batch_rows: int = Field(default=5000, description="Rows per database round trip when importing sheets.")
    as_of: dt.date | None = Field(default=None, description="The date analyses are computed for when none is given "
                                  "(diagnosis windows, news signals); empty means today. The demo sets it to its own "
                                  "date, 2025-03-31.")
    fetch_delay_s: float = Field(default=1.0, description="Seconds between two fetches from the same host.")
    fetch_timeout_s: float = Field(default=20.0, description="Timeout of one fetch.")
    fetch_max_bytes: int = Field(default=20_000_000, description="Largest page fetched or ingested, in bytes.")
    fetch_retries: int = Field(default=2, description="Retries of a failed fetch (5xx, timeouts).")
    user_agent: str = Field(default="xinlian/0.1 (+intranet)", description="User-Agent sent when fetching pages.")

    # --- web app and security (issue 7; issue 9 adds the level-3 switches) ---------------------------------------
    behind_tls: bool = Field(
        default=False, description="The app is served over HTTPS (directly or by a TLS gateway): session cookies "
        "get Secure and the __Host- prefix.")
    trusted_proxy: str = Field(
        default="", description="Address of the gateway whose X-Forwarded-For is trusted for client IPs; empty "
        "trusts none.")
    session_idle_minutes: int = Field(default=30, description="A session unused this long ends (等保 登录连接超时).")
    session_absolute_hours: int = Field(default=12, description="A session ends this long after login, used or not.")
    lockout_failures: int = Field(default=5, description="Failed logins in a row that lock an account.")
    lockout_minutes: int = Field(default=30, description="How long a locked account stays locked.")
    login_rate_per_ip: int = Field(default=30, description="Login attempts allowed per client IP per window.")
    login_rate_window_s: int = Field(default=300, description="Window of the per-IP and per-account login limits.")
    password_profile: Literal["dengbao", "asvs"] = Field(
        default="dengbao", description="dengbao: ≥8 characters of 3 of 4 classes and a change period; asvs: "
        "length and blocklist only.")
    password_min_length: int = Field(default=8, description="Shortest accepted password.")
    password_max_age_days: int = Field(default=90, description="Days after which a password must be changed "
                                       "(dengbao profile; 0 = never).")
    argon2_time_cost: int = Field(default=3, description="argon2id passes when hashing a password.")
    argon2_memory_kib: int = Field(default=65536, description="argon2id memory per hash in KiB (64 MiB); tests "
                                   "lower it for speed.")
    upload_max_bytes: int = Field(default=20_000_000, description="Largest request body (uploads), refused "
                                  "with 413 before parsing.")

    # --- 等保 / 密评 groundwork (issue 9: crypto provider, field encryption, audit retention) ---------------------
    security_level: Literal[2, 3] = Field(
        default=2, description="等保 level the deployment is graded at. 3 adds a second login factor, SM4-GCM "
        "encryption at rest of tax and output figures, and the HMAC-SM3 chain over the audit log.")
    crypto_provider: str = Field(
        default="software", description="Crypto backend: software (the cryptography package) or sdf (GM/T 0018 "
        "crypto device; not implemented yet).")
    field_key_file: Path | None = Field(
        default=None, description="File holding the SM4 key for encrypted fields (make it with `xinlian security "
        "keygen FILE`); needed when security_level is 3.")
    audit_retention_days: int = Field(
        default=180, ge=180, description="Audit rows younger than this are never purged (网络安全法 §21: at least "
        "six months).")

    @property
    def database_url(self) -> str:
        if self.db_url:
            return self.db_url
        return f"sqlite:///{self.home / 'xinlian.db'}"

    @property
    def raw_dir(self) -> Path:
        """Content-addressed store of every raw input (pages, sheets), kept for good."""
        return self.home / "raw"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget cached settings (tests change the environment)."""
    get_settings.cache_clear()
