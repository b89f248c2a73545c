"""Reading bureaus' sheets: CSV in UTF-8, UTF-8 with BOM or GB18030/GBK, and XLSX.

``read_sheet(path)`` yields a ``Sheet`` with the detected header and an iterator of ``Row(number, cells)`` where
``number`` is the row number a person sees in Excel. Header rows are found by matching known column names
(``data/lexicons/sheet_headers.yaml``) in the first rows; a two-row header with merged cells (产值 over 2023 |
2024) is read by filling the top row rightwards. Rows are streamed, never loaded whole. Formulas with no cached
value are reported, not silently read as blanks.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Iterator

import yaml

HEADER_SCAN_ROWS = 15
# Zip-bomb limits, checked on the zip's central directory before anything is inflated (ASVS 5.2.3; checklist 17).
# CPython's zipfile stops reading a member at its declared size, so checking declared sizes is enough.
MAX_XLSX_UNCOMPRESSED = 2_000_000_000  # declared uncompressed total of all members, bytes
MAX_XLSX_RATIO = 100  # a member inflating more than 100:1 (Apache POI's default limit) ...
MAX_XLSX_RATIO_MIN_SIZE = 1_000_000  # ... is refused when it is also larger than 1 MB uncompressed
MAX_XLSX_ENTRIES = 10_000  # members in the zip; a real workbook has a few dozen


class SheetError(ValueError):
    """A sheet that cannot be read at all: the message names the file and why."""


@dataclass
class Column:
    index: int
    header: str
    field: str | None  # canonical field, None when unknown
    unit: str | None = None
    year: int | None = None


@dataclass
class Row:
    number: int
    cells: list
    formulas: dict[int, str] = field(default_factory=dict)  # column index -> formula with no cached value


@dataclass
class Sheet:
    path: Path
    encoding: str | None
    header_rows: list[int]
    columns: list[Column]
    rows: Iterator[Row]

    def fields(self) -> set[str]:
        return {c.field for c in self.columns if c.field}


_UNIT = re.compile(r"[\(（\[【]\s*([^)）\]】]*)\s*[\)）\]】]\s*$")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年?(?:度)?")


def norm_header(text) -> str:
    s = unicodedata.normalize("NFKC", "" if text is None else str(text))
    return re.sub(r"[\s\*:：]", "", s).replace("“", '"').replace("”", '"')


@lru_cache(maxsize=8)
def header_aliases(kind: str = "enterprise", mapping_file: str | None = None) -> dict[str, str]:
    """Normalised header text -> canonical field, from the packaged lexicon plus an optional mapping file
    (YAML ``{field: [header, ...]}`` or ``{header: field}``)."""
    data = yaml.safe_load(resources.files("xinlian.data.lexicons").joinpath("sheet_headers.yaml").read_text("utf-8"))
    aliases = {norm_header(h).lower(): f for f, hs in data[kind].items() for h in hs}
    if mapping_file:
        extra = yaml.safe_load(Path(mapping_file).read_text("utf-8")) or {}
        if not isinstance(extra, dict):
            raise SheetError(f"{mapping_file}: 映射文件应为 字段: [表头, …] 的 YAML")
        fields = set(data[kind])
        for k, v in extra.items():
            if k in fields:
                for h in v if isinstance(v, list) else [v]:
                    aliases[norm_header(h).lower()] = k
            elif isinstance(v, str) and v in fields:
                aliases[norm_header(k).lower()] = v
            else:
                raise SheetError(f"{mapping_file}: 无法理解的映射 {k!r}: {v!r}（字段应为 {', '.join(sorted(fields))} 之一）")
    return aliases


def parse_header(text, aliases: dict[str, str], index: int) -> Column:
    raw = "" if text is None else str(text).strip()
    h = norm_header(raw)
    unit = None
    m = _UNIT.search(h)
    if m:
        unit = m.group(1) or None
        h = h[: m.start()]
    year = None
    y = _YEAR.search(h)
    if y and h.lower() not in aliases:
        year = int(y.group(1))
        h = (h[: y.start()] + h[y.end():]).strip()
    fld = aliases.get(h.lower())
    if fld is None:
        # "是否为专精特新企业" and similar: drop 为/企业 and try again
        fld = aliases.get(h.lower().replace("是否为", "是否").replace("企业", "")) or aliases.get(h.lower() + "企业")
    return Column(index=index, header=raw, field=fld, unit=unit, year=year)


def _header_score(cells: list, aliases: dict[str, str]) -> int:
    return sum(1 for i, c in enumerate(cells) if c is not None and parse_header(c, aliases, i).field)


def _detect(rows: list[tuple[int, list]], aliases: dict[str, str], path: Path) -> tuple[list[int], list[Column], int]:
    """Find the header rows among the first rows; returns (header row numbers, columns, index of first data row)."""
    best, best_i = 0, -1
    for i, (_, cells) in enumerate(rows):
        score = _header_score(cells, aliases)
        if score > best:
            best, best_i = score, i
    if best_i < 0 or best < 1:
        raise SheetError(f"{path}: 前{len(rows)}行中找不到可识别的表头（如 企业名称、统一社会信用代码）；可用 --mapping 指定表头映射")
    number, cells = rows[best_i]
    header_rows = [number]
    merged = list(cells)
    # A header row above whose cells span several columns (merged cells leave blanks to the right).
    if best_i > 0:
        above_number, above = rows[best_i - 1]
        texts = [c for c in above if isinstance(c, str) and c.strip()]
        # a title line over the table has one cell; a header row above has several
        if len(texts) >= 2 and not any(isinstance(c, (int, float)) for c in above):
            filled, last = [], None
            for c in above:
                last = c if (c is not None and str(c).strip()) else last
                filled.append(last)
            for i in range(len(merged)):
                top = filled[i] if i < len(filled) else None
                bottom = merged[i]
                if top is not None and bottom is not None and parse_header(bottom, aliases, i).field is None:
                    merged[i] = f"{bottom}{top}" if _YEAR.fullmatch(norm_header(bottom)) else f"{top}{bottom}"
                elif bottom is None:
                    merged[i] = top
            header_rows.insert(0, above_number)
    # A second header row below (merged cells over sub-headers like 2023 | 2024).
    if best_i + 1 < len(rows):
        below_number, below = rows[best_i + 1]
        subs = [c for c in below if c is not None and str(c).strip()]
        if subs and all(_YEAR.fullmatch(norm_header(c)) or parse_header(c, aliases, 0).field for c in subs) \
                and _header_score(below, aliases) < best and not any(isinstance(c, float) for c in below):
            filled, last = [], None
            for c in merged:
                last = c if (c is not None and str(c).strip()) else last
                filled.append(last)
            merged = []
            for i, top in enumerate(filled):
                sub = below[i] if i < len(below) else None
                merged.append(f"{sub}{top}" if sub is not None and str(sub).strip() else top)
            header_rows.append(below_number)
            best_i += 1
    columns = [parse_header(c, aliases, i) for i, c in enumerate(merged)]
    return header_rows, columns, best_i + 1


def _decode_csv(path: Path) -> tuple[io.TextIOBase, str]:
    head = path.open("rb").read(1 << 20)
    if head.startswith(b"\xef\xbb\xbf"):
        return path.open("r", encoding="utf-8-sig", newline=""), "utf-8-sig"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return path.open("r", encoding="utf-16", newline=""), "utf-16"
    try:
        head.decode("utf-8")
        return path.open("r", encoding="utf-8", newline=""), "utf-8"
    except UnicodeDecodeError as exc:
        # cut inside a character at the end of a full-size sample (a short file has no cut)
        if len(head) == 1 << 20 and exc.start > len(head) - 4:
            return path.open("r", encoding="utf-8", newline=""), "utf-8"
    try:
        head.decode("gb18030")
        return path.open("r", encoding="gb18030", errors="replace", newline=""), "gb18030"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(head).best()
    enc = best.encoding if best else "gb18030"
    return path.open("r", encoding=enc, errors="replace", newline=""), enc


def _csv_rows(path: Path) -> tuple[Iterator[tuple[int, list]], str]:
    fh, enc = _decode_csv(path)
    try:
        sample = fh.read(65536)
        fh.seek(0)
    except UnicodeError as exc:
        fh.close()
        raise SheetError(f"{path}: 文本编码无法识别（按 {enc} 读取失败：{exc.reason}）") from exc
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;|")
    except csv.Error:
        dialect = csv.excel

    def gen():
        with fh:
            line = 0
            try:
                for line, cells in enumerate(csv.reader(fh, dialect), start=1):
                    yield line, [c if c.strip() else None for c in cells]
            except UnicodeError as exc:
                raise SheetError(f"{path}: 第{line + 1}行附近编码错误（按 {enc} 读取失败：{exc.reason}）") from exc
            except csv.Error as exc:  # NUL bytes, a field over the size limit, a broken quote
                raise SheetError(f"{path}: 第{line + 1}行附近无法按 CSV 读取（{exc}）") from exc

    return gen(), enc


def check_xlsx(path: Path) -> None:
    """Refuse zip bombs before inflating: total declared size, compression ratio, number of entries, paths."""
    try:
        zf = zipfile.ZipFile(path)
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise SheetError(f"{path}: 不是有效的 XLSX 文件（{type(exc).__name__}: {exc}）") from exc
    with zf:
        if len(infos) > MAX_XLSX_ENTRIES:
            raise SheetError(f"{path}: XLSX 内含 {len(infos)} 个文件，超过上限 {MAX_XLSX_ENTRIES}")
        total = sum(i.file_size for i in infos)
        if total > MAX_XLSX_UNCOMPRESSED:
            raise SheetError(f"{path}: XLSX 解压后 {total} 字节，超过上限 {MAX_XLSX_UNCOMPRESSED}")
        for info in infos:
            name = info.filename.replace("\\", "/")
            if name.startswith("/") or ".." in name.split("/") or re.match(r"^[A-Za-z]:", name) or "\0" in name:
                raise SheetError(f"{path}: XLSX 内含非法路径 {info.filename!r}")
            if info.file_size > MAX_XLSX_RATIO_MIN_SIZE and \
                    info.file_size > MAX_XLSX_RATIO * max(info.compress_size, 1):
                ratio = info.file_size // max(info.compress_size, 1)
                raise SheetError(f"{path}: XLSX 中 {info.filename} 压缩比 {ratio}:1 超过上限 {MAX_XLSX_RATIO}:1"
                                 "（疑似压缩炸弹）")
        if "[Content_Types].xml" not in zf.namelist():
            raise SheetError(f"{path}: 不是有效的 XLSX 文件（缺少 [Content_Types].xml）")
        for info in infos:
            if info.filename.lower().endswith((".xml", ".rels", ".vml")) and not info.is_dir():
                _check_xml_prolog(path, zf, info)


MAX_XML_PROLOG = 65_536  # bytes of a part read to find its prolog; a real one is under 100 bytes
_PROLOG_SKIP = [(b"<?", b"?>"), (b"<!--", b"-->")]


def _check_xml_prolog(path: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Refuse a part whose prolog declares a DTD (<!DOCTYPE ...>): OOXML never has one, and a DTD is how entity
    bombs (billion laughs) and external entities (XXE) get in. Only the prolog is read, at most 64 KB, so this
    never inflates much; the XML parsers (defusedxml, lxml without entity resolution) remain a second line."""
    try:
        with zf.open(info) as fh:
            head = fh.read(MAX_XML_PROLOG)
    except Exception as exc:  # noqa: BLE001 - bad CRC, unsupported compression, encrypted member ...
        raise SheetError(f"{path}: XLSX 中 {info.filename} 无法读取（{type(exc).__name__}: {exc}）") from exc
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", errors="ignore").encode("utf-8")
    elif head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    i = 0
    while True:
        while i < len(head) and head[i] in b" \t\r\n":
            i += 1
        for start, end in _PROLOG_SKIP:
            if head.startswith(start, i):
                j = head.find(end, i + len(start))
                if j < 0:
                    if len(head) >= MAX_XML_PROLOG:
                        raise SheetError(f"{path}: XLSX 中 {info.filename} 的 XML 前言过长，拒绝读取")
                    return  # malformed XML: the parser will report it
                i = j + len(end)
                break
        else:
            if head.startswith(b"<!", i) and head[i + 2:i + 9].upper() in (b"DOCTYPE", b"ENTITY "):
                raise SheetError(f"{path}: XLSX 中 {info.filename} 含 XML 实体/DTD 声明（可能是实体炸弹或外部实体），"
                                 "拒绝读取")
            return


