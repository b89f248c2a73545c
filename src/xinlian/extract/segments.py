"""Split a clean article body into paragraphs and sentences, keeping character offsets.

Every extractor reports spans as offsets into the one body string, so events can ask
"which people and companies are in this sentence" by comparing offsets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SENTENCE_END = re.compile(r"[。！？!?；;]+[”’\"」』）)]*|\n+")


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str
    paragraph: int


def is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def sentences(body: str) -> list[Sentence]:
    """Sentences of ``body`` with offsets; a newline ends a paragraph.

    >>> [s.text for s in sentences("甲。乙！\\n丙")]
    ['甲。', '乙！', '丙']
    """
    out: list[Sentence] = []
    paragraph, start = 0, 0
    for m in _SENTENCE_END.finditer(body):
        end = m.end()
        piece = body[start:end].rstrip("\n")
        if piece.strip():
            out.append(Sentence(start, start + len(piece), piece, paragraph))
        if "\n" in m.group():
            paragraph += 1
        start = end
    if start < len(body) and body[start:].strip():
        out.append(Sentence(start, len(body), body[start:], paragraph))
    return out


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def inside(a: tuple[int, int], spans) -> bool:
    """True when span ``a`` overlaps any of ``spans``."""
    return any(overlaps(a, s) for s in spans)
