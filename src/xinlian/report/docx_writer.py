"""The briefing as a Word document in the manner of a Chinese government briefing: A4, the title in 小标宋/黑体,
the issuing unit and date under it, numbered sections 一、二、三 in 黑体, run-in subheadings （一） in 楷体, body
in 仿宋 三号, tables with a repeated header row and a 表N caption, charts as pictures with a 图N caption.

East-Asian fonts are set explicitly on the styles and on every run (``w:eastAsia``); the font table names, for each
of 仿宋/黑体/楷体, the CJK font this machine has as its ``altName`` (the fallback a reader without it uses).
The file is byte-stable: core properties and zip entries are dated from the period's last day.
"""

from __future__ import annotations

import io
from datetime import datetime, time

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor

from xinlian.report import charts
from xinlian.report.model import Briefing, Chart, Paragraph, Table
from xinlian.report.zipfix import stable_zip

__all__ = ["write_docx", "FONTS"]

# role -> (East-Asian font, size in pt); Latin text uses Times New Roman
FONTS = {"title": ("方正小标宋简体", 22), "heading": ("黑体", 16), "lead": ("楷体", 16), "body": ("仿宋", 16),
         "table": ("仿宋", 10.5), "table_head": ("黑体", 10.5), "caption": ("黑体", 12), "note": ("仿宋", 10.5)}
LATIN = "Times New Roman"
TEXT_WIDTH_CM = 15.6  # A4 less the 28 mm / 26 mm margins of GB/T 9704


def _fonts(run_or_style, east: str, size: float | None = None, bold: bool | None = None) -> None:
    font = run_or_style.font
    font.name = LATIN
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    element = run_or_style.element
    rpr = element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        rfonts.set(qn(attr), LATIN)
    rfonts.set(qn("w:eastAsia"), east)


def _run(paragraph, text: str, role: str, bold: bool | None = None, colour: RGBColor | None = None):
    east, size = FONTS[role]
    run = paragraph.add_run(text)
    _fonts(run, east, size, bold)
    if colour is not None:
        run.font.color.rgb = colour
    return run


