"""Messy sheets built by program, the way bureaus' sheets really come (all firms fictional)."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl

from xinlian.registry import creditcode


def code(n: int, region: str = "320412") -> str:
    ident = "MA" + "".join(creditcode.ALPHABET[(n // 31 ** k) % 31] for k in range(6, -1, -1))
    return creditcode.make("9", "1", region, ident)


HEADER = ["统一社会信用代码", "企业名称", "所属区县", "产业链环节", "产值(万元)", "从业人员", "是否专精特新"]


def rows_basic() -> list[list]:
    return [
        [code(1), "星衡微电子(常州)有限公司", "武进区", "功率器件", "1.2亿", "120人", "是"],
        [code(2), "晟拓光学科技有限公司", "常州市武进区", "光学元件", "3,500", 35, "否"],
        [None, "润川封测有限公司", "320412", "封装测试", 800, 60, "否"],
        [code(4, "320583"), "凌睿碳化硅材料有限公司", "昆山市", "碳化硅衬底", "2.5亿元", 300, "是"],
    ]


def write_csv(path: Path, rows: list[list], encoding: str = "utf-8", header=HEADER, preamble: list[list] = ()) -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        for line in preamble:
            w.writerow(line)
        w.writerow(header)
        w.writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list], header=HEADER, title: str | None = None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    if title:
        ws.append([title])
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path
