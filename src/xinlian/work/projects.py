"""The project pipeline: add projects, edit them under optimistic locking, move them through the stages with
history, and keep each project's problem list (问题清单).

Every save names the version it was based on. ``update_project`` and ``move`` write with
``UPDATE … WHERE version = expected`` so two analysts editing one project cannot overwrite each other: the
second save is refused with ``ConflictError``, whose message names who changed the project and when, and whose
``changes`` hold the refused edits so nothing typed is lost.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update

from xinlian.store.tables.work import Project, ProjectMove, ProjectProblem
from xinlian.work import stages as st
from xinlian.work.common import (NotFound, WorkError, as_aware, enterprise_names, get_or_missing, local_date, now_utc,
                                 session_of, show_time)
from xinlian.work.rules import categories

STAGE_DATES = {"signed": "signed_on", "registered": "registered_on", "construction": "started_on",
               "completed": "completed_on", "production": "production_on", "full_production": "full_production_on"}
FIELD_NAMES = {"name": "项目名称", "investor_id": "投资方", "chain": "产业链", "node_id": "产业链环节",
               "planned_investment": "计划总投资", "arrived_investment": "实际到位资金", "expected_output": "预计产值",
               "expected_tax": "预计税收", "land_mu": "用地(亩)", "official": "责任人", "department": "责任部门",
               "signed_on": "签约日期", "registered_on": "注册日期", "started_on": "开工日期", "completed_on": "竣工日期",
               "production_on": "投产日期", "full_production_on": "达产日期", "next_milestone": "下一节点",
               "milestone_due": "节点计划日期", "notes": "备注", "is_sample": "示例数据"}


class ConflictError(WorkError):
    """A save based on an old version. ``changes`` are the refused edits, returned so nothing is lost."""

    def __init__(self, message: str, *, project_id: int, expected_version: int, current_version: int,
                 changed_by: str | None, changed_at: datetime | None, changes: dict):
        super().__init__(message)
        self.project_id = project_id
        self.expected_version = expected_version
        self.current_version = current_version
        self.changed_by = changed_by
        self.changed_at = changed_at
        self.changes = changes


class MoveRefused(WorkError):
    """A stage move the rules do not allow (or one missing its required reason)."""

    def __init__(self, message: str, rule: st.MoveRule | None = None):
        super().__init__(message)
        self.rule = rule


def match_key(name: str, investor_id: int | None) -> str:
    from xinlian.registry.names import basic

    return f"{basic(name).lower()}|{investor_id or ''}"


def _check_fields(s, fields: dict) -> None:
    unknown = set(fields) - set(Project.EDITABLE)
    if unknown:
        raise WorkError(f"不能直接修改的字段: {', '.join(sorted(unknown))}（阶段请用 move 变更）")
    if "name" in fields and not (fields["name"] or "").strip():
        raise WorkError("项目名称不能为空")
    for k in ("planned_investment", "arrived_investment", "expected_output", "expected_tax", "land_mu"):
        v = fields.get(k)
        if v is not None and (not isinstance(v, (int, float)) or v < 0):
            raise WorkError(f"{FIELD_NAMES[k]}应为非负数: {v!r}")
    if fields.get("investor_id") is not None:
        from xinlian.store.tables.registry import Enterprise

        if s.get(Enterprise, fields["investor_id"]) is None:
            raise WorkError(f"投资方企业 {fields['investor_id']} 不存在")
    if fields.get("node_id"):
        from xinlian.chain.taxonomy import load_chain

        chain_id = fields.get("chain") or "semiconductor"
        try:
            chain = load_chain(chain_id)
        except Exception as exc:
            raise WorkError(f"未知的产业链 {chain_id!r}: {exc}") from exc
        if fields["node_id"] not in chain.nodes:
            raise WorkError(f"产业链「{chain.name}」中没有环节 {fields['node_id']!r}")


def add_project(db, *, name: str, stage: str = "lead", user: str | None = None, when: datetime | None = None,
                source: str = "manual", **fields: Any) -> dict:
    """Create a project at ``stage`` (a working stage, default 线索) and record its creation in the history."""
    rules = st.rules()
    stage = rules.resolve(stage)
    if stage not in rules.stages:
        raise WorkError(f"新项目的阶段应为 {'、'.join(s.name for s in rules.stages.values())} 之一")
    at = now_utc(when)
    with session_of(db) as s:
        fields = {k: v for k, v in fields.items()}
        if fields.get("node_id") and not fields.get("chain"):
            fields["chain"] = "semiconductor"
        _check_fields(s, {"name": name, **fields})
        key = match_key(name, fields.get("investor_id"))
        if s.scalar(select(Project.id).where(Project.match_key == key)) is not None:
            raise WorkError(f"已有同名项目「{name}」（同一投资方），请修改该项目而不是重复新建")
        p = Project(name=name.strip(), match_key=key, stage=stage, status="active", source=source, created_at=at,
                    updated_at=at, updated_by=user, version=1, **fields)
        date_field = STAGE_DATES.get(stage)
        if date_field and getattr(p, date_field) is None:
            setattr(p, date_field, local_date(at))
        s.add(p)
        s.flush()
        s.add(ProjectMove(project_id=p.id, from_stage=None, to_stage=stage, kind="create", user=user, at=at,
                          reason=fields.get("notes")))
        s.flush()
        return project_dict(s, p)


def _conflict(s, project_id: int, expected: int, changes: dict) -> ConflictError:
    s.expire_all()
    cur = s.get(Project, project_id)
    if cur is None:
        return NotFound(f"项目 {project_id} 不存在（可能已被删除）")
    shown = "；".join(f"{FIELD_NAMES.get(k, k)}={_show(v)}" for k, v in changes.items()) or "无"
    msg = (f"保存冲突：项目「{cur.name}」已被 {cur.updated_by or '其他用户'} 于 {show_time(cur.updated_at)} 修改"
           f"（您编辑的是第 {expected} 版，当前为第 {cur.version} 版）。您的修改未保存，已原样退回：{shown}。"
           f"请刷新查看最新内容后再保存。")
    return ConflictError(msg, project_id=project_id, expected_version=expected, current_version=cur.version,
                         changed_by=cur.updated_by, changed_at=as_aware(cur.updated_at), changes=dict(changes))


def _show(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


MONEY_FIELDS = ("planned_investment", "arrived_investment", "expected_output", "expected_tax")
DATE_FIELDS = ("signed_on", "registered_on", "started_on", "completed_on", "production_on", "full_production_on",
               "milestone_due")


def parse_changes(texts: dict[str, str]) -> dict:
    """Typed changes from text (a form or ``--set field=value``): money with units (bare numbers are 万元), dates,
    亩, true/false; an empty value clears the field. Field names may be the Chinese labels."""
    from xinlian.registry import values as V

    by_label = {v: k for k, v in FIELD_NAMES.items()}
    out: dict[str, Any] = {}
    for key, raw in texts.items():
        f = by_label.get(key, key)
        if f not in Project.EDITABLE:
            raise WorkError(f"不能修改的字段 {key!r}（可改: {', '.join(FIELD_NAMES[k] for k in Project.EDITABLE)}）")
        try:
            if raw is None or str(raw).strip() == "":
                out[f] = None
            elif f in MONEY_FIELDS:
                out[f] = V.amount_yuan(raw, unit=1e4)
            elif f in DATE_FIELDS:
                out[f] = V.date(raw)
            elif f == "land_mu":
                out[f] = float(str(raw).replace("亩", "").strip())
            elif f == "investor_id":
                out[f] = int(raw)
            elif f == "is_sample":
                out[f] = V.flag(raw)
            else:
                out[f] = str(raw).strip()
        except (ValueError, V.ValueProblem) as exc:
            raise WorkError(f"{FIELD_NAMES.get(f, f)}: {exc}") from exc
    return out


def update_project(db, project_id: int, changes: dict, expected_version: int, user: str | None = None,
                   when: datetime | None = None) -> dict:
    """Save ``changes`` made on version ``expected_version``; raises ``ConflictError`` when someone saved first.

    Returns the project as a dict (new version). Changing ``stage`` here is refused: use ``move``.
    """
    at = now_utc(when)
    with session_of(db) as s:
        p = get_or_missing(s, Project, project_id, "项目")
        if "stage" in changes:
            raise WorkError("阶段不能直接修改，请用「推进阶段」(xinlian project move)，以便记录原因和历史")
        _check_fields(s, {**changes, "chain": changes.get("chain", p.chain)})
        values = dict(changes)
        if values.get("node_id") and not (values.get("chain") or p.chain):
            values["chain"] = "semiconductor"
        if "name" in values or "investor_id" in values:
            key = match_key(values.get("name", p.name), values.get("investor_id", p.investor_id))
            other = s.scalar(select(Project.id).where(Project.match_key == key, Project.id != project_id))
            if other is not None:
                raise WorkError(f"已有同名项目（同一投资方）: 项目 {other}")
            values["match_key"] = key
        res = s.execute(update(Project).where(Project.id == project_id, Project.version == expected_version)
                        .values(**values, version=expected_version + 1, updated_at=at, updated_by=user)
                        .execution_options(synchronize_session=False))
        if res.rowcount != 1:
            raise _conflict(s, project_id, expected_version, changes)
        s.expire_all()
        return project_dict(s, s.get(Project, project_id))


def move(db, project_id: int, to_stage: str, user: str | None, reason: str | None = None,
         expected_version: int | None = None, when: datetime | None = None) -> dict:
    """Move a project to ``to_stage`` (id or Chinese name) if the rules allow it; the move is kept in history.

    Raises ``MoveRefused`` with the rule's message for a disallowed move or a missing reason, ``ConflictError`` when
    the project changed since ``expected_version`` (None: the version read now).
    """
    rules = st.rules()
    try:
        dst = rules.resolve(to_stage)
    except ValueError as exc:
        raise MoveRefused(str(exc)) from exc
    at = now_utc(when)
    reason = (reason or "").strip() or None
    with session_of(db) as s:
        p = get_or_missing(s, Project, project_id, "项目")
        expected = p.version if expected_version is None else expected_version
        if p.version != expected:
            raise _conflict(s, project_id, expected, {"stage": dst, "reason": reason})
        rule = rules.can_move(p.stage, dst, p.held_from)
        if not rule.allowed:
            raise MoveRefused(f"项目「{p.name}」: {rule.message}", rule)
        if rule.reason_required and not reason:
            raise MoveRefused(f"项目「{p.name}」: {rule.message}，请填写原因", rule)
        src = p.stage
        values: dict[str, Any] = {"stage": dst}
        if rule.kind == "hold":
            values.update(held_from=src, status="on_hold")
        elif rule.kind == "resume":
            values.update(held_from=None, status="active")
        elif rule.kind == "terminate":
            values.update(held_from=p.held_from if src == st.ON_HOLD else src, status="terminated")
        else:
            values["status"] = "active"
            date_field = STAGE_DATES.get(dst)
            if date_field and getattr(p, date_field) is None and rule.kind in ("forward", "skip"):
                values[date_field] = local_date(at)
        res = s.execute(update(Project).where(Project.id == project_id, Project.version == expected)
                        .values(**values, version=expected + 1, updated_at=at, updated_by=user)
                        .execution_options(synchronize_session=False))
        if res.rowcount != 1:
            raise _conflict(s, project_id, expected, {"stage": dst, "reason": reason})
        s.add(ProjectMove(project_id=project_id, from_stage=src, to_stage=dst, kind=rule.kind, user=user, at=at,
                          reason=reason))
        s.flush()
        s.expire_all()
        return project_dict(s, s.get(Project, project_id), with_history=True)


def history(db, project_id: int) -> list[dict]:
    """The project's stage moves, oldest first."""
    with session_of(db) as s:
        rows = s.scalars(select(ProjectMove).where(ProjectMove.project_id == project_id).order_by(ProjectMove.id))
        return [_move_dict(m) for m in rows]


