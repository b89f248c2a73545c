"""Placeholder for a hardware crypto device (服务器密码机) reached through the GM/T 0018 SDF API.

NOT IMPLEMENTED. Selecting ``XINLIAN_CRYPTO_PROVIDER=sdf`` fails at the first crypto call with a message saying so.
Writing it means: load the vendor's SDF library (ctypes), open a device and session, and map each method of
``CryptoProvider`` to SDF_HashInit/Update/Final (SM3), SDF_CalculateMAC or HMAC over the device hash,
SDF_Encrypt/SDF_Decrypt with an internal key index (SM4), and SDF_GenerateRandom; keys then never leave the device.
"""

from __future__ import annotations

from xinlian.crypto.provider import CryptoProvider

_MESSAGE = ("密码机（GM/T 0018 SDF）后端尚未实现：请使用 XINLIAN_CRYPTO_PROVIDER=software，"
            "或接入厂商 SDF 库后实现 xinlian.crypto.sdf.SdfProvider")


class SdfProvider(CryptoProvider):
    """Every method raises ``NotImplementedError`` until a device driver is written."""

    name = "sdf"

    def sm3(self, data: bytes) -> bytes:
        raise NotImplementedError(_MESSAGE)

    def hmac_sm3(self, key: bytes, data: bytes) -> bytes:
        raise NotImplementedError(_MESSAGE)

    def pbkdf2_sm3(self, password: bytes, salt: bytes, iterations: int, length: int = 32) -> bytes:
        raise NotImplementedError(_MESSAGE)

    def sm4_gcm_encrypt(self, key: bytes, plaintext: bytes, aad: bytes = b"") -> bytes:
        raise NotImplementedError(_MESSAGE)

    def sm4_gcm_decrypt(self, key: bytes, blob: bytes, aad: bytes = b"") -> bytes:
        raise NotImplementedError(_MESSAGE)

    def random_bytes(self, n: int) -> bytes:
        raise NotImplementedError(_MESSAGE)
