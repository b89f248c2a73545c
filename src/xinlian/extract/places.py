"""Places: administrative divisions with their GB/T 2260 codes, and zones and parks.

Division names come from ``xinlian.registry.regions.name_index()`` (full and short names). A name
that several divisions share is resolved towards the article's own region: the outlet, the title
and unambiguous full names in the body set the context. A short county-level name (武进) is only
taken inside that context, so that common words that happen to be district names stay words.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from .lexicon import Matcher
from .segments import inside, is_han

_FULL_ENDINGS = ("省", "市", "区", "县", "旗", "州", "盟", "地区", "自治区")


@dataclass
class Place:
    name: str
    admin_code: str | None
    kind: str = "division"  # division | zone
    mentions: list[tuple[int, int]] | None = None


@functools.lru_cache(maxsize=1)
def region_matcher() -> Matcher | None:
    """Automaton over region names, or None while the region registry is not available."""
    try:
        from xinlian.registry import regions
    except ImportError:
        return None
    try:
        index = regions.name_index()
    except Exception:  # the registry's data may be missing in a partial checkout
        return None
    return Matcher((name, tuple(codes)) for name, codes in index.items() if len(name) >= 2)


def _codes(payloads: tuple) -> list[str]:
    out: list[str] = []
    for p in payloads:
        for c in p:
            if str(c) not in out:
                out.append(str(c))
    return out


def _level(code: str) -> str:
    if code[2:] == "0000":
        return "province"
    if code[4:] == "00":
        return "prefecture"
    return "county"


def _choose(codes: list[str], ctx4: set[str], ctx2: set[str]) -> str:
    for pool in (ctx4, ctx2):
        for c in codes:
            if c[:4] in pool or c[:2] in pool:
                return c
    return codes[0]


def context_codes(texts: list[str]) -> list[str]:
    """Codes named in outlet/author/title lines: these set the article's home region."""
    m = region_matcher()
    out: list[str] = []
    if m is None:
        return out
    for t in texts:
        for _s, _e, _w, payloads in m.longest(t or ""):
            codes = _codes(payloads)
            if len(codes) == 1:
                out.append(codes[0])
    return out


def find_places(text: str, blocked: list[tuple[int, int]], context: list[str] | None = None) -> list[Place]:
    """Divisions named in ``text`` outside ``blocked`` spans (names of organisations, titles, people).

    Args:
        text: article body.
        blocked: spans where a place name is part of something else (常州 in 常州亦泓科技有限公司).
        context: region codes from the outlet or title that tell which 武进 or 新华 is meant.
    """
    m = region_matcher()
    if m is None:
        return []
    hits = [h for h in m.longest(text) if not inside((h[0], h[1]), blocked)]
    ctx = list(context or [])
    for s, e, word, payloads in hits:
        codes = _codes(payloads)
        if len(codes) == 1 and word.endswith(_FULL_ENDINGS):
            ctx.append(codes[0])
    ctx4 = {c[:4] for c in ctx if _level(c) != "province"}
    ctx2 = {c[:2] for c in ctx}
    places: dict[str, Place] = {}
    for s, e, word, payloads in hits:
        codes = _codes(payloads)
        # a name glued into a longer Han word is not a mention (新北 in 新北京) unless it is a full name
        full = word.endswith(_FULL_ENDINGS)
        code = _choose(codes, ctx4, ctx2)
        if not full and _level(code) == "county" and code[:4] not in ctx4:
            continue
        if not full and e < len(text) and is_han(text[e]) and text[e] in "省市区县":
            continue
        p = places.setdefault(word, Place(word, code, "division", []))
        p.mentions.append((s, e))
    return list(places.values())
