"""The software backend: SM3, HMAC-SM3, PBKDF2-SM3 and SM4-GCM from the ``cryptography`` package (its bundled
OpenSSL). Correct algorithms, but not a certified 密码模块: for a 密评 at level 3 put the keys in a device (``sdf``)."""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from xinlian.crypto.provider import KEY_BYTES, NONCE_BYTES, TAG_BYTES, CryptoError, CryptoProvider


def _check_key(key: bytes) -> None:
    if not isinstance(key, (bytes, bytearray)) or len(key) != KEY_BYTES:
        raise CryptoError(f"SM4 密钥应为 {KEY_BYTES} 字节，收到 {len(key) if isinstance(key, (bytes, bytearray)) else type(key).__name__}")


class SoftwareProvider(CryptoProvider):
    name = "software"

    def sm3(self, data: bytes) -> bytes:
        h = hashes.Hash(hashes.SM3())
        h.update(data)
        return h.finalize()

    def hmac_sm3(self, key: bytes, data: bytes) -> bytes:
        h = hmac.HMAC(key, hashes.SM3())
        h.update(data)
        return h.finalize()

    def pbkdf2_sm3(self, password: bytes, salt: bytes, iterations: int, length: int = 32) -> bytes:
        if iterations < 1:
            raise CryptoError("PBKDF2 迭代次数应为正数")
        return PBKDF2HMAC(algorithm=hashes.SM3(), length=length, salt=salt, iterations=iterations).derive(password)

    def sm4_gcm_encrypt(self, key: bytes, plaintext: bytes, aad: bytes = b"") -> bytes:
        _check_key(key)
        nonce = os.urandom(NONCE_BYTES)
        enc = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
        enc.authenticate_additional_data(aad)
        body = enc.update(plaintext) + enc.finalize()
        return nonce + body + enc.tag

    def sm4_gcm_decrypt(self, key: bytes, blob: bytes, aad: bytes = b"") -> bytes:
        _check_key(key)
        if len(blob) < NONCE_BYTES + TAG_BYTES:
            raise CryptoError("密文过短，不是 SM4-GCM 数据")
        nonce, body, tag = blob[:NONCE_BYTES], blob[NONCE_BYTES:-TAG_BYTES], blob[-TAG_BYTES:]
        dec = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
        dec.authenticate_additional_data(aad)
        try:
            return dec.update(body) + dec.finalize()
        except InvalidTag:
            raise CryptoError("SM4-GCM 认证失败：密文、密钥或关联数据（表/行/列）不符，数据可能被篡改或被换行") from None

    def random_bytes(self, n: int) -> bytes:
        return os.urandom(n)
