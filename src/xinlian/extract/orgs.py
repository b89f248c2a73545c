"""Organisations and their kind (company, government, zone, university, institute, association,
media, investor).

Names are found by their endings (``org_suffixes.yaml``): from a legal form (有限公司) or an org-type
ending (大学, 研究院, 高新区 ...) the name is extended left over Han characters, Latin letters and
brackets, and stops at separators, digits, a known title or person, or where a stop word ends
(前往, 调研, 据 ...). Government bodies and outlets come from word lists; declared short names
(以下简称"博康信息") become aliases; a caller's ``NameIndex`` finds registry short names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .lexicon import Lexicons, Matcher, NameIndex, lexicons, matcher
from .segments import inside, is_han

_ALIAS = re.compile(r"[（(]?\s*(?:以下|下文)?(?:简称|简称为|以下称)[:：为]?\s*[“\"「‘'《]([^”\"」’'》，,。)）]{2,12})[”\"」’'》]\s*[）)]?")
_LOCAL_BUREAU = re.compile(r"(?<![\u4e00-\u9fff])[省市区县][\u4e00-\u9fff]{2,7}?局(?![\u4e00-\u9fff]{0,1}长)")
_STOCK = re.compile(r"[（(](?:股票代码|证券代码)?[:：]?\s*(?:SH|SZ|BJ|HK)?\.?\d{4,6}(?:\.(?:SH|SZ|BJ|HK))?[）)]")
_OPEN, _CLOSE = "(（[【", ")）]】"


@dataclass
class Organization:
    name: str
    kind: str
    aliases: list[str] = field(default_factory=list)
    mentions: list[tuple[int, int]] = field(default_factory=list)
    enterprise_ids: tuple[str, ...] = ()
    source: str = "pattern"  # pattern | lexicon | alias | registry | byline
    # mentions that only give a person's employer (复旦大学教授X): not an actor of the events
    affiliation_spans: list[tuple[int, int]] = field(default_factory=list)


def _name_char(ch: str) -> bool:
    return is_han(ch) or ch.isascii() and ch.isalpha() or ch in _OPEN or ch in _CLOSE or ch in "·&"


def _balanced(name: str) -> str:
    """Cut an unmatched opening bracket and everything before it."""
    depth = 0
    cut = 0
    for i, ch in enumerate(name):
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth -= 1
            if depth < 0:
                cut, depth = i + 1, 0
    if depth > 0:
        # the last unmatched opener starts a fresh name
        depth, last = 0, 0
        for i, ch in enumerate(name):
            if ch in _OPEN:
                depth += 1
                if depth == 1:
                    last = i
            elif ch in _CLOSE:
                depth = max(0, depth - 1)
        if depth > 0:
            cut = max(cut, last + 1)
    return name[cut:]


class OrgFinder:
    def __init__(self, lx: Lexicons | None = None):
        self.lx = lx or lexicons()
        self.kinds = {s: k for s, k in self.lx.type_suffixes}
        self.stops = {w for w in self.lx.stop_prefixes if not w.startswith("^")}
        self.clause_stops = {w[1:] for w in self.lx.stop_prefixes if w.startswith("^")}
        self.stop_lens = sorted({len(w) for w in self.stops | self.clause_stops}, reverse=True)
        self.generic = set(self.lx.generic_stems)
        self.generic_sorted = sorted(self.generic, key=len, reverse=True)
        self.trim = sorted(self.lx.trim_leading, key=len, reverse=True)

    def _extend_left(self, text: str, start: int, hard: set[int]) -> int:
        pos = start
        limit = max(0, start - self.lx.max_org_length)
        while pos > limit:
            if pos in hard:
                break
            ch = text[pos - 1]
            if ch in self.lx.stop_chars or not _name_char(ch) or ch.isdigit():
                break
            if self._stop_ends_at(text, pos):
                break
            pos -= 1
        return pos

    def _stop_ends_at(self, text: str, pos: int) -> bool:
        for n in self.stop_lens:
            if pos - n < 0:
                continue
            w = text[pos - n:pos]
            if w in self.stops:
                return True
            if w in self.clause_stops and (pos - n == 0 or not _name_char(text[pos - n - 1])):
                return True
        return False

    def _join_across(self, text: str, start: int, kind: str, hard: set[int]) -> int:
        """中国科学院苏州纳米技术与纳米仿生研究所: an institute name may hold 与/和 when the words before
        it open with a research body (科学院, 大学, 研究院) and go on after it."""
        if kind not in ("institute", "university") or start < 2 or text[start - 1] not in "与和":
            return start
        before = self._extend_left(text, start - 1, hard)
        run = text[before:start - 1]
        for s, e, _w, payloads in matcher("org_suffixes").find(run):
            if any(p in ("institute", "university") for p in payloads) and len(run) - e >= 2 and s >= 2:
                return before
        return start

    def _descriptor_cut(self, name: str, places: Matcher | None) -> int:
        """国产EDA企业杭州芯图软件有限公司: a descriptor word (企业, 龙头企业) followed by a place name
        ends the description; the name starts at the place."""
        if places is None:
            return 0
        cut = 0
        for w in self.trim:
            i = name.find(w, 1)
            while i > 0:
                j = i + len(w)
                if any(s == 0 for s, _e, _w, _p in places.find(name[j:j + 8])) and j > cut:
                    cut = j
                i = name.find(w, i + 1)
        return cut

    def _generic(self, stem: str) -> bool:
        from .nodes import keyword_matcher

        rest = stem
        changed = True
        while rest and changed:
            changed = False
            for w in self.generic_sorted:
                if rest.startswith(w):
                    rest, changed = rest[len(w):], True
        if not rest:
            return True
        km = keyword_matcher("semiconductor")
        return km is not None and any(s == 0 and e == len(stem) for s, e, _w, _p in km.find(stem.lower()))

    def _kind(self, stem: str, suffix: str, payloads: tuple) -> str:
        kinds = [p for p in payloads if p != "legal"]
        if "legal" in payloads and not kinds:
            core = re.sub(r"[（(][^）)]*[）)]", "", stem)
            if any(core.endswith(w) for w in self.lx.investor_stems):
                return "investor"
            return "company"
        return kinds[0] if kinds else "company"

    def pattern_orgs(self, text: str, blocked: list[tuple[int, int]], places: Matcher | None = None) -> list[Organization]:
        hard = {e for _s, e in blocked}
        found: dict[tuple[int, int], tuple[str, int]] = {}
        longest: dict[int, tuple[int, int, str, tuple]] = {}
        for hit in matcher("org_suffixes").find(text):
            if hit[1] not in longest or hit[1] - hit[0] > longest[hit[1]][1] - longest[hit[1]][0]:
                longest[hit[1]] = hit
        for s, e, suffix, payloads in sorted(longest.values()):
            if inside((s, e), blocked):
                continue
            # the suffix must end the name: 有限公司 inside 有限公司法 is not a name
            if e < len(text) and suffix in ("公司", "集团") and text[e:e + 2] in ("法", "制"):
                continue
            start = self._extend_left(text, s, hard)
            start = self._join_across(text, start, next((p for p in payloads if p != "legal"), "company"), hard)
            name = _balanced(text[start:e])
            start = e - len(name)
            for w in self.trim:
                while name.startswith(w) and len(name) > len(w):
                    name, start = name[len(w):], start + len(w)
            cut = self._descriptor_cut(name, places)
            name, start = name[cut:], start + cut
            stem = name[: len(name) - len(suffix)]
            plain = re.sub(r"[（()）]", "", stem)
            if len(plain) < self.lx.min_stem or not is_han(name[0]) and not name[0].isalpha():
                continue
            if suffix == "公司" and not _starts_with_place(name, places):
                continue
            kind = self._kind(stem, suffix, payloads)
            if kind == "zone" and e < len(text) and text[e] in "(（":
                close = next((k for k in range(e + 1, min(len(text), e + 8)) if text[k] in ")）"), None)
                if close is not None and places is not None and any(
                        s == 0 and ee == close - e - 1 for s, ee, _w, _p in places.find(text[e + 1:close])):
                    e = close + 1  # 常州国家高新区（新北区）
            if ("legal" not in payloads or suffix in ("公司", "集团")) and self._generic(plain):
                continue
            key = (start, e)
            if key not in found or len(suffix) > found[key][1]:
                found[key] = (kind, len(suffix))
        spans = _outermost(found)
        return [Organization(text[s:e], found[(s, e)][0], mentions=[(s, e)]) for s, e in spans]

    def lexicon_orgs(self, text: str, blocked: list[tuple[int, int]], places: Matcher | None) -> list[Organization]:
        out: list[Organization] = []
        prefixes = sorted(self.lx.gov_prefixes, key=len, reverse=True)
        for s, e, _w, _p in matcher("gov_bodies").longest(text):
            if inside((s, e), blocked):
                continue
            pos = s
            while True:
                moved = False
                if places is not None:
                    ends = [h for h in places.find(text[max(0, pos - 12):pos]) if h[1] == min(12, pos)]
                    if ends:
                        pos -= max(h[1] - h[0] for h in ends)
                        moved = True
                if not moved:
                    for p in prefixes:
                        if text[max(0, pos - len(p)):pos] == p:
                            pos -= len(p)
                            moved = True
                            break
                if not moved or inside((pos, e), blocked):
                    break
            if inside((pos, e), blocked):
                pos = s
            out.append(Organization(text[pos:e], "government", mentions=[(pos, e)], source="lexicon"))
        # 区交通运输局, 市住建局: a level character at a clause start, a few Han characters, 局
        for m in _LOCAL_BUREAU.finditer(text):
            if not inside((m.start(), m.end()), blocked) and not inside((m.start(), m.end()), [x.mentions[0] for x in out]):
                out.append(Organization(m.group(0), "government", mentions=[(m.start(), m.end())], source="pattern"))
        for s, e, _w, _p in matcher("outlets").longest(text):
            if not inside((s, e), blocked):
                out.append(Organization(text[s:e], "media", mentions=[(s, e)], source="lexicon"))
        return out


_FINDERS: dict[int, tuple[Lexicons, OrgFinder]] = {}


def _finder(lx: Lexicons) -> OrgFinder:
    got = _FINDERS.get(id(lx))
    if got is None or got[0] is not lx:
        got = _FINDERS[id(lx)] = (lx, OrgFinder(lx))
    return got[1]


def _starts_with_place(name: str, places: Matcher | None) -> bool:
    """国网常州供电公司, 江苏省电力公司: a bare 公司 name is taken only when it opens with a place name."""
    if places is None:
        return False
    return any(s == 0 for s, _e, _w, _p in places.find(name[:8]))


def _investor_roles(text: str, orgs: list[Organization], blocked, finder: "OrgFinder") -> list[Organization]:
    """由X领投，Y、Z跟投: names in the investor role, and the role makes a known org an investor."""
    found: list[Organization] = []
    for m in _ROLE.finditer(text):
        seg_start = m.start()
        group = re.split(r"由|为|包括", m.group("names"))[-1]
        names = re.split(r"[、和及与]", group)
        pos = seg_start + len(m.group("names")) - len(group)
        for raw in names:
            start = text.find(raw, pos)
            pos = start + len(raw)
            name = raw.strip()
            if not (2 <= len(name) <= 16) or inside((start, start + len(raw)), blocked):
                continue
            end = start + len(raw)
            owner = next((o for o in orgs if o.name == name or name in o.aliases
                          or any(start <= ms and me <= end for ms, me in o.mentions)), None)
            if owner is not None:
                if owner.kind == "company":
                    owner.kind = "investor"
                continue
            if any(ms <= start < me for o in orgs for ms, me in o.mentions):
                continue
            start = max(start, finder._extend_left(text, end, set()))  # 老股东X跟投 -> X
            name = text[start:end].strip()
            if len(name) >= 2:
                found.append(Organization(name, "investor", mentions=[(start, end)], source="role"))
    return found


_ROLE = re.compile(r"(?:(?<=由)|(?<=[，,、。；;：:\n]))(?P<names>[\u4e00-\u9fffA-Za-z0-9·（）()、和及与]{2,60}?)(?:共同|联合|等机构|等)?(?:领投|跟投|参投)")


def _outermost(found) -> list[tuple[int, int]]:
    spans = sorted(found, key=lambda k: (k[0], -k[1]))
    keep: list[tuple[int, int]] = []
    for s, e in sorted(spans, key=lambda k: -(k[1] - k[0])):
        if not any(ks <= s and e <= ke for ks, ke in keep) and not any(s < ke and ks < e for ks, ke in keep):
            keep.append((s, e))
    return sorted(keep)


def is_media_name(name: str, lx: Lexicons | None = None) -> bool:
    """True when ``name`` reads as an outlet (a listed outlet or an outlet-like ending)."""
    lx = lx or lexicons()
    name = (name or "").strip()
    return bool(name) and (name in lx.outlets or any(name.endswith(s) and len(name) > len(s) for s in lx.media_suffixes))


def find_orgs(
    text: str,
    *,
    blocked: list[tuple[int, int]] = (),
    names: NameIndex | None = None,
    places: Matcher | None = None,
    lx: Lexicons | None = None,
) -> list[Organization]:
    """Organisations in ``text`` in order of first mention, each with every mention span.

    Args:
        text: clean article body.
        blocked: spans that are not organisations (titles, people): 区委 in 区委副书记 is a title.
        names: registry names and aliases known to the caller.
        places: automaton over region names, for 武进区人民政府-style prefixes.

    >>> [(o.name, o.kind) for o in find_orgs("恽淇丞前往常州亦泓科技有限公司调研")]
    [('常州亦泓科技有限公司', 'company')]
    """
    finder = _finder(lx or lexicons())
    blocked = list(blocked)
    orgs = finder.pattern_orgs(text, blocked, places)
    taken = [m for o in orgs for m in o.mentions]
    for o in finder.lexicon_orgs(text, blocked, places):
        if not inside(o.mentions[0], taken):
            orgs.append(o)
            taken.extend(o.mentions)

    # listed firms by short name and stock code: 中芯国际（688981）, 澜起科技(688008.SH)
    for m in _STOCK.finditer(text):
        end = m.start()
        start = finder._extend_left(text, end, {e for _s, e in blocked})
        name = text[start:end]
        for w in finder.trim:
            if name.startswith(w) and len(name) > len(w) + 1:
                name, start = name[len(w):], start + len(w)
        if 2 <= len(name) <= 12 and not inside((start, end), taken) and not inside((start, end), blocked):
            orgs.append(Organization(name, "company", mentions=[(start, end)], source="stock_code"))
            taken.append((start, m.end()))

    for o in _investor_roles(text, orgs, blocked, finder):
        orgs.append(o)
        taken.extend(o.mentions)

    # declared short names: 常州博康信息技术有限公司（以下简称“博康信息”）
    for m in _ALIAS.finditer(text):
        alias = m.group(1).strip()
        owner = None
        for o in orgs:
            s, e = o.mentions[0]
            if 0 <= m.start() - e <= 2 and o.kind != "media":
                owner = o
        if owner is not None and alias != owner.name and alias not in owner.aliases:
            owner.aliases.append(alias)
            taken.append((m.start(), m.end()))

    if names is not None and len(names):
        for hit in names.find(text):
            span = (hit.start, hit.end)
            if inside(span, taken) or inside(span, blocked):
                continue
            # 星衡半导体项目: a name that only prefixes a project is not the company
            if text.startswith("项目", hit.end):
                continue
            orgs.append(Organization(hit.name, "company", mentions=[span], enterprise_ids=hit.ids, source="registry"))
            taken.append(span)

    merged: dict[str, Organization] = {}
    for o in orgs:
        if o.name in merged:
            merged[o.name].mentions.extend(o.mentions)
            for a in o.aliases:
                if a not in merged[o.name].aliases:
                    merged[o.name].aliases.append(a)
        else:
            merged[o.name] = o
    result = list(merged.values())
    # alias mentions elsewhere in the text belong to their owner
    for o in result:
        for a in o.aliases:
            i = text.find(a)
            while i >= 0:
                if not inside((i, i + len(a)), o.mentions):
                    o.mentions.append((i, i + len(a)))
                i = text.find(a, i + len(a))
    result = [o for o in result if o.name not in {a for x in result for a in x.aliases}]
    return sorted(result, key=lambda o: min(o.mentions)[0])
