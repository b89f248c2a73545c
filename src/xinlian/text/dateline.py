"""Stage 6: publication time, outlet (来源) and author from Chinese datelines and meta tags.

Datelines come in many shapes: ``时间:2025-03-06 20:22:49  来源:武进新闻  作者:阳湖网``, ``发布日期:2024-04-19``,
``2025年3月6日 08:30``, ``2024/09/29``, ``2024.09.29``, ``13.02.2017``. Times are Beijing time (Asia/Shanghai has
had no daylight saving since 1991, so a fixed +08:00 is exact). A time gives ``YYYY-MM-DDTHH:MM:SS+08:00``, a bare
date gives ``YYYY-MM-DD``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

_SEP = r"\s*[:：]\s*"
_YMD = re.compile(
    r"(?<!\d)((?:19|20)\d{2})\s*(?:[-/.]|年)\s*(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})(?!\d)\s*日?"
    r"(?:\s*(?:T|\s)?\s*(\d{1,2})\s*[:：时]\s*(\d{2})(?:\s*[:：分]\s*(\d{2}))?)?"
)
_DMY = re.compile(r"(?<![\d.])(\d{1,2})\.(\d{1,2})\.((?:19|20)\d{2})(?![\d.])")
_DATE_LABEL = re.compile(r"(?:发布|发表|更新|录入|上传)?(?:时间|日期)" + _SEP)
_STOP = r"(?=\s{2,}|\s*[|丨│]|\s+(?:作者|记者|编辑|责任编辑|通讯员|来源|时间|发布|浏览|阅读|点击|字号)|$)"
_OUTLET = re.compile(r"(?:来源|稿源|出处|来自)" + _SEP + r"(\S[^\n]{0,30}?)" + _STOP)
_AUTHOR = re.compile(r"(?<!责任)(?:作者|记者|通讯员|撰文|文|编辑)" + _SEP + r"(\S[^\n]{0,30}?)" + _STOP)
_EDITOR = re.compile(r"责任编辑" + _SEP + r"(\S[^\n]{0,20}?)" + _STOP)
_LABELS = re.compile(r"(?:来源|稿源|作者|记者|编辑|责任编辑|通讯员|发布时间|发布日期|时间|日期|浏览|阅读|点击)\s*[:：]")

# Meta tags that carry a publication time, most specific first.
META_KEYS = (
    "article:published_time",
    "firstpublishedtime",
    "publishtime",
    "publish_time",
    "ptime",
    "og:article:published_time",
    "og:release_date",
    "datepublished",
    "pubdate",
    "publishdate",
    "publish_date",
    "publish-date",
    "publication_date",
    "sailthru.date",
    "dc.date.issued",
    "dc.date",
    "date",
)
_ISO = re.compile(
    r"((?:19|20)\d{2})-(\d{2})-(\d{2})(?:[T -](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})?)?"
)


@dataclass
class Dateline:
    """What a dateline says; any field may be None."""

    published: str | None = None
    outlet: str | None = None
    author: str | None = None


def _iso(y: int, mo: int, d: int, h: int | None = None, mi: int | None = None, s: int | None = None) -> str | None:
    try:
        if h is None:
            return datetime(y, mo, d).date().isoformat()
        return datetime(y, mo, d, h, mi or 0, s or 0, tzinfo=SHANGHAI).isoformat()
    except ValueError:
        return None


def find_date(text: str) -> tuple[str | None, re.Match[str] | None]:
    """The first plausible date (with time when given) in ``text`` as ISO 8601, and the match it came from."""
    for m in _YMD.finditer(text):
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        h = int(m.group(4)) if m.group(4) else None
        mi = int(m.group(5)) if m.group(5) else None
        s = int(m.group(6)) if m.group(6) else None
        if h is not None and (h > 23 or (mi or 0) > 59 or (s or 0) > 59):
            h = mi = s = None
        iso = _iso(y, mo, d, h, mi, s)
        if iso:
            return iso, m
    for m in _DMY.finditer(text):
        iso = _iso(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        if iso:
            return iso, m
    return None, None


def parse_meta_time(value: str) -> str | None:
    """An ISO-like meta value (``2019-09-07T10:00:00Z``, ``2019-09-07 10:00``) in Beijing time."""
    m = _ISO.search(value or "")
    if not m:
        published, _ = find_date(value or "")
        return published
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not m.group(4):
        return _iso(y, mo, d)
    h, mi, s = int(m.group(4)), int(m.group(5)), int(m.group(6) or 0)
    zone = m.group(7)
    try:
        if zone:
            if zone == "Z":
                tz = timezone.utc
            else:
                sign = 1 if zone[0] == "+" else -1
                digits = zone[1:].replace(":", "")
                tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4])))
            return datetime(y, mo, d, h, mi, s, tzinfo=tz).astimezone(SHANGHAI).isoformat()
        return datetime(y, mo, d, h, mi, s, tzinfo=SHANGHAI).isoformat()
    except ValueError:
        return None


def _clean_name(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip(" \u3000:：|丨()（）[]【】")
    return value or None


def parse(line: str) -> Dateline:
    """Read a dateline.

    >>> parse("时间:2025-03-06 20:22:49  来源:武进新闻  作者:阳湖网")
    Dateline(published='2025-03-06T20:22:49+08:00', outlet='武进新闻', author='阳湖网')
    """
    published, _ = find_date(line)
    outlet = _OUTLET.search(line)
    author = _AUTHOR.search(line)
    return Dateline(
        published,
        _clean_name(outlet.group(1)) if outlet else None,
        _clean_name(author.group(1)) if author else None,
    )


def editor(line: str) -> str | None:
    """The name on a ``责任编辑:`` line, if it is one."""
    m = _EDITOR.search(line)
    return _clean_name(m.group(1)) if m else None


def is_dateline(line: str) -> bool:
    """True for a short line that is a dateline (a date with labels, or labels like 来源/作者 alone)."""
    s = line.strip()
    if not s or len(s) > 120:
        return False
    published, m = find_date(s)
    labels = len(_LABELS.findall(s))
    if published and m is not None:
        rest = (s[: m.start()] + s[m.end() :]).strip()
        if labels or _DATE_LABEL.search(s):
            return True
        # A bare date (perhaps with a weekday or a short source) on its own line.
        return len(rest) <= 12 and not re.search(r"[。！？!?]", rest)
    return labels >= 2 and len(s) <= 80 and not re.search(r"[。！？]", s)
