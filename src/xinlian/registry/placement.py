"""Placing an enterprise on chain nodes from what a sheet says (产业链环节: "碳化硅衬底", "sic_substrate", "设计、封测").

Exact node id, Chinese or English node name first; then the taxonomy's keywords contained in the text, the
longest keyword winning. Unknown text gives no node and the importer reports it as a warning.
"""

from __future__ import annotations

import re
from functools import lru_cache

from xinlian.chain.taxonomy import load_chain

_SPLIT = re.compile(r"[、,，;；/|\n]+")


@lru_cache(maxsize=16)
def _lookup(chain: str) -> tuple[dict[str, str], list[tuple[str, list[str]]]]:
    ch = load_chain(chain)
    exact: dict[str, str] = {}
    for node in ch.nodes.values():
        for key in (node.id, node.name, node.name_en):
            if key:
                exact[key.lower()] = node.id
    keywords = sorted(ch.keyword_index().items(), key=lambda kv: len(kv[0]), reverse=True)
    return exact, keywords


@lru_cache(maxsize=8192)
def resolve_nodes(chain: str, text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Node ids named by ``text`` and the parts that named no node.

    >>> resolve_nodes("semiconductor", "碳化硅衬底、不存在的环节")[1]
    ('不存在的环节',)
    """
    exact, keywords = _lookup(chain)
    found: list[str] = []
    unknown: list[str] = []
    for part in (p.strip() for p in _SPLIT.split(text or "")):
        if not part:
            continue
        node = exact.get(part.lower())
        if node is None:
            low = part.lower()
            for kw, ids in keywords:
                if kw in low:
                    node = ids[0]
                    break
        if node is None:
            unknown.append(part)
        elif node not in found:
            found.append(node)
    return tuple(found), tuple(unknown)
