"""Parser robustness (checklist 30): hostile or random input raises only the parser's declared error.

Bounded for CI (a few dozen examples each, generous per-input deadlines: the point is "no unexpected exception"
and "no input takes seconds"; speed lives in bench/). The atheris harnesses in ``fuzz/`` run the same targets for longer, outside CI.
"""

from __future__ import annotations

import io
import tempfile
from datetime import timedelta
import zipfile
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xinlian.extract.pipeline import extract
from xinlian.ingest.sheets import SheetError, read_sheet
from xinlian.registry import values as V
from xinlian.registry.creditcode import CreditCodeError, validate

# Deadlines are generous on purpose: they only catch a pathological input (a regex that backtracks for seconds),
# never a slow CI machine. Speed itself is measured in bench/, not here.
_QUIET = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
BOUNDED = settings(max_examples=80, deadline=timedelta(seconds=5), suppress_health_check=_QUIET)
SLOW = settings(max_examples=40, deadline=timedelta(seconds=20), suppress_health_check=_QUIET)

# Cell values as sheets hold them, plus the odd ones: numbers, NaN and inf, dates, bools, CJK units, junk.
_CELL_TEXT = st.text(st.one_of(st.sampled_from(list("0123456789.,，-+约超亿万千百元人项是否年月日/ \u3000eE")),
                               st.characters()), max_size=40)
CELLS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                  st.dates(), st.datetimes(), _CELL_TEXT)


def _only(problem_type, fn, *args):
    try:
        fn(*args)
    except problem_type:
        pass


@BOUNDED
@given(CELLS, st.sampled_from([1.0, 1e4, 1e8]))
def test_amount_yuan_raises_only_value_problem(value, unit):
    _only(V.ValueProblem, V.amount_yuan, value, unit)


@BOUNDED
@given(CELLS)
def test_date_count_flag_raise_only_value_problem(value):
    for fn in (V.date, V.count, V.flag):
        _only(V.ValueProblem, fn, value)


@BOUNDED
@given(st.one_of(st.text(max_size=30), st.text(st.sampled_from("0123456789ABCDEFGHJKLMNPQRTUWXYIOZSV -－ｍａ"),
                                               min_size=16, max_size=20)))
def test_credit_code_validate_raises_only_credit_code_error(code):
    _only(CreditCodeError, validate, code)


def _read_all(path: Path) -> None:
    try:
        sheet = read_sheet(path)
        for _ in sheet.rows:
            pass
    except SheetError:
        pass


def _tmp(suffix: str, data: bytes) -> Path:
    d = Path(tempfile.mkdtemp(prefix="xl-fuzz-"))
    p = d / f"input{suffix}"
    p.write_bytes(data)
    return p


_HEADER = "统一社会信用代码,企业名称,产值(万元),从业人员\n".encode("utf-8")


@SLOW
@given(st.binary(max_size=3000), st.booleans())
def test_read_sheet_csv_bytes_raise_only_sheet_error(raw, with_header):
    _read_all(_tmp(".csv", (_HEADER if with_header else b"") + raw))


@SLOW
@given(st.binary(max_size=2000))
def test_read_sheet_xlsx_random_bytes_raise_only_sheet_error(raw):
    _read_all(_tmp(".xlsx", raw))


def _valid_xlsx() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["统一社会信用代码", "企业名称", "产值(万元)", "从业人员"])
    ws.append(["91320412MA1XXXXXX0", "星衡微电子有限公司", 1200, 35])
    ws.append([None, "晟拓光学科技有限公司", "=B2", "1,200人"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


_GOOD = _valid_xlsx()


@SLOW
@given(st.lists(st.tuples(st.integers(0, len(_GOOD) - 1), st.integers(0, 255)), min_size=1, max_size=12),
       st.integers(0, len(_GOOD)))
def test_read_sheet_mutated_xlsx_raises_only_sheet_error(flips, cut):
    data = bytearray(_GOOD)
    for pos, byte in flips:
        data[pos] = byte
    _read_all(_tmp(".xlsx", bytes(data[: max(cut, 30)])))


def _rezip(replace: dict[str, bytes]) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(_GOOD))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(info.filename, replace.get(info.filename, src.read(info.filename)))
    return out.getvalue()


_XMLISH = st.lists(st.one_of(st.sampled_from(["<", ">", "/", "=", '"', "row", "c", "v", "r=\"A1\"", "t=\"s\"",
                                             "<sheetData>", "</sheetData>", "<row r=\"1\">", "<c r=\"A1\">",
                                             "<v>", "</v>", "&amp;", "&#0;", "999999999", "-1", "XFD1048577"]),
                            st.characters(codec="utf-8")), max_size=80).map(lambda xs: "".join(xs).encode("utf-8"))


@SLOW
@given(st.sampled_from(["xl/worksheets/sheet1.xml", "xl/workbook.xml", "[Content_Types].xml",
                        "xl/_rels/workbook.xml.rels", "xl/styles.xml", "docProps/app.xml"]), _XMLISH)
def test_read_sheet_xlsx_with_garbage_part_raises_only_sheet_error(part, body):
    _read_all(_tmp(".xlsx", _rezip({part: body})))


_ARTICLE = st.lists(st.one_of(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
                             st.sampled_from(["有限公司", "集团", "股份", "亿元", "万元", "签约", "落户", "项目", "区长",
                                              "书记", "江苏省", "常州市", "武进区", "2024年3月5日", "昨天", "（", "）",
                                              "“", "”", "\n", "，", "。", "12.5", "芯片", "晶圆"]),
                             st.characters()), max_size=200).map("".join)


@SLOW
@given(_ARTICLE, st.one_of(st.none(), st.sampled_from(["2024-03-05", "2024-03-05T09:30:00", "not a date", ""])))
def test_extract_never_raises(text, published):
    out = extract(text, published=published)
    assert out is not None
