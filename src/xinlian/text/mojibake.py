"""Stage 4: find and repair broken-encoding stretches.

A stretch is damaged when it holds U+FFFD, private-use code points, a ``?`` inside a run of Han characters, or a
leftover pinyin fragment such as ``?zhǔn)``; it grows over the neighbouring characters that read only as isolated
singles (what a misaligned GBK reading looks like). Byte-shift damage (a GBK lead byte lost, so every later pair
is read one byte off) is repaired by re-encoding the stretch as GB18030 and reading it again byte by byte, where
at each byte the reader may assume one kind of damage (a lost lead or trail byte, a stray byte, a lost high bit,
a lost character boundary). A beam of readings is scored by jieba's word frequencies, with the words and comma
style of the rest of the document as hints. Every repair and every failure is reported with the raw stretch;
nothing is dropped silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from xinlian.text._score import (
    NO_CONTEXT,
    UNKNOWN_CUTOFF,
    Context,
    char_logp,
    document_context,
    neighbours,
    score,
    segment,
    total,
)
from xinlian.text.t2s import char_to_simplified, to_simplified

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff"
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
# Any of these means "look closer"; the fast path skips texts that have none.
_QUICK = re.compile(r"[?\ufffd\ue000-\uf8ff]")
_PINYIN_LEFTOVER = re.compile(rf"\?[a-zü{_TONED}]{{1,6}}\)")
_GARBAGE_SYMBOLS = "@#$%^&*~`|\\?\ufffd"
_LEADS = range(0x81, 0xFF)
_TRAILS = [b for b in range(0x40, 0xFF) if b != 0x7F]

# How hard to look: enough for one or two lost bytes, bounded so a page of garbage stays fast.
_MAX_STRETCH_BYTES = 32
# Work budgets are counted in steps, not seconds, so that cleaning is deterministic (and so idempotent).
_STRETCH_BUDGET = 20_000  # candidate readings scored per stretch
# Per text, a safety valve for pathological pages: once spent, later stretches are only reported (this alone
# can make a second cleaning differ from the first, and only on such pages).
_PAGE_BUDGET = 400_000
_MAX_SIDE = 16
# Past this many damage marks (and 5% of the line) a line is not damaged prose but undecodable bytes:
# it is reported once, not searched stretch by stretch.
_MASS_DAMAGE = 30
_MASS_TEXT = 300  # the same for a whole text (1% of it)
_MAX_STRETCHES = 200
# A repair must read like ordinary text and clearly better than the damage.
_ACCEPT_SCORE = -9.0
_MIN_GAIN = 2.0


@dataclass
class Finding:
    """One damaged stretch: where it was, what it was, and what (if anything) replaces it."""

    start: int
    end: int
    raw: str
    repaired: str | None
    count: int = 1  # more than one when many stretches are reported together (text mostly undecodable)


def _is_han(ch: str) -> bool:
    return "\u3400" <= ch <= "\u4dbf" or "\u4e00" <= ch <= "\u9fff"


# Scripts a misaligned GBK reading produces but Chinese prose almost never contains.
_ALIEN = re.compile(r"[\u0370-\u03ff\u0400-\u04ff\u2460-\u24ff\u2500-\u257f\u3040-\u30ff\u3100-\u312f\uac00-\ud7af]")


def _is_damage_char(ch: str) -> bool:
    return ch in _GARBAGE_SYMBOLS or "\ue000" <= ch <= "\uf8ff" or _ALIEN.match(ch) is not None


def find_stretches(text: str) -> list[tuple[int, int]]:
    """Spans (start, end) of damaged stretches, merged where they touch.

    From each suspicious character the stretch grows left and right over characters that the dictionary reads
    only as isolated single characters (what a misaligned GBK reading looks like), and stops at punctuation,
    spaces or the first real word.
    """
    spans: list[tuple[int, int]] = []
    for m in _QUICK.finditer(text):
        if len(spans) >= _MAX_STRETCHES:
            break
        i = m.start()
        if spans and i < spans[-1][1]:
            continue
        if text[i] == "?" and not (
            (i > 0 and _is_han(text[i - 1])) or (i + 1 < len(text) and _is_han(text[i + 1]))
        ):
            continue
        if text[i] == "?" and not _looks_damaged_question(text, i):
            continue
        end = i + 1
        leftover = _PINYIN_LEFTOVER.match(text, i)
        if leftover:
            end = leftover.end()
        start = i - _grow(text[max(0, i - _MAX_SIDE) : i][::-1], reverse=True)
        end = end + _grow(text[end : end + _MAX_SIDE])
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
    return spans


def _grow(side: str, reverse: bool = False) -> int:
    """How many characters of ``side`` (read outward from the damage) belong to the damaged stretch."""
    n = 0
    for ch in side:
        if not (_is_han(ch) or _is_damage_char(ch)):
            break
        n += 1
    if n == 0:
        return 0
    run = side[:n][::-1] if reverse else side[:n]
    simple = to_simplified(run)
    if len(simple) != len(run):
        return min(n, 1)
    words = segment(simple)
    if reverse:
        words = words[::-1]
    taken = 0
    for w in words:
        if len(w) > 1 and not any(_is_damage_char(c) for c in w):
            break
        taken += len(w)
    return taken


def _looks_damaged_question(text: str, i: int) -> bool:
    """A half-width ``?`` between Han characters is damage unless the text around it reads well."""
    if _PINYIN_LEFTOVER.match(text, i):
        return True
    window = text[max(0, i - 4) : i] + text[i + 1 : i + 5]
    return score(to_simplified(window)) < _ACCEPT_SCORE


def _char(a: int, b: int) -> str | None:
    try:
        return bytes((a, b)).decode("gb18030")
    except UnicodeDecodeError:
        return None


_ROW_CACHE: dict[tuple[str, int], _Row] = {}


@dataclass(frozen=True)
class _Row:
    """The characters sharing one byte: by frequency, and grouped by simplified form."""

    by_freq: tuple[str, ...]
    by_simple: dict[str, tuple[str, ...]]


def _row(chars: list[str]) -> _Row:
    groups: dict[str, list[str]] = {}
    for c in chars:
        groups.setdefault(char_to_simplified(c), []).append(c)
    ordered = sorted(chars, key=lambda c: char_logp(char_to_simplified(c)), reverse=True)
    return _Row(tuple(ordered), {k: tuple(v) for k, v in groups.items()})


def _likely(
    prev: str, row: _Row, keep: int = 8, following: str | None = None, context: Context = NO_CONTEXT
) -> list[str]:
    """The characters of ``row`` likeliest between ``prev`` and ``following``: those forming a dictionary word
    with either neighbour (more so when the document uses that word), then the most frequent ones."""
    after, before = neighbours()
    p = to_simplified(prev) if prev else ""
    scores: dict[str, float] = {}

    def consider(word_chars: dict[str, float], make_word) -> None:
        small, large = (word_chars, row.by_simple) if len(word_chars) < len(row.by_simple) else (row.by_simple, word_chars)
        for sc in small:
            if sc in large:
                lp = word_chars[sc]
                if context.words and make_word(sc) in context.words:
                    lp += context.word_bonus
                for c in row.by_simple[sc]:
                    if lp > scores.get(c, -1e9):
                        scores[c] = lp

    for k in (1, 2, 3):
        if len(p) >= k and (chars := after.get(p[-k:])):
            consider(chars, lambda sc, pre=p[-k:]: pre + sc)
    if following:
        f = char_to_simplified(following)
        if chars := before.get(f):
            consider(chars, lambda sc: sc + f)
    for c in row.by_freq[:keep]:
        scores.setdefault(c, char_logp(char_to_simplified(c)) - 6.0)
    return sorted(scores, key=scores.__getitem__, reverse=True)[:keep]


def _next_char(data: bytes, pos: int) -> str | None:
    """The character the bytes at ``pos`` read as, if they read as one."""
    if pos >= len(data):
        return None
    if data[pos] < 0x80:
        return chr(data[pos])
    return _char(data[pos], data[pos + 1]) if pos + 1 < len(data) else None


def _with_lead(trail: int) -> _Row:
    """Every character whose second byte is ``trail``."""
    key = ("t", trail)
    if key not in _ROW_CACHE:
        _ROW_CACHE[key] = _row([c for x in _LEADS if (c := _char(x, trail)) is not None])
    return _ROW_CACHE[key]


def _with_trail(lead: int) -> _Row:
    """Every character whose first byte is ``lead``."""
    key = ("l", lead)
    if key not in _ROW_CACHE:
        _ROW_CACHE[key] = _row([c for t in _TRAILS if (c := _char(lead, t)) is not None])
    return _ROW_CACHE[key]


def _steps(data: bytes, pos: int, prev: str, context: Context = NO_CONTEXT):
    """Ways to read on from ``pos``: (characters emitted, new position, edits used)."""
    b = data[pos]
    nxt = data[pos + 1] if pos + 1 < len(data) else None
    if b < 0x80:
        if b != 0x3F:
            yield chr(b), pos + 1, 0
        yield "", pos + 1, _COST_DROP  # drop the byte
    else:
        if nxt is not None and (c := _char(b, nxt)) is not None:
            yield c, pos + 2, 0
        yield "", pos + 1, _COST_DROP  # a stray byte: drop it
        if (b ^ 0x80) >= 0x20:  # a lost high bit turned an ASCII byte into a lead
            yield chr(b ^ 0x80), pos + 1, _COST_FLIP
        # The trail byte of this lead was lost: any trail completes it, the next byte stays.
        for c in _likely(prev, _with_trail(b), following=_next_char(data, pos + 1), context=context):
            yield c, pos + 1, _COST_LOST
        if nxt == 0x3F:
            # The trail byte is the one that could not be decoded.
            for c in _likely(prev, _with_trail(b), following=_next_char(data, pos + 2), context=context):
                yield c, pos + 2, _COST_UNKNOWN
        # The middle of two characters was lost: lead .. trail.
        if nxt is not None and 0x40 <= nxt < 0x80:
            for c1 in _likely(prev, _with_trail(b), 4, context=context):
                for c2 in _likely(prev[-2:] + c1, _with_lead(nxt), 4, context=context):
                    yield c1 + c2, pos + 2, _COST_FILL
    if 0x40 <= b <= 0xFE and b != 0x7F and b != 0x3F:
        # The lead byte before this one was lost.
        for c in _likely(prev, _with_lead(b), following=_next_char(data, pos + 1), context=context):
            yield c, pos + 1, _COST_LOST
    if b == 0x3F and nxt is not None and nxt >= 0x40:
        # '?' stands where a lead byte could not be decoded.
        for c in _likely(prev, _with_lead(nxt), following=_next_char(data, pos + 2), context=context):
            yield c, pos + 2, _COST_UNKNOWN


# What each assumed damage costs, in nats of log-probability. Lost bytes are the damage we expect; a '?' or
# U+FFFD already says a byte is unknown; dropping bytes is dear, or saying less would always read best.
_COST_UNKNOWN = 3.0
_COST_LOST = 3.0
_COST_FLIP = 3.0
_COST_FILL = 3.0
_COST_DROP = 9.0
_MAX_COST = 24.0
_SINGLE_PENALTY = -3.0  # for the final choice: isolated characters are what misreadings are made of
_WIDTH = 16


def repair(
    stretch: str,
    left: str = "",
    right: str = "",
    budget: int = _STRETCH_BUDGET,
    context: Context = NO_CONTEXT,
    spent: list[int] | None = None,
) -> str | None:
    """The best reading of a damaged stretch, or None when no candidate reads well enough.

    The stretch is re-encoded as GB18030 and read again byte by byte; at each byte the reader may also assume
    one kind of damage (a lost lead or trail byte, a stray byte, a lost high bit, a lost character boundary).
    A beam of readings is scored by jieba's dictionary, each assumed damage costing a little.

    Args:
        stretch: the damaged characters.
        left, right: a few characters of context on each side, used only for scoring.
        budget: give up after scoring this many candidate readings.
        spent: if given, ``spent[0]`` is increased by the readings scored (a page-wide budget).
        context: words and comma style of the whole document (see ``_score.document_context``).
    """
    # U+FFFD re-encodes to bytes that were never on the page; it stands for one unknown byte, like '?'.
    cleaned = _PINYIN_LEFTOVER.sub("?", stretch).replace("\ufffd", "?")
    if not _repairable(cleaned):
        return None
    data = cleaned.encode("gb18030", errors="replace")
    if not data or len(data) > _MAX_STRETCH_BYTES:
        return None
    work = 0
    left_s, right_s = to_simplified(left), to_simplified(right)
    base = score(left_s + to_simplified(stretch) + right_s)

    def rank(text: str, edits: float, tail: str = "", single: float = 0.0) -> float:
        # Readings at the same byte position consumed the same bytes, so total log-probability compares them.
        cand = to_simplified(text)
        region = (len(left_s), len(left_s) + len(cand))
        return total(left_s + cand + tail, single, context, region) - edits


    # Hypotheses grouped by byte position: emitted text -> (damage cost, quick estimate of its rank).
    frontier: dict[int, dict[str, tuple[float, float]]] = {0: {"": (0.0, 0.0)}}
    finished: dict[str, float] = {}
    for pos in range(len(data)):
        hyps = frontier.pop(pos, None)
        if not hyps:
            continue
        work += len(hyps)
        if spent is not None:
            spent[0] += len(hyps)
        if work > budget:
            return None
        # The exact score (a segmentation) is dear: shortlist by the quick estimate first.
        shortlist = sorted(hyps.items(), key=lambda h: h[1][1], reverse=True)[: 3 * _WIDTH]
        exact = sorted(((rank(t, v[0]), t, v[0]) for t, v in shortlist), reverse=True)[:_WIDTH]
        for parent_rank, text, edits in exact:
            prev = (left + text)[-3:]
            for emitted, new_pos, cost in _steps(data, pos, prev, context):
                e = edits + cost
                if e > _MAX_COST:
                    continue
                estimate = parent_rank - cost + sum(char_logp(char_to_simplified(c)) for c in emitted)
                key = text + emitted
                if new_pos >= len(data):
                    if key not in finished or finished[key] > e:
                        finished[key] = e
                    continue
                target = frontier.setdefault(new_pos, {})
                if key not in target or target[key][0] > e:
                    target[key] = (e, estimate)
    if not finished:
        return None
    final = sorted(
        ((rank(t, e, right_s, _SINGLE_PENALTY), t) for t, e in finished.items()), reverse=True
    )
    best_text = final[0][1]
    best_score = score(left_s + to_simplified(best_text) + right_s)
    if best_score < _ACCEPT_SCORE or best_score - base < _MIN_GAIN or not best_text:
        return None
    if any(char_logp(c) <= UNKNOWN_CUTOFF for c in to_simplified(best_text)):
        return None
    if any(c.isascii() and c.isalnum() and c not in stretch for c in best_text):
        return None  # letters or digits out of nowhere are a misreading, not a repair
    return best_text


_TO_HALF = str.maketrans("，；：", ",;:")
_TO_FULL = str.maketrans(",;:", "，；：")


def _match_punctuation(repaired: str, context: Context) -> str:
    """Write a repair's commas the way the rest of the page writes them."""
    if "，" in context.avoid:
        return repaired.translate(_TO_HALF)
    if "," in context.avoid:
        return repaired.translate(_TO_FULL)
    return repaired


