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