def _move_dict(m: ProjectMove) -> dict:
    n = st.rules().name
    return {"id": m.id, "from": m.from_stage, "from_name": n(m.from_stage) if m.from_stage else None,
            "to": m.to_stage, "to_name": n(m.to_stage), "kind": m.kind, "user": m.user, "at": as_aware(m.at),
            "reason": m.reason}


def project_dict(s, p: Project, *, with_history: bool = False, investor_name: str | None = None) -> dict:
    rules = st.rules()
    stage = rules.stages.get(p.stage)
    out = {c: getattr(p, c) for c in ("id", "name", "investor_id", "chain", "node_id", "stage", "held_from", "status",
                                      "planned_investment", "arrived_investment", "expected_output", "expected_tax",
                                      "land_mu", "official", "department", "signed_on", "registered_on",
                                      "started_on", "completed_on", "production_on", "full_production_on",
                                      "next_milestone", "milestone_due", "notes", "source", "is_sample",
                                      "updated_by", "version")}
    out["updated_at"] = as_aware(p.updated_at)
    out["created_at"] = as_aware(p.created_at)
    out["stage_name"] = rules.name(p.stage)
    out["phase"] = stage.phase if stage else None
    out["phase_name"] = stage.phase_name if stage else None
    out["held_from_name"] = rules.name(p.held_from) if p.held_from else None
    if investor_name is None and p.investor_id:
        investor_name = enterprise_names(s, [p.investor_id]).get(p.investor_id)
    out["investor"] = investor_name
    if with_history:
        out["history"] = [_move_dict(m) for m in s.scalars(
            select(ProjectMove).where(ProjectMove.project_id == p.id).order_by(ProjectMove.id))]
        out["problems"] = [problem_dict(x) for x in s.scalars(
            select(ProjectProblem).where(ProjectProblem.project_id == p.id).order_by(ProjectProblem.id))]
    return out


