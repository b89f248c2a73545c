"""Industry-chain taxonomies (产业链图谱), loaded from YAML in ``xinlian/data/chains``.

A chain is a forest of nodes (group nodes such as ``materials`` are parents of leaf
nodes such as ``photoresist``) plus supply edges between nodes (``from`` supplies
``to``). The files are validated strictly and every problem is reported with the
file and line, all problems at once, so an analyst editing the YAML can fix them
in one pass.

Example:
    >>> chain = load_chain("semiconductor")
    >>> chain.inputs_of("sic_epitaxy")
    ['sic_substrate', ...]
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from xinlian.yamlfile import DataFileError, LineDict, LineLoader, parse

__all__ = [
    "STAGES",
    "Chain",
    "Edge",
    "Node",
    "TaxonomyError",
    "available_chains",
    "load_chain",
]

STAGES: tuple[str, ...] = ("upstream", "midstream", "downstream")

CHAINS_DIR = Path(__file__).resolve().parent.parent / "data" / "chains"

_ID_RE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
_CODE_RE = re.compile(r"^\d{4}$")
_NODE_KEYS = {"id", "name", "name_en", "stage", "parent", "keywords", "industry_codes"}
_TOP_KEYS = {"chain", "name", "name_en", "version", "description", "nodes", "edges"}


class TaxonomyError(DataFileError):
    """A chain file is malformed. ``str(err)`` has one ``FILE:LINE: reason`` per problem.

    Attributes:
        file: path of the offending file, as a string.
        line: 1-based line of the first problem (0 when the file could not be read).
        errors: every problem as ``(line, reason)``, in file order.
    """


@dataclass(frozen=True)
class Node:
    """One link of the chain (产业链环节). ``line`` is where it is defined in its file."""

    id: str
    name: str
    name_en: str
    stage: str
    parent: str | None
    keywords: tuple[str, ...]
    industry_codes: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class Edge:
    """``src`` supplies ``dst`` (input → output)."""

    src: str
    dst: str


class Chain:
    """A loaded, validated chain. Relationship queries return node ids; listings return Nodes."""

    def __init__(
        self,
        id: str,
        name: str,
        name_en: str,
        nodes: dict[str, Node],
        edges: list[Edge],
        version: str = "",
        path: str = "",
    ):
        self.id = id
        self.name = name
        self.name_en = name_en
        self.version = version
        self.path = path
        self.nodes = nodes
        self.edges = edges
        self._children: dict[str, list[str]] = defaultdict(list)
        self._inputs: dict[str, list[str]] = defaultdict(list)
        self._outputs: dict[str, list[str]] = defaultdict(list)
        for node in nodes.values():
            if node.parent is not None:
                self._children[node.parent].append(node.id)
        for edge in edges:
            self._inputs[edge.dst].append(edge.src)
            self._outputs[edge.src].append(edge.dst)
        self._keyword_index: dict[str, list[str]] | None = None

    def __repr__(self) -> str:
        return f"<Chain {self.id!r}: {len(self.nodes)} nodes, {len(self.edges)} edges>"

    def __contains__(self, node_id: object) -> bool:
        return node_id in self.nodes

    def node(self, node_id: str) -> Node:
        """The node with this id; ``KeyError`` naming the chain when unknown."""
        try:
            return self.nodes[node_id]
        except KeyError:
            raise KeyError(f"chain {self.id!r} has no node {node_id!r}") from None

    def children(self, node_id: str) -> list[str]:
        """Ids of the direct children of ``node_id``, in file order."""
        self.node(node_id)
        return list(self._children.get(node_id, ()))

    def is_leaf(self, node_id: str) -> bool:
        self.node(node_id)
        return not self._children.get(node_id)

    def leaves(self) -> list[Node]:
        """Nodes without children, in file order."""
        return [n for n in self.nodes.values() if not self._children.get(n.id)]

    def roots(self) -> list[Node]:
        return [n for n in self.nodes.values() if n.parent is None]

    def descendants(self, node_id: str) -> list[str]:
        """Ids of every node below ``node_id`` (depth first, file order), not including it."""
        out: list[str] = []
        stack = list(reversed(self.children(node_id)))
        while stack:
            current = stack.pop()
            out.append(current)
            stack.extend(reversed(self._children.get(current, ())))
        return out

    def ancestors(self, node_id: str) -> list[str]:
        """Ids from the parent of ``node_id`` up to its root, nearest first."""
        out: list[str] = []
        parent = self.node(node_id).parent
        while parent is not None:
            out.append(parent)
            parent = self.nodes[parent].parent
        return out

    def inputs_of(self, node_id: str) -> list[str]:
        """Ids of the direct suppliers of ``node_id`` (edges ``X → node_id``)."""
        self.node(node_id)
        return list(self._inputs.get(node_id, ()))

    def outputs_of(self, node_id: str) -> list[str]:
        """Ids of the nodes ``node_id`` directly supplies (edges ``node_id → Y``)."""
        self.node(node_id)
        return list(self._outputs.get(node_id, ()))

    def stage_of(self, node_id: str) -> str:
        return self.node(node_id).stage

    def by_stage(self) -> dict[str, list[Node]]:
        """Nodes grouped by stage, every stage present, in upstream → downstream order."""
        grouped: dict[str, list[Node]] = {stage: [] for stage in STAGES}
        for node in self.nodes.values():
            grouped[node.stage].append(node)
        return grouped

    def keyword_index(self) -> dict[str, list[str]]:
        """Every keyword, lower-cased, → ids of the nodes that list it (file order).

        Ambiguous keywords (listed by several nodes) map to several ids; callers decide.
        """
        if self._keyword_index is None:
            index: dict[str, list[str]] = {}
            for node in self.nodes.values():
                for keyword in node.keywords:
                    ids = index.setdefault(keyword.lower(), [])
                    if node.id not in ids:
                        ids.append(node.id)
            self._keyword_index = index
        return {k: list(v) for k, v in self._keyword_index.items()}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description of the chain (same field names as the YAML)."""
        return {
            "chain": self.id,
            "name": self.name,
            "name_en": self.name_en,
            "version": self.version,
            "nodes": [
                {
                    "id": n.id,
                    "name": n.name,
                    "name_en": n.name_en,
                    "stage": n.stage,
                    "parent": n.parent,
                    "keywords": list(n.keywords),
                    "industry_codes": list(n.industry_codes),
                    "is_leaf": self.is_leaf(n.id),
                }
                for n in self.nodes.values()
            ],
            "edges": [{"from": e.src, "to": e.dst} for e in self.edges],
        }


