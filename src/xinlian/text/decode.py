"""Stage 1: page bytes -> str.

The charset is taken, in order of trust, from a byte-order mark, the HTTP ``Content-Type`` header, a
``<meta charset>`` / ``http-equiv`` declaration, and finally charset-normalizer's statistical guess. Chinese
legacy labels are widened to their supersets (GBK/GB2312 -> GB18030, Big5 -> Big5-HKSCS). Decoding never
raises: undecodable bytes become U+FFFD and are reported.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

import charset_normalizer

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Labels widened to the superset a real page most likely used.
_WIDEN = {
    "gbk": "gb18030",
    "gb2312": "gb18030",
    "gb_2312-80": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "hz-gb-2312": "gb18030",
    "big5": "big5hkscs",
    "big5-hkscs": "big5hkscs",
    "cp950": "big5hkscs",
    "x-x-big5": "big5hkscs",
    "ascii": "utf-8",
    "us-ascii": "utf-8",
    "iso-8859-1": "cp1252",
    "latin-1": "cp1252",
}

_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
_META_CHARSET = re.compile(rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
# Only the head of a page is searched for a declaration: it must come early to count.
_META_WINDOW = 4096


@dataclass
class Decoded:
    """The decoded text, the codec used, and what went wrong (warning code, message, raw) on the way."""

    text: str
    encoding: str
    source: str  # bom | header | meta | guess | default
    problems: list[tuple[str, str, str | None]] = field(default_factory=list)


def normalise_label(label: str | None) -> str | None:
    """A charset label as a Python codec name, widened to its Chinese superset; None when unknown."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    name = _WIDEN.get(name, name)
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    return _WIDEN.get(codec, codec)


def _declared(raw: bytes, content_type: str | None) -> tuple[str | None, str]:
    for bom, enc in _BOMS:
        if raw.startswith(bom):
            return enc, "bom"
    if content_type:
        m = _HEADER_CHARSET.search(content_type)
        enc = normalise_label(m.group(1)) if m else None
        if enc:
            return enc, "header"
    m = _META_CHARSET.search(raw[:_META_WINDOW])
    if m:
        enc = normalise_label(m.group(1).decode("ascii", "ignore"))
        if enc:
            # A page saying utf-16 in an ASCII-readable meta tag cannot be utf-16.
            if enc.startswith("utf-16") or enc.startswith("utf-32"):
                enc = "utf-8"
            return enc, "meta"
    return None, "none"


def _guess(raw: bytes) -> str | None:
    # Strict UTF-8 first: it is by far the most common and its validity is a strong signal.
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    for enc in ("gb18030", "big5hkscs"):
        try:
            raw.decode(enc)
            return enc
        except UnicodeDecodeError:
            continue
    sample = raw[:200_000]
    best = charset_normalizer.from_bytes(sample).best()
    return normalise_label(best.encoding) if best else None


def decode(raw: bytes, content_type: str | None = None) -> Decoded:
    """Decode page bytes; never raises.

    Args:
        raw: the page as fetched or read from disk.
        content_type: the HTTP ``Content-Type`` header value, if known.

    Returns:
        Decoded text with the codec used. ``problems`` holds ``encoding_guessed`` when no declaration was found
        and ``encoding_errors`` when bytes had to be replaced.

    >>> decode("芯片".encode("gbk")).text
    '芯片'
    """
    problems: list[tuple[str, str, str | None]] = []
    if not raw:
        return Decoded("", "utf-8", "default", problems)
    enc, source = _declared(raw, content_type)
    if enc is not None and source != "bom":
        # A declaration that the bytes contradict is less trustworthy than a strict decode that succeeds.
        try:
            raw.decode(enc)
        except (UnicodeDecodeError, LookupError):
            guessed = _guess(raw)
            if guessed and guessed != enc:
                try:
                    raw.decode(guessed)
                    problems.append(
                        ("encoding_guessed", f"declared {enc} ({source}) does not fit the bytes; used {guessed}", None)
                    )
                    enc, source = guessed, "guess"
                except (UnicodeDecodeError, LookupError):
                    pass
    if enc is None:
        enc = _guess(raw) or "utf-8"
        source = "guess"
        if enc != "utf-8":  # bytes that are valid UTF-8 leave little to guess
            problems.append(("encoding_guessed", f"no charset declared; guessed {enc}", None))
    try:
        text = raw.decode(enc, errors="replace")
    except LookupError:
        enc = "utf-8"
        text = raw.decode(enc, errors="replace")
    if source == "bom":
        text = text.lstrip("\ufeff")
    bad = 0
    if "\ufffd" in text:
        # A U+FFFD that the page itself contains is not a decoding error.
        literal = raw.count("\ufffd".encode(enc)) if enc.startswith("utf") else 0
        bad = text.count("\ufffd") - literal
    if bad > 0:
        problems.append(("encoding_errors", f"{bad} undecodable byte sequence(s) in {enc} replaced by U+FFFD", None))
    return Decoded(text, enc, source, problems)