def _broken(path: Path, exc: BaseException) -> SheetError:
    """The SheetError for whatever zipfile, openpyxl or the XML parser raised on a damaged or hostile file."""
    try:
        from defusedxml import DefusedXmlException
    except ImportError:  # pragma: no cover - defusedxml is a dependency
        DefusedXmlException = ()  # noqa: N806
    seen, cause = 0, exc
    while cause is not None and seen < 10 and not isinstance(cause, DefusedXmlException):
        cause, seen = cause.__cause__ or cause.__context__, seen + 1
    if cause is not None and isinstance(cause, DefusedXmlException):
        exc = cause
        return SheetError(f"{path}: XLSX 内含 XML 实体/DTD 声明（可能是实体炸弹），拒绝读取（{type(exc).__name__}）")
    return SheetError(f"{path}: XLSX 内容损坏，无法读取（{type(exc).__name__}: {str(exc)[:200]}）")


def _xlsx_rows(path: Path, sheet_name: str | None) -> Iterator[tuple[int, list, dict]]:
    """Rows of an XLSX; any error the zip or XML layers raise mid-way comes out as ``SheetError``."""
    try:
        yield from _xlsx_rows_raw(path, sheet_name)
    except SheetError:
        raise
    except Exception as exc:  # noqa: BLE001 - a hostile file can make zipfile/openpyxl/lxml raise anything
        raise _broken(path, exc) from exc


