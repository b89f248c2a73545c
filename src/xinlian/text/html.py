"""Stage 5: article extraction from HTML.

trafilatura finds the body; we add what Chinese news pages need around it: the headline (og:title, <h1>, or
<title> without its site suffix), publication time from meta tags, the visible lines near the headline where the
dateline sits, and a fallback body (the block of <p> elements holding the most Han characters) for pages where
trafilatura finds little. Broken, empty or absurdly nested HTML never raises: it yields no body and a warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import lxml.html
import trafilatura
from lxml import etree

from xinlian.text import dateline

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_TITLE_SPLIT = re.compile(r"\s*(?:_|\||｜|——|--|\s-\s|(?<!\d)-(?=[^-]{2,15}$))\s*")
_TABLE_EDGE = re.compile(r"^[|\s]+|[|\s]+$")
_TABLE_INNER = re.compile(r"\s*\|\s*")
_PROSE = re.compile(r"[。，；！？]")
_WS = re.compile(r"[ \t\r\f\v\u3000\xa0]+")
_SKIP_TAGS = {"script", "style", "noscript", "template", "head", "title", "svg", "iframe"}
_MAX_LINES = 400  # visible lines kept for finding the dateline
MIN_BODY_HAN = 100


@dataclass
class Extracted:
    """What the HTML stage finds; the clean stage turns it into an Article."""

    title: str | None = None
    paragraphs: list[str] = field(default_factory=list)
    meta_published: str | None = None
    meta_author: str | None = None
    meta_outlet: str | None = None
    lines: list[str] = field(default_factory=list)  # visible text lines, top of page first
    problems: list[tuple[str, str, str | None]] = field(default_factory=list)


def han_count(text: str) -> int:
    return len(_HAN.findall(text))


def prose_han(lines: list[str]) -> int:
    """Han characters in lines that hold sentences (menus and link lists hold none)."""
    return sum(han_count(ln) for ln in lines if _PROSE.search(ln))


def _text(el) -> str:
    try:
        return _WS.sub(" ", el.text_content()).strip()
    except Exception:  # noqa: BLE001 - malformed trees raise assorted lxml errors
        return ""


def _meta(tree) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in tree.iter("meta"):
        key = (m.get("property") or m.get("name") or m.get("itemprop") or m.get("http-equiv") or "").strip().lower()
        value = (m.get("content") or "").strip()
        if key and value and key not in out:
            out[key] = value
    return out


def clean_title(raw: str | None) -> str | None:
    """A <title> without the site name after ``_``, ``-``, ``|``: the first part unless it is too short."""
    if not raw:
        return None
    raw = _WS.sub(" ", raw).strip()
    parts = [p for p in _TITLE_SPLIT.split(raw) if p.strip()]
    if not parts:
        return None
    first = parts[0].strip()
    if han_count(first) >= 4 or len(first) >= 8:
        return first
    return max(parts, key=len).strip()


def _choose_title(tree, meta: dict[str, str]) -> str | None:
    page_title = None
    t = tree.find(".//title")
    if t is not None:
        page_title = _text(t)
    stripped = clean_title(page_title)
    og = meta.get("og:title") or meta.get("twitter:title")
    h1s = [_text(h) for h in tree.iter("h1")]
    h1s = [h for h in h1s if 4 <= len(h) <= 120]
    # An <h1> that the <title> also names is the headline; a lone logo <h1> is not.
    for h in h1s:
        if page_title and (h in page_title or (stripped and stripped in h)):
            return h
    if og and han_count(og) >= 2:
        return clean_title(og) if page_title and og == page_title else og.strip()
    if stripped:
        return stripped
    return h1s[0] if h1s else None


def _visible_lines(tree) -> list[str]:
    lines: list[str] = []
    body = tree.find(".//body")
    root = body if body is not None else tree
    for node in root.iter():
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in _SKIP_TAGS:
            continue
        for chunk in (node.text, node.tail):
            if chunk:
                s = _WS.sub(" ", chunk).strip()
                if s:
                    lines.append(s)
        if len(lines) >= _MAX_LINES:
            break
    return lines


def _fallback_paragraphs(tree) -> list[str]:
    """The <p> children of the element whose paragraphs hold the most Han characters."""
    totals: dict[object, int] = {}
    for p in tree.iter("p"):
        parent = p.getparent()
        text = _text(p)
        # Only prose counts: footers and link lists are <p> too, but hold no sentences.
        if parent is not None and _PROSE.search(text):
            totals[parent] = totals.get(parent, 0) + han_count(text)
    if not totals:
        return []
    best = max(totals, key=totals.get)
    return [t for p in best.iter("p") if (t := _text(p))]


def _tidy(line: str) -> str:
    """A text line without table-cell bars (trafilatura renders tables as ``| a | b |``)."""
    if "|" in line:
        line = _TABLE_INNER.sub(" ", _TABLE_EDGE.sub("", line))
    return line.strip()


_BLOCK_TAGS = {"p", "div", "section", "article", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "td"}
_CONTAINER_HINT = re.compile(r"content|article|text|body|main|detail|news|post|rich", re.I)
_RAW_P = re.compile(r"<p\b[^>]*>(.*?)</p\s*>", re.I | re.S)
_RAW_TAG = re.compile(r"<[^>]{0,2000}>")


def _block_lines(el) -> list[str]:
    """The text of an element with a line break at every block boundary."""
    parts: list[str] = []

    def walk(node, depth: int) -> None:
        if depth > 200:
            return
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in _SKIP_TAGS:
            if node.tail:
                parts.append(node.tail)
            return
        if tag in _BLOCK_TAGS:
            parts.append("\n")
        if node.text:
            parts.append(node.text)
        for child in node:
            walk(child, depth + 1)
        if tag in _BLOCK_TAGS:
            parts.append("\n")
        if node.tail:
            parts.append(node.tail)

    walk(el, 0)
    return [t for line in "".join(parts).split("\n") if (t := _WS.sub(" ", line).strip())]


def _container_paragraphs(tree) -> list[str]:
    """Lines of the likeliest content container (by id/class name) holding the most prose."""
    best: list[str] = []
    best_score = 0
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        hint = (el.get("id") or "") + " " + (el.get("class") or "")
        if not _CONTAINER_HINT.search(hint):
            continue
        lines = _block_lines(el)
        score = prose_han(lines)
        if score > best_score:
            best, best_score = lines, score
    return best


def _raw_paragraphs(html: str) -> list[str]:
    """Last resort for HTML the parser mangles: <p> elements found by pattern, tags stripped."""
    import html as html_lib

    out = []
    for m in _RAW_P.finditer(html[:5_000_000]):
        text = _WS.sub(" ", html_lib.unescape(_RAW_TAG.sub("", m.group(1)))).strip()
        if text:
            out.append(text)
    return out


def _trafilatura(tree, precision: bool = True) -> list[str]:
    text = trafilatura.extract(
        tree,
        output_format="txt",
        favor_precision=precision,
        favor_recall=not precision,
        # trafilatura's own second opinions (readability, jusText) cost half its time; our fallbacks below
        # cover the pages where its main extractor finds little.
        fast=True,
        include_comments=False,
        include_tables=True,
        with_metadata=False,
        deduplicate=False,
    )
    return [s for line in (text or "").splitlines() if (s := _tidy(line))]


def extract(html: str) -> Extracted:
    """Extract headline, body paragraphs and date hints from an HTML page.

    Args:
        html: the decoded page.

    Returns:
        An Extracted; ``problems`` holds ``no_body`` when nothing usable was found.
    """
    out = Extracted()
    if not html or not html.strip():
        out.problems.append(("no_body", "empty page", None))
        return out
    try:
        tree = lxml.html.fromstring(html)
    except (etree.ParserError, ValueError, RecursionError, MemoryError) as exc:
        out.problems.append(("no_body", f"unreadable HTML: {type(exc).__name__}", None))
        return out
    try:
        meta = _meta(tree)
        out.title = _choose_title(tree, meta)
        for key in dateline.META_KEYS:
            if key in meta and (published := dateline.parse_meta_time(meta[key])):
                out.meta_published = published
                break
        author = meta.get("author") or meta.get("article:author") or ""
        # Templates leave placeholders ("name, email@...") and ids in the author tag; keep only names.
        if han_count(author) >= 2 and "@" not in author and len(author) <= 30:
            out.meta_author = author.strip()
        out.meta_outlet = meta.get("source") or meta.get("og:site_name") or None
        out.lines = _visible_lines(tree)
        fallback = _fallback_paragraphs(tree)
    except (RecursionError, ValueError, etree.LxmlError) as exc:
        out.problems.append(("no_body", f"HTML too broken to read: {type(exc).__name__}", None))
        return out
    def tree2():
        return lxml.html.fromstring(html)

    try:
        paragraphs = _trafilatura(tree)
        if prose_han(paragraphs) < MIN_BODY_HAN:
            # Precision found too little: ask again for recall on a fresh tree (extraction edits the tree).
            recall = _trafilatura(tree2(), precision=False)
            if prose_han(recall) > prose_han(paragraphs):
                paragraphs = recall
    except Exception as exc:  # noqa: BLE001 - trafilatura raises whatever lxml and its heuristics raise
        paragraphs = []
        out.problems.append(("extractor_failed", f"trafilatura failed: {type(exc).__name__}", None))
    if prose_han(fallback) > 1.5 * max(prose_han(paragraphs), MIN_BODY_HAN // 2):
        paragraphs = fallback
    if prose_han(paragraphs) < MIN_BODY_HAN:
        for more in (lambda: _container_paragraphs(tree2()), lambda: _raw_paragraphs(html)):
            try:
                candidate = more()
            except (RecursionError, ValueError, etree.LxmlError):
                continue
            if prose_han(candidate) > 1.5 * max(prose_han(paragraphs), 1):
                paragraphs = candidate
            if prose_han(paragraphs) >= MIN_BODY_HAN:
                break
    out.paragraphs = paragraphs
    if not paragraphs:
        out.problems.append(("no_body", "no article text found", None))
    return out
