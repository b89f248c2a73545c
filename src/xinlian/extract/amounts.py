"""Amounts of money, converted to yuan where the currency is 人民币.

总投资426亿元 -> 4.26e10; 超6亿元融资; 3,500万元; 1.2亿 (no currency: taken as yuan only when money is
the topic of the sentence); 5000万美元 keeps currency USD and has no yuan value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = {"万亿": 1e12, "千亿": 1e11, "百亿": 1e10, "亿": 1e8, "千万": 1e7, "百万": 1e6, "万": 1e4, "千": 1e3, "": 1.0}
_CURRENCY = {"元": "CNY", "人民币": "CNY", "元人民币": "CNY", "美元": "USD", "港元": "HKD", "港币": "HKD",
             "欧元": "EUR", "日元": "JPY", "英镑": "GBP"}
_NUMBER = r"(?P<n>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
_AMOUNT = re.compile(
    r"(?P<q>超过|超|逾|近|约|将近|高达|达|总计|合计|累计)?" + _NUMBER + r"\s*(?P<u>万亿|千亿|百亿|亿|千万|百万|万|千)?"
    r"\s*(?P<c>元人民币|人民币|美元|港元|港币|欧元|日元|英镑|元)?"
)
_MONEY_CONTEXT = ("融资", "投资", "募资", "募集", "资金", "估值", "营收", "销售额", "产值", "基金", "金额", "注册资本")


@dataclass
class Amount:
    text: str
    value: float
    currency: str
    yuan: float | None
    start: int
    end: int
    qualifier: str | None = None  # 超, 近, 约 ...


def find_amounts(text: str) -> list[Amount]:
    """Money amounts in ``text`` in order.

    >>> [(a.text, a.yuan) for a in find_amounts("项目总投资426亿元，其中3,500万元")]
    [('426亿元', 42600000000.0), ('3,500万元', 35000000.0)]
    """
    out: list[Amount] = []
    for m in _AMOUNT.finditer(text):
        unit, cur = m["u"] or "", m["c"]
        if not cur:
            if unit not in ("亿", "万亿", "千万", "百万"):
                continue
            nxt = text[m.end():m.end() + 1]
            window = text[max(0, m.start() - 12):m.end() + 6]
            if (nxt and "\u4e00" <= nxt <= "\u9fff" and nxt not in "融投规级的") or not any(w in window for w in _MONEY_CONTEXT):
                continue
            cur = "元"
        value = float(m["n"].replace(",", "")) * _UNITS[unit]
        currency = _CURRENCY[cur]
        start = m.start("n")
        out.append(Amount(text[start:m.end()], value, currency, value if currency == "CNY" else None, start, m.end(), m["q"]))
    return out
