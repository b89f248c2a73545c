"""Atheris harness for the sheet reader: bytes written as .csv or .xlsx, read with ``read_sheet`` and every row
iterated, then each cell through the value parsers. Only ``SheetError`` (and ``ValueProblem`` from the value
parsers) may come out; anything else is a bug. Run outside CI (see fuzz/README.md):

    python fuzz/fuzz_sheet.py -atheris_runs=10000
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import zipfile

import atheris

with atheris.instrument_imports(include=["xinlian"]):
    from xinlian.ingest.sheets import SheetError, read_sheet
    from xinlian.registry import values as V

WORKDIR = tempfile.mkdtemp(prefix="xinlian-fuzz-sheet-")
PARTS = ["xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/workbook.xml", "[Content_Types].xml",
         "xl/_rels/workbook.xml.rels", "xl/styles.xml"]


def _seed_xlsx() -> dict[str, bytes]:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["统一社会信用代码", "企业名称", "产值(万元)", "从业人员", "成立日期", "是否专精特新"])
    ws.append(["91320412MA1XXXXXX0", "示例星衡微电子有限公司", "1.2亿", "120人", "2019年5月", "是"])
    ws.append([None, "示例晟拓光学有限公司", 3500, 35, 43500, "否"])
    buf = io.BytesIO()
    wb.save(buf)
    z = zipfile.ZipFile(buf)
    return {n: z.read(n) for n in z.namelist()}


SEED = _seed_xlsx()


def _xlsx_from(fdp: atheris.FuzzedDataProvider) -> bytes:
    """A structurally valid zip whose one part is replaced by fuzz bytes (reaches the XML layer far more often
    than raw bytes do)."""
    part = PARTS[fdp.ConsumeIntInRange(0, len(PARTS) - 1)]
    body = fdp.ConsumeBytes(fdp.remaining_bytes())
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in SEED.items():
            z.writestr(name, body if name == part else data)
    return out.getvalue()


def test_one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    mode = fdp.ConsumeIntInRange(0, 2)
    if mode == 0:
        suffix, payload = ".csv", fdp.ConsumeBytes(fdp.remaining_bytes())
    elif mode == 1:
        suffix, payload = ".xlsx", fdp.ConsumeBytes(fdp.remaining_bytes())
    else:
        suffix, payload = ".xlsx", _xlsx_from(fdp)
    path = os.path.join(WORKDIR, "input" + suffix)
    with open(path, "wb") as fh:
        fh.write(payload)
    try:
        sheet = read_sheet(path)
        for row in sheet.rows:
            for cell in row.cells:
                for parse in (V.amount_yuan, V.count, V.flag, V.date, V.text):
                    try:
                        parse(cell)
                    except V.ValueProblem:
                        pass
    except SheetError:
        pass


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
