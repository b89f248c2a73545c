"""The raw store: every input (page, sheet) kept for good, addressed by the SHA-256 of its bytes.

Files live under ``settings.raw_dir / sha[:2] / sha`` and each has one ``raw_file`` row (size, where it lies,
the name and media type it first came with). Keeping the same bytes twice is a no-op, so callers keep first and
ask questions later. Writes go to a temporary file in the same folder and are renamed into place, so a crash never
leaves a half-written file under a content address.

>>> sha = keep_bytes(b"<p>hello</p>", original_name="a.html", bind=session)   # doctest: +SKIP
>>> read_raw(sha)                                                               # doctest: +SKIP
b'<p>hello</p>'

At ``XINLIAN_SECURITY_LEVEL=3`` every file is kept **sealed**: SM4-GCM with the field key
(``XINLIAN_FIELD_KEY_FILE``), in 1 MB chunks, each with its own nonce and the additional data
``raw_file/<sha256 of the plain bytes>/<chunk number>/<more|last>``, so a file moved to another address, chunks
swapped, dropped or cut off, or bytes edited are refused (``RawIntegrityError``). The address stays the SHA-256 of
the plain bytes (the same input keeps one address at either level). Readers (``read_raw``, ``open_raw``) open
sealed and plain files alike, so files kept before the switch stay readable and a sealed file stays readable at
level 2 as long as the key is configured. ``seal_store`` / ``unseal_store`` convert a whole store (run by
``xinlian security encrypt-figures`` / ``decrypt-figures``). Sealing at level 3 covers every caller (sheets of the
registry and work imports, news pages): the store cannot tell a sheet from a page, and a rule with no exception
cannot misfile one. docs/security.md, "Raw files at level 3".
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import struct
import tempfile
from pathlib import Path
from typing import BinaryIO, Iterator

from sqlalchemy.orm import Session

from xinlian.settings import get_settings
from xinlian.store.dialect import upsert
from xinlian.store.tables.files import RawFile

CHUNK = 1 << 20
_SHA = re.compile(r"^[0-9a-f]{64}$")
MAGIC = b"\x00XLRAW-SM4GCM1\n"  # a NUL first: no text page or sheet (zip, CSV, HTML) starts like this
_LEN = struct.Struct(">I")


class RawIntegrityError(ValueError):
    """A sealed raw file does not open: edited, cut off, moved to another address, or another key."""


def _sealing():
    """(provider, key) when files are to be kept sealed (security level 3), else None. A missing key at level 3
    raises ``CryptoError`` naming the key file: nothing is kept in clear by mistake."""
    if get_settings().security_level != 3:
        return None
    return _crypto()


def _crypto():
    from xinlian.crypto import get_provider
    from xinlian.crypto.fields import load_key

    s = get_settings()
    return get_provider(s.crypto_provider), load_key(s.field_key_file)


def _aad(sha: str, index: int, last: bool) -> bytes:
    from xinlian.crypto.fields import field_aad

    return field_aad("raw_file", sha, f"{index}/{'last' if last else 'more'}")


def _seal_into(chunks: Iterator[bytes], out: BinaryIO, sha: str, crypto) -> None:
    """Write ``MAGIC`` and the sealed chunks (looking one chunk ahead to mark the last one)."""
    provider, key = crypto
    out.write(MAGIC)
    index, pending = 0, None
    for chunk in chunks:
        if pending is not None:
            blob = provider.sm4_gcm_encrypt(key, pending, _aad(sha, index, False))
            out.write(_LEN.pack(len(blob)) + blob)
            index += 1
        pending = chunk
    blob = provider.sm4_gcm_encrypt(key, pending or b"", _aad(sha, index, True))
    out.write(_LEN.pack(len(blob)) + blob)


def _chunks_of(stream: BinaryIO) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK):
        yield chunk


def is_sealed(path: Path) -> bool:
    """True when the file at ``path`` is kept sealed (starts with ``MAGIC``)."""
    with open(path, "rb") as fh:
        return fh.read(len(MAGIC)) == MAGIC


def _open_sealed(fh: BinaryIO, sha: str, crypto=None) -> Iterator[bytes]:
    """The plain chunks of a sealed file (``fh`` just after ``MAGIC``); every chunk is checked before it is
    given out, and a file that ends before its last chunk is refused."""
    from xinlian.crypto import CryptoError

    provider, key = crypto or _crypto()
    index = 0
    while True:
        head = fh.read(_LEN.size)
        if len(head) < _LEN.size:
            raise RawIntegrityError(f"原始文件 {sha[:12]}… 在第 {index} 块处被截断")
        (size,) = _LEN.unpack(head)
        blob = fh.read(size)
        if len(blob) != size or size > CHUNK + 64:
            raise RawIntegrityError(f"原始文件 {sha[:12]}… 在第 {index} 块处被截断或损坏")
        for last in (False, True):
            try:
                plain = provider.sm4_gcm_decrypt(key, blob, _aad(sha, index, last))
                break
            except CryptoError:
                continue
        else:
            raise RawIntegrityError(f"原始文件 {sha[:12]}… 第 {index} 块校验失败：被修改、来自其他文件，或密钥不符")
        yield plain
        if last:
            if fh.read(1):
                raise RawIntegrityError(f"原始文件 {sha[:12]}… 在最后一块之后还有数据")
            return
        index += 1


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


def _place(tmp: Path, target: Path, replace: bool = False) -> None:
    """Move ``tmp`` to ``target``; an existing target is kept unless ``replace`` (a sealed copy over a plain
    one; a sealed target is never replaced: the same bytes are already there, sealed)."""
    if target.exists() and (not replace or is_sealed(target)):
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
    crypto = _sealing()
    if not target.exists() or (crypto is not None and not is_sealed(target)):
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".in-")
        with os.fdopen(fd, "wb") as f:
            if crypto is None:
                f.write(data)
            else:
                _seal_into((data[i:i + CHUNK] for i in range(0, len(data), CHUNK)), f, sha, crypto)
            f.flush()
            if sync:
                os.fsync(f.fileno())
        _place(Path(tmp), target, replace=crypto is not None)
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
    """Keep everything read from ``stream`` (hashed while copied, never held whole); returns (sha, size).

    Sealed (level 3): a seekable stream is read twice, once to hash it (the address is in every chunk's additional
    data) and once to seal it, so no plain copy is written; any other stream is read into memory first."""
    root = root or get_settings().raw_dir
    root.mkdir(parents=True, exist_ok=True)
    crypto = _sealing()
    if crypto is not None:
        if not stream.seekable():
            data = stream.read()
            return keep_bytes(data, original_name=original_name, media_type=media_type, bind=bind,
                              root=root), len(data)
        return _keep_sealed(stream, crypto, original_name, media_type, bind, root)
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


def _keep_sealed(stream: BinaryIO, crypto, original_name, media_type, bind, root: Path) -> tuple[str, int]:
    start = stream.tell()
    h = hashlib.sha256()
    size = 0
    for chunk in _chunks_of(stream):
        h.update(chunk)
        size += len(chunk)
    sha = h.hexdigest()
    target = raw_path(sha, root)
    if not (target.exists() and is_sealed(target)):
        stream.seek(start)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".in-")
        try:
            with os.fdopen(fd, "wb") as out:
                check = hashlib.sha256()

                def hashed():
                    for chunk in _chunks_of(stream):
                        check.update(chunk)
                        yield chunk
                _seal_into(hashed(), out, sha, crypto)
                out.flush()
                os.fsync(out.fileno())
            if check.hexdigest() != sha:
                raise OSError(f"{original_name or 'stream'}: 文件在保存过程中被改动")
            _place(Path(tmp), target, replace=True)
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
    """The bytes kept under ``sha`` (opened when sealed); ``FileNotFoundError`` when they are not in the store,
    ``RawIntegrityError`` when a sealed file does not open."""
    path = raw_path(sha, root)
    with open(path, "rb") as fh:
        if fh.read(len(MAGIC)) != MAGIC:
            fh.seek(0)
            return fh.read()
        try:
            return b"".join(_open_sealed(fh, sha))
        except RawIntegrityError:
            data = path.read_bytes()
            if sha256_bytes(data) == sha:  # a plain input that happens to start like a sealed one
                return data
            raise


def open_raw(sha: str, root: Path | None = None) -> BinaryIO:
    """A binary file object on the kept bytes (for large inputs read in chunks). A sealed file is opened into
    memory (never into a plain temporary file)."""
    path = raw_path(sha, root)
    if is_sealed(path):
        return io.BytesIO(read_raw(sha, root))
    return open(path, "rb")


def _kept(root: Path) -> Iterator[Path]:
    if root.exists():
        for path in sorted(root.glob("??/*")):
            if _SHA.match(path.name) and path.parent.name == path.name[:2]:
                yield path


def seal_store(root: Path | None = None) -> dict:
    """Seal every plain file of the store in place (each replaced atomically by its sealed copy); idempotent.
    Needs the key, at either level, so an operator can convert before switching to level 3."""
    root = root or get_settings().raw_dir
    crypto = _crypto()
    done = kept = 0
    for path in _kept(root):
        if is_sealed(path):
            kept += 1
            continue
        sha, _size = sha256_file(path)
        if sha != path.name:
            raise RawIntegrityError(f"{path}: 内容与其 SHA-256 地址不符，未加密；请先核查该文件")
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".in-")
        try:
            with open(path, "rb") as src, os.fdopen(fd, "wb") as out:
                _seal_into(_chunks_of(src), out, sha, crypto)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        done += 1
    return {"raw_files_sealed": done, "raw_files_already_sealed": kept}


def unseal_store(root: Path | None = None) -> dict:
    """Put every sealed file of the store back in clear (the way back to level 2); each file is checked whole
    before it replaces the sealed one."""
    root = root or get_settings().raw_dir
    crypto = _crypto()
    done = 0
    for path in _kept(root):
        if not is_sealed(path):
            continue
        with open(path, "rb") as fh:
            fh.read(len(MAGIC))
            data = b"".join(_open_sealed(fh, path.name, crypto))
        if sha256_bytes(data) != path.name:
            raise RawIntegrityError(f"{path}: 解密后的内容与其地址不符")
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".in-")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
        done += 1
    return {"raw_files_unsealed": done}
