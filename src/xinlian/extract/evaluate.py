"""Score extraction against a gold set: precision, recall and F1 per entity type.

Compared items:
    organizations       (name, kind)
    organization_names  name only
    people              name only
    people_with_title   (name, title)
    places              name
    events              (type, date)
    event_people        (type, date, person)
    event_organizations (type, date, organisation)

Gold files are YAML (``articles:`` list, see ``tests/extract/gold/articles.yaml``) with for each article
``text``, ``published``, ``outlet``, ``author`` and ``expected``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

import yaml

TYPES = (
    "organizations",
    "organization_names",
    "people",
    "people_with_title",
    "places",
    "events",
    "event_people",
    "event_organizations",
)


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float]:
        return {"precision": round(self.precision, 4), "recall": round(self.recall, 4), "f1": round(self.f1, 4),
                "tp": self.tp, "fp": self.fp, "fn": self.fn}


def _pair(item: Any) -> tuple[str, str | None]:
    if isinstance(item, str):
        name, _, rest = item.partition("|")
        return name.strip(), (rest.strip() or None)
    if isinstance(item, dict):
        return item["name"], item.get("kind", item.get("title"))
    name, other = item
    return name, other


def gold_sets(expected: dict[str, Any]) -> dict[str, set]:
    """Expected items of one article as comparable sets, one per type."""
    orgs = [_pair(o) for o in expected.get("organizations") or []]
    people = [_pair(p) for p in expected.get("people") or []]
    events = expected.get("events") or []
    return {
        "organizations": set(orgs),
        "organization_names": {n for n, _k in orgs},
        "people": {n for n, _t in people},
        "people_with_title": set(people),
        "places": {p if isinstance(p, str) else p["name"] for p in expected.get("places") or []},
        "events": {(e["type"], e.get("date")) for e in events},
        "event_people": {(e["type"], e.get("date"), p) for e in events for p in e.get("people") or []},
        "event_organizations": {(e["type"], e.get("date"), o) for e in events for o in e.get("organizations") or []},
    }


def predicted_sets(contract: dict[str, Any]) -> dict[str, set]:
    """The same sets from ``Extraction.to_contract()`` output."""
    ent = contract["entities"]
    return gold_sets({
        "organizations": [(o["name"], o["kind"]) for o in ent["organizations"]],
        "people": [(p["name"], p["title"]) for p in ent["people"]],
        "places": [p["name"] for p in ent["places"]],
        "events": contract["events"],
    })


def score_article(expected: dict[str, Any], contract: dict[str, Any], totals: dict[str, Score]) -> dict[str, dict[str, set]]:
    """Add one article's counts to ``totals``; return its misses and false hits per type."""
    gold, pred = gold_sets(expected), predicted_sets(contract)
    diff: dict[str, dict[str, set]] = {}
    for t in TYPES:
        g, p = gold[t], pred[t]
        s = totals.setdefault(t, Score())
        s.tp += len(g & p)
        s.fp += len(p - g)
        s.fn += len(g - p)
        if g != p:
            diff[t] = {"missed": g - p, "extra": p - g}
    return diff


def load_gold(path: str | Path) -> list[dict[str, Any]]:
    """Articles from a gold YAML file."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return list(data["articles"])


def evaluate(
    articles: Iterable[dict[str, Any]],
    run: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> tuple[dict[str, Score], dict[str, dict]]:
    """Score ``run`` (by default ``xinlian.extract.pipeline.extract``) over gold articles.

    Returns:
        (scores per type, {article id: its differences}).
    """
    if run is None:
        from .pipeline import extract

        def run(a: dict[str, Any]) -> dict[str, Any]:
            return extract(a["text"], published=a.get("published"), outlet=a.get("outlet"),
                           author=a.get("author"), title=a.get("title")).to_contract()

    totals: dict[str, Score] = {t: Score() for t in TYPES}
    diffs: dict[str, dict] = {}
    for a in articles:
        d = score_article(a["expected"], run(a), totals)
        if d:
            diffs[a.get("id", str(len(diffs)))] = d
    return totals, diffs


if __name__ == "__main__":  # python -m xinlian.extract.evaluate GOLD.yaml
    import json
    import sys

    scores, differences = evaluate(load_gold(sys.argv[1]))
    print(json.dumps({t: s.as_dict() for t, s in scores.items()}, ensure_ascii=False, indent=1))
    for aid, d in differences.items():
        print(aid, {t: {k: sorted(map(str, v)) for k, v in x.items()} for t, x in d.items()})
