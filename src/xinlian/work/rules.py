"""Loading the work-tracking rule files in ``data/rules/`` with the file and line of every problem.

The files are small YAML documents edited by hand; ``load_yaml`` keeps the line of each mapping and key so that
validators can say ``project_stages.yaml:42: unknown stage 'sined'``. ``categories()`` gives the problem and
demand categories, ``criteria_vocabulary()`` what a policy's criteria may say.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from xinlian.yamlfile import DataFileError, LineDict, LineLoader, parse

RULES_DIR = Path(str(resources.files("xinlian.data.rules")))


class RulesError(DataFileError):
    """The rules file is malformed. ``str(err)`` has one ``FILE:LINE: reason`` per problem."""


_Loader = LineLoader


def load_yaml(path: str | Path) -> Any:
    """Parse ``path``; raises ``RulesError`` with the line on syntax errors and duplicate keys."""
    path = Path(path)
    data, duplicates = parse(path, RulesError)
    if duplicates:
        raise RulesError(path, duplicates)
    return data


def line_of(obj: Any, key: str | None = None, default: int = 0) -> int:
    return obj.line_of(key) if isinstance(obj, LineDict) else default


@dataclass(frozen=True)
class Category:
    id: str
    name: str
    technical: bool = False


@dataclass(frozen=True)
class Categories:
    problem: dict[str, Category]
    demand: dict[str, Category]
    problem_status: dict[str, str]
    demand_status: dict[str, str]
    institution_kinds: dict[str, str]

    def resolve(self, kind: str, value: str) -> str:
        """A category id from its id or Chinese name (用地 or land); ``ValueError`` listing the allowed ones."""
        table = getattr(self, kind)
        value = (value or "").strip()
        if value in table:
            return value
        for c in table.values():
            if c.name == value:
                return c.id
        allowed = "、".join(c.name for c in table.values())
        raise ValueError(f"未知的类别 {value!r}，应为 {allowed} 之一")


def _category_list(data: Any, key: str, path: Path, errors: list) -> dict[str, Category]:
    raw = data.get(key) if isinstance(data, dict) else None
    if not isinstance(raw, list) or not raw:
        errors.append((line_of(data), f"缺少 {key}: 应为非空列表"))
        return {}
    out: dict[str, Category] = {}
    for item in raw:
        ln = line_of(item, default=line_of(data, key))
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not isinstance(item.get("name"), str):
            errors.append((ln, f"{key} 的每项应有 id 和 name"))
            continue
        if item["id"] in out:
            errors.append((ln, f"{key} 中重复的 id {item['id']!r}"))
            continue
        unknown = set(item) - {"id", "name", "technical"}
        if unknown:
            errors.append((ln, f"{key} 中未知的字段 {sorted(unknown)}"))
        out[item["id"]] = Category(item["id"], item["name"], bool(item.get("technical", False)))
    return out


def load_categories(path: str | Path) -> Categories:
    path = Path(path)
    data = load_yaml(path)
    errors: list[tuple[int, str]] = []
    if not isinstance(data, dict):
        raise RulesError(path, [(1, "文件应为 YAML 映射")])
    cats = {k: _category_list(data, k, path, errors) for k in
            ("problem_categories", "demand_categories", "problem_statuses", "demand_statuses", "institution_kinds")}
    if errors:
        raise RulesError(path, errors)
    return Categories(problem=cats["problem_categories"], demand=cats["demand_categories"],
                      problem_status={k: v.name for k, v in cats["problem_statuses"].items()},
                      demand_status={k: v.name for k, v in cats["demand_statuses"].items()},
                      institution_kinds={k: v.name for k, v in cats["institution_kinds"].items()})


@lru_cache(maxsize=4)
def categories(path: str | None = None) -> Categories:
    """The packaged categories (or those of ``path``)."""
    return load_categories(path or RULES_DIR / "work_categories.yaml")


@dataclass(frozen=True)
class CriteriaVocabulary:
    keys: tuple[str, ...]
    flags: dict[str, str]
    figures: dict[str, dict]
    operators: dict[str, str]


def load_criteria_vocabulary(path: str | Path) -> CriteriaVocabulary:
    path = Path(path)
    data = load_yaml(path)
    errors: list[tuple[int, str]] = []
    if not isinstance(data, dict):
        raise RulesError(path, [(1, "文件应为 YAML 映射")])
    for key, kind in (("keys", list), ("flags", dict), ("figures", dict), ("operators", dict)):
        if not isinstance(data.get(key), kind):
            errors.append((line_of(data, key), f"{key} 应为 {'列表' if kind is list else '映射'}"))
    if errors:
        raise RulesError(path, errors)
    for fid, spec in data["figures"].items():
        if not isinstance(spec, dict) or "name" not in spec:
            errors.append((line_of(data["figures"], fid), f"指标 {fid} 应有 name"))
        elif "derived" in spec and (not isinstance(spec["derived"], list) or len(spec["derived"]) != 2
                                    or any(d not in data["figures"] for d in spec["derived"])):
            errors.append((line_of(data["figures"], fid), f"指标 {fid} 的 derived 应为两个已定义指标 [分子, 分母]"))
    if errors:
        raise RulesError(path, errors)
    figures = {k: dict(v) for k, v in data["figures"].items()}
    return CriteriaVocabulary(tuple(data["keys"]), dict(data["flags"]), figures, dict(data["operators"]))


@lru_cache(maxsize=4)
def criteria_vocabulary(path: str | None = None) -> CriteriaVocabulary:
    return load_criteria_vocabulary(path or RULES_DIR / "policy_criteria.yaml")
