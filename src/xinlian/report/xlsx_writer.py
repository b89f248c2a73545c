"""The briefing as an Excel workbook: a cover sheet, then one sheet per section (一、总体情况 …) holding its text
and its tables with header rows, numbers as numbers (亿元 and 万元 as the column says, with a number format),
dates as dates, and text that could be read as a formula (``=``, ``+``, ``-``, ``@``) escaped with a leading '.

Charts are in the Word and HTML versions; their data are the tables here. The file is byte-stable like the docx.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime, time

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from xinlian.report.model import FORMATS, Briefing, Chart, Paragraph, Table
from xinlian.report.zipfix import stable_zip
from xinlian.store.sheetsafe import safe_cell

__all__ = ["write_xlsx", "safe_text", "sheet_name"]

_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")
HEAD_FILL = PatternFill("solid", fgColor="D9E2F3")
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)


def safe_text(value: str) -> str:
    """Text that Excel will never run as a formula (``store.sheetsafe``)."""
    return safe_cell(value)


def sheet_name(heading: str, used: set[str]) -> str:
    name = _BAD_SHEET.sub("", heading)[:31] or "Sheet"
    base, n = name, 2
    while name in used:
        suffix = f"({n})"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(name)
    return name


def _width(text: str) -> float:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _put(ws, row: int, col: int, value, fmt: str = "text"):
    cell = ws.cell(row=row, column=col)
    if isinstance(value, bool):
        value = "是" if value else "否"
    if value is None:
        cell.value = None
    elif isinstance(value, (int, float)):
        cell.value = value
        cell.number_format = FORMATS.get(fmt, FORMATS["num"])[1]
    elif isinstance(value, (date, datetime)):
        cell.value = value
        cell.number_format = "yyyy-mm-dd"
    else:
        cell.value = safe_text(str(value))
        cell.data_type = "s"
    return cell


def _table(ws, row: int, t: Table, widths: dict[int, float]) -> int:
    ws.cell(row=row, column=1, value=safe_text(t.label)).font = BOLD
    row += 1
    for j, col in enumerate(t.columns, start=1):
        cell = _put(ws, row, j, col.name)
        cell.font, cell.fill = BOLD, HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        widths[j] = max(widths.get(j, 8), min(_width(col.name) + 2, 40))
    row += 1
    for values in t.rows:
        for j, (value, col) in enumerate(zip(values, t.columns), start=1):
            cell = _put(ws, row, j, value, col.fmt)
            if col.fmt == "text":
                text = "" if value is None else str(value)
                widths[j] = max(widths.get(j, 8), min(_width(text) + 2, 60))
                if _width(text) > 58:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
            else:
                widths[j] = max(widths.get(j, 8), 12)
        row += 1
    if t.note:
        ws.cell(row=row, column=1, value=safe_text("注：" + t.note))
        row += 1
    return row + 1


def write_xlsx(b: Briefing) -> bytes:
    """The briefing as .xlsx bytes (the same bytes for the same briefing)."""
    wb = Workbook()
    cover = wb.active
    used: set[str] = set()
    cover.title = sheet_name("简报信息", used)
    rows = [("标题", b.title), ("发布单位", b.issuer), ("日期", b.issued_on), ("报告期", b.period_label),
            ("报告期起止", f"{b.start.isoformat()} 至 {b.end.isoformat()}"), ("对比期", b.previous_period),
            ("产业链", b.chain_name), ("区划代码", b.region), ("地区", b.region_name)]
    rows += [("警告", w) for w in b.warnings]
    rows += [("章节", s.heading) for s in b.sections]
    for i, (k, v) in enumerate(rows, start=1):
        _put(cover, i, 1, k).font = BOLD
        _put(cover, i, 2, v)
    cover.column_dimensions["A"].width = 14
    cover.column_dimensions["B"].width = 70
    for sec in b.sections:
        ws = wb.create_sheet(sheet_name(sec.heading, used))
        ws.cell(row=1, column=1, value=safe_text(sec.heading)).font = TITLE
        row = 3
        widths: dict[int, float] = {1: 14}
        for block in sec.blocks:
            if isinstance(block, Paragraph):
                text = (block.lead + "　" if block.lead else "") + block.text
                _put(ws, row, 1, text)
                row += 1
            elif isinstance(block, Table):
                row += 1
                row = _table(ws, row, block, widths)
            elif isinstance(block, Chart):
                _put(ws, row, 1, f"{block.label}（图见 Word/HTML 版，数据见本页表格）")
                row += 1
        for j, w in widths.items():
            ws.column_dimensions[get_column_letter(j)].width = w
        ws.freeze_panes = "A2"
    moment = datetime.combine(b.end, time(0, 0))
    props = wb.properties
    props.title, props.creator, props.lastModifiedBy = b.title, b.issuer, b.issuer
    props.created = props.modified = moment
    buf = io.BytesIO()
    wb.save(buf)
    return stable_zip(buf.getvalue(), moment)
