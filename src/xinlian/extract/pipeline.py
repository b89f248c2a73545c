"""Extraction: clean article text in, organisations, people, places, dates, amounts, chain nodes and
events out.

The input is the body the text stage produced (``xinlian.text.clean``): simplified Chinese, one
paragraph per line, boilerplate already removed, so everything found here is a story entity. The
outlet and author lines are not body text: they become media organisations (never story actors).

Stages, in order (one ``ExtractOptions`` is passed through):

0. boilerplate guard        lines ``xinlian.text.boilerplate`` would drop are blanked (offsets kept).
1. ``segments.sentences``   body -> sentences with offsets and paragraph numbers.
2. ``people.find_people``   titled and group-labelled people; their title spans are blocked for
                            the next stages (区委 in 区委副书记 is a title, not an organisation).
3. ``orgs.find_orgs``       organisations with kind, declared 简称 aliases, registry short names
                            from the caller's ``NameIndex``, short names by stock code; a
                            company's core name (亦泓科技) used later becomes an alias.
   ``_reconcile``           a government body right before a title joins it (市工信局局长); any other
                            organisation there is the person's affiliation (XX公司董事长张三).
4. ``places.find_places``   divisions with GB/T 2260 codes, resolved toward the outlet's region;
                            zones found in step 3 are added as places without a code.
5. ``dates.find_dates``     absolute and relative dates, resolved against ``published``.
6. ``amounts.find_amounts`` money, in yuan where it is 人民币.
7. ``nodes.score_nodes``    chain nodes for the article and for each company, with evidence words.
8. ``events.find_events``   events by sentence, merged per (type, date).

``Extraction.to_contract()`` gives the ``entities``, ``chain_nodes`` and ``events`` parts of
``contracts/article.schema.json``. Linking (``xinlian.link``) fills ``enterprise_id`` and
``link_score`` later; ``Extraction.link_requests()`` lists what it needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .amounts import Amount, find_amounts
from .dates import DateMention, find_dates, parse_published
from .events import Event, find_events
from .lexicon import NameIndex
from .nodes import NodeScore, score_nodes
from .orgs import Organization, find_orgs, is_media_name
from .people import Person, find_people, find_titles
from .places import Place, context_codes, find_places, region_matcher
from .segments import inside
from .segments import sentences as split_sentences

COMPANY_KINDS = ("company", "investor")
# 市工信局汽车产业处处长: a section of a government body between the body and the title
_SUB_UNIT = re.compile(r"[\u4e00-\u9fff]{1,8}[处科司室]")


@dataclass
class ExtractOptions:
    """Switches for one extraction run.

    Attributes:
        min_node_score: chain nodes scoring below this are dropped from ``chain_nodes``.
        max_chain_nodes: at most this many article nodes are reported.
        media_from_byline: turn outlet and author lines into media organisations.
        places_from_zones: list zones (高新区, 产业园) among places as well as organisations.
        guard_boilerplate: lines the text stage would call boilerplate (版权所有, 主办单位, 责任编辑 ...)
            are not read, in case a caller passes unclean text; offsets stay those of ``text``.
        short_names_from_core: a company's core name (常州亦泓科技有限公司 -> 亦泓科技, by
            ``xinlian.registry.names.core``) used elsewhere in the text is an alias and a mention.
    """

    min_node_score: float = 0.2
    max_chain_nodes: int = 12
    media_from_byline: bool = True
    places_from_zones: bool = True
    short_names_from_core: bool = True
    guard_boilerplate: bool = True


@dataclass
class Extraction:
    text: str
    published: str | None
    organizations: list[Organization] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)
    dates: list[DateMention] = field(default_factory=list)
    amounts: list[Amount] = field(default_factory=list)
    chain_nodes: list[NodeScore] = field(default_factory=list)
    company_nodes: dict[str, list[NodeScore]] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)

    def to_contract(self) -> dict[str, Any]:
        """The ``entities``, ``chain_nodes`` and ``events`` parts of the article contract."""
        return {
            "entities": {
                "organizations": [
                    {"name": o.name, "kind": o.kind, "aliases": list(o.aliases), "enterprise_id": None, "link_score": None}
                    for o in self.organizations
                ],
                "people": [{"name": p.name, "title": p.title, "affiliation": p.affiliation} for p in self.people],
                "places": [{"name": p.name, "admin_code": p.admin_code} for p in self.places],
            },
            "chain_nodes": [{"id": n.id, "score": n.score, "evidence": list(n.evidence)} for n in self.chain_nodes],
            "events": [
                {
                    "type": e.type,
                    "date": e.date,
                    "organizations": list(e.organizations),
                    "people": list(e.people),
                    "amount_yuan": e.amount_yuan,
                    "evidence": e.evidence,
                }
                for e in self.events
            ],
        }

    def link_requests(self) -> list[dict[str, Any]]:
        """What linking to the registry needs, per company-like organisation: the name as written,
        its aliases, registry ids already hinted by a ``NameIndex``, places and chain nodes as context.
        """
        places = [p.admin_code for p in self.places if p.admin_code]
        return [
            {
                "name": o.name,
                "normalised": _name_keys(o.name)[0],
                "core": _name_keys(o.name)[1],
                "kind": o.kind,
                "aliases": list(o.aliases),
                "candidate_ids": list(o.enterprise_ids),
                "source": o.source,
                "region_codes": places,
                "chain_nodes": [n.id for n in self.company_nodes.get(o.name, [])[:3]],
            }
            for o in self.organizations
            if o.kind in COMPANY_KINDS
        ]


def _reconcile(text: str, people: list[Person], orgs: list[Organization]) -> list[Organization]:
    """Settle names that touch titles: a government body right before a title joins the title; another
    organisation there (or inside a chained title) becomes the person's affiliation."""
    # a government body right before a title is part of the title (鉴定委员会主任, 市政府办公室主任)
    for p in people:
        for o in orgs:
            hit = next(((s, e) for s, e in o.mentions if p.title_span and o.kind == "government"
                        and (e == p.title_span[0] or _SUB_UNIT.fullmatch(text[e:p.title_span[0]]))), None)
            if hit is not None and p.title:
                p.title = text[hit[0]:p.title_span[1]]
                p.title_span = (hit[0], p.title_span[1])
                p.title_parts.insert(0, hit)
                o.mentions.remove(hit)
    orgs = [o for o in orgs if o.mentions]
    for p in people:
        for o in orgs:
            if p.title_span and any(e == p.title_span[0] for _s, e in o.mentions) and o.kind != "government":
                p.affiliation = o.name
                o.affiliation_spans.extend((s, e) for s, e in o.mentions if e == p.title_span[0])
            # 院士、复旦大学教授: an organisation inside a chained title is the person's employer too
            inner = [(s, e) for s, e in o.mentions if p.title_span and p.title_span[0] <= s and e <= p.title_span[1]]
            if inner:
                o.affiliation_spans.extend(inner)
                p.affiliation = p.affiliation or o.name
    return orgs


