"""统一社会信用代码 (unified social credit code), GB 32100-2015.

18 characters from the 31-character set 0-9 and A-Z without I, O, Z, S, V:
1 registration authority, 1 entity category, 6 region code (GB/T 2260), 9 entity identifier (GB 11714
organisation code), 1 check character. The check character makes sum(value_i * 3**i mod 31) + check ≡ 0 (mod 31).
"""

from __future__ import annotations

import re
import unicodedata
from operator import mul

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUE = {c: i for i, c in enumerate(ALPHABET)}
WEIGHTS = [pow(3, i, 31) for i in range(17)]
AUTHORITIES = set("123456789ANY")  # 登记管理部门码: 1-9 departments, A 中央军委改革和编制办公室, N 农业, Y 其他
_ALREADY_CLEAN = re.compile(r"[0-9A-Z]{18}")  # what clean() would leave unchanged (the common cell)
# authority, category, 6-digit region, 10 more characters of the code's alphabet: what passes every check below but
# the check character
_WELL_FORMED = re.compile(r"[1-9ANY][0-9A-HJ-NPQRTUWXY][0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}")
_SHAPE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


class CreditCodeError(ValueError):
    """An invalid code; ``str(err)`` says why in Chinese and English."""


def check_char(first17: str) -> str:
    """The check character for the first 17 characters.

    >>> check_char("91320412MA1MXXXX0")  # doctest: +SKIP
    """
    total = sum(map(mul, map(VALUE.__getitem__, first17), WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def clean(code: str) -> str:
    """Upper-case, half-width, without spaces or dashes."""
    code = unicodedata.normalize("NFKC", code or "")
    return re.sub(r"[\s\-－]", "", code).upper()


def validate(code: str) -> str:
    """Return the cleaned code, or raise ``CreditCodeError`` naming the reason."""
    if type(code) is str and _WELL_FORMED.fullmatch(code) and code[17] == check_char(code[:17]):
        return code  # the common cell: clean, every check below passes (one regex, one check character)
    c = code if type(code) is str and _ALREADY_CLEAN.fullmatch(code) else clean(code)
    if len(c) != 18:
        raise CreditCodeError(f"长度应为18位，实为{len(c)}位 (must be 18 characters, got {len(c)})")
    bad = [ch for ch in c if ch not in VALUE]
    if bad:
        raise CreditCodeError(f"含非法字符 {''.join(sorted(set(bad)))} (characters I, O, Z, S, V and symbols are not "
                              "used)")
    if c[0] not in AUTHORITIES:
        raise CreditCodeError(f"登记管理部门码 {c[0]} 无效 (unknown registration authority)")
    if not c[2:8].isdigit():
        raise CreditCodeError(f"行政区划码 {c[2:8]} 应为6位数字 (region code must be 6 digits)")
    expected = check_char(c[:17])
    if c[17] != expected:
        raise CreditCodeError(f"校验码错误：应为 {expected}，实为 {c[17]} (check character should be {expected})")
    return c


def is_valid(code: str) -> bool:
    try:
        validate(code)
    except CreditCodeError:
        return False
    return True


def make(authority: str, category: str, region: str, identifier: str) -> str:
    """Build a valid code from its parts (used by the demo generator and the tests)."""
    first17 = f"{authority}{category}{region}{identifier}"
    if len(first17) != 17 or any(ch not in VALUE for ch in first17):
        raise CreditCodeError(f"bad parts for a credit code: {first17!r}")
    return first17 + check_char(first17)
