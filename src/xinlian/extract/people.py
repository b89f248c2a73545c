"""People and their titles as the text gives them.

A title is zero or more prefixes (区委, 副, 常务, 中国科学院 ...) before a base title (书记, 区长,
院士, 董事长 ...), all from ``titles.yaml``; titles joined by 、 form one chained title
(区委副书记、区长). A name follows a title: a surname from ``surnames.txt`` and one or two given-name
characters, bounded by the words in ``name_boundaries.yaml``. Group labels (区领导, 市、区领导) act as a
title for the names after them. Later mentions of a found name (恽淇丞一行) are the same person.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from .lexicon import Lexicons, lexicons, matcher
from .segments import is_han


@dataclass
class Person:
    name: str
    title: str | None
    affiliation: str | None = None
    title_span: tuple[int, int] | None = None
    title_parts: list[tuple[int, int]] = field(default_factory=list)  # the titles of a chain, without orgs between
    mentions: list[tuple[int, int]] = field(default_factory=list)


class _NameReader:
    def __init__(self, lx: Lexicons):
        self.compound = tuple(s for s in lx.surnames if len(s) == 2)
        self.single = frozenset(s for s in lx.surnames if len(s) == 1)
        self.stop_words = tuple(sorted(lx.name_stop_words, key=len, reverse=True))
        self.stop_chars = lx.name_stop_chars
        self.not_names = lx.not_names
        self.stop_word_set = frozenset(lx.name_stop_words)

    def _stops(self, text: str, i: int, words: bool = True, chars: bool = True) -> bool:
        if i >= len(text):
            return True
        ch = text[i]
        if not is_han(ch) or chars and ch in self.stop_chars:
            return True
        return words and any(text.startswith(w, i) for w in self.stop_words)

    def ends(self, text: str, i: int, title_starts: set[int]) -> bool:
        """True when a name may end just before ``i``."""
        return i in title_starts or self._stops(text, i)

    def read(self, text: str, i: int, known: set[str], title_starts: set[int]) -> str | None:
        """The name starting at ``i``, or None."""
        if i >= len(text) or i in title_starts:
            return None
        if any(text.startswith(w, i) for w in self.not_names):
            return None
        for name in sorted((k for k in known if text.startswith(k, i)), key=len, reverse=True):
            return name
        if text[i:i + 2] in self.compound:
            sl = 2
        elif text[i] in self.single:
            sl = 1
        else:
            return None
        g = i + sl
        # the first given-name character may be one that often ends a name (李向东, 张为民)
        if self._stops(text, g, words=False, chars=False) or g in title_starts:
            return None
        if self._stops(text, g + 1) or (g + 1) in title_starts:
            name = text[i:g + 1]
        else:
            name = text[i:g + 2]
        # 区长强调: a boundary word is not a name
        return None if name in self.stop_word_set else name


_LEVELS = frozenset("区市省县镇乡")


@functools.lru_cache(maxsize=1)
def _place_names() -> frozenset[str]:
    from .places import region_matcher

    m = region_matcher()
    return frozenset(m.words()) if m is not None else frozenset()


_BUILT: dict[int, tuple] = {}


def _built(lx: Lexicons) -> tuple["_NameReader", frozenset[str], list[int]]:
    """Per-lexicon helpers, built once (the lexicons object is immutable)."""
    got = _BUILT.get(id(lx))
    if got is None or got[0] is not lx:
        # 新北区委书记: a place name may stand among the prefixes
        prefixes = frozenset(lx.title_prefixes) | frozenset(lx.gov_bodies) | _place_names()
        got = _BUILT[id(lx)] = (lx, _NameReader(lx), prefixes, sorted({len(p) for p in prefixes}, reverse=True))
    return got[1], got[2], got[3]


def _title_spans(text: str, lx: Lexicons) -> list[tuple[int, int]]:
    _reader, prefixes, lens = _built(lx)
    spans = []
    for start, end, _w, _p in matcher("title_bases").longest(text):
        pos = start
        while True:
            for n in lens:
                if pos - n >= 0 and text[pos - n:pos] in prefixes:
                    # a lone level character (区 in 高新区党工委) is a prefix only at a clause start
                    # or after a place name; otherwise it ends some other name
                    if n == 1 and text[pos - 1] in _LEVELS and pos >= 2 and is_han(text[pos - 2]) \
                            and not any(text.endswith(p, 0, pos - 1) for p in _place_names()):
                        continue
                    pos -= n
                    break
            else:
                break
        pos = _local_place(text, pos, lx.local_levels)
        spans.append((pos, end))
    # a prefix that itself ends in a base (区委书记 inside 区委副书记) can produce overlaps: keep outer
    spans.sort(key=lambda s: (s[0], -s[1]))
    out: list[tuple[int, int]] = []
    for s in spans:
        if out and s[0] < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], s[1]))
        else:
            out.append(s)
    return out


def _local_place(text: str, pos: int, levels: tuple[str, ...]) -> int:
    """Take a town or street name before 镇/街道 titles when it starts after punctuation or a date."""
    if not any(text.startswith(lv, pos) for lv in levels):
        return pos
    for n in (2, 3, 4):
        start = pos - n
        if start < 0:
            break
        if not all(is_han(c) for c in text[start:pos]):
            break
        before = text[start - 1] if start > 0 else "\n"
        if not is_han(before) or before in "日":
            return start
    return pos


def _org_gap(gap: str, joiners: tuple[str, ...]) -> bool:
    """、复旦大学 between two titles: a joiner, then an organisation name that ends where the next title starts."""
    if not gap or gap[0] not in joiners or len(gap) > 24:
        return False
    run = gap[1:]
    if run in ("公司", "企业", "集团", "学校", "学院", "单位"):
        return True
    if not run or not all(is_han(c) or c in "()（）" for c in run):
        return False
    return any(e == len(run) and s >= 2 for s, e, _w, _p in matcher("org_suffixes").find(run))


def _chains(spans: list[tuple[int, int]], text: str, joiners: tuple[str, ...]) -> list[list[tuple[int, int]]]:
    """Join titles separated by 、 (or 兼, or nothing, or 、 and an organisation) into chained titles;
    each chain is the list of its title parts."""
    chains: list[list[tuple[int, int]]] = []
    for s in spans:
        if chains:
            gap = text[chains[-1][-1][1]:s[0]]
            if gap == "" or gap in joiners or _org_gap(gap, joiners):
                chains[-1].append(s)
                continue
        chains.append([s])
    return chains


def find_titles(text: str, lx: Lexicons | None = None) -> list[tuple[int, int]]:
    """Chained titles in ``text`` (each a list of part spans), with or without a name after them."""
    lx = lx or lexicons()
    return _chains(_title_spans(text, lx), text, lx.chain_joiners)


def find_people(text: str, lx: Lexicons | None = None, titles: list[list[tuple[int, int]]] | None = None) -> list[Person]:
    """Titled and group-labelled people in ``text``, in order of first mention.

    >>> [(p.name, p.title) for p in find_people("区委副书记、区长恽淇丞走访企业。副区长王斐参加调研。")]
    [('恽淇丞', '区委副书记、区长'), ('王斐', '副区长')]
    """
    lx = lx or lexicons()
    reader = _built(lx)[0]
    chains = find_titles(text, lx) if titles is None else titles
    parts_of = {(c[0][0], c[-1][1]): c for c in chains}
    titles = list(parts_of)
    groups = [(s, e) for s, e, _w, _p in matcher("group_labels").longest(text)]
    heads = sorted([(s, e, text[s:e], True) for s, e in titles] + [(s, e, text[s:e], False) for s, e in groups])
    title_starts = {s for s, _e in titles}
    bylines = [(s, e) for s, e, _w, _p in matcher("not_people").find(text)]

    people: dict[str, Person] = {}
    known: set[str] = set()
    for start, end, label, _is_title in heads:
        if any(bs <= start <= be + 1 for bs, be in bylines):
            continue
        pos = end
        while True:
            name = reader.read(text, pos, known, title_starts)
            if not name:
                break
            person = people.get(name)
            if person is None:
                person = people[name] = Person(name, label, title_span=(start, end), title_parts=parts_of.get((start, end), [(start, end)]))
            elif person.title is None:
                person.title, person.title_span = label, (start, end)
                person.title_parts = parts_of.get((start, end), [(start, end)])
            known.add(name)
            pos += len(name)
            # a list of names after one title or label: 区领导王五、赵六
            if pos < len(text) and text[pos] == "、" and pos + 1 not in title_starts:
                nxt = reader.read(text, pos + 1, known, title_starts)
                end_ok = reader.ends(text, pos + 1 + len(nxt), title_starts) if nxt else False
                if nxt and end_ok:
                    pos += 1
                    continue
            break
    # every mention of every found name
    for name, person in people.items():
        i = text.find(name)
        while i >= 0:
            person.mentions.append((i, i + len(name)))
            i = text.find(name, i + len(name))
    return sorted(people.values(), key=lambda p: p.mentions[0][0] if p.mentions else 0)