def _blank_boilerplate(text: str) -> str:
    """Blank (same length, so offsets hold) the lines the text stage calls boilerplate."""
    try:
        from xinlian.text.boilerplate import is_boilerplate
    except ImportError:
        return text
    lines = text.split("\n")
    if not any(is_boilerplate(ln) for ln in lines if ln.strip()):
        return text
    return "\n".join(" " * len(ln) if ln.strip() and is_boilerplate(ln) else ln for ln in lines)


def _name_keys(name: str) -> tuple[str | None, str | None]:
    try:
        from xinlian.registry import names as registry_names
    except ImportError:
        return None, None
    return registry_names.normalise(name), registry_names.core(name)


def _core_aliases(text: str, orgs: list[Organization], blocked: list[tuple[int, int]]) -> None:
    taken = [m for o in orgs for m in o.mentions] + blocked
    for o in orgs:
        if o.kind not in COMPANY_KINDS or o.source == "registry":
            continue
        _norm, core = _name_keys(o.name)
        if not core or len(core) < 3 or core == o.name or core in o.aliases:
            continue
        spans = []
        i = text.find(core)
        while i >= 0:
            span = (i, i + len(core))
            if not inside(span, taken):
                spans.append(span)
            i = text.find(core, i + len(core))
        if spans:
            o.aliases.append(core)
            o.mentions.extend(spans)


