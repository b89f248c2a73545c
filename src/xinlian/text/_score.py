"""How well a short string reads as Chinese, by jieba's dictionary word frequencies.

Used to choose between candidate repairs of damaged text. The dictionary is loaded once per process.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_PUNCT = frozenset("，。、；：？！“”‘’（）《》〈〉【】—…·,.;:!()\"' -")
_MAX_WORD = 4
# A Han character unknown to the dictionary reads very badly; replacement characters and stray symbols worse.
_UNKNOWN_HAN = -22.0
_BAD = -30.0
_NEUTRAL = -7.0  # punctuation: neither evidence for nor against
# The commonest marks are likelier than the rest (rough shares in Chinese news text).
_PUNCT_LOGP = {"，": -4.0, "。": -4.5, ",": -5.0, "、": -6.0, "“": -6.0, "”": -6.0, "：": -6.5, "；": -7.5}
_ALNUM = -8.0
_OTHER = -15.0
UNKNOWN_CUTOFF = -20.0  # a character scoring at or below this is not plausible text
_BAD_CHARS = frozenset("\ufffd?@#$%^&*~`|\\{}[]<>")


@functools.cache
def _table() -> tuple[dict[str, float], float]:
    import jieba  # imported late: loading its dictionary takes half a second

    jieba.setLogLevel(60)
    jieba.initialize()
    freq = jieba.dt.FREQ
    total = float(jieba.dt.total)
    logp = {w: math.log(f / total) for w, f in freq.items() if f > 0 and len(w) <= _MAX_WORD}
    return logp, math.log(1.0 / total)


def char_logp(ch: str) -> float:
    """Log-probability of a single character as a word; very low for unknown characters."""
    logp, _ = _table()
    if ch in logp:
        return logp[ch]
    if _HAN.match(ch):
        return _UNKNOWN_HAN
    if ch in _BAD_CHARS or ("\ue000" <= ch <= "\uf8ff"):
        return _BAD
    if ch in _PUNCT:
        return _PUNCT_LOGP.get(ch, _NEUTRAL)
    if ch.isascii() and ch.isalnum():
        return _ALNUM
    return _OTHER


def score(text: str) -> float:
    """Mean log-probability per character of the best segmentation of ``text`` into dictionary words."""
    if not text:
        return _BAD
    return total(text) / len(text)


@dataclass(frozen=True)
class Context:
    """What the rest of the document says: its words read likelier, its comma style is kept.

    A damaged stretch is repaired inside a document; words the same document uses elsewhere (a cache
    language model) and the comma width it uses are strong hints that a unigram dictionary lacks.
    """

    words: frozenset[str] = frozenset()
    word_bonus: float = 4.0
    avoid: frozenset[str] = frozenset()  # characters the document does not use (e.g. '，' on a ',' page)
    avoid_penalty: float = -3.0


NO_CONTEXT = Context()
_DOC_LIMIT = 200_000


def document_context(text: str) -> Context:
    """Collect the dictionary words (2-4 characters) of a document and its comma style."""
    logp, _ = _table()
    doc = text[:_DOC_LIMIT]
    words = {doc[i : i + k] for k in (2, 3, 4) for i in range(len(doc) - k + 1)}
    words = frozenset(w for w in words if w in logp)
    half, full = doc.count(","), doc.count("，")
    avoid = frozenset("，") if half > full else frozenset(",") if full > half else frozenset()
    return Context(words=words, avoid=avoid)


def total(
    text: str, single_penalty: float = 0.0, context: Context = NO_CONTEXT, region: tuple[int, int] = (0, 1 << 30)
) -> float:
    """Log-probability of the best segmentation of ``text`` into dictionary words (0 for empty text).

    ``single_penalty`` is added for each Han character that stands alone between words: misaligned readings
    are strings of such characters. ``context`` bonuses apply only to words overlapping ``region`` (the
    candidate reading, not the fixed text around it, whose segmentation must not decide between readings).
    """
    return _best(text, single_penalty, context, region)[0]


def segment(text: str) -> list[str]:
    """The best segmentation of ``text`` into dictionary words and single characters."""
    return _best(text)[1]


def _best(
    text: str, single_penalty: float = 0.0, context: Context = NO_CONTEXT, region: tuple[int, int] = (0, 1 << 30)
) -> tuple[float, list[str]]:
    logp, _ = _table()
    n = len(text)
    best = [0.0] + [-math.inf] * n
    back = [0] * (n + 1)
    for i in range(n):
        if best[i] == -math.inf:
            continue
        base = best[i]
        ch = text[i]
        cand = base + char_logp(ch) + (single_penalty if single_penalty and _HAN.match(ch) else 0.0)
        if ch in context.avoid:
            cand += context.avoid_penalty
        if cand > best[i + 1]:
            best[i + 1] = cand
            back[i + 1] = i
        for j in range(i + 2, min(n, i + _MAX_WORD) + 1):
            w = logp.get(text[i:j])
            if w is not None and context.words and i < region[1] and j > region[0] and text[i:j] in context.words:
                w += context.word_bonus
            if w is not None and base + w > best[j]:
                best[j] = base + w
                back[j] = i
    words = []
    j = n
    while j > 0:
        words.append(text[back[j] : j])
        j = back[j]
    return best[n], words[::-1]


def word_logp(word: str) -> float | None:
    """Log-probability of a dictionary word, or None when the dictionary does not have it."""
    return _table()[0].get(word)


@functools.cache
def neighbours() -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """From the dictionary: which characters end a word after a given 1-3 character start, and which
    characters start a two-character word before a given character, with the word's log-probability."""
    logp, _ = _table()
    after: dict[str, dict[str, float]] = {}
    before: dict[str, dict[str, float]] = {}
    for w, lp in logp.items():
        n = len(w)
        if n < 2:
            continue
        d = after.setdefault(w[:-1], {})
        if lp > d.get(w[-1], -math.inf):
            d[w[-1]] = lp
        if n == 2:
            d = before.setdefault(w[1], {})
            if lp > d.get(w[0], -math.inf):
                d[w[0]] = lp
    return after, before
