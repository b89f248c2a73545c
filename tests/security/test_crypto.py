"""The crypto provider against the standards' known answers, and the properties the callers rely on:
tampering and moved ciphertexts are refused, PBKDF2-SM3 hashes verify, the audit chain finds edits and deletions."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from xinlian.crypto import CryptoError, get_provider
from xinlian.crypto import passwords as gm
from xinlian.crypto.audit_chain import GENESIS, chain_digest, seal, verify_chain
from xinlian.crypto.fields import FieldIntegrityError, decrypt_field, encrypt_field, generate_key_file, load_key

P = get_provider("software")
KEY = bytes.fromhex("0123456789abcdeffedcba9876543210")


def test_sm3_known_answer():
    assert P.sm3(b"abc").hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    # GB/T 32905 example 2: "abcd" repeated 16 times
    assert P.sm3(b"abcd" * 16).hex() == "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"


def test_sm4_known_answer_single_block():
    # GB/T 32907 example: key = plaintext = 0123456789abcdeffedcba9876543210
    enc = Cipher(algorithms.SM4(KEY), modes.ECB()).encryptor()
    assert (enc.update(KEY) + enc.finalize()).hex() == "681edf34d206965e86b3e94f536e4246"


def test_hmac_and_pbkdf2_are_deterministic_and_keyed():
    assert P.hmac_sm3(b"k", b"data") == P.hmac_sm3(b"k", b"data")
    assert P.hmac_sm3(b"k", b"data") != P.hmac_sm3(b"k2", b"data")
    assert len(P.hmac_sm3(b"k", b"data")) == 32
    a = P.pbkdf2_sm3(b"pw", b"salt", 1000)
    assert a == P.pbkdf2_sm3(b"pw", b"salt", 1000)
    assert a != P.pbkdf2_sm3(b"pw", b"salt", 1001) != P.pbkdf2_sm3(b"pw", b"salt2", 1000)


def test_sm4_gcm_round_trip_and_layout():
    blob = P.sm4_gcm_encrypt(KEY, "税收 1234.5 万元".encode(), b"aad")
    assert len(blob) == 12 + len("税收 1234.5 万元".encode()) + 16
    assert P.sm4_gcm_decrypt(KEY, blob, b"aad").decode() == "税收 1234.5 万元"
    assert P.sm4_gcm_encrypt(KEY, b"x", b"") != P.sm4_gcm_encrypt(KEY, b"x", b""), "nonce must be fresh"


@pytest.mark.parametrize("where", [0, 12, -1])  # nonce, body, tag
def test_sm4_gcm_refuses_a_flipped_bit(where):
    blob = bytearray(P.sm4_gcm_encrypt(KEY, b"output value 9.9e8", b"aad"))
    blob[where] ^= 0x01
    with pytest.raises(CryptoError, match="认证失败"):
        P.sm4_gcm_decrypt(KEY, bytes(blob), b"aad")


def test_sm4_gcm_refuses_wrong_key_aad_and_short_blobs():
    blob = P.sm4_gcm_encrypt(KEY, b"x", b"aad")
    with pytest.raises(CryptoError):
        P.sm4_gcm_decrypt(bytes(16), blob, b"aad")
    with pytest.raises(CryptoError):
        P.sm4_gcm_decrypt(KEY, blob, b"aae")
    with pytest.raises(CryptoError):
        P.sm4_gcm_decrypt(KEY, blob[:20], b"aad")
    with pytest.raises(CryptoError, match="16 字节"):
        P.sm4_gcm_encrypt(b"short", b"x")


def test_field_round_trip_and_none():
    stored = encrypt_field(P, KEY, "enterprise_figure", 42, "tax", 12_345_678.9)
    assert stored.startswith("sm4gcm1:") and "12345678" not in stored
    assert decrypt_field(P, KEY, "enterprise_figure", 42, "tax", stored) == 12_345_678.9
    assert encrypt_field(P, KEY, "enterprise_figure", 42, "tax", None) is None
    assert decrypt_field(P, KEY, "enterprise_figure", 42, "tax", None) is None


def test_field_swapped_between_rows_or_columns_is_detected():
    a = encrypt_field(P, KEY, "enterprise_figure", 1, "tax", 100.0)
    b = encrypt_field(P, KEY, "enterprise_figure", 2, "tax", 999.0)
    # an insider swaps the two rows' ciphertexts
    with pytest.raises(FieldIntegrityError, match="enterprise_figure.tax（行 2）"):
        decrypt_field(P, KEY, "enterprise_figure", 2, "tax", a)
    with pytest.raises(FieldIntegrityError, match="行 1"):
        decrypt_field(P, KEY, "enterprise_figure", 1, "tax", b)
    with pytest.raises(FieldIntegrityError):
        decrypt_field(P, KEY, "enterprise_figure", 1, "output_value", a)
    with pytest.raises(FieldIntegrityError):
        decrypt_field(P, KEY, "enterprise_figure", 1, "tax", "12345.0")


def test_key_file_generate_load_and_refusals(tmp_path):
    path = generate_key_file(tmp_path / "k" / "field.key", P)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    key = load_key(path)
    assert len(key) == 16
    with pytest.raises(CryptoError, match="不覆盖"):
        generate_key_file(path, P)
    os.chmod(path, 0o644)
    with pytest.raises(CryptoError, match="chmod 600"):
        load_key(path)
    bad = tmp_path / "bad.key"
    bad.write_text("abcd\n")
    os.chmod(bad, 0o600)
    with pytest.raises(CryptoError, match="16 字节"):
        load_key(bad)
    with pytest.raises(CryptoError, match="不存在"):
        load_key(tmp_path / "missing.key")


def test_keygen_cli_writes_a_loadable_key(tmp_path):
    out = tmp_path / "cli.key"
    r = subprocess.run([sys.executable, "-m", "xinlian.cli", "security", "keygen", str(out)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert len(load_key(out)) == 16
    again = subprocess.run([sys.executable, "-m", "xinlian.cli", "security", "keygen", str(out)],
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == 1


def test_registry_and_hardware_stub():
    assert get_provider("software").name == "software"
    with pytest.raises(CryptoError, match="未知的密码服务后端"):
        get_provider("nope")
    with pytest.raises(NotImplementedError, match="GM/T 0018"):
        get_provider("sdf").sm3(b"abc")


def test_gm_password_hash_format_and_verify():
    h = gm.hash_password("正确的马 battery 9!", iterations=2000, provider=P)
    scheme, iters, salt, digest = h.split("$")
    assert scheme == "pbkdf2_sm3" and iters == "2000" and len(salt) == 32 and len(digest) == 64
    assert gm.verify_password(h, "正确的马 battery 9!", provider=P)
    assert not gm.verify_password(h, "正确的马 battery 9?", provider=P)
    assert h != gm.hash_password("正确的马 battery 9!", iterations=2000, provider=P), "salt must be per hash"
    same = gm.hash_password("pw", iterations=2000, salt=b"s" * 16, provider=P)
    assert same == gm.hash_password("pw", iterations=2000, salt=b"s" * 16, provider=P)
    for broken in ["", "pbkdf2_sm3$x$00$00", "argon2id$1$00$00", "pbkdf2_sm3$0$00$00", None]:
        assert gm.verify_password(broken, "pw", provider=P) is False
    assert gm.needs_rehash(h, iterations=200_000) and not gm.needs_rehash(h, iterations=2000)


def _records():
    t0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    return [{"id": i, "at": t0 + dt.timedelta(minutes=i), "user": f"user{i % 3}", "ip": "10.0.0.8",
             "event": "login_ok" if i % 2 else "export", "object": f"enterprise:{i}", "ok": True} for i in range(8)]


def test_audit_chain_verifies_and_finds_an_edited_record():
    chain = seal(_records(), provider=P, key=b"k")
    assert verify_chain(chain, provider=P, key=b"k") is None
    assert chain[0]["chain"] == chain_digest(GENESIS, _records()[0], provider=P, key=b"k")
    chain[3]["user"] = "someone_else"
    assert verify_chain(chain, provider=P, key=b"k") == 3


def test_audit_chain_finds_a_deleted_record_and_a_wrong_key():
    chain = seal(_records(), provider=P, key=b"k")
    del chain[5]
    assert verify_chain(chain, provider=P, key=b"k") == 5
    assert verify_chain(seal(_records(), provider=P, key=b"k"), provider=P, key=b"other") == 0


def test_audit_chain_finds_reordering_and_a_forged_digest():
    chain = seal(_records(), provider=P, key=b"k")
    chain[2], chain[3] = chain[3], chain[2]
    assert verify_chain(chain, provider=P, key=b"k") == 2
    chain = seal(_records(), provider=P, key=b"k")
    chain[4]["ok"] = False
    chain[4]["chain"] = P.sm3(b"forged").hex()  # without the key the digest cannot be recomputed
    assert verify_chain(chain, provider=P, key=b"k") == 4
