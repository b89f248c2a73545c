"""Events read sentence by sentence: visit, signing, groundbreaking, production_start, financing, policy.

A sentence carries an event when it holds a trigger word from ``events.yaml`` that is not part of a
name (调研员 is a title, 武进发布 an outlet) and not hedged (推动项目早日开工 is a wish). The event takes
the sentence's date, else the last dated sentence of its paragraph, else the publication date; the
people and organisations mentioned in the sentence; the first amount. Events of one type and date in
one article are one event (a visit told over four sentences is one visit).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .amounts import Amount
from .dates import DateMention
from .lexicon import Lexicons, lexicons, matcher
from .orgs import Organization
from .people import Person
from .segments import Sentence, inside

EVENT_ORG_KINDS = ("company", "investor", "university", "institute", "association")


@dataclass
class Event:
    type: str
    date: str | None
    people: list[str] = field(default_factory=list)
    organizations: list[str] = field(default_factory=list)
    amount_yuan: float | None = None
    amount_text: str | None = None
    evidence: str = ""
    triggers: list[str] = field(default_factory=list)
    sentences: list[int] = field(default_factory=list)


def _in(sentence: Sentence, span: tuple[int, int]) -> bool:
    return sentence.start <= span[0] < sentence.end


def find_events(
    text: str,
    sentences: list[Sentence],
    *,
    people: list[Person],
    orgs: list[Organization],
    dates: list[DateMention],
    amounts: list[Amount],
    published_day: str | None,
    lx: Lexicons | None = None,
) -> list[Event]:
    """Events of the article, one per (type, date), in order of first sentence."""
    lx = lx or lexicons()
    blocked = [m for o in orgs for m in o.mentions] + [s for p in people for s in p.title_parts]
    hedges = [(s, e) for s, e, _w, _p in matcher("hedges").find(text)]
    blocked = blocked + [(s, e) for s, e, _w, _p in matcher("not_triggers").find(text)]
    merged: dict[tuple[str, str | None], Event] = {}
    last_day: str | None = None
    clause_marks = "，,；;。：:！？!?\n"
    last_event: Event | None = None
    for index, sent in enumerate(sentences):
        day = next((d.value for d in dates if _in(sent, (d.start, d.end)) and d.precision == "day" and d.value), None)
        if day:
            last_day = day
        date = day or last_day or published_day
        found: dict[str, list[str]] = {}
        for s, e, word, types in matcher("events").find(sent.text):
            span = (sent.start + s, sent.start + e)
            if inside(span, blocked):
                continue
            clause_start = max((sent.start + i + 1 for i, c in enumerate(sent.text[:s]) if c in clause_marks), default=sent.start)
            if any(clause_start <= hs and he <= span[0] for hs, he in hedges):
                continue
            if any(text.startswith(w, span[1]) for w in lx.event_not_before):
                continue
            for etype in types:
                found.setdefault(etype, []).append(word)
        found = {t: w for t, w in found.items() if not (lx.event_requires.get(t) and not any(r in sent.text for r in lx.event_requires[t]))}
        if not found and last_event is not None and index - last_event.sentences[-1] <= 2 \
                and any(w in sent.text for w in lx.event_joiners):
            for p in people:
                if any(_in(sent, m) for m in p.mentions) and p.name not in last_event.people:
                    last_event.people.append(p.name)
            continue
        for etype, words in found.items():
            event = merged.get((etype, date))
            if event is None:
                event = merged[(etype, date)] = Event(etype, date, evidence=sent.text)
            for w in words:
                if w not in event.triggers:
                    event.triggers.append(w)
            event.sentences.append(index)
            last_event = event
            for p in people:
                if any(_in(sent, m) for m in p.mentions) and p.name not in event.people:
                    event.people.append(p.name)
            for o in orgs:
                acting = [m for m in o.mentions if m not in o.affiliation_spans]
                if o.kind in EVENT_ORG_KINDS and any(_in(sent, m) for m in acting) and o.name not in event.organizations:
                    event.organizations.append(o.name)
            if event.amount_yuan is None:
                a = next((a for a in amounts if _in(sent, (a.start, a.end)) and a.yuan is not None), None)
                if a is None:  # the amount is often told in the next sentence of the paragraph
                    para = [x for x in sentences if x.paragraph == sent.paragraph]
                    a = next((a for a in amounts if a.yuan is not None and any(_in(x, (a.start, a.end)) for x in para)), None)
                if a is not None:
                    event.amount_yuan, event.amount_text = a.yuan, a.text
    return list(merged.values())