def _repairable(cleaned: str) -> bool:
    """Only stretches with some bytes left to re-read can be repaired; a run of '?' cannot."""
    return any(c != "?" for c in cleaned)


_AROUND = 1500  # characters each side of a stretch read for its document context


def _surroundings(text: str, stretches: list[tuple[int, int]]) -> str:
    """The text within ``_AROUND`` characters of the stretches, without the stretches themselves."""
    parts: list[str] = []
    last = 0
    starts = [s for s, _ in stretches[1:]] + [len(text)]
    for (start, end), following in zip(stretches, starts):
        parts.append(text[max(last, start - _AROUND) : start])
        last = min(following, end + _AROUND)
        parts.append(text[end:last])
    return "\n".join(parts)


def fix(text: str) -> tuple[str, list[Finding]]:
    """Repair what can be repaired; return the new text and one finding per damaged stretch.

    Each line is repaired on its own, with only that line as context, so that removing other lines (as the
    boilerplate stage does) never changes a decision here: cleaning stays idempotent. Unrepaired stretches stay
    in the text as they were (and are reported), so no content disappears.
    """
    first = _QUICK.search(text)
    if not first:
        return text, []
    marks = len(_QUICK.findall(text, first.start()))
    if marks > _MASS_TEXT and marks > len(text) // 100:
        start = first.start()
        return text, [Finding(start, start + 40, text[start : start + 40], None, count=marks)]
    findings: list[Finding] = []
    out: list[str] = []
    pos = 0
    spent = [0]
    for m in _QUICK.finditer(text, first.start()):
        if m.start() < pos:
            continue  # this line is done
        start = text.rfind("\n", 0, m.start()) + 1
        end = text.find("\n", m.start())
        end = len(text) if end < 0 else end
        fixed, found = _fix_line(text[start:end], start, spent)
        out.append(text[pos:start])
        out.append(fixed)
        findings.extend(found)
        pos = end
    out.append(text[pos:])
    return "".join(out), findings


