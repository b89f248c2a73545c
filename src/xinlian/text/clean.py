"""The page pipeline: raw bytes -> clean, dated article.

Stages, in order (each its own module in ``xinlian.text``; one ``CleanOptions`` is passed through):

1. ``decode``      bytes -> str. BOM, HTTP charset, ``<meta charset>``, then a statistical guess. Warns
                   ``encoding_guessed`` / ``encoding_errors``; ``not_text`` (and no damage search) when the
                   page is mostly undecodable bytes.
2. kind            ``html`` or ``text``, from the file name, the Content-Type, or a look at the first bytes.
3. ``html``        (HTML only) str -> headline, body paragraphs, meta publication time, visible lines.
                   Warns ``no_body``.
4. ``pinyin``      str -> str without bracketed readings such as 區(qū), 有(yǒu)限公司.
5. ``mojibake``    str -> str with byte-shift damage repaired (``mojibake_repaired``, raw kept) or flagged
                   (``mojibake_unrepaired``). Runs before t2s so the raw stretch is reported as the page had it;
                   candidates are scored after t2s. Each line is judged on its own (idempotence).
6. ``t2s``         str -> simplified Chinese (OpenCC ``t2s``); simplified text is unchanged.
7. whitespace      spaces collapsed, control characters dropped, one paragraph per line.
8. ``dateline``    publication time (ISO 8601, +08:00), outlet (来源), author (作者/记者/编辑/通讯员) from the
                   dateline near the headline, or from meta tags; dateline lines leave the body.
9. ``boilerplate`` masthead, navigation, footers, sidebars, repeated lead removed. For plain text the headline is
                   the last non-boilerplate line before the dateline.

``dedupe`` (near-duplicate stories) works on the clean body and is called by the ingest pipeline, not here.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import PurePath

from xinlian.text import boilerplate, dateline, decode, mojibake, pinyin, t2s
from xinlian.text import html as html_stage


@dataclass
class CleanOptions:
    """One options object for the whole pipeline."""

    strip_pinyin: bool = True
    repair_mojibake: bool = True
    simplify: bool = True
    remove_boilerplate: bool = True
    max_bytes: int = 64 * 1024 * 1024  # larger pages are cut here (warning ``truncated``)
    dateline_window: int = 25  # lines after the headline searched for the dateline


@dataclass
class CleanWarning:
    """Something the cleaner noticed: a stable ``code``, a human message, and the raw stretch if any."""

    code: str
    message: str
    raw: str | None = None

    def to_dict(self) -> dict[str, str]:
        d = {"code": self.code, "message": self.message}
        if self.raw is not None:
            d["raw"] = self.raw
        return d


@dataclass
class Article:
    """A clean article: simplified Chinese, one paragraph per list item, boilerplate removed."""

    title: str | None
    published: str | None
    outlet: str | None
    author: str | None
    paragraphs: list[str]
    warnings: list[CleanWarning] = field(default_factory=list)
    encoding: str = "utf-8"
    kind: str = "text"  # 'html' | 'text'

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)

    def to_contract(self) -> dict:
        """The article as ``contracts/article.schema.json`` describes it (entities etc. left empty here)."""
        return {
            "title": self.title,
            "published": self.published,
            "outlet": self.outlet,
            "author": self.author,
            "text": self.text,
            "warnings": [w.to_dict() for w in self.warnings],
            "entities": {"organizations": [], "people": [], "places": []},
            "chain_nodes": [],
            "events": [],
        }


_HTML_SNIFF = re.compile(rb"<(?:!doctype\s+html|html|head|body|meta|div|p|title|table|span|br)[\s>/]", re.I)
_HTML_EXT = {".html", ".htm", ".shtml", ".xhtml", ".php", ".asp", ".aspx", ".jsp"}
_SPACES = re.compile(r"[ \t\u3000\xa0\u2000-\u200a\u202f\u205f]+")


def _kind(raw: bytes, content_type: str | None, filename: str | None) -> str:
    if filename:
        ext = PurePath(filename).suffix.lower()
        if ext in _HTML_EXT:
            return "html"
        if ext == ".txt":
            return "text"
    if content_type:
        ct = content_type.lower()
        if "html" in ct or "xml" in ct:
            return "html"
        if ct.startswith("text/plain"):
            return "text"
    return "html" if _HTML_SNIFF.search(raw[:4096]) else "text"


@functools.cache
def _unwanted() -> re.Pattern[str]:
    """Control, format and surrogate code points (not line breaks, not private use: that is evidence of damage)."""
    keep = set("\n\t\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
    ranges: list[str] = []
    start = prev = None
    for cp in range(0x10000):  # the basic plane, scanned; the few format characters beyond it are listed
        ch = chr(cp)
        bad = ch not in keep and unicodedata.category(ch) in ("Cc", "Cf", "Cs")
        if bad and start is None:
            start = cp
        if not bad and start is not None:
            ranges.append(f"\\U{start:08x}-\\U{prev:08x}")
            start = None
        prev = cp
    if start is not None:
        ranges.append(f"\\U{start:08x}-\\U{prev:08x}")
    ranges.append(_ASTRAL_FORMAT)
    return re.compile("[" + "".join(ranges) + "]+")


_ASTRAL_FORMAT = (
    "\\U000110bd\\U000110cd\\U00013430-\\U0001343f\\U0001bca0-\\U0001bca3"
    "\\U0001d173-\\U0001d17a\\U000e0001\\U000e0020-\\U000e007f"
)


def normalise_whitespace(text: str) -> str:
    """One paragraph per line; spaces collapsed; control characters and lone surrogates dropped."""
    out = []
    unwanted = _unwanted()
    for line in text.splitlines():
        # Most lines are plain printable text: test that in C before paying for a regex pass.
        if not line.isprintable():
            line = _SPACES.sub(" ", unwanted.sub("", line))
        elif "  " in line:
            line = _SPACES.sub(" ", line)
        if s := line.strip(" "):
            out.append(s)
    return "\n".join(out)


def _text_stages(text: str, options: CleanOptions, warnings: list[CleanWarning]) -> str:
    text = normalise_whitespace(text)
    if options.strip_pinyin:
        text = pinyin.strip_annotations(text)
    findings: list[mojibake.Finding] = []
    if options.repair_mojibake:
        text, findings = mojibake.fix(text)
        for f in findings:
            if f.repaired is not None:
                warnings.append(
                    CleanWarning("mojibake_repaired", f"damaged stretch read as {t2s.to_simplified(f.repaired)}", f.raw)
                )
            elif f.count > 1:
                warnings.append(
                    CleanWarning(
                        "mojibake_unrepaired",
                        f"text is mostly undecodable: {f.count} damage marks left as found (first stretch shown)",
                        f.raw,
                    )
                )
            else:
                warnings.append(CleanWarning("mojibake_unrepaired", "damaged stretch left as found", f.raw))
    if options.simplify:
        text = t2s.to_simplified(text)
    # Only a repair can bring new spacing or control characters into the text.
    return normalise_whitespace(text) if any(f.repaired for f in findings) else text


def _strip_lines(lines: list[str], options: CleanOptions, title: str | None = None, head: bool = True) -> list[str]:
    if not options.remove_boilerplate:
        return lines
    # Repeat to a fixed point: cleaning clean text must change nothing.
    for _ in range(4):
        new = boilerplate.strip(lines, title, head, frozenset(lines) if _ else frozenset())
        if new == lines:
            break
        lines = new
    return lines


def clean_text(text: str, options: CleanOptions | None = None) -> str:
    """Clean plain text: pinyin, mojibake, t2s, whitespace, boilerplate lines. Idempotent.

    >>> clean_text("區(qū)領(lǐng)導(dǎo)調研芯片產業。")
    '区领导调研芯片产业。'
    """
    options = options or CleanOptions()
    warnings: list[CleanWarning] = []
    lines = _text_stages(text, options, warnings).split("\n")
    if not options.remove_boilerplate:
        return "\n".join(ln for ln in lines if ln)
    # Without a headline and without the head rule, one pass of the boilerplate stage is its own fixed point
    # (the property tests check it), so clean text is not stripped twice.
    return "\n".join(boilerplate.strip([ln for ln in lines if ln], None, head=False))


def _merge(found: dateline.Dateline, line: str) -> None:
    d = dateline.parse(line)
    found.published = found.published or d.published
    found.outlet = found.outlet or d.outlet
    found.author = found.author or d.author


def _take_datelines(lines: list[str], found: dateline.Dateline, limit: int) -> list[str]:
    """Remove dateline lines among the first ``limit`` lines, reading them into ``found``."""
    out = []
    for i, line in enumerate(lines):
        if i < limit and dateline.is_dateline(line):
            _merge(found, line)
            continue
        out.append(line)
    return out


def _editor_from_tail(lines: list[str], found: dateline.Dateline) -> None:
    if found.author:
        return
    for line in reversed(lines[-5:]):
        if name := dateline.editor(line):
            found.author = name
            return


_Cleaned = tuple[str | None, list[str], dateline.Dateline]  # headline, body paragraphs, dateline facts


def _clean_plain(text: str, options: CleanOptions, warnings: list[CleanWarning]) -> _Cleaned:
    lines = _text_stages(text, options, warnings).split("\n")
    lines = [ln for ln in lines if ln]
    found = dateline.Dateline()
    title = None
    at = next((i for i, ln in enumerate(lines[:30]) if dateline.is_dateline(ln)), None)
    if at is not None:
        _merge(found, lines[at])
        head = [ln for ln in lines[:at] if not boilerplate.is_boilerplate(ln)]
        title = head[-1] if head else None
        body = lines[at + 1 :]
    else:
        first = next((ln for ln in lines[:5] if not boilerplate.is_boilerplate(ln)), None)
        if first and len(first) <= 60 and not boilerplate.is_long(first):
            title = first
            body = lines[lines.index(first) + 1 :]
        else:
            body = lines
    body = _take_datelines(body, found, 3)
    _editor_from_tail(body, found)
    return title, _strip_lines(body, options, title), found


def _clean_html(text: str, options: CleanOptions, warnings: list[CleanWarning]) -> _Cleaned:
    ex = html_stage.extract(text)
    warnings.extend(CleanWarning(c, m, r) for c, m, r in ex.problems)
    found = dateline.Dateline()
    title = _text_stages(ex.title, options, []) if ex.title else None
    title = title.replace("\n", " ") if title else None
    # The dateline sits near the headline in the page's visible lines.
    lines = ex.lines
    start = 0
    if ex.title:
        start = next((i for i, ln in enumerate(lines) if ex.title in ln or (len(ln) >= 6 and ln in ex.title)), 0)
    for line in lines[start : start + options.dateline_window]:
        # Labels are matched in simplified script: 來源 reads as 来源.
        line = t2s.to_simplified(pinyin.strip_annotations(line))
        if dateline.is_dateline(line) or (dateline.find_date(line)[0] and len(line) <= 60):
            _merge(found, line)
            if found.published and found.outlet:
                break
    if ex.meta_published and (not found.published or "T" not in found.published):
        if not found.published or ex.meta_published.startswith(found.published):
            found.published = ex.meta_published
    body_text = _text_stages("\n".join(ex.paragraphs), options, warnings)
    body = [ln for ln in body_text.split("\n") if ln]
    body = _take_datelines(body, found, 4)
    found.author = found.author or (ex.meta_author if ex.meta_author and len(ex.meta_author) <= 30 else None)
    _editor_from_tail(body, found)
    body = _strip_lines(body, options, title)
    if not body and not any(w.code == "no_body" for w in warnings):
        warnings.append(CleanWarning("no_body", "no article text left after removing boilerplate"))
    return title, body, found


def clean_page(
    raw: bytes,
    *,
    url: str | None = None,
    content_type: str | None = None,
    filename: str | None = None,
    options: CleanOptions | None = None,
) -> Article:
    """Clean one page (HTML or plain text) into an Article. Never raises on bad input.

    Args:
        raw: the page bytes as fetched or read.
        url: where it came from (used for the file-name hint when no filename is given).
        content_type: the HTTP Content-Type header, if any.
        filename: the file name, if read from disk (``.html`` / ``.txt`` decide the kind).
        options: pipeline options.
    """
    options = options or CleanOptions()
    warnings: list[CleanWarning] = []
    if len(raw) > options.max_bytes:
        warnings.append(CleanWarning("truncated", f"page of {len(raw)} bytes cut to {options.max_bytes}"))
        raw = raw[: options.max_bytes]
    dec = decode.decode(raw, content_type)
    warnings.extend(CleanWarning(c, m, r) for c, m, r in dec.problems)
    if dec.text.count("\ufffd") > max(50, len(dec.text) // 20):
        # Mostly undecodable bytes (binary, or a charset nothing recognised): there is no prose to repair.
        warnings.append(CleanWarning("not_text", "page is mostly undecodable bytes; damage not searched"))
        options = dataclasses.replace(options, repair_mojibake=False)
    if filename is None and url:
        filename = PurePath(url.split("?", 1)[0]).name or None
    kind = _kind(raw, content_type, filename)
    if kind == "html":
        title, body, found = _clean_html(dec.text, options, warnings)
    else:
        title, body, found = _clean_plain(dec.text, options, warnings)
        if not body:
            warnings.append(CleanWarning("no_body", "no article text found"))
    return Article(
        title=title or None,
        published=found.published,
        outlet=found.outlet,
        author=found.author,
        paragraphs=body,
        warnings=warnings,
        encoding=dec.encoding,
        kind=kind,
    )
