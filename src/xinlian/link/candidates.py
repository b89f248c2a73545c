"""Fuzzy candidates: registry names similar to a mention, found by blocking and scored by features.

Blocking keeps scoring cheap on a million names: a registry name is looked at only when its core (``names.core``:
no region prefix, no legal form) opens with the same two characters as the mention's core, or shares at least
``min_shared_bigrams`` of the mention's rarest character pairs. The blocked names are scored with rapidfuzz's
``ratio`` on the cores, then by region agreement, chain-node agreement and length (weights in
``data/rules/linking.yaml``). Every candidate carries the features that gave its score, in Chinese.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Indel

from xinlian.link.index import RegistryIndex, regions_agree, strip_region
from xinlian.link.rules import LinkRules, rules


def bigrams(s: str) -> list[str]:
    return [s[i:i + 2] for i in range(len(s) - 1)] or ([s] if s else [])


class BlockIndex:
    """Postings from blocking keys (``^`` + first two characters of a core, and every character pair) to rows of
    a ``RegistryIndex``. Built once per index, on the first fuzzy question."""

    def __init__(self, index: RegistryIndex):
        self.index = index
        postings: dict[str, array] = {}
        for row, c in enumerate(index.cores):
            keys = set(bigrams(c))
            if len(c) >= 2:
                keys.add("^" + c[:2])
            for k in keys:
                p = postings.get(k)
                if p is None:
                    postings[k] = p = array("i")
                p.append(row)
        self.postings = postings

    def block(self, core: str, r: LinkRules) -> list[int]:
        """Rows worth scoring against ``core``, most shared keys first, at most ``max_scored``."""
        parts, weights = [], []
        first = self.postings.get("^" + core[:2]) if len(core) >= 2 else None
        if first is not None and len(first) <= r.max_block_size:
            parts.append(np.frombuffer(first, dtype=np.int32))
            weights.append(r.min_shared_bigrams)  # a shared opening counts as enough on its own
        grams = [g for g in dict.fromkeys(bigrams(core)) if g in self.postings]
        grams = sorted((g for g in grams if len(self.postings[g]) <= r.max_block_size), key=lambda g: len(self.postings[g]))
        for g in grams[: r.probe_bigrams]:
            parts.append(np.frombuffer(self.postings[g], dtype=np.int32))
            weights.append(1)
        if not parts:
            return []
        # count shared keys in one scratch column per registry row: each posting list holds a row once, so a
        # vectorised add per list is exact; only rows reaching the minimum are then sorted
        counts = self._scratch()
        for part, weight in zip(parts, weights):
            counts[part] += weight
        rows = np.concatenate(parts)
        hit = np.unique(rows[counts[rows] >= r.min_shared_bigrams])
        shared = counts[hit].astype(np.int32)
        counts[rows] = 0
        if len(hit) > r.max_scored:
            top = np.argpartition(-shared, r.max_scored - 1)[: r.max_scored]
            hit, shared = hit[top], shared[top]
        order = np.lexsort((hit, -shared))
        return hit[order].tolist()

    def _scratch(self) -> np.ndarray:
        if getattr(self, "_counts", None) is None or len(self._counts) != len(self.index.cores):
            self._counts = np.zeros(len(self.index.cores), dtype=np.int16)
        return self._counts


@dataclass
class Candidate:
    enterprise_id: int
    score: float
    features: dict = field(default_factory=dict)  # feature -> value (0..1) or None when not observed
    explanation: list[str] = field(default_factory=list)  # the features in words, Chinese


_BLOCKS: dict[int, BlockIndex] = {}


def block_index(index: RegistryIndex) -> BlockIndex:
    b = _BLOCKS.get(id(index))
    if b is None or b.index is not index:
        _BLOCKS.clear()  # one registry index is in use at a time; drop the old postings
        b = _BLOCKS[id(index)] = BlockIndex(index)
    return b


def score_pair(core_a: str, core_b: str, region_a: str | None, region_b: str | None,
               nodes_a: set[str], nodes_b: set[str] | None, r: LinkRules) -> Candidate:
    """The weighted score of one mention core against one registry core, with its features in words."""
    w = r.weights
    feats: dict[str, float | None] = {"name": Indel.normalized_similarity(core_a, core_b)}
    words = [f"名称主干相似度 {feats['name']:.2f}（{core_a} / {core_b}）"]
    agree = regions_agree(region_a, region_b)
    feats["region"] = None if agree is None else float(agree)
    if agree is not None:
        words.append(f"地区{'一致' if agree else '不一致'}（{region_a} / {region_b}）")
    if nodes_a and nodes_b is not None:
        shared = sorted(nodes_a & nodes_b)
        feats["node"] = 1.0 if shared else 0.0
        words.append(f"产业链环节{'重合: ' + '、'.join(shared) if shared else '无重合'}")
    else:
        feats["node"] = None
    longer = max(len(core_a), len(core_b)) or 1
    feats["length"] = min(len(core_a), len(core_b)) / longer
    total = sum(w[k] for k, v in feats.items() if v is not None) or 1.0
    score = sum(w[k] * v for k, v in feats.items() if v is not None) / total
    return Candidate(0, round(score, 4), {k: (round(v, 4) if v is not None else None) for k, v in feats.items()}, words)


def fuzzy_candidates(index: RegistryIndex, name_norm: str, *, region: str | None = None,
                     nodes: set[str] | frozenset = frozenset(), nodes_of: Callable[[list[int]], dict[int, set[str]]] | None = None,
                     exclude: set[int] = frozenset(), r: LinkRules | None = None, limit: int = 10) -> list[Candidate]:
    """Registry enterprises similar to ``name_norm``, best first.

    Args:
        index: the registry index.
        name_norm: the mention's normalised name.
        region: the mention's region code (its parenthetical, else the article's place), if any.
        nodes: chain node ids the article gives the company.
        nodes_of: enterprise ids -> their node ids (asked only for the best-named candidates).
        exclude: enterprise ids never to propose (rejected by an analyst).
    """
    r = r or rules()
    core = strip_region(name_norm)
    if not core:
        return []
    rows = block_index(index).block(core, r)
    rows = [row for row in rows if index.eids[row] not in exclude]
    best = process.extract(core, [index.cores[row] for row in rows], scorer=Indel.normalized_similarity,
                           limit=max(limit * 3, 10))
    prelim = [(sim, rows[i]) for _c, sim, i in best]
    node_map = nodes_of([index.eids[row] for _s, row in prelim]) if (nodes_of and nodes and prelim) else {}
    out = []
    for _s, row in prelim:
        eid = index.eids[row]
        c = score_pair(core, index.cores[row], region, index.region_of(eid), set(nodes),
                       node_map.get(eid) if nodes_of and nodes else None, r)
        c.enterprise_id = eid
        out.append(c)
    out.sort(key=lambda c: (-c.score, c.enterprise_id))
    return out[:limit]
