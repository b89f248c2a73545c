"""Dates, amounts, places."""

from __future__ import annotations

import pytest

from xinlian.extract.amounts import find_amounts
from xinlian.extract.dates import find_dates
from xinlian.extract.places import find_places, region_matcher

PUB = "2025-03-06T20:22:49+08:00"


@pytest.mark.parametrize(
    "text, value",
    [
        ("今天上午", "2025-03-06"), ("今日", "2025-03-06"), ("昨天", "2025-03-05"), ("前天", "2025-03-04"),
        ("本月", "2025-03"), ("上月", "2025-02"), ("11月19日", "2025-11-19"), ("2024年3月6日上午", "2024-03-06"),
        ("3月6日上午", "2025-03-06"), ("2025-03-01", "2025-03-01"), ("去年", "2024"),
    ],
)
def test_dates(text, value):
    found = find_dates(text, PUB)
    assert [(d.text, d.value) for d in found] == [(text, value)]


def test_relative_dates_without_publication_are_unresolved():
    assert [d.value for d in find_dates("今天上午，3月6日", None)] == [None, None]


def test_impossible_dates_are_unresolved():
    assert [d.value for d in find_dates("2025年2月30日", PUB)] == [None]


@pytest.mark.parametrize(
    "text, yuan, currency",
    [
        ("总投资426亿元", 4.26e10, "CNY"), ("完成超6亿元融资", 6e8, "CNY"), ("合同金额3,500万元", 3.5e7, "CNY"),
        ("获得融资1.2亿", 1.2e8, "CNY"), ("5000万美元", None, "USD"),
    ],
)
def test_amounts(text, yuan, currency):
    (a,) = find_amounts(text)
    assert a.yuan == yuan and a.currency == currency and a.text in text


def test_quantities_are_not_money():
    assert find_amounts("年产50万片碳化硅衬底，占地200亩，2025年") == []


def test_places_prefer_the_article_region():
    if region_matcher() is None:
        pytest.skip("region registry (xinlian.registry.regions) not available yet")
    text = "武进芯片产业正处于关键期"
    assert [(p.name, p.admin_code) for p in find_places(text, [], context=["320412"])] == [("武进", "320412")]
    # a county short name with no context of its own region is not taken as a place
    assert find_places(text, [], context=["110105"]) == []
    # full names always count; names inside organisations do not
    assert [p.name for p in find_places("常州亦泓科技有限公司位于江苏省常州市", [(0, 10)])] == ["江苏省", "常州市"]