# --------------------------------------------------------------------------- loading


_Mapping = LineDict
_LineLoader = LineLoader


def _parse(path: Path) -> tuple[Any, list[tuple[int, str]]]:
    return parse(path, TaxonomyError)


def _line_of(mapping: Any, key: str | None = None, default: int = 0) -> int:
    if isinstance(mapping, _Mapping):
        if key is not None and key in mapping.key_lines:
            return mapping.key_lines[key]
        return mapping.line
    return default


def _str_list(raw: Any, field: str, node_id: str, line: int, errors: list) -> tuple[str, ...]:
    """A list of strings (numbers are accepted and turned into text, for industry codes)."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        errors.append((line, f"node {node_id!r}: {field} must be a list"))
        return ()
    out: list[str] = []
    for item in raw:
        if isinstance(item, bool) or not isinstance(item, (str, int)):
            errors.append((line, f"node {node_id!r}: {field} entry {item!r} is not text"))
            continue
        text = str(item).strip()
        if not text:
            errors.append((line, f"node {node_id!r}: empty entry in {field}"))
            continue
        if text not in out:
            out.append(text)
    return tuple(out)


def _build(path: Path, data: Any, errors: list[tuple[int, str]]) -> Chain | None:
    if not isinstance(data, _Mapping):
        errors.append((1, "the file must be a mapping with keys chain, name, nodes, edges"))
        return None

    for key in data:
        if key not in _TOP_KEYS:
            errors.append((_line_of(data, key), f"unknown top-level key {key!r}"))
    chain_id = data.get("chain")
    if not isinstance(chain_id, str) or not _ID_RE.match(chain_id):
        errors.append((_line_of(data, "chain", 1), f"'chain' must be a snake_case id, got {chain_id!r}"))
        chain_id = str(chain_id)
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        errors.append((_line_of(data, "name", 1), "'name' (Chinese chain name) is required"))
        name = ""
    name_en = data.get("name_en") or ""
    version = str(data.get("version") or "")

    raw_nodes = data.get("nodes")
    if not isinstance(raw_nodes, list) or not raw_nodes:
        errors.append((_line_of(data, "nodes", 1), "'nodes' must be a non-empty list"))
        raw_nodes = []

    nodes: dict[str, Node] = {}
    parent_lines: dict[str, int] = {}
    for raw in raw_nodes:
        line = _line_of(raw, default=_line_of(data, "nodes", 1))
        if not isinstance(raw, _Mapping):
            errors.append((line, f"a node must be a mapping, got {raw!r}"))
            continue
        for key in raw:
            if key not in _NODE_KEYS:
                errors.append((_line_of(raw, key), f"unknown node key {key!r}"))
        node_id = raw.get("id")
        if not isinstance(node_id, str) or not _ID_RE.match(node_id):
            errors.append((_line_of(raw, "id"), f"node id {node_id!r} is not snake_case ascii"))
            if not isinstance(node_id, str):
                continue
        if node_id in nodes:
            errors.append(
                (_line_of(raw, "id"), f"duplicate node id {node_id!r} (first at line {nodes[node_id].line})")
            )
            continue
        node_name = raw.get("name")
        if not isinstance(node_name, str) or not node_name.strip():
            errors.append((line, f"node {node_id!r}: 'name' is required"))
            node_name = ""
        stage = raw.get("stage")
        if stage not in STAGES:
            errors.append(
                (_line_of(raw, "stage"), f"node {node_id!r}: stage {stage!r} is not one of {', '.join(STAGES)}")
            )
            stage = str(stage)
        parent = raw.get("parent")
        if parent is not None and not isinstance(parent, str):
            errors.append((_line_of(raw, "parent"), f"node {node_id!r}: parent must be a node id"))
            parent = None
        if parent is not None:
            parent_lines[node_id] = _line_of(raw, "parent")
        keywords = _str_list(raw.get("keywords"), "keywords", node_id, _line_of(raw, "keywords"), errors)
        codes = _str_list(
            raw.get("industry_codes"), "industry_codes", node_id, _line_of(raw, "industry_codes"), errors
        )
        for code in codes:
            if not _CODE_RE.match(code):
                errors.append(
                    (_line_of(raw, "industry_codes"), f"node {node_id!r}: industry code {code!r} is not 4 digits")
                )
        nodes[node_id] = Node(
            id=node_id,
            name=node_name.strip(),
            name_en=str(raw.get("name_en") or "").strip(),
            stage=stage,
            parent=parent,
            keywords=keywords,
            industry_codes=codes,
            line=line,
        )

    # Parents: exist, share the stage, no cycles.
    has_children: set[str] = set()
    for node in nodes.values():
        if node.parent is None:
            continue
        line = parent_lines[node.id]
        parent = nodes.get(node.parent)
        if parent is None:
            errors.append((line, f"node {node.id!r}: parent {node.parent!r} is not defined"))
            continue
        has_children.add(parent.id)
        if parent.stage != node.stage and parent.stage in STAGES and node.stage in STAGES:
            errors.append(
                (line, f"node {node.id!r} is {node.stage} but its parent {parent.id!r} is {parent.stage}")
            )
    reported: set[str] = set()
    for node in nodes.values():
        seen = [node.id]
        current = node.parent
        while current is not None and current in nodes:
            if current in seen:
                cycle = seen[seen.index(current):]
                if not reported.intersection(cycle):
                    errors.append(
                        (parent_lines[node.id], "cycle in parents: " + " → ".join(cycle + [current]))
                    )
                reported.update(cycle)
                break
            seen.append(current)
            current = nodes[current].parent

    for node in nodes.values():
        if node.id not in has_children and not node.keywords:
            errors.append((node.line, f"leaf node {node.id!r} has no keywords"))

    # Edges: known nodes, no self loops or duplicates, no cycles.
    raw_edges = data.get("edges")
    if raw_edges is None:
        raw_edges = []
    if not isinstance(raw_edges, list):
        errors.append((_line_of(data, "edges", 1), "'edges' must be a list of {from: X, to: Y}"))
        raw_edges = []
    edges: list[Edge] = []
    edge_lines: dict[Edge, int] = {}
    for raw in raw_edges:
        line = _line_of(raw, default=_line_of(data, "edges", 1))
        if not isinstance(raw, _Mapping) or set(raw) != {"from", "to"}:
            shown = dict(raw) if isinstance(raw, dict) else raw
            errors.append((line, f"an edge must be a mapping with exactly 'from' and 'to', got {shown!r}"))
            continue
        src, dst = raw["from"], raw["to"]
        bad = False
        for end, value in (("from", src), ("to", dst)):
            if not isinstance(value, str) or value not in nodes:
                errors.append((line, f"edge {end} {value!r}: no such node"))
                bad = True
        if bad:
            continue
        if src == dst:
            errors.append((line, f"edge {src} → {dst} points at itself"))
            continue
        edge = Edge(src, dst)
        if edge in edge_lines:
            errors.append((line, f"duplicate edge {src} → {dst} (first at line {edge_lines[edge]})"))
            continue
        edge_lines[edge] = line
        edges.append(edge)
    errors.extend(_edge_cycles(edges, edge_lines))

    return Chain(
        id=chain_id,
        name=name.strip(),
        name_en=str(name_en).strip(),
        nodes=nodes,
        edges=edges,
        version=version,
        path=str(path),
    )


def _edge_cycles(edges: list[Edge], edge_lines: dict[Edge, int]) -> list[tuple[int, str]]:
    """One error per supply cycle found, at the line of the edge that closes it."""
    outgoing: dict[str, list[str]] = defaultdict(list)
    for edge in edges:
        outgoing[edge.src].append(edge.dst)
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    errors: list[tuple[int, str]] = []
    for start in list(outgoing):
        if state.get(start):
            continue
        path: list[str] = [start]
        state[start] = 1
        iters = [iter(outgoing[start])]
        while iters:
            nxt = next(iters[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                iters.pop()
                continue
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt):] + [nxt]
                line = edge_lines[Edge(path[-1], nxt)]
                errors.append((line, "cycle in edges: " + " → ".join(cycle)))
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                iters.append(iter(outgoing.get(nxt, ())))
    return errors


def _resolve(name_or_path: str | Path) -> Path:
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or "/" in text or "\\" in text or text.endswith((".yaml", ".yml")):
        return Path(text).expanduser().resolve()
    return CHAINS_DIR / f"{text}.yaml"


@functools.lru_cache(maxsize=32)
def _load_cached(path: Path, mtime_ns: int) -> Chain:
    data, errors = _parse(path)
    chain = _build(path, data, errors)
    if errors or chain is None:
        raise TaxonomyError(path, errors or [(1, "empty chain file")])
    return chain


def load_chain(name_or_path: str | Path) -> Chain:
    """Load and validate a chain.

    Args:
        name_or_path: a bare name such as ``"semiconductor"`` (the packaged
            ``data/chains/semiconductor.yaml``) or a path to a YAML file.

    Returns:
        The validated Chain; loads are cached until the file changes.

    Raises:
        TaxonomyError: listing every problem with file and line.
    """
    path = _resolve(name_or_path)
    if not path.is_file():
        known = ", ".join(available_chains()) or "none"
        raise TaxonomyError(path, [(0, f"no such chain file (packaged chains: {known})")])
    return _load_cached(path, path.stat().st_mtime_ns)


def available_chains() -> list[str]:
    """Names of the packaged chains, sorted."""
    return sorted(p.stem for p in CHAINS_DIR.glob("*.yaml"))
