"""One rule for every spreadsheet xinlian writes: text a spreadsheet could run as a formula is written as text.

Excel, WPS and LibreOffice treat a cell starting with = + - @ (and, after a paste or CSV import, a leading tab, CR,
LF or NUL) as a formula; a firm name scraped from a page could then run ``=cmd|' /C calc'!A0`` or leak data through
``=HYPERLINK``. ``safe_cell`` puts an apostrophe in front (OWASP's advice; ASVS 5.0 1.2.10). Numbers, dates and
``None`` pass unchanged, so sums and sorting keep working.
"""

from __future__ import annotations

from typing import Any

DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")


def safe_cell(value: Any) -> Any:
    """``value`` unchanged unless it is text a spreadsheet could take for a formula; then ``"'" + value``.

    >>> safe_cell("=1+1"), safe_cell("示例公司"), safe_cell(-3)
    ("'=1+1", '示例公司', -3)
    """
    if isinstance(value, str) and value.startswith(DANGEROUS_START):
        return "'" + value
    return value


def unsafe_cell(value: Any) -> Any:
    """Undo ``safe_cell`` when a file xinlian wrote is read back: ``'=x`` is the text ``=x``."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(DANGEROUS_START):
        return value[1:]
    return value


def write_rows(path, header: list[str], rows, *, sheet_title: str, title: str | None = None):
    """Write a table as CSV (UTF-8 with BOM, so Excel and WPS open it) or XLSX, by the file suffix; every text cell
    goes through ``safe_cell``. ``title`` is an optional first line above the header (XLSX only). Returns the path."""
    import csv
    from pathlib import Path

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    safe = [[safe_cell(v) for v in row] for row in rows]
    if path.suffix.lower() == ".xlsx":
        import openpyxl

        wb = openpyxl.Workbook(write_only=True)
        ws = wb.create_sheet(sheet_title)
        if title:
            ws.append([title])
        ws.append(header)
        for row in safe:
            ws.append(row)
        wb.save(path)
    else:
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(safe)
    return path
