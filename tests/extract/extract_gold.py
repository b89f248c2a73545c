"""Gold articles for extraction tests: our written set, plus the seed page's expected reading from
../shared when it is present."""

from __future__ import annotations

import json
from pathlib import Path

from xinlian.extract.evaluate import load_gold

HERE = Path(__file__).parent
GOLD = HERE / "gold" / "articles.yaml"
HELDOUT = HERE / "gold" / "heldout.yaml"
FRESH = HERE / "gold" / "fresh.yaml"
BLIND = HERE / "gold" / "blind.yaml"
FINAL = HERE / "gold" / "final.yaml"
HELD = (HELDOUT, FRESH, BLIND, FINAL)  # each first scored blind, then used for fixes
SHARED = HERE.parents[2] / "shared"
SEED = SHARED / "fixtures" / "seed" / "wujin-2025-03-06.expected.json"


def seed_article() -> dict | None:
    """The seed page as a gold article (body = the careful reader's restored paragraphs), or None."""
    if not SEED.exists():
        return None
    data = json.loads(SEED.read_text(encoding="utf-8"))
    ent = data["entities"]
    return {
        "id": "seed-wujin-2025-03-06",
        "published": data["published"],
        "outlet": data["outlet"],
        "author": data["author"],
        "title": data["title"],
        "text": "\n".join(data["paragraphs"]),
        "expected": {
            "organizations": [(o["name"], o["kind"]) for o in ent["organizations"]],
            "people": [(p["name"], p["title"]) for p in ent["people"]],
            "places": list(ent["places"]),
            "events": data["events"],
        },
    }


def gold_articles(with_seed: bool = True) -> list[dict]:
    articles = load_gold(GOLD)
    seed = seed_article() if with_seed else None
    return articles + ([seed] if seed else [])
