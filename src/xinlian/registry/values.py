"""Reading the values bureaus type into sheets: amounts with units, dates, yes/no, counts.

Each parser returns a clean Python value or None for a blank, and raises ``ValueProblem`` (a ValueError) whose
message says in Chinese why the value was refused; the importer turns it into a row of the error report.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata

UNITS = {"元": 1.0, "千元": 1e3, "万": 1e4, "万元": 1e4, "十万元": 1e5, "百万": 1e6, "百万元": 1e6, "千万": 1e7,
         "千万元": 1e7, "亿": 1e8, "亿元": 1e8, "万亿": 1e12, "万亿元": 1e12}
BLANKS = {"", "-", "--", "—", "——", "/", "无", "暂无", "n/a", "na", "none", "null", "nan", "不详", "未知"}
_AMOUNT = re.compile(r"^(?:约|超|近|逾|超过|共|合计)?\s*([-+]?\d[\d,，]*(?:\.\d+)?)\s*(万亿|千万|百万|十万|千|万|亿)?\s*(元)?"
                     r"(?:人民币|RMB)?$", re.I)
_TRUE = {"是", "y", "yes", "true", "1", "√", "✓", "☑", "有", "已认定", "是的", "t"}
_FALSE = {"否", "n", "no", "false", "0", "×", "✗", "无", "不是", "未认定", "f"}
EXCEL_EPOCH = dt.date(1899, 12, 30)


class ValueProblem(ValueError):
    pass


def _text(value) -> str:
    return unicodedata.normalize("NFKC", str(value)).strip()


# Short texts (flags, counts, small amounts, node names) repeat on every row of a sheet: their answer is remembered.
_SHORT_BLANK: dict[str, bool] = {}
_SHORT_BLANK_LIMIT = 50_000


def is_blank(value) -> bool:
    if value is None:
        return True
    if type(value) is str:
        if value and value[0] not in " \t\n\r\u3000" and len(value) > 4:
            return False  # the common case, a filled cell, decided without normalising
        blank = _SHORT_BLANK.get(value)
        if blank is None:
            blank = _text(value).lower() in BLANKS
            if len(value) <= 8 and len(_SHORT_BLANK) < _SHORT_BLANK_LIMIT:
                _SHORT_BLANK[value] = blank
        return blank
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and _text(value).lower() in BLANKS


def amount_yuan(value, unit: float = 1.0) -> float | None:
    """An amount in yuan. ``unit`` is the column's unit (1e4 for a 产值(万元) column) for bare numbers.

    >>> amount_yuan("1.2亿"), amount_yuan("3,500万"), amount_yuan(12.5, unit=1e4)
    (120000000.0, 35000000.0, 125000.0)
    """
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueProblem(f"金额不能是是/否值: {value!r}")
    if isinstance(value, (dt.date, dt.time)):
        raise ValueProblem(f"金额不能是日期/时间: {value!r}")
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):  # a hostile or broken file can hold 1e400 or a 400-digit integer
            raise ValueProblem(f"金额超出范围: {str(value)[:40]}")
        return number * unit
    try:
        number = float(value)  # a plain number written as text
    except (ValueError, TypeError, OverflowError):
        pass
    else:
        if not math.isfinite(number):
            raise ValueProblem(f"无法识别的金额 {value!r}")
        return number * unit
    s = _text(value).replace(" ", "")
    m = _AMOUNT.match(s)
    if not m:
        raise ValueProblem(f"无法识别的金额 {value!r}（应为数字，可带单位 元/万元/亿元）")
    number = float(m.group(1).replace(",", "").replace("，", ""))
    if m.group(2):
        return number * UNITS[m.group(2) + "元"]
    return number * (1.0 if m.group(3) else unit)


def count(value) -> int | None:
    """A whole count such as employees or patents ("1,200人", "35项")."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueProblem(f"人数/件数不能是是/否值: {value!r}")
    if isinstance(value, (int, float)):
        try:
            whole = float(value) == int(value)
        except (OverflowError, ValueError):  # inf, or an integer too long for a float
            whole = False
        if not whole or value < 0:
            raise ValueProblem(f"应为非负整数: {str(value)[:40]}")
        return int(value)
    s = _text(value).replace(",", "").replace("，", "")
    m = re.fullmatch(r"(?:约|近|超)?(\d+)(?:\.0+)?\s*(人|名|项|件|个)?", s)
    if not m:
        raise ValueProblem(f"无法识别的整数 {value!r}")
    return int(m.group(1))


def flag(value) -> bool | None:
    """是/否 and its many spellings."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    s = _text(value).lower()
    if s in _TRUE:
        return True
    if s in _FALSE or s in BLANKS:
        return False
    raise ValueProblem(f"应为 是/否: {value!r}")


def date(value) -> dt.date | None:
    """Dates as sheets hold them: date cells, Excel serials, 2023-05-06, 2023/5/6, 2023年5月6日, 2023年5月, 2023.05,
    20230506."""
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 19000101 <= value <= 21001231 and float(value).is_integer():
            return date(str(int(value)))
        if 1 <= value < 2958466:
            return EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise ValueProblem(f"日期序列号超出范围: {value!r}")
    s = _text(value)
    patterns = [
        (r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:\s.*)?", 3),
        (r"(\d{4})(\d{2})(\d{2})", 3),
        (r"(\d{4})[-/.年](\d{1,2})月?", 2),
        (r"(\d{4})年?", 1),
    ]
    for pattern, parts in patterns:
        m = re.fullmatch(pattern, s)
        if m:
            y = int(m.group(1))
            mo = int(m.group(2)) if parts >= 2 else 1
            d = int(m.group(3)) if parts == 3 else 1
            try:
                return dt.date(y, mo, d)
            except ValueError:
                break
    raise ValueProblem(f"无法识别的日期 {value!r}（可写 2023-05-06、2023年5月 或 Excel 日期）")


def text(value) -> str | None:
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _text(value)
