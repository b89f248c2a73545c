import random

import pytest

from xinlian.registry import creditcode as cc


def _random_first17(rng):
    return (rng.choice("159Y") + rng.choice("123") + rng.choice(["320412", "320583", "110108"]) +
            "".join(rng.choice(cc.ALPHABET) for _ in range(9)))


def test_check_character_by_the_weighted_sum():
    rng = random.Random(1)
    for _ in range(500):
        first = _random_first17(rng)
        code = first + cc.check_char(first)
        total = sum(cc.VALUE[c] * pow(3, i, 31) for i, c in enumerate(code[:17])) + cc.VALUE[code[17]]
        assert total % 31 == 0
        assert cc.validate(code) == code


def test_every_wrong_check_character_is_refused_with_the_right_one_named():
    first = "91320412MA1NNN2P0"
    right = cc.check_char(first)
    for wrong in cc.ALPHABET:
        if wrong == right:
            continue
        with pytest.raises(cc.CreditCodeError, match=f"应为 {right}"):
            cc.validate(first + wrong)


@pytest.mark.parametrize("code, reason", [
    ("91320412MA1NNN2P", "长度"),
    ("91320412MA1NNNIP0X", "非法字符"),
    ("91320412MA1NNNOP0X", "非法字符"),
    ("X1320412MA1NNN2P0X", "登记管理部门码"),
    ("9132041AMA1NNN2P0X", "行政区划码"),
])
def test_malformed_codes_say_why(code, reason):
    with pytest.raises(cc.CreditCodeError, match=reason):
        cc.validate(code)


def test_cleaning_accepts_full_width_lower_case_and_spaces():
    first = "91320412MA1NNN2P0"
    code = first + cc.check_char(first)
    messy = " " + code.lower().replace("9", "９", 1) + " "
    assert cc.validate(messy) == code


def test_every_single_substitution_is_detected():
    # 31 is prime and no weight is 0 mod 31, so changing any one character changes the sum mod 31
    rng = random.Random(2)
    first = _random_first17(rng)
    code = first + cc.check_char(first)
    for i in range(17):
        for ch in cc.ALPHABET:
            if ch != code[i]:
                assert not cc.is_valid(code[:i] + ch + code[i + 1:]), (i, ch)


def test_make_builds_valid_codes_and_refuses_bad_parts():
    code = cc.make("9", "1", "320412", "MA1NNN2P0")
    assert cc.is_valid(code) and code.startswith("91320412MA1NNN2P0")
    with pytest.raises(cc.CreditCodeError):
        cc.make("9", "1", "320412", "MA1NNNIP0")  # I is not in the alphabet