def get_project(db, project_id: int) -> dict:
    """One project with its history and problems."""
    with session_of(db) as s:
        p = get_or_missing(s, Project, project_id, "项目")
        return project_dict(s, p, with_history=True)


def list_projects(db, *, stage: str | None = None, phase: str | None = None, status: str | None = None,
                  department: str | None = None, chain: str | None = None, node_id: str | None = None,
                  investor_id: int | None = None, is_sample: bool | None = None, q: str | None = None) -> list[dict]:
    """Projects matching every given filter, in pipeline order then by name."""
    rules = st.rules()
    stmt = select(Project)
    if stage:
        stmt = stmt.where(Project.stage == rules.resolve(stage))
    if phase:
        ph = {v: k for k, v in rules.phases.items()}.get(phase, phase)
        stmt = stmt.where(Project.stage.in_([s.id for s in rules.stages.values() if s.phase == ph]))
    for col, val in ((Project.status, status), (Project.department, department), (Project.chain, chain),
                     (Project.node_id, node_id), (Project.investor_id, investor_id), (Project.is_sample, is_sample)):
        if val is not None:
            stmt = stmt.where(col == val)
    if q:
        stmt = stmt.where(Project.name.contains(q))
    order = {sid: i for i, sid in enumerate(rules.all_ids())}
    with session_of(db) as s:
        rows = list(s.scalars(stmt))
        names = enterprise_names(s, [p.investor_id for p in rows])
        out = [project_dict(s, p, investor_name=names.get(p.investor_id)) for p in rows]
    return sorted(out, key=lambda d: (order.get(d["stage"], 99), d["name"]))


