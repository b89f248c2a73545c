"""The raw store: every input (page, sheet) kept for good, addressed by the SHA-256 of its bytes.

Files live under ``settings.raw_dir / sha[:2] / sha`` and each has one ``raw_file`` row (size, where it lies,
the name and media type it first came with). Keeping the same bytes twice is a no-op, so callers keep first and
ask questions later. Writes go to a temporary file in the same folder and are renamed into place, so a crash never
leaves a half-written file under a content address.

>>> sha = keep_bytes(b"<p>hello</p>", original_name="a.html", bind=session)   # doctest: +SKIP
>>> read_raw(sha)                                                               # doctest: +SKIP
b'<p>hello</p>'
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.orm import Session

from xinlian.settings import get_settings
from xinlian.store.dialect import upsert
from xinlian.store.tables.files import RawFile

CHUNK = 1 << 20
_SHA = re.compile(r"^[0-9a-f]{64}$")


def raw_path(sha: str, root: Path | None = None) -> Path:
    """Where the bytes with this SHA-256 lie (whether or not they are there)."""
    if not _SHA.match(sha or ""):
        raise ValueError(f"not a SHA-256 hex digest: {sha!r}")
    root = root or get_settings().raw_dir
    return root / sha[:2] / sha


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | Path) -> tuple[str, int]:
    """SHA-256 and size of a file, read in 1 MB chunks."""
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def _record(bind: Session | None, sha: str, size: int, path: Path, original_name, media_type) -> None:
    if bind is None:
        return
    row = {"sha256": sha, "size": size, "path": str(path), "original_name": original_name, "media_type": media_type}
    upsert(bind, RawFile.__table__, [row], keys=["sha256"], update=[])


def _place(tmp: Path, target: Path) -> None:
    if target.exists():
        tmp.unlink(missing_ok=True)
        return
    os.replace(tmp, target)


def keep_bytes(
    data: bytes,
    *,
    original_name: str | None = None,
    media_type: str | None = None,
    bind: Session | None = None,
    root: Path | None = None,
    sync: bool = True,
) -> str:
    """Keep ``data`` in the raw store and return its SHA-256.

    Args:
        data: the bytes exactly as they came.
        original_name: file name or URL they first came with (kept on the first keep only).
        media_type: e.g. ``text/html; charset=gbk``.
        bind: a session or connection; when given, the ``raw_file`` row is inserted (nothing if it exists).
        root: the store's folder (default ``settings.raw_dir``).
        sync: fsync the file before returning. A caller keeping many files passes False and calls
            ``sync_store()`` once before committing the rows that point at them (one flush instead of one per file).
    """
    sha = sha256_bytes(data)
    target = raw_path(sha, root)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".in-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if sync:
                os.fsync(f.fileno())
        _place(Path(tmp), target)
    _record(bind, sha, len(data), target, original_name, media_type)
    return sha


def keep_stream(
    stream: BinaryIO,
    *,
    original_name: str | None = None,
    media_type: str | None = None,
    bind: Session | None = None,
    root: Path | None = None,
) -> tuple[str, int]:
    """Keep everything read from ``stream`` (hashed while copied, never held whole); returns (sha, size)."""
    root = root or get_settings().raw_dir
    root.mkdir(parents=True, exist_ok=True)
    h = hashlib.sha256()
    size = 0
    fd, tmp = tempfile.mkstemp(dir=root, prefix=".in-")
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                h.update(chunk)
                size += len(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        sha = h.hexdigest()
        target = raw_path(sha, root)
        target.parent.mkdir(parents=True, exist_ok=True)
        _place(Path(tmp), target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _record(bind, sha, size, target, original_name, media_type)
    return sha, size


def keep_file(
    path: str | Path,
    *,
    original_name: str | None = None,
    media_type: str | None = None,
    bind: Session | None = None,
    root: Path | None = None,
) -> str:
    """Keep the file at ``path`` (streamed: a large file is never read into memory); returns its SHA-256.

    ``original_name`` defaults to the file's name.
    """
    path = Path(path)
    with open(path, "rb") as f:
        sha, _size = keep_stream(f, original_name=original_name or path.name, media_type=media_type, bind=bind,
                                 root=root)
    return sha


def sync_store(root: Path | None = None) -> None:
    """Flush everything written to the store's file system to disk (``syncfs``; ``sync`` where it is missing)."""
    root = root or get_settings().raw_dir
    if not root.exists():
        return
    try:
        import ctypes

        fd = os.open(root, os.O_RDONLY)
        try:
            if ctypes.CDLL(None, use_errno=True).syncfs(fd) == 0:
                return
        finally:
            os.close(fd)
    except (OSError, AttributeError):
        pass
    os.sync()


def has_raw(sha: str, root: Path | None = None) -> bool:
    return raw_path(sha, root).exists()


def read_raw(sha: str, root: Path | None = None) -> bytes:
    """The bytes kept under ``sha``; ``FileNotFoundError`` when they are not in the store."""
    return raw_path(sha, root).read_bytes()


def open_raw(sha: str, root: Path | None = None) -> BinaryIO:
    """A binary file object on the kept bytes (for large inputs read in chunks)."""
    return open(raw_path(sha, root), "rb")