def _fix_line(line: str, offset: int, spent: list[int]) -> tuple[str, list[Finding]]:
    first = _QUICK.search(line)
    assert first is not None
    marks = len(_QUICK.findall(line, first.start()))
    if marks > _MASS_DAMAGE and marks > len(line) // 20:
        start = first.start()
        return line, [Finding(offset + start, offset + start + 40, line[start : start + 40], None, count=marks)]
    stretches = find_stretches(line)
    findings: list[Finding] = []
    out: list[str] = []
    pos = 0
    context = None  # the rest of the line: which words and commas it uses (built only when needed)
    for start, end in stretches:
        raw = line[start:end]
        fixed = None
        budget = min(_STRETCH_BUDGET, _PAGE_BUDGET - spent[0])
        if budget > 0 and _repairable(_PINYIN_LEFTOVER.sub("?", raw).replace("\ufffd", "?")):
            if context is None:
                context = document_context(to_simplified(_surroundings(line, stretches)))
            fixed = repair(
                raw, line[max(0, start - 4) : start], line[end : end + 4], budget, context=context, spent=spent
            )
            if fixed is not None:
                fixed = _match_punctuation(fixed, context)
        findings.append(Finding(offset + start, offset + end, raw, fixed))
        out.append(line[pos:start])
        out.append(fixed if fixed is not None else raw)
        pos = end
    out.append(line[pos:])
    return "".join(out), findings