# --- 问题清单 -------------------------------------------------------------------------------------------------

def problem_dict(x: ProjectProblem) -> dict:
    cats = categories()
    return {"id": x.id, "project_id": x.project_id, "stage": x.stage, "stage_name": st.rules().name(x.stage),
            "category": x.category, "category_name": cats.problem[x.category].name if x.category in cats.problem
            else x.category, "description": x.description, "owner": x.owner, "department": x.department,
            "due": x.due, "status": x.status, "created_at": as_aware(x.created_at), "created_by": x.created_by,
            "closed_at": as_aware(x.closed_at), "closed_by": x.closed_by, "resolution": x.resolution}


def add_problem(db, project_id: int, *, category: str, description: str, owner: str | None = None,
                department: str | None = None, due: date | None = None, stage: str | None = None,
                user: str | None = None, when: datetime | None = None) -> dict:
    """Add an item to the project's problem list, at its current stage unless ``stage`` is given."""
    try:
        cat = categories().resolve("problem", category)
    except ValueError as exc:
        raise WorkError(f"问题类别: {exc}") from exc
    if not (description or "").strip():
        raise WorkError("问题描述不能为空")
    with session_of(db) as s:
        p = get_or_missing(s, Project, project_id, "项目")
        at_stage = st.rules().resolve(stage) if stage else (p.held_from if p.stage in st.rules().holds and
                                                             p.held_from else p.stage)
        x = ProjectProblem(project_id=project_id, stage=at_stage, category=cat, description=description.strip(),
                           owner=owner, department=department or p.department, due=due, status="open",
                           created_at=now_utc(when), created_by=user)
        s.add(x)
        s.flush()
        return problem_dict(x)


def close_problem(db, problem_id: int, *, resolution: str, user: str | None = None,
                  when: datetime | None = None) -> dict:
    """Close a problem with how it was solved."""
    if not (resolution or "").strip():
        raise WorkError("关闭问题须填写解决情况")
    with session_of(db) as s:
        x = get_or_missing(s, ProjectProblem, problem_id, "问题")
        if x.status == "closed":
            raise WorkError(f"问题 {problem_id} 已于 {show_time(x.closed_at)} 关闭")
        x.status, x.resolution, x.closed_by, x.closed_at = "closed", resolution.strip(), user, now_utc(when)
        s.flush()
        return problem_dict(x)


def list_problems(db, *, project_id: int | None = None, status: str | None = None,
                  department: str | None = None) -> list[dict]:
    stmt = select(ProjectProblem).order_by(ProjectProblem.id)
    if project_id is not None:
        stmt = stmt.where(ProjectProblem.project_id == project_id)
    if status:
        stmt = stmt.where(ProjectProblem.status == status)
    if department:
        stmt = stmt.where(ProjectProblem.department == department)
    with session_of(db) as s:
        return [problem_dict(x) for x in s.scalars(stmt)]
