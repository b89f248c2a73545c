import datetime as dt

import pytest

from xinlian.registry import values as v


@pytest.mark.parametrize("raw, unit, expected", [
    ("1.2亿", 1, 1.2e8), ("3,500万", 1, 3.5e7), ("426亿元", 1, 4.26e10), ("超6亿元", 1, 6e8), (12.5, 1e4, 125000.0),
    ("5000", 1e4, 5e7), ("5000元", 1e4, 5000.0), ("1，200.5万元", 1, 12005000.0), (None, 1e4, None), ("—", 1, None),
    ("约3千万", 1, 3e7),
])
def test_amounts_in_yuan(raw, unit, expected):
    assert v.amount_yuan(raw, unit) == pytest.approx(expected) if expected is not None else v.amount_yuan(raw, unit) is None


@pytest.mark.parametrize("raw", ["一亿", "12abc", "1.2.3万", True])
def test_bad_amounts_say_why(raw):
    with pytest.raises(v.ValueProblem):
        v.amount_yuan(raw)


@pytest.mark.parametrize("raw, expected", [
    (45000, dt.date(2023, 3, 15)), ("2023年5月", dt.date(2023, 5, 1)), ("2023-05-06", dt.date(2023, 5, 6)),
    ("2023/5/6", dt.date(2023, 5, 6)), ("2023.05", dt.date(2023, 5, 1)), (20230506, dt.date(2023, 5, 6)),
    ("2023年5月6日", dt.date(2023, 5, 6)), (dt.datetime(2020, 1, 2, 3, 4), dt.date(2020, 1, 2)), ("", None),
])
def test_dates(raw, expected):
    assert v.date(raw) == expected


@pytest.mark.parametrize("raw", ["2023-13-01", "去年", 9999999999])
def test_bad_dates(raw):
    with pytest.raises(v.ValueProblem):
        v.date(raw)


@pytest.mark.parametrize("raw, expected", [("是", True), ("否", False), ("√", True), ("Y", True), (0, False),
                                           (None, None), ("", None)])
def test_flags(raw, expected):
    assert v.flag(raw) is expected


def test_counts():
    assert v.count("1,200人") == 1200
    assert v.count(35.0) == 35
    with pytest.raises(v.ValueProblem):
        v.count(3.5)


@pytest.mark.parametrize("raw", ["inf", "-Infinity", "1e400"])
def test_infinite_amounts_are_refused(raw):
    with pytest.raises(v.ValueProblem):
        v.amount_yuan(raw)