def _xlsx_rows_raw(path: Path, sheet_name: str | None) -> Iterator[tuple[int, list, dict]]:
    import defusedxml  # noqa: F401  (openpyxl uses defusedxml when it is importable)
    import openpyxl

    check_xlsx(path)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on broken files
        raise _broken(path, exc) from exc
    if sheet_name and sheet_name not in wb.sheetnames:
        wb.close()
        raise SheetError(f"{path}: 没有名为 {sheet_name!r} 的工作表（有：{', '.join(wb.sheetnames)}）")
    if not wb.worksheets:
        wb.close()
        raise SheetError(f"{path}: XLSX 中没有工作表")
    ws = wb[sheet_name] if sheet_name else wb.worksheets[0]
    has_formulas = _sheet_has_formulas(path, wb, ws)
    formula_rows = None
    if has_formulas:
        wbf = openpyxl.load_workbook(path, read_only=True, data_only=False)
        formula_rows = (wbf[ws.title]).iter_rows(values_only=True)
    try:
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = list(values)
            formulas = {}
            if formula_rows is not None:
                fvals = next(formula_rows, ())
                for i, f in enumerate(fvals):
                    if isinstance(f, str) and f.startswith("=") and i < len(cells) and cells[i] is None:
                        formulas[i] = f
            yield number, cells, formulas
    finally:
        wb.close()


