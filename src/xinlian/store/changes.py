"""A change token other processes can watch: "the data under this XINLIAN_HOME was written since you last looked".

The web app keeps a small read cache per worker process (``xinlian.web.cache``). A write taken by one worker, or an
import run from the CLI while the server is up, must make every worker compute its cached pages again. Each writer
calls ``announce_change()`` after its commit; it replaces ``<XINLIAN_HOME>/data-generation`` with a new random
token (write to a temporary name, then ``os.replace``, so a reader never sees half a token). Readers compare
``current_generation()`` with the token they last acted on. Reading the file costs a few microseconds.

Best effort by design: a read-only home only means other processes fall back on the cache's time limit.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

log = logging.getLogger("xinlian.store")

GENERATION_FILE = "data-generation"


def _path() -> Path | None:
    try:
        from xinlian.settings import get_settings

        return Path(get_settings().home) / GENERATION_FILE
    except Exception:  # no usable settings (a bare library use): nobody to tell
        return None


def current_generation() -> str | None:
    """The latest token, or None when nothing was announced yet (or the file cannot be read)."""
    path = _path()
    try:
        return path.read_text(encoding="ascii") if path is not None else None
    except (OSError, ValueError):
        return None


def announce_change() -> str | None:
    """Tell other processes the data changed; returns the new token (None when it could not be written)."""
    path = _path()
    if path is None:
        return None
    token = secrets.token_hex(8)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(token, encoding="ascii")
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("data generation not written: %s", exc)
        return None
    return token
