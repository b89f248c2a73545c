"""Report periods: a month (``2025-03``), a quarter (``2025-Q1``) or a year (``2025``), their first and last days,
their Chinese label and the period before.

    >>> p = parse_period("2025-Q1")
    >>> (p.start.isoformat(), p.end.isoformat(), p.label, p.previous().key)
    ('2025-01-01', '2025-03-31', '2025年第一季度', '2024-Q4')
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

__all__ = ["Period", "parse_period", "PeriodError"]

_QUARTER_ZH = {1: "一", 2: "二", 3: "三", 4: "四"}


class PeriodError(ValueError):
    """A period that cannot be read; the message says which forms are accepted."""


@dataclass(frozen=True)
class Period:
    kind: str  # month | quarter | year
    year: int
    number: int  # month 1-12, quarter 1-4, or 1 for a year

    @property
    def key(self) -> str:
        if self.kind == "month":
            return f"{self.year:04d}-{self.number:02d}"
        if self.kind == "quarter":
            return f"{self.year:04d}-Q{self.number}"
        return f"{self.year:04d}"

    @property
    def start(self) -> date:
        if self.kind == "month":
            return date(self.year, self.number, 1)
        if self.kind == "quarter":
            return date(self.year, 3 * self.number - 2, 1)
        return date(self.year, 1, 1)

    @property
    def end(self) -> date:
        if self.kind == "month":
            return date(self.year, self.number, calendar.monthrange(self.year, self.number)[1])
        if self.kind == "quarter":
            month = 3 * self.number
            return date(self.year, month, calendar.monthrange(self.year, month)[1])
        return date(self.year, 12, 31)

    @property
    def label(self) -> str:
        """The period as a briefing title says it: 2025年3月, 2025年第一季度, 2025年."""
        if self.kind == "month":
            return f"{self.year}年{self.number}月"
        if self.kind == "quarter":
            return f"{self.year}年第{_QUARTER_ZH[self.number]}季度"
        return f"{self.year}年"

    @property
    def word(self) -> str:
        """本月 / 本季度 / 本年度: how the text refers to the period."""
        return {"month": "本月", "quarter": "本季度", "year": "本年度"}[self.kind]

    @property
    def previous_word(self) -> str:
        return {"month": "上月", "quarter": "上季度", "year": "上年度"}[self.kind]

    def previous(self) -> "Period":
        if self.kind == "month":
            index = self.year * 12 + self.number - 2
            return Period("month", index // 12, index % 12 + 1)
        if self.kind == "quarter":
            index = self.year * 4 + self.number - 2
            return Period("quarter", index // 4, index % 4 + 1)
        return Period("year", self.year - 1, 1)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def __str__(self) -> str:
        return self.key


_FORMS = [
    (re.compile(r"^(\d{4})-(\d{1,2})$"), "month"),
    (re.compile(r"^(\d{4})年(\d{1,2})月$"), "month"),
    (re.compile(r"^(\d{4})-?[Qq]([1-4])$"), "quarter"),
    (re.compile(r"^(\d{4})$"), "year"),
    (re.compile(r"^(\d{4})年$"), "year"),
]


def parse_period(value: "str | Period") -> Period:
    """A ``Period`` from ``2025-03`` / ``2025年3月``, ``2025-Q1`` / ``2025Q1``, or ``2025`` / ``2025年``."""
    if isinstance(value, Period):
        return value
    text = str(value).strip()
    for pattern, kind in _FORMS:
        m = pattern.match(text)
        if not m:
            continue
        year = int(m.group(1))
        number = int(m.group(2)) if kind != "year" else 1
        if kind == "month" and not 1 <= number <= 12:
            break
        if not 1900 <= year <= 2999:
            break
        return Period(kind, year, number)
    raise PeriodError(f"无法识别的报告期 {value!r}：应为月份 2025-03、季度 2025-Q1 或年份 2025 "
                      f"(period must be YYYY-MM, YYYY-Qn or YYYY)")
