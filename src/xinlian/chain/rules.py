"""The diagnosis rules (``data/rules/diagnosis.yaml``): thresholds of the verdicts and weights of the targets.

The file is parsed with line numbers and checked against ``SPEC`` (type and range of every key), and every problem
is reported at once as ``FILE:LINE: reason``, so a bureau editing a threshold learns exactly what is wrong.

Example:
    >>> rules = load_rules()
    >>> rules.strong.min_lq
    1.25
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from xinlian.yamlfile import DataFileError, LineDict, LineLoader, parse

__all__ = ["Rules", "RulesError", "load_rules", "RULES_PATH", "VERDICTS"]

RULES_PATH = Path(__file__).resolve().parent.parent / "data" / "rules" / "diagnosis.yaml"
VERDICTS = ("strong", "weak", "missing", "at_risk", "not_applicable")
STAGES = ("upstream", "midstream", "downstream")


class RulesError(DataFileError):
    """The rules file is malformed. ``str(err)`` has one ``FILE:LINE: reason`` per problem."""


_Map = LineDict
_Loader = LineLoader


# --------------------------------------------------------------------------- the rules, typed


@dataclass(frozen=True)
class Figures:
    growth_years: int
    attribution: str
    max_firms_listed: int
    baseline_scopes: tuple[str, ...]
    signal_months: int


@dataclass(frozen=True)
class Stars:
    size_min_share: float
    specialisation_min_lq: float
    focus_min_share: float


@dataclass(frozen=True)
class Missing:
    min_demand_firms: int


@dataclass(frozen=True)
class AtRisk:
    min_demand_firms: int
    max_suppliers: int
    min_hhi: float


@dataclass(frozen=True)
class Strong:
    min_lq: float
    min_firms: int
    min_chain_share: float
    require_lq: bool


@dataclass(frozen=True)
class Weak:
    max_lq: float
    min_firms: int


@dataclass(frozen=True)
class Leaders:
    min_local_dependents: int
    min_output_yuan: float


@dataclass(frozen=True)
class Targets:
    verdicts: tuple[str, ...]
    top_n: int
    max_nodes: int
    pool_factor: int
    weights: dict[str, Any]


@dataclass(frozen=True)
class Rules:
    figures: Figures
    stars: Stars
    missing: Missing
    at_risk: AtRisk
    strong: Strong
    weak: Weak
    otherwise: str
    supply_stages: tuple[str, ...]
    leaders: Leaders
    targets: Targets
    path: str = ""
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    def to_dict(self) -> dict:
        """The rules as loaded (for the JSON output and the docs)."""
        return _plain(self.raw)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


# Every key: (kind, minimum, maximum) or a nested dict. Kinds: int, num, bool, str:<a|b>, list:<a|b>, tiers, min_points.
_FRACTION = ("num", 0.0, 1.0)
SPEC: dict[str, Any] = {
    "version": ("int", 1, 1),
    "figures": {
        "growth_years": ("int", 1, 20),
        "attribution": ("str:main|split|full", None, None),
        "max_firms_listed": ("int", 0, 100000),
        "baseline_scopes": ("list:province|national", None, None),
        "signal_months": ("int", 1, 120),
    },
    "stars": {
        "size_min_share": _FRACTION,
        "specialisation_min_lq": ("num", 0.0, None),
        "focus_min_share": _FRACTION,
    },
    "verdicts": {
        "missing": {"min_demand_firms": ("int", 1, None)},
        "at_risk": {"min_demand_firms": ("int", 1, None), "max_suppliers": ("int", 1, None), "min_hhi": _FRACTION},
        "strong": {"min_lq": ("num", 0.0, None), "min_firms": ("int", 1, None), "min_chain_share": _FRACTION,
                   "require_lq": ("bool", None, None)},
        "weak": {"max_lq": ("num", 0.0, None), "min_firms": ("int", 1, None)},
        "otherwise": ("str:weak|strong", None, None),
    },
    "supply": {"stages": ("list:upstream|midstream|downstream", None, None)},
    "leaders": {"min_local_dependents": ("int", 1, None), "min_output_yuan": ("num", 0.0, None)},
    "targets": {
        "verdicts": ("list:strong|weak|missing|at_risk|not_applicable", None, None),
        "top_n": ("int", 1, 1000),
        "max_nodes": ("int", 1, 100000),
        "pool_factor": ("int", 1, 100),
        "weights": {
            "role_main": ("num", 0.0, None), "role_secondary": ("num", 0.0, None),
            "scale": ("tiers", None, None),
            "high_tech": ("num", 0.0, None), "specialised": ("num", 0.0, None),
            "little_giant": ("num", 0.0, None), "listed": ("num", 0.0, None),
            "patents": ("min_points", None, None), "rd_intensity": ("min_points", None, None),
            "financing": ("num", 0.0, None), "new_project": ("num", 0.0, None), "signals_cap": ("num", 0.0, None),
            "leader_supplier": ("num", 0.0, None), "leader_tier2": ("num", 0.0, None),
            "leader_customer": ("num", 0.0, None), "leaders_cap": ("num", 0.0, None),
        },
    },
}


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _check_value(path: str, value: Any, spec: tuple, line: int, errors: list) -> None:
    kind, lo, hi = spec
    if kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            errors.append((line, f"{path} must be a whole number, got {value!r}"))
            return
    elif kind == "num":
        if not _is_num(value):
            errors.append((line, f"{path} must be a number, got {value!r}"))
            return
    elif kind == "bool":
        if not isinstance(value, bool):
            errors.append((line, f"{path} must be true or false, got {value!r}"))
        return
    elif kind.startswith("str:"):
        allowed = kind[4:].split("|")
        if value not in allowed:
            errors.append((line, f"{path} must be one of {', '.join(allowed)}, got {value!r}"))
        return
    elif kind.startswith("list:"):
        allowed = kind[5:].split("|")
        if not isinstance(value, list) or not value:
            errors.append((line, f"{path} must be a non-empty list of {', '.join(allowed)}"))
            return
        for item in value:
            if item not in allowed:
                errors.append((line, f"{path}: {item!r} is not one of {', '.join(allowed)}"))
        return
    elif kind == "tiers":
        if not isinstance(value, list) or not value:
            errors.append((line, f"{path} must be a list of {{top: fraction, points: number}}"))
            return
        previous = 0.0
        for tier in value:
            tline = getattr(tier, "line", line)
            if not isinstance(tier, dict) or set(tier) != {"top", "points"}:
                errors.append((tline, f"{path}: a tier has exactly 'top' and 'points', got {tier!r}"))
                continue
            if not _is_num(tier["top"]) or not 0 < tier["top"] <= 1:
                errors.append((tline, f"{path}: top must be a fraction in (0, 1], got {tier['top']!r}"))
            elif tier["top"] <= previous:
                errors.append((tline, f"{path}: tiers must go from the smallest top fraction up"))
            else:
                previous = tier["top"]
            if not _is_num(tier["points"]) or tier["points"] < 0:
                errors.append((tline, f"{path}: points must be a number ≥ 0, got {tier['points']!r}"))
        return
    elif kind == "min_points":
        if not isinstance(value, dict) or set(value) != {"min", "points"}:
            errors.append((line, f"{path} must be {{min: number, points: number}}, got {value!r}"))
            return
        for k in ("min", "points"):
            if not _is_num(value[k]) or value[k] < 0:
                errors.append((line, f"{path}.{k} must be a number ≥ 0, got {value[k]!r}"))
        return
    if lo is not None and value < lo:
        errors.append((line, f"{path} must be ≥ {lo}, got {value!r}"))
    if hi is not None and value > hi:
        errors.append((line, f"{path} must be ≤ {hi}, got {value!r}"))


def _check(path: str, data: Any, spec: dict, line: int, errors: list) -> None:
    if not isinstance(data, _Map):
        errors.append((line, f"{path or 'the file'} must be a mapping"))
        return
    for key in data:
        if key not in spec:
            errors.append((data.key_lines.get(key, data.line), f"unknown key {(path + '.' if path else '') + str(key)!r}"))
    for key, sub in spec.items():
        full = f"{path}.{key}" if path else key
        if key not in data:
            errors.append((data.line, f"missing key {full!r}"))
            continue
        kline = data.key_lines.get(key, data.line)
        if isinstance(sub, dict):
            _check(full, data[key], sub, kline, errors)
        else:
            _check_value(full, data[key], sub, kline, errors)


def _build(data: _Map, path: Path) -> Rules:
    f, s, v, t = data["figures"], data["stars"], data["verdicts"], data["targets"]
    return Rules(
        figures=Figures(f["growth_years"], f["attribution"], f["max_firms_listed"], tuple(f["baseline_scopes"]),
                        f["signal_months"]),
        stars=Stars(float(s["size_min_share"]), float(s["specialisation_min_lq"]), float(s["focus_min_share"])),
        missing=Missing(v["missing"]["min_demand_firms"]),
        at_risk=AtRisk(v["at_risk"]["min_demand_firms"], v["at_risk"]["max_suppliers"],
                       float(v["at_risk"]["min_hhi"])),
        strong=Strong(float(v["strong"]["min_lq"]), v["strong"]["min_firms"], float(v["strong"]["min_chain_share"]),
                      v["strong"]["require_lq"]),
        weak=Weak(float(v["weak"]["max_lq"]), v["weak"]["min_firms"]),
        otherwise=v["otherwise"],
        supply_stages=tuple(data["supply"]["stages"]),
        leaders=Leaders(data["leaders"]["min_local_dependents"], float(data["leaders"]["min_output_yuan"])),
        targets=Targets(tuple(t["verdicts"]), t["top_n"], t["max_nodes"], t["pool_factor"], _plain(t["weights"])),
        path=str(path),
        raw=_plain(data),
    )


@functools.lru_cache(maxsize=16)
def _load_cached(path: Path, mtime_ns: int) -> Rules:
    data, errors = parse(path, RulesError)
    _check("", data, SPEC, 1, errors)
    if not errors:
        w = data["verdicts"]
        if w["weak"]["max_lq"] > w["strong"]["min_lq"]:
            errors.append((w["weak"].key_lines["max_lq"], "verdicts.weak.max_lq must not exceed verdicts.strong.min_lq"))
    if errors:
        raise RulesError(path, errors)
    return _build(data, path)


def load_rules(path: str | Path | None = None) -> Rules:
    """Load and validate the rules (default: the packaged ``data/rules/diagnosis.yaml``).

    Raises:
        RulesError: listing every problem with file and line.
    """
    p = Path(path).expanduser().resolve() if path else RULES_PATH
    if not p.is_file():
        raise RulesError(p, [(0, "no such rules file")])
    return _load_cached(p, p.stat().st_mtime_ns)