def _font_table(doc) -> None:
    """Declare the Chinese fonts in the font table, with this machine's CJK font as each one's altName."""
    part = next((p for p in doc.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml"), None)
    found = charts.cjk_font()
    if part is None or found is None:
        return
    alt = found[0]
    entries = "".join(
        f'<w:font w:name="{name}"><w:altName w:val="{alt}"/><w:charset w:val="86"/><w:family w:val="modern"/>'
        f'<w:pitch w:val="fixed"/></w:font>' for name in sorted({f[0] for f in FONTS.values()}))
    blob = part.blob.decode("utf-8").replace("</w:fonts>", entries + "</w:fonts>")
    part._blob = blob.encode("utf-8")


def _setup(doc, b: Briefing) -> None:
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin = Mm(37), Mm(35)
    sec.left_margin, sec.right_margin = Mm(28), Mm(26)
    normal = doc.styles["Normal"]
    _fonts(normal, FONTS["body"][0], FONTS["body"][1])
    for name, role in (("Title", "title"), ("Heading 1", "heading"), ("Caption", "caption")):
        style = doc.styles[name]
        _fonts(style, FONTS[role][0], FONTS[role][1], bold=False)
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.font.italic = False
        pf = style.paragraph_format
        pf.space_before, pf.space_after = Pt(6), Pt(6)
    title_border = doc.styles["Title"].element.find(qn("w:pPr"))
    if title_border is not None:  # the template draws a blue rule under the title; a briefing has none
        for bdr in title_border.findall(qn("w:pBdr")):
            title_border.remove(bdr)
    props = doc.core_properties
    moment = datetime.combine(b.end, time(0, 0))
    props.title, props.subject, props.author = b.title, f"{b.chain_name} {b.period}", b.issuer
    props.last_modified_by, props.comments, props.keywords = b.issuer, "由芯链生成", f"{b.region} {b.chain} {b.period}"
    props.created = props.modified = moment
    props.revision = 1
    _font_table(doc)


def _body(doc, text: str, lead: str | None = None) -> None:
    p = doc.add_paragraph()
    p.paragraph_format.first_line_indent = Pt(32)
    p.paragraph_format.line_spacing = Pt(28)
    p.paragraph_format.space_after = Pt(0)
    if lead:
        _run(p, lead + "　", "lead", bold=True)
    _run(p, text, "body")


def _caption(doc, text: str) -> None:
    p = doc.add_paragraph(style="Caption")
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(p, text, "caption")


def _cell_text(cell, text: str, role: str, align_right: bool, shade: str | None = None) -> None:
    cell.text = ""
    p = cell.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT if align_right else WD_ALIGN_PARAGRAPH.LEFT
    p.paragraph_format.space_after = Pt(0)
    _run(p, text, role)
    if shade:
        tcpr = cell._tc.get_or_add_tcPr()
        shd = OxmlElement("w:shd")
        shd.set(qn("w:val"), "clear")
        shd.set(qn("w:color"), "auto")
        shd.set(qn("w:fill"), shade)
        tcpr.append(shd)


def _widths(t: Table, shown: list[list[str]]) -> list[float]:
    weights = []
    for i, col in enumerate(t.columns):
        longest = max([len(col.name)] + [len(r[i]) for r in shown]) if shown else len(col.name)
        cap = 40 if col.wide else 12 if col.fmt == "text" else 8
        weights.append(min(max(longest, 4), cap))
    total = sum(weights)
    return [TEXT_WIDTH_CM * w / total for w in weights]


def _table(doc, t: Table) -> None:
    _caption(doc, t.label)
    shown = t.shown()
    table = doc.add_table(rows=1, cols=len(t.columns))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    widths = _widths(t, shown)
    head = table.rows[0]
    trpr = head._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    trpr.append(repeat)
    for cell, col, w in zip(head.cells, t.columns, widths):
        cell.width = Cm(w)
        _cell_text(cell, col.name, "table_head", False, shade="D9E2F3")
    if not shown:
        row = table.add_row()
        merged = row.cells[0].merge(row.cells[-1]) if len(row.cells) > 1 else row.cells[0]
        _cell_text(merged, "（无）", "table", False)
    for values in shown:
        row = table.add_row()
        for cell, text, col, w in zip(row.cells, values, t.columns, widths):
            cell.width = Cm(w)
            _cell_text(cell, text, "table", col.fmt != "text" and col.fmt != "date")
    if t.note:
        p = doc.add_paragraph()
        p.paragraph_format.space_after = Pt(6)
        _run(p, "注：" + t.note, "note")


def _chart(doc, c: Chart) -> None:
    png = charts.render_png(c)
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.add_run().add_picture(io.BytesIO(png), width=Cm(TEXT_WIDTH_CM if c.kind == "verdict_map" else 14.5))
    _caption(doc, c.label)


def write_docx(b: Briefing) -> bytes:
    """The briefing as .docx bytes (the same bytes for the same briefing)."""
    doc = Document()
    _setup(doc, b)
    title = doc.add_paragraph(style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(title, b.title, "title")
    line = doc.add_paragraph()
    line.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(line, b.date_line, "lead")
    for w in b.warnings:
        p = doc.add_paragraph()
        _run(p, w, "body", bold=True, colour=RGBColor(0xC6, 0x28, 0x28))
    for sec in b.sections:
        h = doc.add_paragraph(style="Heading 1")
        h.paragraph_format.line_spacing = Pt(28)
        _run(h, sec.heading, "heading")
        for block in sec.blocks:
            if isinstance(block, Paragraph):
                _body(doc, block.text, block.lead)
            elif isinstance(block, Table):
                _table(doc, block)
            elif isinstance(block, Chart):
                _chart(doc, block)
    buf = io.BytesIO()
    doc.save(buf)
    return stable_zip(buf.getvalue(), datetime.combine(b.end, time(0, 0)))
