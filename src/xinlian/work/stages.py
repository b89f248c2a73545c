"""Project stages (线索 → … → 达产) and which moves between them are allowed, from ``project_stages.yaml``.

``can_move(from, to, held_from=None)`` answers with a ``MoveRule``: allowed or not, the kind of move (forward,
skip, back, hold, resume, terminate), whether a reason is required, and a Chinese message saying why. The
rules are data; this module only reads and applies them.

    >>> can_move("signed", "registered").allowed
    True
    >>> can_move("lead", "signed").message
    '不允许从「线索」直接转到「签约」：只能前进一个阶段（或按规则跳过：线索→在谈），或退回一个阶段'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from xinlian.work.rules import RULES_DIR, RulesError, line_of, load_yaml

ON_HOLD = "on_hold"
TERMINATED = "terminated"
STAGES_FILE = RULES_DIR / "project_stages.yaml"


@dataclass(frozen=True)
class Stage:
    id: str
    name: str
    phase: str
    phase_name: str
    order: int


@dataclass(frozen=True)
class MoveRule:
    """The verdict on one proposed move."""

    allowed: bool
    kind: str  # forward | skip | back | hold | resume | terminate | refused
    reason_required: bool
    message: str


@dataclass
class StageRules:
    path: str
    stages: dict[str, Stage]
    order: list[str]
    phases: dict[str, str]
    skips: dict[tuple[str, str], str]  # (from, to) -> situation
    back_allowed: bool
    back_reason: bool
    holds: dict[str, dict]
    alerts: dict[str, int] = field(default_factory=dict)

    def name(self, stage: str | None) -> str:
        if stage in self.stages:
            return self.stages[stage].name
        if stage in self.holds:
            return self.holds[stage]["name"]
        return str(stage)

    def resolve(self, value: str) -> str:
        """A stage id from an id or the Chinese name (签约 or signed, 搁置 or on_hold)."""
        v = (value or "").strip()
        if v in self.stages or v in self.holds:
            return v
        for s in self.stages.values():
            if v == s.name or v in s.name.split("/"):
                return s.id
        for hid, h in self.holds.items():
            if v == h["name"]:
                return hid
        allowed = "、".join([s.name for s in self.stages.values()] + [h["name"] for h in self.holds.values()])
        raise ValueError(f"未知的阶段 {value!r}，应为 {allowed} 之一")

    def all_ids(self) -> list[str]:
        return self.order + list(self.holds)

    def can_move(self, src: str, dst: str, held_from: str | None = None) -> MoveRule:
        n = self.name
        if src not in self.stages and src not in self.holds:
            return MoveRule(False, "refused", False, f"未知的当前阶段 {src!r}")
        if dst not in self.stages and dst not in self.holds:
            return MoveRule(False, "refused", False, f"未知的目标阶段 {dst!r}")
        if src == dst:
            return MoveRule(False, "refused", False, f"项目已处于「{n(src)}」阶段")
        if src == TERMINATED:
            return MoveRule(False, "refused", False, "项目已「终止」，终止为最终状态，不能再变更阶段")
        if dst == TERMINATED:
            return MoveRule(True, "terminate", self.holds[TERMINATED].get("reason_required", True),
                            f"「{n(src)}」→「终止」须说明原因")
        if src == ON_HOLD:
            if dst == ON_HOLD:
                return MoveRule(False, "refused", False, "项目已搁置")
            if held_from is None or dst == held_from:
                return MoveRule(True, "resume", False, f"恢复推进，回到搁置前的「{n(dst)}」阶段")
            return MoveRule(False, "refused", False,
                            f"搁置的项目只能恢复到搁置前的「{n(held_from)}」阶段，不能直接转到「{n(dst)}」")
        if dst == ON_HOLD:
            return MoveRule(True, "hold", self.holds[ON_HOLD].get("reason_required", True),
                            f"「{n(src)}」→「搁置」须说明原因，之后可恢复到「{n(src)}」")
        i, j = self.stages[src].order, self.stages[dst].order
        if j == i + 1:
            return MoveRule(True, "forward", False, f"「{n(src)}」→「{n(dst)}」：正常推进一个阶段")
        if (src, dst) in self.skips:
            return MoveRule(True, "skip", False, f"「{n(src)}」→「{n(dst)}」：跳过中间阶段，适用于{self.skips[(src, dst)]}")
        if j == i - 1 and self.back_allowed:
            return MoveRule(True, "back", self.back_reason, f"「{n(src)}」→「{n(dst)}」：退回一个阶段，须说明原因")
        skips = [f"{n(a)}→{n(b)}" for (a, b) in self.skips if a == src]
        skip_text = f"（或按规则跳过：{'、'.join(skips)}）" if skips else ""
        return MoveRule(False, "refused", False,
                        f"不允许从「{n(src)}」直接转到「{n(dst)}」：只能前进一个阶段{skip_text}，或退回一个阶段")


def load_stage_rules(path: str | Path = STAGES_FILE) -> StageRules:
    """Load and validate a stages file; every problem is reported with its line, all at once."""
    path = Path(path)
    data = load_yaml(path)
    errors: list[tuple[int, str]] = []
    if not isinstance(data, dict):
        raise RulesError(path, [(1, "文件应为 YAML 映射")])
    phases = data.get("phases")
    if not isinstance(phases, dict) or not phases:
        errors.append((line_of(data, "phases", 1), "phases 应为 id: 名称 的映射"))
        phases = {}
    stages: dict[str, Stage] = {}
    order: list[str] = []
    raw_stages = data.get("stages")
    if not isinstance(raw_stages, list) or len(raw_stages) < 2:
        errors.append((line_of(data, "stages", 1), "stages 应为至少两项的列表"))
        raw_stages = []
    for item in raw_stages:
        ln = line_of(item, default=line_of(data, "stages"))
        if not isinstance(item, dict):
            errors.append((ln, "每个阶段应为映射（id, name, phase）"))
            continue
        unknown = set(item) - {"id", "name", "phase"}
        if unknown:
            errors.append((ln, f"阶段中未知的字段 {sorted(unknown)}"))
        sid, name, phase = item.get("id"), item.get("name"), item.get("phase")
        if not isinstance(sid, str) or not sid.isascii() or not sid:
            errors.append((ln, f"阶段 id 应为 ASCII 字符串: {sid!r}"))
            continue
        if sid in stages or sid in (ON_HOLD, TERMINATED):
            errors.append((ln, f"重复或保留的阶段 id {sid!r}"))
            continue
        if not isinstance(name, str) or not name:
            errors.append((ln, f"阶段 {sid} 缺少 name"))
        if phase not in phases:
            errors.append((line_of(item, "phase", ln), f"阶段 {sid} 的 phase {phase!r} 不在 phases 中"))
        stages[sid] = Stage(sid, str(name), str(phase), str(phases.get(phase, phase)), len(order))
        order.append(sid)
    skips: dict[tuple[str, str], str] = {}
    for item in data.get("skips") or []:
        ln = line_of(item, default=line_of(data, "skips"))
        if not isinstance(item, dict):
            errors.append((ln, "skips 的每项应为 {from, to, situation}"))
            continue
        a, b = item.get("from"), item.get("to")
        if a not in stages:
            errors.append((line_of(item, "from", ln), f"跳过规则中未知的阶段 {a!r}"))
        elif b not in stages:
            errors.append((line_of(item, "to", ln), f"跳过规则中未知的阶段 {b!r}"))
        elif stages[b].order <= stages[a].order + 1:
            errors.append((ln, f"跳过规则 {a}→{b} 应至少向前跳过一个阶段"))
        elif not item.get("situation"):
            errors.append((ln, f"跳过规则 {a}→{b} 应写明适用情形 situation"))
        else:
            skips[(a, b)] = str(item["situation"])
    back = data.get("back") or {}
    holds = data.get("holds")
    if not isinstance(holds, dict) or set(holds) != {ON_HOLD, TERMINATED}:
        errors.append((line_of(data, "holds", 1), f"holds 应恰好包含 {ON_HOLD} 和 {TERMINATED}"))
        holds = {ON_HOLD: {"name": "搁置"}, TERMINATED: {"name": "终止"}}
    for hid, h in holds.items():
        if not isinstance(h, dict) or not h.get("name"):
            errors.append((line_of(holds, hid), f"{hid} 应有 name"))
    alerts = data.get("alerts") or {}
    for k, v in alerts.items():
        if not isinstance(v, int) or v < 0:
            errors.append((line_of(alerts, k), f"alerts.{k} 应为非负整数天数: {v!r}"))
    if errors:
        raise RulesError(path, errors)
    return StageRules(path=str(path), stages=stages, order=order, phases=dict(phases), skips=skips,
                      back_allowed=bool(back.get("allowed", True)), back_reason=bool(back.get("reason_required", True)),
                      holds={k: dict(v) for k, v in holds.items()}, alerts=dict(alerts))


@lru_cache(maxsize=4)
def _cached(path: str, mtime_ns: int) -> StageRules:
    return load_stage_rules(path)


def rules(path: str | Path | None = None) -> StageRules:
    """The stage rules (packaged file by default), reloaded when the file changes."""
    p = Path(path or STAGES_FILE)
    return _cached(str(p), p.stat().st_mtime_ns)


def can_move(src: str, dst: str, held_from: str | None = None) -> MoveRule:
    """Whether a project at ``src`` may move to ``dst`` under the packaged rules (see ``StageRules.can_move``)."""
    return rules().can_move(src, dst, held_from)
