"""Cryptography for 等保 level 3 and 密评: SM3, HMAC-SM3, PBKDF2-SM3 and SM4-GCM behind one provider interface.

``get_provider()`` returns the backend named by ``settings.crypto_provider``: ``software`` (the ``cryptography``
package, working now) or ``sdf`` (a GM/T 0018 hardware crypto device, a stub that refuses with a clear message until
it is written). Callers never touch a cipher directly: field encryption (``fields``), the audit hash chain
(``audit_chain``) and GM password hashes (``passwords``) all take a provider.
"""

from xinlian.crypto.provider import CryptoError, CryptoProvider, get_provider, register_provider

__all__ = ["CryptoError", "CryptoProvider", "get_provider", "register_provider"]