def _sheet_has_formulas(path: Path, wb, ws) -> bool:
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                with zf.open(name) as fh:
                    while chunk := fh.read(1 << 20):
                        if b"<f>" in chunk or b"<f " in chunk:
                            return True
    return False


def read_sheet(path: str | Path, *, kind: str = "enterprise", mapping_file: str | None = None,
               sheet_name: str | None = None) -> Sheet:
    """Open a CSV or XLSX sheet and detect its header. Raises ``SheetError`` naming the file when unreadable."""
    path = Path(path)
    if not path.exists():
        raise SheetError(f"{path}: 文件不存在")
    aliases = header_aliases(kind, mapping_file)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        raw = _xlsx_rows(path, sheet_name)
        encoding = None
    elif suffix in (".csv", ".txt", ".tsv"):
        plain, encoding = _csv_rows(path)
        raw = ((n, cells, {}) for n, cells in plain)
    elif suffix == ".xls":
        raise SheetError(f"{path}: 不支持旧版 .xls，请在 Excel/WPS 中另存为 .xlsx")
    else:
        raise SheetError(f"{path}: 不支持的文件类型 {suffix}（支持 .csv .xlsx）")
    head: list[tuple[int, list, dict]] = []
    for item in raw:
        head.append(item)
        if len(head) >= HEADER_SCAN_ROWS:
            break
    nonblank = [(n, c) for n, c, _ in head if any(x is not None and str(x).strip() for x in c)]
    header_rows, columns, first = _detect(nonblank, aliases, path)
    last_header = header_rows[-1]

    def rows() -> Iterator[Row]:
        for n, cells, formulas in head:
            if n > last_header:
                yield Row(n, cells, formulas)
        for n, cells, formulas in raw:
            yield Row(n, cells, formulas)

    return Sheet(path=path, encoding=encoding, header_rows=header_rows, columns=columns, rows=rows())


def column_letter(index: int) -> str:
    """0 -> A, 27 -> AB (the column names a person sees in Excel)."""
    s, n = "", index + 1
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s