def extract(
    text: str,
    *,
    published: str | None,
    outlet: str | None = None,
    author: str | None = None,
    title: str | None = None,
    chain: str = "semiconductor",
    names: NameIndex | None = None,
    options: ExtractOptions | None = None,
) -> Extraction:
    """Read one clean article. See the module docstring for the stages.

    Args:
        text: clean body, one paragraph per line.
        published: ISO publication date or date-time; relative dates resolve against it.
        outlet, author: 来源 and 作者 lines; media-like ones become media organisations.
        title: headline; only used as region context (the body carries the facts).
        chain: taxonomy id for chain nodes.
        names: registry names and aliases to find short company names: a ``NameIndex`` or an
            iterable of ``(name, enterprise_id)`` (build the index once when extracting many articles).
        options: ``ExtractOptions``.

    Example:
        >>> x = extract("今天上午，副区长王斐前往常州星衡微电子有限公司调研。", published="2025-03-06")
        >>> [(e.type, e.date, e.people, e.organizations) for e in x.events]
        [('visit', '2025-03-06', ['王斐'], ['常州星衡微电子有限公司'])]
    """
    opts = options or ExtractOptions()
    if names is not None and not isinstance(names, NameIndex):
        names = NameIndex(names)  # an iterable of (name, enterprise_id)
    text = text or ""
    result = Extraction(text=text, published=published)
    if opts.guard_boilerplate:
        text = _blank_boilerplate(text)
    sents = split_sentences(text)

    titles = find_titles(text)
    people = find_people(text, titles=titles)
    # a title blocks organisations inside it only when it belongs to a person (区工信局负责人介绍 keeps 区工信局)
    blocked = [s for p in people for s in p.title_parts] + [m for p in people for m in p.mentions]
    orgs = find_orgs(text, blocked=blocked, names=names, places=region_matcher())
    if opts.short_names_from_core:
        _core_aliases(text, orgs, blocked)
    orgs = _reconcile(text, people, orgs)
    if opts.media_from_byline:
        for line in (outlet, author):
            line = (line or "").strip()
            if line and is_media_name(line) and line not in {o.name for o in orgs}:
                orgs.append(Organization(line, "media", source="byline"))
    result.people, result.organizations = people, orgs

    org_spans = [m for o in orgs for m in o.mentions]
    places = find_places(text, blocked + org_spans, context_codes([outlet or "", author or "", title or ""]))
    if opts.places_from_zones:
        for o in orgs:
            if o.kind == "zone" and o.name not in {p.name for p in places}:
                places.append(Place(o.name, None, "zone", list(o.mentions)))
    result.places = sorted(places, key=lambda p: min(p.mentions)[0] if p.mentions else 0)

    result.dates = find_dates(text, published)
    result.amounts = find_amounts(text)

    companies = {o.name: o.mentions for o in orgs if o.kind in COMPANY_KINDS}
    article_nodes, company_nodes = score_nodes(text, sents, companies, chain)
    result.chain_nodes = [n for n in article_nodes if n.score >= opts.min_node_score][: opts.max_chain_nodes]
    result.company_nodes = company_nodes

    pub = parse_published(published)
    result.events = find_events(
        text,
        sents,
        people=people,
        orgs=orgs,
        dates=result.dates,
        amounts=result.amounts,
        published_day=pub.isoformat() if pub else None,
    )
    return result
