"""Encryption at rest of sensitive figures (tax, output value): one SM4-GCM ciphertext per cell.

The additional authenticated data is ``table/row id/column``, so a ciphertext copied to another row or column fails
to decrypt (等保 数据完整性/保密性 at level 3; 密评 8.4 e and g). A stored cell looks like ``sm4gcm1:<base64>`` where
the base64 holds nonce | ciphertext | tag. The key is 16 random bytes kept in a file outside the database
(``XINLIAN_FIELD_KEY_FILE``, written by ``xinlian security keygen FILE``), one hex line, readable by the owner only.
"""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

from xinlian.crypto.provider import KEY_BYTES, CryptoError, CryptoProvider

PREFIX = "sm4gcm1:"


class FieldIntegrityError(CryptoError):
    """A stored ciphertext does not belong to this table/row/column, or was changed."""


def field_aad(table: str, row_id, column: str) -> bytes:
    return f"{table}/{row_id}/{column}".encode("utf-8")


def encrypt_field(provider: CryptoProvider, key: bytes, table: str, row_id, column: str,
                  value: float | None) -> str | None:
    """The stored text for ``value`` in ``table.column`` of row ``row_id``; ``None`` stays ``None``.

    >>> from xinlian.crypto import get_provider
    >>> p, k = get_provider("software"), bytes(16)
    >>> decrypt_field(p, k, "figure", 7, "tax", encrypt_field(p, k, "figure", 7, "tax", 1.5e6))
    1500000.0
    """
    if value is None:
        return None
    plain = repr(float(value)).encode("ascii")
    blob = provider.sm4_gcm_encrypt(key, plain, field_aad(table, row_id, column))
    return PREFIX + base64.b64encode(blob).decode("ascii")


def decrypt_field(provider: CryptoProvider, key: bytes, table: str, row_id, column: str,
                  stored: str | None) -> float | None:
    """Inverse of ``encrypt_field``. Raises ``FieldIntegrityError`` naming the cell when the text was edited,
    moved from another row or column, or encrypted under another key."""
    plain = decrypt_bytes(provider, key, table, row_id, column, stored)
    return None if plain is None else float(plain.decode("ascii"))


def encrypt_bytes(provider: CryptoProvider, key: bytes, table: str, row_id, column: str,
                  data: bytes | None) -> str | None:
    """Like ``encrypt_field`` for any bytes (e.g. a second-factor secret); ``None`` stays ``None``."""
    if data is None:
        return None
    blob = provider.sm4_gcm_encrypt(key, bytes(data), field_aad(table, row_id, column))
    return PREFIX + base64.b64encode(blob).decode("ascii")


def decrypt_bytes(provider: CryptoProvider, key: bytes, table: str, row_id, column: str,
                  stored: str | None) -> bytes | None:
    """Inverse of ``encrypt_bytes`` (and the first half of ``decrypt_field``), with the same refusals."""
    if stored is None:
        return None
    where = f"{table}.{column}（行 {row_id}）"
    if not isinstance(stored, str) or not stored.startswith(PREFIX):
        raise FieldIntegrityError(f"{where} 不是加密字段（缺少前缀 {PREFIX}）")
    try:
        blob = base64.b64decode(stored[len(PREFIX):], validate=True)
    except ValueError:
        raise FieldIntegrityError(f"{where} 密文不是有效的 base64") from None
    try:
        plain = provider.sm4_gcm_decrypt(key, blob, field_aad(table, row_id, column))
    except CryptoError as exc:
        raise FieldIntegrityError(f"{where} 校验失败：密文被修改、来自其他行/列，或密钥不符（{exc}）") from None
    return plain


def generate_key_file(path: str | Path, provider: CryptoProvider) -> Path:
    """Write a new random field key to ``path`` (mode 0600). Refuses to overwrite: losing a key loses the data."""
    path = Path(path)
    if path.exists():
        raise CryptoError(f"{path} 已存在；为免丢失已加密的数据，不覆盖现有密钥")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(provider.random_bytes(KEY_BYTES).hex() + "\n")
    return path


def load_key(path: str | Path | None = None) -> bytes:
    """The field key from ``path`` or ``settings.field_key_file``. Errors name the file and what is wrong."""
    if path is None:
        from xinlian.settings import get_settings

        path = get_settings().field_key_file
        if path is None:
            raise CryptoError("未配置字段加密密钥：设置 XINLIAN_FIELD_KEY_FILE（用 xinlian security keygen FILE 生成）")
    path = Path(path)
    try:
        text = path.read_text("ascii").strip()
    except FileNotFoundError:
        raise CryptoError(f"{path}: 密钥文件不存在") from None
    except UnicodeDecodeError:
        raise CryptoError(f"{path}: 密钥文件应为一行十六进制") from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise CryptoError(f"{path}: 密钥文件应为一行十六进制") from None
    if len(key) != KEY_BYTES:
        raise CryptoError(f"{path}: 密钥应为 {KEY_BYTES} 字节（{KEY_BYTES * 2} 个十六进制字符），实为 {len(key)} 字节")
    if os.name == "posix" and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CryptoError(f"{path}: 密钥文件对其他用户可读，请执行 chmod 600 {path}")
    return key
