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
    import_parse_process_min_bytes: int = Field(
        default=1_000_000, description="Enterprise sheets of at least this many bytes are read and parsed in a second "
        "process while the first writes to the database (two cores at work); 0 = always, -1 = never.")
    as_of: dt.date | None = Field(default=None, description="The date analyses are computed for when none is given "
                                  "(diagnosis windows, news signals); empty means today. The demo sets it to its own "
                                  "date, 2025-03-31.")
    diagnosis_summaries: bool = Field(
        default=True, description="Store the chain diagnosis's heavy query results (region figures per node, ranked "
        "target pools) and use them again until the registry changes (PostgreSQL only; never at security level 3).")
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
    search_rate: int = Field(default=120, description="Full-text searches allowed per user and client IP per "
                             "rate_window_s (then 429).")
    export_rate: int = Field(default=20, description="Downloads (briefings, raw pages) allowed per user and client IP "
                             "per rate_window_s (then 429).")
    import_rate: int = Field(default=10, description="Sheet uploads allowed per user and client IP per rate_window_s "
                             "(then 429).")
    sensitive_view_audit_minutes: int = Field(
        default=10, ge=0, description="A user's views of the same object's unmasked sensitive figures within this "
        "many minutes are one audit row (sensitive.view), so reading a page does not write on every request; "
        "0 records every view.")
    rate_window_s: int = Field(default=60, description="Sliding window of the search, export and import limits.")
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
    web_concurrency: int = Field(default=2, ge=0, description="Requests one server process works on at once; "
                                 "the others wait in arrival order (0 = no limit). See xinlian.web.gate.")

    # --- 等保 / 密评 groundwork (issue 9: crypto provider, field encryption, audit retention) ---------------------
    security_level: int = Field(  # int, not Literal[2, 3]: pydantic refuses the text "3" from the environment
        default=2, ge=2, le=3, description="等保 level the deployment is graded at. 3 adds a second login factor and "
        "SM4-GCM encryption at rest of tax and output figures (the HMAC-SM3 audit chain is kept at every level).")
    crypto_provider: str = Field(
        default="software", description="Crypto backend: software (the cryptography package) or sdf (GM/T 0018 "
        "crypto device; not implemented yet).")
    field_key_file: Path | None = Field(
        default=None, description="File holding the SM4 key for encrypted fields (make it with `xinlian security "
        "keygen FILE`); needed when security_level is 3.")
    audit_retention_days: int = Field(
        default=180, ge=180, description="Audit rows younger than this are never purged (网络安全法 §21: at least "
        "six months).")

    # --- 等保 / 密评 login (issue 9: password hash scheme, second factor) ------------------------------------------
    password_hash: Literal["argon2id", "pbkdf2_sm3"] = Field(
        default="argon2id", description="Scheme for new password hashes: argon2id, or pbkdf2_sm3 (PBKDF2-HMAC-SM3, "
        "for a 密评 that asks for SM3 in login authentication). Stored hashes of the other scheme still verify and "
        "are re-hashed with this one at the user's next successful login.")
    pbkdf2_sm3_iterations: int = Field(
        default=200_000, ge=1000, description="PBKDF2-HMAC-SM3 iterations (pbkdf2_sm3 scheme); a stored hash with "
        "another count is re-hashed at the next login.")
    totp_algorithm: Literal["sha1", "sm3"] = Field(
        default="sha1", description="Second-factor codes at security level 3: sha1 (RFC 6238, works with common "
        "authenticator apps) or sm3 (a GM/T 0021-style SM3 dynamic token). Applies to new enrolments; each "
        "enrolment keeps the algorithm it was made with.")

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
