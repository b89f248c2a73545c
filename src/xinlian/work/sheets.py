"""Projects, visits and demands in and out of XLSX sheets that the software itself generates.

``write_template(kind, path)`` makes an empty sheet with Chinese headers (required ones marked ``*``, units in
brackets), drop-down lists of the allowed stages, categories and statuses, and a 填写说明 sheet. ``import_sheet``
reads such a sheet (or any CSV/XLSX with recognisable headers, via ``xinlian.ingest.sheets.read_sheet``) with the
registry import's rules: every refused cell becomes a line of the error report (row, column, value, reason), the
good rows are written in one transaction, a natural key makes re-importing the same file change nothing, and
``dry_run`` writes nothing. ``export_sheet`` writes the same layout, neutralising text that a spreadsheet would run
as a formula.

Natural keys: a project is its name + investor; a visit its date + enterprises; a demand its enterprise + date
raised + text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import select

from xinlian.registry import values as V
from xinlian.store.changes import announce_change
from xinlian.store.tables.work import Demand, Project, Visit
from xinlian.work import stages as st
from xinlian.work.common import WorkError, enterprise_names, find_enterprise, session_of
from xinlian.work.rules import categories

KINDS = {"projects": "project", "visits": "visit", "demands": "demand"}
SHEET_TITLES = {"project": "项目", "visit": "走访", "demand": "诉求"}
from xinlian.store.sheetsafe import safe_cell, unsafe_cell, write_rows  # noqa: E402
DEFAULT_MONEY_UNIT = "万元"  # project money columns without a unit in the header are read as 万元


@dataclass(frozen=True)
class Col:
    field: str
    header: str  # template header (an alias from sheet_headers.yaml, plus unit)
    kind: str  # text | money | number | date | choice | list
    required: bool = False
    help: str = ""
    choices: Callable[[], list[str]] | None = None


def _stage_names() -> list[str]:
    r = st.rules()
    return [s.name for s in r.stages.values()] + [h["name"] for h in r.holds.values()]


def _demand_cats() -> list[str]:
    return [c.name for c in categories().demand.values()]


def _demand_statuses() -> list[str]:
    return list(categories().demand_status.values())


COLUMNS: dict[str, list[Col]] = {
    "project": [
        Col("name", "项目名称", "text", True, "项目全称；与投资方一起识别同一项目"),
        Col("investor", "投资方", "text", False, "企业库中的企业名称或统一社会信用代码"),
        Col("node", "产业链环节", "text", False, "集成电路产业链环节名称，如 碳化硅衬底"),
        Col("stage", "推进阶段", "choice", True, "从下拉列表选择", _stage_names),
        Col("stage_reason", "阶段变更原因", "text", False, "退回、搁置、终止时必填"),
        Col("planned_investment", "计划总投资(万元)", "money", False, "数字；可写 5亿 等带单位金额"),
        Col("arrived_investment", "实际到位资金(万元)", "money"),
        Col("expected_output", "预计年产值(万元)", "money"),
        Col("expected_tax", "预计年税收(万元)", "money"),
        Col("land_mu", "用地面积(亩)", "number"),
        Col("official", "责任人", "text"),
        Col("department", "责任部门", "text"),
        Col("signed_on", "签约日期", "date", False, "如 2025-03-06"),
        Col("started_on", "开工日期", "date"),
        Col("production_on", "投产日期", "date"),
        Col("next_milestone", "下一节点", "text"),
        Col("milestone_due", "节点计划日期", "date"),
        Col("notes", "备注", "text"),
    ],
    "visit": [
        Col("visit_date", "走访日期", "date", True, "如 2025-03-06"),
        Col("enterprises", "走访企业", "list", True, "多家企业用 、 或 ； 分隔"),
        Col("officials", "走访领导", "text", False, "职务+姓名，多人用 ； 分隔，如 区长张三；副区长李四"),
        Col("topics", "走访主题", "text"),
        Col("notes", "情况记录", "text"),
        Col("department", "牵头部门", "text"),
        Col("status", "状态", "choice", False, "草稿 或 已确认（空白为已确认）", lambda: ["草稿", "已确认"]),
    ],
    "demand": [
        Col("enterprise", "企业名称", "text", True, "企业库中的企业名称或统一社会信用代码"),
        Col("raised_on", "提出日期", "date", True, "如 2025-03-06；同日的走访会自动关联"),
        Col("category", "诉求类别", "choice", True, "从下拉列表选择", _demand_cats),
        Col("description", "诉求内容", "text", True),
        Col("department", "责任部门", "text"),
        Col("owner", "责任人", "text"),
        Col("due", "办结时限", "date"),
        Col("response", "办理情况", "text", False, "办结时必填"),
        Col("status", "办理状态", "choice", False, "空白为待办", _demand_statuses),
    ],
}


def _kind(kind: str) -> str:
    k = KINDS.get(kind, kind)
    if k not in COLUMNS:
        raise WorkError(f"未知的表格类型 {kind!r}，应为 projects、visits 或 demands")
    return k


# --- writing --------------------------------------------------------------------------------------------------

def _write(kind: str, path: Path, rows: list[list]) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    cols = COLUMNS[kind]
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLES[kind]
    ws.append([c.header + ("*" if c.required else "") for c in cols])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for r in rows:
        ws.append([safe_cell(v) for v in r])
    for i, c in enumerate(cols, 1):
        ws.column_dimensions[get_column_letter(i)].width = 28 if c.kind in ("text", "list") else 16
    ws.freeze_panes = "A2"
    lists = wb.create_sheet("选项")
    notes = wb.create_sheet("填写说明")
    notes.append(["列", "必填", "格式", "说明", "可选值"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    formats = {"text": "文本", "money": "金额（表头单位，可写 5亿）", "number": "数字", "date": "日期",
               "choice": "下拉选择", "list": "多个值用 、 分隔"}
    li = 0
    for i, c in enumerate(cols, 1):
        allowed = c.choices() if c.choices else []
        notes.append([c.header, "是" if c.required else "", formats[c.kind], c.help, "、".join(allowed)])
        if allowed:
            li += 1
            letter = get_column_letter(li)
            lists.cell(row=1, column=li, value=c.header)
            for j, v in enumerate(allowed, 2):
                lists.cell(row=j, column=li, value=v)
            dv = DataValidation(type="list", formula1=f"=选项!${letter}$2:${letter}${len(allowed) + 1}",
                                allow_blank=not c.required, showErrorMessage=True,
                                error=f"{c.header}应为下拉列表中的值", errorTitle="取值不在列表中")
            ws.add_data_validation(dv)
            dv.add(f"{get_column_letter(i)}2:{get_column_letter(i)}5000")
    notes.append([])
    notes.append(["说明", "", "", "带 * 的列必填；同一文件重复导入不会产生重复记录（按自然键更新）。", ""])
    for row in notes.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    lists.sheet_state = "hidden"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_template(kind: str, path: str | Path) -> Path:
    """An empty import template for ``projects``, ``visits`` or ``demands``."""
    return _write(_kind(kind), Path(path), [])


def _money_out(v: float | None) -> float | None:
    return None if v is None else round(v / V.UNITS[DEFAULT_MONEY_UNIT], 4)


def export_sheet(db, kind: str, path: str | Path, *, include_sample: bool = True) -> int:
    """Write every project, visit or demand to an XLSX in the template layout; returns the number of rows."""
    kind = _kind(kind)
    rows: list[list] = []
    rules = st.rules()
    cats = categories()
    with session_of(db) as s:
        if kind == "project":
            from xinlian.chain.taxonomy import load_chain

            q = select(Project).order_by(Project.id)
            if not include_sample:
                q = q.where(Project.is_sample.is_(False))
            ps = list(s.scalars(q))
            names = enterprise_names(s, [p.investor_id for p in ps])
            for p in ps:
                node = None
                if p.node_id:
                    ch = load_chain(p.chain or "semiconductor")
                    node = ch.nodes[p.node_id].name if p.node_id in ch.nodes else p.node_id
                rows.append([p.name, names.get(p.investor_id), node, rules.name(p.stage), None,
                             _money_out(p.planned_investment), _money_out(p.arrived_investment),
                             _money_out(p.expected_output), _money_out(p.expected_tax), p.land_mu, p.official,
                             p.department, p.signed_on, p.started_on, p.production_on, p.next_milestone,
                             p.milestone_due, p.notes])
        elif kind == "visit":
            from xinlian.work.visits import officials_text

            q = select(Visit).order_by(Visit.visit_date, Visit.id)
            if not include_sample:
                q = q.where(Visit.is_sample.is_(False))
            for v in s.scalars(q):
                rows.append([v.visit_date, "、".join(ve.name for ve in v.enterprises), officials_text(v.officials),
                             v.topics, v.notes, v.department, "已确认" if v.status == "confirmed" else "草稿"])
        else:
            q = select(Demand).order_by(Demand.id)
            if not include_sample:
                q = q.where(Demand.is_sample.is_(False))
            ds = list(s.scalars(q))
            names = enterprise_names(s, [d.enterprise_id for d in ds])
            for d in ds:
                rows.append([names.get(d.enterprise_id), d.raised_on,
                             cats.demand[d.category].name if d.category in cats.demand else d.category,
                             d.description, d.department, d.owner, d.due, d.response,
                             cats.demand_status.get(d.status, d.status)])
    _write(kind, Path(path), rows)
    return len(rows)


# --- reading --------------------------------------------------------------------------------------------------

@dataclass
class RowError:
    row: int | None
    column: str | None
    value: str | None
    reason: str

    def to_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "value": self.value, "reason": self.reason}


@dataclass
class ImportResult:
    kind: str
    file: str
    dry_run: bool
    rows_total: int = 0
    rows_ok: int = 0
    rows_bad: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    batch_id: int | None = None
    raw_sha256: str | None = None

    def to_dict(self) -> dict:
        d = {k: getattr(self, k) for k in ("kind", "file", "dry_run", "rows_total", "rows_ok", "rows_bad", "inserted",
                                           "updated", "unchanged", "batch_id", "raw_sha256")}
        d["errors"] = [e.to_dict() for e in self.errors]
        return d


_unapostrophe = unsafe_cell  # undo ``safe_cell`` on re-import: '=x is the text =x


def _number(value) -> float | None:
    if V.is_blank(value):
        return None
    if isinstance(value, bool):
        raise V.ValueProblem(f"应为数字: {value!r}")
    if isinstance(value, (int, float)):
        if value < 0:
            raise V.ValueProblem(f"不能为负数: {value!r}")
        return float(value)
    s = str(value).strip().replace(",", "").replace("亩", "")
    try:
        n = float(s)
    except ValueError:
        raise V.ValueProblem(f"无法识别的数字 {value!r}") from None
    if n < 0:
        raise V.ValueProblem(f"不能为负数: {value!r}")
    return n


def _parse(col: Col, unit: str | None, value) -> Any:
    if col.kind == "money":
        factor = V.UNITS.get(unit or DEFAULT_MONEY_UNIT) or V.UNITS.get((unit or "") + "元")
        if factor is None:
            raise V.ValueProblem(f"表头单位 {unit!r} 无法识别（应为 元/万元/亿元）")
        n = V.amount_yuan(value, unit=factor)
        if n is not None and n < 0:
            raise V.ValueProblem(f"金额不能为负数: {value!r}")
        return n
    if col.kind == "number":
        return _number(value)
    if col.kind == "date":
        return V.date(value)
    if col.kind == "list":
        t = V.text(value)
        return [x.strip() for x in re.split(r"[、，,；;\n]", t) if x.strip()] if t else []
    return V.text(value)


def _resolve_stage(v):
    try:
        return st.rules().resolve(v)
    except ValueError as exc:
        raise V.ValueProblem(str(exc)) from None


def _resolve_node(v):
    try:
        return _node_id(v)
    except _RowRefused as exc:
        raise V.ValueProblem(exc.reason) from None


def _resolve_demand_category(v):
    try:
        return categories().resolve("demand", v)
    except ValueError as exc:
        raise V.ValueProblem(str(exc)) from None


def _resolve_demand_status(v):
    cats = categories()
    if v in cats.demand_status:
        return v
    by_name = {n: k for k, n in cats.demand_status.items()}
    if v in by_name:
        return by_name[v]
    raise V.ValueProblem(f"办理状态应为 {'、'.join(cats.demand_status.values())} 之一: {v!r}")


def _resolve_visit_status(v):
    out = {"草稿": "draft", "已确认": "confirmed", "draft": "draft", "confirmed": "confirmed"}.get(v)
    if out is None:
        raise V.ValueProblem(f"状态应为 草稿 或 已确认: {v!r}")
    return out


# field -> check that turns a parsed text into the stored id (or raises ValueProblem), per kind
CHECKS = {"project": {"stage": _resolve_stage, "node": _resolve_node},
          "visit": {"status": _resolve_visit_status},
          "demand": {"category": _resolve_demand_category, "status": _resolve_demand_status}}


def _read(kind: str, path: Path, result: ImportResult) -> list[tuple[int, dict, dict[str, str]]]:
    """Parsed rows: (row number, field values, field -> column label for errors). Cell errors go to ``result``."""
    from xinlian.ingest.sheets import SheetError, column_letter, read_sheet

    try:
        sheet = read_sheet(path, kind=kind)
    except SheetError as exc:
        raise WorkError(str(exc)) from exc
    by_field = {c.field: c for c in COLUMNS[kind]}
    present = {}
    for col in sheet.columns:
        if col.field in by_field and col.field not in present:
            present[col.field] = col
    missing = [by_field[f].header for f in by_field if by_field[f].required and f not in present]
    if missing:
        raise WorkError(f"{path}: 缺少必填列 {'、'.join(missing)}（可用 xinlian template {kind}s 生成模板）")
    out = []
    for row in sheet.rows:
        cells = row.cells
        if not any(not V.is_blank(c) for c in cells):
            continue
        result.rows_total += 1
        values, labels, bad = {}, {}, False
        for f, col in present.items():
            label = f"{column_letter(col.index)} {col.header}"
            labels[f] = label
            raw = cells[col.index] if col.index < len(cells) else None
            if col.index in row.formulas:
                result.errors.append(RowError(row.number, label, row.formulas[col.index],
                                              "公式没有缓存值，请在 Excel 中重新计算并保存后再导入"))
                bad = True
                continue
            raw = _unapostrophe(raw)
            try:
                values[f] = _parse(by_field[f], col.unit, raw)
                if values[f] is not None and f in CHECKS[kind]:
                    values[f] = CHECKS[kind][f](values[f])
            except V.ValueProblem as exc:
                result.errors.append(RowError(row.number, label, _show(raw), str(exc)))
                bad = True
                continue
            if by_field[f].required and values[f] in (None, []):
                result.errors.append(RowError(row.number, label, None, "必填项为空"))
                bad = True
        if bad:
            result.rows_bad += 1
            continue
        out.append((row.number, values, labels))
    return out


def _show(v) -> str | None:
    return None if v is None else str(v)


# --- planning and applying, per kind ----------------------------------------------------------------------------

class _RowRefused(Exception):
    def __init__(self, field_: str | None, value, reason: str):
        self.field, self.value, self.reason = field_, value, reason


def _node_id(value: str | None) -> str | None:
    if not value:
        return None
    from xinlian.chain.taxonomy import load_chain

    chain = load_chain("semiconductor")
    if value in chain.nodes:
        return value
    for n in chain.nodes.values():
        if value in (n.name, n.name_en):
            return n.id
    raise _RowRefused("node", value, f"产业链中没有环节「{value}」")


def _plan_project(s, vals: dict, user: str | None) -> tuple[str, Callable[[], None]]:
    from xinlian.work import projects as P

    rules = st.rules()
    investor_id = None
    if vals.get("investor"):
        investor_id = find_enterprise(s, vals["investor"])
        if investor_id is None:
            raise _RowRefused("investor", vals["investor"], "企业库中找不到该投资方（请先导入企业或留空）")
    try:
        stage = rules.resolve(vals["stage"])
    except ValueError as exc:
        raise _RowRefused("stage", vals["stage"], str(exc)) from None
    node = _node_id(vals.get("node"))
    fields = {k: vals.get(k) for k in ("planned_investment", "arrived_investment", "expected_output", "expected_tax",
                                       "land_mu", "official", "department", "signed_on", "started_on",
                                       "production_on", "next_milestone", "milestone_due", "notes") if k in vals}
    if "node" in vals:
        fields["node_id"] = node
        fields["chain"] = "semiconductor" if node else None
    key = P.match_key(vals["name"], investor_id)
    p = s.scalar(select(Project).where(Project.match_key == key))
    if p is None:
        if stage not in rules.stages:
            raise _RowRefused("stage", vals["stage"], "新项目不能直接为搁置或终止，请先以所处阶段导入")

        def insert():
            P.add_project(s, name=vals["name"], stage=stage, user=user, source="import", investor_id=investor_id,
                          **{k: v for k, v in fields.items() if v is not None})
        return "inserted", insert
    changes = {k: v for k, v in fields.items() if getattr(p, k) != v}
    move_needed = stage != p.stage
    if move_needed:
        rule = rules.can_move(p.stage, stage, p.held_from)
        if not rule.allowed:
            raise _RowRefused("stage", vals["stage"], rule.message)
        if rule.reason_required and not vals.get("stage_reason"):
            raise _RowRefused("stage_reason", None, f"{rule.message}，请在「阶段变更原因」列填写")
    if not changes and not move_needed:
        return "unchanged", lambda: None
    pid, version = p.id, p.version

    def apply():
        v = version
        if changes:
            v = P.update_project(s, pid, changes, v, user)["version"]
        if move_needed:
            P.move(s, pid, stage, user, vals.get("stage_reason"), v)
    return "updated", apply


def _plan_visit(s, vals: dict, user: str | None) -> tuple[str, Callable[[], None]]:
    from xinlian.work import visits as W

    status = {"草稿": "draft", "已确认": "confirmed", None: "confirmed", "draft": "draft",
              "confirmed": "confirmed"}.get(vals.get("status"))
    if status is None:
        raise _RowRefused("status", vals.get("status"), "状态应为 草稿 或 已确认")
    key = W.visit_key(vals["visit_date"], vals["enterprises"])
    v = s.scalar(select(Visit).where(Visit.match_key == key).order_by(Visit.id).limit(1))
    offs = W.parse_officials(vals.get("officials"))
    if v is None:
        def insert():
            W.add_visit(s, visit_date=vals["visit_date"], enterprises=vals["enterprises"], officials=offs,
                        topics=vals.get("topics"), notes=vals.get("notes"), department=vals.get("department"),
                        status=status, user=user, source="import")
        return "inserted", insert
    changes = {k: vals[k] for k in ("topics", "notes", "department") if k in vals and getattr(v, k) != vals[k]}
    if "officials" in vals and (v.officials or []) != offs:
        changes["officials"] = offs
    confirm = status == "confirmed" and v.status != "confirmed"
    if status == "draft" and v.status == "confirmed":
        raise _RowRefused("status", vals.get("status"), "已确认的走访不能改回草稿")
    if not changes and not confirm:
        return "unchanged", lambda: None

    def apply():
        for k, val in changes.items():
            setattr(v, k, val)
        if confirm:
            W.confirm_visit(s, v.id, user or "import")
    return "updated", apply


def _plan_demand(s, vals: dict, user: str | None) -> tuple[str, Callable[[], None]]:
    from xinlian.work import visits as W

    cats = categories()
    eid = find_enterprise(s, vals["enterprise"])
    if eid is None:
        raise _RowRefused("enterprise", vals["enterprise"], "企业库中找不到该企业")
    try:
        cat = cats.resolve("demand", vals["category"])
    except ValueError as exc:
        raise _RowRefused("category", vals["category"], str(exc)) from None
    status_by_name = {v: k for k, v in cats.demand_status.items()}
    raw_status = vals.get("status")
    status = "open" if raw_status is None else status_by_name.get(raw_status, raw_status)
    if status not in cats.demand_status:
        raise _RowRefused("status", raw_status, f"办理状态应为 {'、'.join(cats.demand_status.values())} 之一")
    if status == "closed" and not vals.get("response"):
        raise _RowRefused("response", None, "已办结的诉求须填写办理情况")
    key = W.demand_key(eid, vals["raised_on"], vals["description"])
    d = s.scalar(select(Demand).where(Demand.match_key == key).order_by(Demand.id).limit(1))
    if d is None:
        from xinlian.store.tables.work import VisitEnterprise

        visit_id = s.scalar(select(Visit.id).join(VisitEnterprise).where(
            VisitEnterprise.enterprise_id == eid, Visit.visit_date == vals["raised_on"]).order_by(Visit.id).limit(1))

        def insert():
            W.add_demand(s, description=vals["description"], category=cat, enterprise=eid, visit_id=visit_id,
                         department=vals.get("department"), owner=vals.get("owner"), due=vals.get("due"),
                         raised_on=vals["raised_on"], status=status, response=vals.get("response"), user=user)
        return "inserted", insert
    changes = {k: vals[k] for k in ("department", "owner", "due") if k in vals and getattr(d, k) != vals[k]}
    if cat != d.category:
        changes["category"] = cat
    new_response = vals.get("response") if "response" in vals and vals.get("response") != d.response else None
    new_status = status if status != d.status else None
    if not changes and new_response is None and new_status is None:
        return "unchanged", lambda: None

    def apply():
        W.update_demand(s, d.id, status=new_status, response=new_response, user=user, **changes)
    return "updated", apply


PLANNERS = {"project": _plan_project, "visit": _plan_visit, "demand": _plan_demand}
NATURAL_KEY = {"project": lambda v: (v.get("name"), v.get("investor")),
               "visit": lambda v: (v.get("visit_date"), tuple(sorted(v.get("enterprises") or []))),
               "demand": lambda v: (v.get("enterprise"), v.get("raised_on"), v.get("description"))}


def _keep_raw(path: Path, s) -> str:
    from xinlian.store import rawstore

    return rawstore.keep_file(path, bind=s)


def import_sheet(db, kind: str, path: str | Path, *, dry_run: bool = False, user: str | None = None,
                 report: str | Path | None = None) -> ImportResult:
    """Import a projects/visits/demands sheet. Bad rows are reported, good rows written in one transaction.

    Returns an ``ImportResult`` with counts and every error (row, column, value, reason); ``report`` (.csv or
    .xlsx) receives the same errors. With ``dry_run`` nothing is written, but the report is.
    """
    from xinlian.store.tables.files import ImportBatch, ImportError_

    kind = _kind(kind)
    path = Path(path)
    result = ImportResult(kind=kind, file=str(path), dry_run=dry_run)
    rows = _read(kind, path, result)
    planner = PLANNERS[kind]
    with session_of(db) as s:
        sha = None if dry_run else _keep_raw(path, s)
        result.raw_sha256 = sha
        seen: dict[tuple, int] = {}
        actions = []
        for number, vals, labels in rows:
            nk = NATURAL_KEY[kind](vals)
            if nk in seen:
                result.errors.append(RowError(number, None, None, f"与第 {seen[nk]} 行是同一记录（自然键重复），已跳过"))
                result.rows_bad += 1
                continue
            seen[nk] = number
            try:
                what, apply = planner(s, vals, user)
            except _RowRefused as exc:
                result.errors.append(RowError(number, labels.get(exc.field) if exc.field else None,
                                              _show(exc.value), exc.reason))
                result.rows_bad += 1
                continue
            except WorkError as exc:
                result.errors.append(RowError(number, None, None, str(exc)))
                result.rows_bad += 1
                continue
            actions.append((number, what, apply))
        result.rows_ok = len(actions)
        for number, what, apply in actions:
            setattr(result, what, getattr(result, what) + 1)
            if not dry_run:
                try:
                    apply()
                    s.flush()
                except WorkError as exc:  # a rule the plan could not see: refuse the whole batch, nothing half-done
                    raise WorkError(f"第 {number} 行写入失败，整批未导入：{exc}") from exc
        result.errors.sort(key=lambda e: (e.row or 0))
        batch = ImportBatch(kind=f"work_{kind}", raw_sha256=sha, file_name=path.name, dry_run=dry_run,
                            rows_total=result.rows_total, rows_ok=result.rows_ok, rows_bad=result.rows_bad,
                            inserted=result.inserted, updated=result.updated, user=user, status="done",
                            finished_at=datetime.now(timezone.utc), summary={"unchanged": result.unchanged})
        if not dry_run:
            s.add(batch)
            s.flush()
            result.batch_id = batch.id
            for e in result.errors:
                s.add(ImportError_(batch_id=batch.id, row=e.row, column=e.column, value=e.value, reason=e.reason))
    if not dry_run:
        announce_change()  # a running web app's workers recompute their cached pages
    if report is not None:
        write_report(result, report)
    return result


def write_report(result: ImportResult, path: str | Path) -> Path:
    """The error report as CSV (UTF-8 with BOM, opens in Excel) or XLSX: 行号, 列, 值, 原因."""
    rows = [[e.row, e.column, e.value, e.reason] for e in result.errors]
    return write_rows(path, ["行号", "列", "值", "原因"], rows, sheet_title="错误报告")


__all__ = ["COLUMNS", "ImportResult", "RowError", "export_sheet", "import_sheet", "safe_cell", "write_report",
           "write_template"]
