"""Dates, absolute and relative, resolved against the publication date.

Absolute: 2025年3月6日, 2025-03-06, 2025.3.6; month and day without a year take the publication year
(11月19日). Relative: 今天/今日/当天, 昨天/昨日, 前天, 明天, 本月, 上月 resolve from the publication date.
A part of day (上午, 下午, 晚上) after a date is kept in the surface text only.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass


@dataclass
class DateMention:
    text: str
    value: str | None  # ISO date (YYYY-MM-DD) or month (YYYY-MM); None when unresolvable
    start: int
    end: int
    precision: str  # day | month | year


_PART = r"(?:上午|下午|中午|晚上|晚间|早上|凌晨|傍晚)?"
_FULL = re.compile(r"(?P<y>(?:19|20)\d{2})\s*年\s*(?P<m>\d{1,2})\s*月(?:\s*(?P<d>\d{1,2})\s*[日号])?" + _PART)
_ISO = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})[-./](?P<m>\d{1,2})[-./](?P<d>\d{1,2})(?!\d)")
_MD = re.compile(r"(?<![\d年])(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]" + _PART)
_YEAR = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*年(?!\s*\d{1,2}\s*月)(?!度?\d)")
_REL = re.compile(r"(今天|今日|当天|当日|昨天|昨日|前天|明天|明日|本月|上月|下月|今年|去年|明年)" + _PART)

_DAY_OFFSETS = {"今天": 0, "今日": 0, "当天": 0, "当日": 0, "昨天": -1, "昨日": -1, "前天": -2, "明天": 1, "明日": 1}


def parse_published(published: str | None) -> dt.date | None:
    """The date part of an ISO publication stamp, or None."""
    if not published:
        return None
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", published.strip())
    if not m:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def _day(y: int, m: int, d: int) -> str | None:
    try:
        return dt.date(y, m, d).isoformat()
    except ValueError:
        return None


def _month_shift(date: dt.date, months: int) -> str:
    total = date.year * 12 + date.month - 1 + months
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


def find_dates(text: str, published: str | None) -> list[DateMention]:
    """Date mentions in ``text`` in order, resolved against ``published``.

    >>> [(d.text, d.value) for d in find_dates("今天上午，11月19日", "2025-11-20T09:00:00+08:00")]
    [('今天上午', '2025-11-20'), ('11月19日', '2025-11-19')]
    """
    pub = parse_published(published)
    out: list[DateMention] = []
    taken: list[tuple[int, int]] = []

    def add(m: re.Match, value: str | None, precision: str) -> None:
        span = (m.start(), m.end())
        if any(s < span[1] and span[0] < e for s, e in taken):
            return
        taken.append(span)
        out.append(DateMention(m.group(0), value, span[0], span[1], precision))

    for m in _FULL.finditer(text):
        y, mo = int(m["y"]), int(m["m"])
        if m["d"]:
            add(m, _day(y, mo, int(m["d"])), "day")
        elif 1 <= mo <= 12:
            add(m, f"{y:04d}-{mo:02d}", "month")
    for m in _ISO.finditer(text):
        add(m, _day(int(m["y"]), int(m["m"]), int(m["d"])), "day")
    for m in _MD.finditer(text):
        add(m, _day(pub.year, int(m["m"]), int(m["d"])) if pub else None, "day")
    for m in _REL.finditer(text):
        word = m.group(1)
        if word in _DAY_OFFSETS:
            add(m, (pub + dt.timedelta(days=_DAY_OFFSETS[word])).isoformat() if pub else None, "day")
        elif word in ("本月", "上月", "下月"):
            add(m, _month_shift(pub, {"本月": 0, "上月": -1, "下月": 1}[word]) if pub else None, "month")
        else:
            add(m, str(pub.year + {"今年": 0, "去年": -1, "明年": 1}[word]) if pub else None, "year")
    for m in _YEAR.finditer(text):
        add(m, m["y"], "year")
    return sorted(out, key=lambda d: d.start)
