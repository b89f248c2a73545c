"""Hostile XLSX files (checklist 17): zip bombs, too many entries, zip-slip names, non-zip files and XML entity
bombs are refused with ``SheetError`` before anything large is inflated or parsed. Files are built by program."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import openpyxl
import pytest

from xinlian.ingest import sheets as S
from xinlian.ingest.sheets import SheetError, check_xlsx, read_sheet


def _good_xlsx() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["统一社会信用代码", "企业名称", "产值(万元)"])
    ws.append([None, "示例星衡微电子有限公司", 1200])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


GOOD = _good_xlsx()


def _rezip(replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(GOOD))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(info.filename, (replace or {}).get(info.filename, src.read(info.filename)))
        for name, body in (add or {}).items():
            z.writestr(name, body)
    return out.getvalue()


def _write(tmp_path: Path, data: bytes, name: str = "upload.xlsx") -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


def _refused(path: Path, match: str) -> None:
    with pytest.raises(SheetError, match=match) as exc:
        check_xlsx(path)
    assert str(path) in str(exc.value)
    with pytest.raises(SheetError, match=match):
        for _ in read_sheet(path).rows:
            pass


def test_a_normal_workbook_passes(tmp_path):
    p = _write(tmp_path, GOOD)
    check_xlsx(p)
    rows = list(read_sheet(p).rows)
    assert rows[0].cells[1] == "示例星衡微电子有限公司"


def test_limits_are_documented_module_constants():
    assert (S.MAX_XLSX_RATIO, S.MAX_XLSX_RATIO_MIN_SIZE, S.MAX_XLSX_ENTRIES) == (100, 1_000_000, 10_000)
    assert 0 < S.MAX_XLSX_UNCOMPRESSED <= 2_000_000_000


def _declare_sizes(data: bytes, size: int) -> bytes:
    """Rewrite every central-directory record's uncompressed size (the lie a zip bomb tells or hides)."""
    buf = bytearray(data)
    pos = buf.find(b"PK\x01\x02")
    while pos != -1:
        struct.pack_into("<I", buf, pos + 24, size)
        pos = buf.find(b"PK\x01\x02", pos + 4)
    return bytes(buf)


def test_declared_uncompressed_total_over_the_cap_is_refused(tmp_path):
    data = _declare_sizes(_rezip(), 0xFFFF0000)  # each member claims ~4 GB
    _refused(_write(tmp_path, data), "超过上限")


def test_highly_compressible_large_member_is_refused(tmp_path):
    # 8 MB of one repeated row deflates to a few KB: ratio far over 100:1 and over 1 MB uncompressed
    filler = b'<row r="1"><c r="A1" t="n"><v>0</v></c></row>' * 180_000
    data = _rezip(add={"xl/media/filler.xml": filler})
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/media/filler.xml")
    assert info.file_size > 1_000_000 and info.file_size / info.compress_size > 100
    _refused(_write(tmp_path, data), "压缩比")


def test_small_compressible_member_is_allowed(tmp_path):
    # the ratio rule only applies above 1 MB: a small, very regular part is normal in real workbooks
    data = _rezip(add={"xl/media/small.xml": b"<a/>" * 200_000})  # 800 KB, ratio > 100:1
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/media/small.xml")
    assert info.file_size < 1_000_000 and info.file_size / info.compress_size > 100
    check_xlsx(_write(tmp_path, data))


def test_too_many_entries_is_refused(tmp_path):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        z.writestr("[Content_Types].xml", b"<Types/>")
        for i in range(S.MAX_XLSX_ENTRIES + 1):
            z.writestr(f"xl/junk/{i}.xml", b"")
    _refused(_write(tmp_path, out.getvalue()), "个文件")


@pytest.mark.parametrize("name", ["../../evil.xml", "/etc/cron.d/evil", "xl/../../evil.xml", "..\\..\\evil.xml",
                                  "C:/Windows/evil.xml"])
def test_zip_slip_names_are_refused(tmp_path, name):
    _refused(_write(tmp_path, _rezip(add={name: b"<x/>"})), "非法路径")


@pytest.mark.parametrize("body", [b"", b"not a zip at all", "统一社会信用代码,企业名称\n".encode("utf-8"),
                                  b"PK\x03\x04" + b"\x00" * 40, GOOD[: len(GOOD) // 2]])
def test_non_zip_or_truncated_xlsx_is_refused(tmp_path, body):
    _refused(_write(tmp_path, body), "XLSX")


def test_zip_without_content_types_is_refused(tmp_path):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("hello.txt", "hi")
    _refused(_write(tmp_path, out.getvalue()), "Content_Types")


LAUGHS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<!DOCTYPE worksheet [
 <!ENTITY a "haha">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
 <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
 <!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">
]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>企业名称</t></is></c></row>
<row r="2"><c r="A2" t="inlineStr"><is><t>&h;</t></is></c></row>
</sheetData></worksheet>""".encode("utf-8")

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE sst [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>&x;</t></si></sst>"""


def test_entity_bomb_in_the_sheet_is_refused(tmp_path):
    p = _write(tmp_path, _rezip({"xl/worksheets/sheet1.xml": LAUGHS}))
    # the zip itself is small and well formed: the DTD in the part's prolog is what gets it refused
    _refused(p, "实体/DTD")


def test_entity_bomb_in_the_workbook_part_is_refused(tmp_path):
    wb_xml = zipfile.ZipFile(io.BytesIO(GOOD)).read("xl/workbook.xml")
    bomb = (b'<?xml version="1.0"?>\n<!-- a comment first -->\n'
            b'<!DOCTYPE workbook [<!ENTITY a "x"><!ENTITY b "&a;&a;&a;&a;">]>\n' + wb_xml)
    _refused(_write(tmp_path, _rezip({"xl/workbook.xml": bomb})), "实体/DTD")


def test_utf16_part_with_a_dtd_is_refused(tmp_path):
    rels = zipfile.ZipFile(io.BytesIO(GOOD)).read("_rels/.rels").decode("utf-8")
    bomb = ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY a "x">]>' + rels.split("?>", 1)[-1])
    _refused(_write(tmp_path, _rezip({"_rels/.rels": bomb.encode("utf-16")})), "实体/DTD")


def test_external_entity_in_shared_strings_is_refused(tmp_path):
    names = zipfile.ZipFile(io.BytesIO(GOOD)).namelist()
    part = "xl/sharedStrings.xml" if "xl/sharedStrings.xml" in names else "xl/worksheets/sheet1.xml"
    _refused(_write(tmp_path, _rezip({part: XXE})), "实体/DTD")


def test_missing_sheet_name_is_a_sheet_error(tmp_path):
    with pytest.raises(SheetError, match="没有名为"):
        read_sheet(_write(tmp_path, GOOD), sheet_name="不存在")
