"""Inputs that fuzzing (hypothesis here, atheris in fuzz/) made a parser raise an undeclared error; each is now
refused with the declared error, or read."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import openpyxl
import pytest

from xinlian.ingest.sheets import SheetError, read_sheet
from xinlian.registry import values as V


@pytest.mark.parametrize("value", [dt.date(2000, 1, 1), dt.datetime(2000, 1, 1, 8), dt.time(9, 30), float("inf"),
                                   float("-inf"), 10 ** 400, [1]])
def test_amount_of_odd_cell_types_is_a_value_problem(value):
    # was TypeError (a date cell in an amount column) or OverflowError (1e400 / a 400-digit integer in an xlsx)
    with pytest.raises(V.ValueProblem):
        V.amount_yuan(value)


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), 10 ** 400, 1.5])
def test_count_of_infinite_or_huge_numbers_is_a_value_problem(value):
    with pytest.raises(V.ValueProblem):  # was OverflowError for inf and 10**400
        V.count(value)


def test_ordinary_amounts_still_parse():
    assert V.amount_yuan(12.5, unit=1e4) == 125000.0 and V.amount_yuan("1.2亿") == 1.2e8
    assert V.count(35.0) == 35 and V.count("1,200人") == 1200


def _read_all(path):
    return [r.cells for r in read_sheet(path).rows]


@pytest.mark.parametrize("raw", [b"\x80", b"\xff", "企业名称\n".encode("utf-8")[:-2] + b"\x80"])
def test_short_csv_with_invalid_utf8_is_read_as_another_encoding_or_refused(tmp_path, raw):
    # was UnicodeDecodeError: a one-byte file was taken for UTF-8 "cut at the end of the sample"
    p = tmp_path / "x.csv"
    p.write_bytes(raw)
    with pytest.raises(SheetError):
        _read_all(p)


def test_csv_with_nul_bytes_is_a_sheet_error(tmp_path):
    p = tmp_path / "nul.csv"
    p.write_bytes("企业名称,产值(万元)\n示例公司,1\x002\n".encode("utf-8"))
    try:
        _read_all(p)
    except SheetError as exc:
        assert "nul.csv" in str(exc)


def test_utf16_csv_cut_in_half_a_character_is_a_sheet_error(tmp_path):
    p = tmp_path / "u16.csv"
    p.write_bytes("企业名称,产值\n示例公司,1\n".encode("utf-16") + b"\x00")
    try:
        rows = _read_all(p)
        assert rows  # read (with a replacement) is fine too; a UnicodeDecodeError is not
    except SheetError as exc:
        assert "u16.csv" in str(exc)


def test_xlsx_member_with_a_bad_crc_is_a_sheet_error(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["企业名称", "产值(万元)"])
    wb.active.append(["示例公司", 1])
    buf = io.BytesIO()
    wb.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:  # stored, so a flipped byte is a CRC error
        for info in src.infolist():
            z.writestr(info.filename, src.read(info.filename))
    data = bytearray(out.getvalue())
    at = data.find(b"<sheetData>")
    assert at > 0
    data[at + 1] ^= 0x01  # "sheetData" -> "rheetData" inside the stored member: the CRC no longer matches
    p = tmp_path / "crc.xlsx"
    p.write_bytes(bytes(data))
    with pytest.raises(SheetError, match="crc.xlsx"):
        _read_all(p)
