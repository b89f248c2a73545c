"""The linking rules (``data/rules/linking.yaml``): thresholds and weights, loaded and checked with line numbers."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

RULES_FILE = Path(str(resources.files("xinlian") / "data" / "rules" / "linking.yaml"))


class RulesError(ValueError):
    """The rules file is malformed; the message starts with ``file:line``."""


@dataclass(frozen=True)
class LinkRules:
    exact: float
    alias: float
    declared: float
    same_core: float
    ambiguous: float
    propose: float
    max_proposals: int
    probe_bigrams: int
    min_shared_bigrams: int
    max_block_size: int
    max_scored: int
    weights: dict[str, float]
    min_text_name: int
    min_node_score: float

    def to_dict(self) -> dict:
        return dict(self.__dict__)


# key path -> (kind, low, high)
_SPEC = {
    "scores.exact": ("num", 0, 1), "scores.alias": ("num", 0, 1), "scores.declared": ("num", 0, 1),
    "scores.same_core": ("num", 0, 1),
    "scores.ambiguous": ("num", 0, 1),
    "fuzzy.propose": ("num", 0, 1), "fuzzy.max_proposals": ("int", 1, 50), "fuzzy.probe_bigrams": ("int", 1, 20),
    "fuzzy.min_shared_bigrams": ("int", 1, 20), "fuzzy.max_block_size": ("int", 1, 10**9),
    "fuzzy.max_scored": ("int", 1, 100000),
    "fuzzy.weights.name": ("num", 0, 10), "fuzzy.weights.region": ("num", 0, 10), "fuzzy.weights.node": ("num", 0, 10),
    "fuzzy.weights.length": ("num", 0, 10),
    "index.min_text_name": ("int", 1, 20), "evidence.min_node_score": ("num", 0, 100),
}


def _walk(node: yaml.Node, prefix: str, out: dict[str, yaml.ScalarNode], errors: list[tuple[int, str]]) -> None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            path = f"{prefix}.{k.value}" if prefix else str(k.value)
            if path in out:
                errors.append((k.start_mark.line + 1, f"duplicate key {path!r}"))
            _walk(v, path, out, errors)
    elif isinstance(node, yaml.ScalarNode):
        out[prefix] = node
    else:
        errors.append((node.start_mark.line + 1, f"{prefix} must be a single value or a mapping"))


def load_rules(path: str | Path | None = None) -> LinkRules:
    """Read and check the linking rules; every problem is reported as ``file:line: reason``."""
    path = Path(path) if path else RULES_FILE
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise RulesError(f"{path.name}:{mark.line + 1 if mark else 1}: not valid YAML ({exc})") from exc
    if not isinstance(root, yaml.MappingNode):
        raise RulesError(f"{path.name}:1: the file must be a mapping")
    found: dict[str, yaml.ScalarNode] = {}
    errors: list[tuple[int, str]] = []
    _walk(root, "", found, errors)
    values: dict[str, float] = {}
    for key, (kind, low, high) in _SPEC.items():
        node = found.get(key)
        if node is None:
            errors.append((1, f"missing {key}"))
            continue
        line = node.start_mark.line + 1
        try:
            v = int(node.value) if kind == "int" else float(node.value)
        except ValueError:
            errors.append((line, f"{key} must be {'a whole number' if kind == 'int' else 'a number'}, got {node.value!r}"))
            continue
        if not low <= v <= high:
            errors.append((line, f"{key} must be between {low} and {high}, got {v}"))
        values[key] = v
    for key, node in found.items():
        if key not in _SPEC and key != "version":
            errors.append((node.start_mark.line + 1, f"unknown key {key!r}"))
    if errors:
        raise RulesError("\n".join(f"{path.name}:{line}: {why}" for line, why in sorted(errors)))
    return LinkRules(
        exact=values["scores.exact"], alias=values["scores.alias"], declared=values["scores.declared"],
        same_core=values["scores.same_core"],
        ambiguous=values["scores.ambiguous"], propose=values["fuzzy.propose"],
        max_proposals=int(values["fuzzy.max_proposals"]), probe_bigrams=int(values["fuzzy.probe_bigrams"]),
        min_shared_bigrams=int(values["fuzzy.min_shared_bigrams"]), max_block_size=int(values["fuzzy.max_block_size"]),
        max_scored=int(values["fuzzy.max_scored"]),
        weights={w: values[f"fuzzy.weights.{w}"] for w in ("name", "region", "node", "length")},
        min_text_name=int(values["index.min_text_name"]), min_node_score=values["evidence.min_node_score"],
    )


@functools.lru_cache(maxsize=1)
def rules() -> LinkRules:
    """The package rules, loaded once."""
    return load_rules()
