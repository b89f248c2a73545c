"""The briefing as plain data: sections of paragraphs, tables and charts, which every writer (Word, Excel, HTML)
renders the same way, so the three formats say the same thing.

Numbers stay numbers: a table cell holds an ``int``/``float`` (money already in the unit its column names, 万元 or
亿元), text, a ``date`` or ``None``; each column says how to show it (``Column.fmt``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Union

__all__ = ["Column", "Table", "Paragraph", "Chart", "Section", "Briefing", "Block", "FORMATS", "show"]

# fmt -> (Python format for text, Excel number format)
FORMATS: dict[str, tuple[str, str]] = {
    "text": ("{}", "@"),
    "int": ("{:,.0f}", "#,##0"),
    "yi": ("{:,.2f}", "#,##0.00"),  # 亿元
    "wan": ("{:,.0f}", "#,##0"),  # 万元
    "num": ("{:,.2f}", "#,##0.00"),
    "pct": ("{:.1%}", "0.0%"),  # a fraction shown as a percentage
    "signed_int": ("{:+,.0f}", "+#,##0;-#,##0;0"),
    "signed_pct": ("{:+.1%}", "+0.0%;-0.0%;0.0%"),
    "date": ("{}", "yyyy-mm-dd"),
}


def show(value: Any, fmt: str) -> str:
    """A cell as text (Word and HTML): numbers in the column's format, None as a dash."""
    if value is None or value == "":
        return "—"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return FORMATS.get(fmt, FORMATS["num"])[0].format(value)
    return str(value)


@dataclass
class Column:
    name: str
    fmt: str = "text"
    wide: bool = False  # long text (evidence, reasons): the writers give it most of the width

    def __post_init__(self) -> None:
        if self.fmt not in FORMATS:
            raise ValueError(f"unknown column format {self.fmt!r}")


@dataclass
class Table:
    caption: str
    columns: list[Column]
    rows: list[list[Any]]
    number: int = 0  # 表1, 表2 … across the briefing; set by the orchestrator
    note: str | None = None

    @property
    def headers(self) -> list[str]:
        return [c.name for c in self.columns]

    def shown(self) -> list[list[str]]:
        return [[show(v, c.fmt) for v, c in zip(row, self.columns)] for row in self.rows]

    @property
    def label(self) -> str:
        return f"表{self.number}　{self.caption}" if self.number else self.caption


@dataclass
class Paragraph:
    text: str
    lead: str | None = None  # a bold run-in heading: （一）新增项目


@dataclass
class Chart:
    kind: str  # stage_bars | verdict_map | funnel | event_types
    caption: str
    data: dict
    number: int = 0  # 图1, 图2 …

    @property
    def label(self) -> str:
        return f"图{self.number}　{self.caption}" if self.number else self.caption


Block = Union[Paragraph, Table, Chart]


@dataclass
class Section:
    key: str  # overview | chain | projects | news | visits | targets
    number: str  # 一 二 三 …
    title: str
    blocks: list[Block] = field(default_factory=list)
    available: bool = True  # False: its data source is not installed; blocks hold one line saying so

    @property
    def heading(self) -> str:
        return f"{self.number}、{self.title}"

    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]

    def charts(self) -> list[Chart]:
        return [b for b in self.blocks if isinstance(b, Chart)]


@dataclass
class Briefing:
    title: str
    chain: str
    chain_name: str
    region: str
    region_name: str
    period: str  # 2025-03
    period_label: str  # 2025年3月
    previous_period: str
    start: date
    end: date
    issuer: str
    issued_on: date
    sections: list[Section]
    warnings: list[str] = field(default_factory=list)
    headline: dict = field(default_factory=dict)  # the figures of section 一, for tests and the web page

    @property
    def date_line(self) -> str:
        d = self.issued_on
        return f"{self.issuer}　　{d.year}年{d.month}月{d.day}日"

    @property
    def filename_stem(self) -> str:
        return f"{self.region_name}{self.chain_name}研判简报_{self.period}"

    def section(self, key: str) -> Section:
        for s in self.sections:
            if s.key == key:
                return s
        raise KeyError(key)

    def tables(self) -> list[Table]:
        return [t for s in self.sections for t in s.tables()]

    def charts(self) -> list[Chart]:
        return [c for s in self.sections for c in s.charts()]
