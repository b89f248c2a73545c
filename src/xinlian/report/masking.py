"""Field-level masking of a built briefing, for readers without the ``sensitive`` permission (ASVS 8.2.3).

The pages and their JSON twins hide output value and tax from such roles (``None`` / "—"); a download must not
give them back. ``mask_briefing`` takes the ``Briefing`` every writer renders and removes the sensitive figures
in place, so Word, Excel, HTML and PDF are masked alike:

- table columns whose header names a sensitive figure (产值, 税, 营收, 营业收入, 研发投入) are emptied (shown as
  "—" and written as empty cells) and the table gets a note saying so;
- in paragraphs, every amount (亿元 / 万元 / 元) in a clause that names a sensitive figure becomes "＊＊";
- the output half of the stage chart is drawn empty, titled as masked;
- ``headline["output_yuan"]`` becomes None.

Counts of firms, verdicts, location quotients, project and news amounts stay: the pages show them to every role.
"""

from __future__ import annotations

import re

from xinlian.report.model import Briefing, Chart, Paragraph, Table

SENSITIVE_WORDS = ("产值", "税", "营收", "营业收入", "研发投入")
MASK = "＊＊"
NOTE = "按权限，产值、税收等敏感数据已脱敏。"
HIDDEN_FIRM = "（受限企业）"
LABEL_NOTE = "按密级，{n} 行涉及受限企业的内容未列出。"

_CLAUSE = re.compile(r"[^，。；：！？]+[，。；：！？]?")  # full-width only: 1,234.5 stays whole
_AMOUNT = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?\s*(?:亿元|万元|元)")


def is_sensitive(header: str) -> bool:
    return any(w in header for w in SENSITIVE_WORDS)


def mask_text(text: str) -> str:
    """``text`` with the amounts of clauses naming a sensitive figure replaced by ``＊＊``."""
    out = []
    for clause in _CLAUSE.findall(text):
        out.append(_AMOUNT.sub(MASK, clause) if is_sensitive(clause) else clause)
    return "".join(out)


def _mask_table(t: Table) -> None:
    hidden = [i for i, c in enumerate(t.columns) if is_sensitive(c.name)]
    if not hidden:
        return
    for row in t.rows:
        for i in hidden:
            if i < len(row):
                row[i] = None
    t.note = f"{t.note} {NOTE}" if t.note else NOTE


def _mask_chart(c: Chart) -> None:
    if c.kind == "stage_bars" and "output_yi" in c.data:
        c.data["output_yi"] = [0 for _ in c.data["output_yi"]]
        c.data["masked"] = True


def hide_firms(b: Briefing, names: list[str]) -> Briefing:
    """Remove from ``b`` (in place) every mention of the firms ``names`` (security labels above the reader's
    clearance, ``users.scope.hidden_firm_names``): table rows naming one are dropped, with a note of how many;
    in paragraphs the name becomes ``HIDDEN_FIRM``. A name inside another firm's name hides that one too: the safe
    side. Counts and totals stay, as on the pages."""
    names = sorted({n for n in names if n}, key=len, reverse=True)
    if not names:
        return b

    def named(value) -> bool:
        return isinstance(value, str) and any(n in value for n in names)

    def scrub(text: str | None) -> str | None:
        if text:
            for n in names:
                text = text.replace(n, HIDDEN_FIRM)
        return text

    for section in b.sections:
        for block in section.blocks:
            if isinstance(block, Table):
                kept = [row for row in block.rows if not any(named(c) for c in row)]
                if len(kept) < len(block.rows):
                    note = LABEL_NOTE.format(n=len(block.rows) - len(kept))
                    block.rows = kept
                    block.note = f"{block.note} {note}" if block.note else note
            elif isinstance(block, Paragraph):
                block.text, block.lead = scrub(block.text), scrub(block.lead)
    b.warnings = [*b.warnings, LABEL_NOTE.format(n="部分")]
    return b


def mask_briefing(b: Briefing) -> Briefing:
    """Remove the sensitive figures from ``b`` (in place) and return it."""
    for section in b.sections:
        for block in section.blocks:
            if isinstance(block, Table):
                _mask_table(block)
            elif isinstance(block, Paragraph):
                block.text = mask_text(block.text)
            elif isinstance(block, Chart):
                _mask_chart(block)
    if "output_yuan" in b.headline:
        b.headline["output_yuan"] = None
    b.warnings = [*b.warnings, NOTE]
    return b
