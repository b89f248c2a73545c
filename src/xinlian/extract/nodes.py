"""Chain nodes: which taxonomy nodes an article, and each company in it, is about.

Keywords come from the chain taxonomy (``Chain.keyword_index``). Each keyword hit adds
``1 / (number of nodes sharing the keyword)`` to those nodes, so a precise word (碳化硅衬底) counts more
than a broad one (化合物半导体). A hit inside a company's name counts double for that company, and a hit
in the same sentence as a company counts once for it. Every score travels with its evidence words.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from .lexicon import Matcher
from .segments import Sentence


@dataclass
class NodeScore:
    id: str
    score: float
    evidence: list[str] = field(default_factory=list)

    def add(self, weight: float, word: str) -> None:
        self.score += weight
        if word not in self.evidence:
            self.evidence.append(word)


def _lower(text: str) -> str:
    # keep offsets: only lower characters whose lower form is one character
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


@functools.lru_cache(maxsize=8)
def keyword_matcher(chain: str) -> Matcher | None:
    """Automaton over the chain's keywords, or None when the taxonomy is not available."""
    try:
        from xinlian.chain.taxonomy import load_chain
    except ImportError:
        return None
    index = load_chain(chain).keyword_index()
    return Matcher((kw, tuple(ids)) for kw, ids in index.items())


def _ascii_word(text: str, s: int, e: int) -> bool:
    """English keywords must stand alone (AI is not inside 'said')."""
    word = text[s:e]
    if not word.isascii():
        return True
    before = text[s - 1] if s > 0 else " "
    after = text[e] if e < len(text) else " "
    return not (before.isascii() and before.isalnum()) and not (after.isascii() and after.isalnum())


def keyword_hits(text: str, chain: str) -> list[tuple[int, int, str, tuple[str, ...]]]:
    """Keyword hits ``(start, end, keyword, node ids)``; longest match wins where keywords overlap."""
    m = keyword_matcher(chain)
    if m is None:
        return []
    low = _lower(text)
    out = []
    for s, e, word, payloads in m.longest(low):
        if _ascii_word(low, s, e):
            ids = tuple(dict.fromkeys(i for p in payloads for i in p))
            out.append((s, e, text[s:e], ids))
    return out


def _ranked(scores: dict[str, NodeScore]) -> list[NodeScore]:
    for ns in scores.values():
        ns.score = round(ns.score, 3)
    return sorted(scores.values(), key=lambda n: (-n.score, n.id))


def score_nodes(
    text: str,
    sentences: list[Sentence],
    companies: dict[str, list[tuple[int, int]]],
    chain: str = "semiconductor",
) -> tuple[list[NodeScore], dict[str, list[NodeScore]]]:
    """Score chain nodes for the article and for each company.

    Args:
        text: article body.
        sentences: its sentences (offsets into ``text``).
        companies: company name -> mention spans.
        chain: taxonomy id.

    Returns:
        (article nodes best first, {company name: its nodes best first}).
    """
    hits = keyword_hits(text, chain)
    article: dict[str, NodeScore] = {}
    per_company: dict[str, dict[str, NodeScore]] = {name: {} for name in companies}
    for s, e, word, ids in hits:
        weight = 1.0 / len(ids)
        sentence = next((x for x in sentences if x.start <= s < x.end), None)
        for node_id in ids:
            article.setdefault(node_id, NodeScore(node_id, 0.0)).add(weight, word)
        for name, spans in companies.items():
            in_name = any(ms <= s and e <= me for ms, me in spans)
            same_sentence = sentence is not None and any(sentence.start <= ms < sentence.end for ms, _ in spans)
            if in_name or same_sentence:
                factor = 2.0 if in_name else 1.0
                for node_id in ids:
                    per_company[name].setdefault(node_id, NodeScore(node_id, 0.0)).add(weight * factor, word)
    return _ranked(article), {n: _ranked(v) for n, v in per_company.items()}
