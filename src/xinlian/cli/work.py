"""Verbs for the bureau's daily work: projects, visits, demands, policies, 产学研, alerts, templates and imports.

Each verb parses its options, calls one function of ``xinlian.work`` and prints (``--json`` on every listing).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Optional

import typer

from xinlian.cli.app import acting_user, app, console, fail, import_app, open_database, print_json

project_app = typer.Typer(help="招商项目 project pipeline", no_args_is_help=True)
problem_app = typer.Typer(help="项目问题清单 project problems", no_args_is_help=True)
visit_app = typer.Typer(help="走访 visits", no_args_is_help=True)
demand_app = typer.Typer(help="企业诉求 demands", no_args_is_help=True)
policy_app = typer.Typer(help="惠企政策 policies and eligibility", no_args_is_help=True)
institution_app = typer.Typer(help="产学研 universities and institutes", no_args_is_help=True)
app.add_typer(project_app, name="project")
project_app.add_typer(problem_app, name="problem")
app.add_typer(visit_app, name="visit")
app.add_typer(demand_app, name="demand")
app.add_typer(policy_app, name="policy")
app.add_typer(institution_app, name="institution")

USER = typer.Option(None, "--user", help="操作人（默认为当前系统用户）/ who is acting")


_user = acting_user


def _date(value: str | None, what: str) -> date | None:
    from xinlian.registry.values import ValueProblem
    from xinlian.registry.values import date as parse_date

    if value is None:
        return None
    try:
        return parse_date(value)
    except ValueProblem as exc:
        fail(f"{what}: {exc}")


def _money(value: str | None, what: str) -> float | None:
    from xinlian.registry.values import ValueProblem, amount_yuan

    if value is None:
        return None
    try:
        return amount_yuan(value, unit=1e4)
    except ValueProblem as exc:
        fail(f"{what}: {exc}（纯数字按万元计）")


def _run(fn, *args, **kwargs):
    from xinlian.work.common import WorkError

    try:
        return fn(*args, **kwargs)
    except WorkError as exc:
        fail(str(exc))


def _money_text(v: float | None) -> str:
    return "" if v is None else (f"{v / 1e8:.2f}亿" if v >= 1e8 else f"{v / 1e4:.0f}万")


# --- projects -------------------------------------------------------------------------------------------------

@project_app.command("add")
def project_add(
    name: str = typer.Argument(..., help="项目名称"),
    investor: Optional[str] = typer.Option(None, help="投资方：企业 id、信用代码或名称"),
    node: Optional[str] = typer.Option(None, help="产业链环节 id，如 sic_substrate"),
    stage: str = typer.Option("lead", help="阶段 id 或名称，如 线索、在谈"),
    planned: Optional[str] = typer.Option(None, help="计划总投资（5亿、3000万；纯数字按万元）"),
    output: Optional[str] = typer.Option(None, help="预计年产值"),
    tax: Optional[str] = typer.Option(None, help="预计年税收"),
    land: Optional[float] = typer.Option(None, help="用地（亩）"),
    official: Optional[str] = typer.Option(None, help="责任人"),
    department: Optional[str] = typer.Option(None, help="责任部门"),
    milestone: Optional[str] = typer.Option(None, help="下一节点"),
    due: Optional[str] = typer.Option(None, help="节点计划日期"),
    user: Optional[str] = USER,
    as_json: bool = typer.Option(False, "--json"),
):
    """新增项目 Add a project."""
    from xinlian.work.common import find_enterprise, session_of
    from xinlian.work.projects import add_project

    db = open_database()
    investor_id = None
    if investor:
        with session_of(db) as s:
            investor_id = find_enterprise(s, investor)
        if investor_id is None:
            fail(f"企业库中找不到投资方 {investor!r}")
    p = _run(add_project, db, name=name, stage=stage, user=_user(user), investor_id=investor_id, node_id=node,
             planned_investment=_money(planned, "计划总投资"), expected_output=_money(output, "预计年产值"),
             expected_tax=_money(tax, "预计年税收"), land_mu=land, official=official, department=department,
             next_milestone=milestone, milestone_due=_date(due, "节点计划日期"))
    if as_json:
        print_json(p)
    else:
        console.print(f"已新增项目 {p['id']}「{p['name']}」，阶段：{p['stage_name']}（第 {p['version']} 版）")


@project_app.command("move")
def project_move(
    project_id: int = typer.Argument(...),
    to: str = typer.Argument(..., help="目标阶段 id 或名称（搁置、终止 亦可）"),
    reason: Optional[str] = typer.Option(None, help="原因（退回、搁置、终止时必填）"),
    version: Optional[int] = typer.Option(None, help="您看到的版本号（防止覆盖他人修改）"),
    user: Optional[str] = USER,
    as_json: bool = typer.Option(False, "--json"),
):
    """推进/退回/搁置/终止项目 Move a project to another stage."""
    from xinlian.work.projects import move

    p = _run(move, open_database(), project_id, to, _user(user), reason, version)
    if as_json:
        print_json(p)
    else:
        console.print(f"项目 {p['id']}「{p['name']}」现处于：{p['stage_name']}（第 {p['version']} 版）")


@project_app.command("edit")
def project_edit(
    project_id: int = typer.Argument(...),
    sets: list[str] = typer.Option(..., "--set", help="字段=值（可多次），如 land_mu=50、责任部门=投资促进局"),
    version: int = typer.Option(..., help="您看到的版本号（防止覆盖他人修改）"),
    user: Optional[str] = USER,
    as_json: bool = typer.Option(False, "--json"),
):
    """修改项目信息 Edit a project (refused if someone saved a newer version)."""
    from xinlian.work.projects import ConflictError, parse_changes, update_project

    pairs = {}
    for item in sets:
        if "=" not in item:
            fail(f"--set 应写作 字段=值: {item!r}")
        k, v = item.split("=", 1)
        pairs[k.strip()] = v
    changes = _run(parse_changes, pairs)
    try:
        p = update_project(open_database(), project_id, changes, version, _user(user))
    except ConflictError as exc:
        if as_json:
            print_json({"conflict": str(exc), "changed_by": exc.changed_by, "changed_at": exc.changed_at,
                        "current_version": exc.current_version, "refused_changes": exc.changes})
        fail(str(exc), code=2)
    except Exception as exc:  # WorkError and friends
        from xinlian.work.common import WorkError

        if isinstance(exc, WorkError):
            fail(str(exc))
        raise
    print_json(p) if as_json else console.print(f"已保存项目 {p['id']}（第 {p['version']} 版）")


@project_app.command("list")
def project_list(
    stage: Optional[str] = typer.Option(None, help="阶段 id 或名称"),
    phase: Optional[str] = typer.Option(None, help="attraction/construction/service 或 招引/建设/服务"),
    status: Optional[str] = typer.Option(None, help="active | on_hold | terminated"),
    department: Optional[str] = typer.Option(None, help="责任部门"),
    node: Optional[str] = typer.Option(None, help="产业链环节 id"),
    q: Optional[str] = typer.Option(None, "--q", "-q", help="名称包含"),
    as_json: bool = typer.Option(False, "--json"),
):
    """项目清单 List projects."""
    from xinlian.work.projects import list_projects

    rows = _run(list_projects, open_database(), stage=stage, phase=phase, status=status, department=department,
                node_id=node, q=q)
    if as_json:
        print_json(rows)
        return
    from rich.table import Table

    t = Table("id", "项目", "投资方", "阶段", "计划投资", "责任部门", "下一节点", "更新")
    for p in rows:
        t.add_row(str(p["id"]), p["name"], p["investor"] or "", p["stage_name"], _money_text(p["planned_investment"]),
                  p["department"] or "", f"{p['next_milestone'] or ''} {p['milestone_due'] or ''}".strip(),
                  p["updated_at"].date().isoformat() if p["updated_at"] else "")
    console.print(t)
    console.print(f"共 {len(rows)} 个项目")


@project_app.command("show")
def project_show(project_id: int = typer.Argument(...), as_json: bool = typer.Option(False, "--json")):
    """项目详情（含阶段历史与问题清单）Show one project."""
    from xinlian.work.projects import get_project

    p = _run(get_project, open_database(), project_id)
    if as_json:
        print_json(p)
        return
    console.print(f"[bold]{p['name']}[/]  阶段：{p['stage_name']}  版本：{p['version']}  投资方：{p['investor'] or '—'}")
    for h in p["history"]:
        console.print(f"  {h['at']:%Y-%m-%d} {h['user'] or ''}: {h['from_name'] or '新建'} → {h['to_name']}"
                      + (f"（{h['reason']}）" if h["reason"] else ""))
    for x in p["problems"]:
        console.print(f"  问题 {x['id']} [{x['category_name']}] {x['description']} 责任人 {x['owner'] or '—'} "
                      f"时限 {x['due'] or '—'} {x['status']}")


@problem_app.command("add")
def problem_add(
    project_id: int = typer.Argument(...),
    category: str = typer.Option(..., help="用地、审批、融资、人才、能耗、环评、配套、其他"),
    description: str = typer.Option(..., "--description", "-d", help="问题描述"),
    owner: Optional[str] = typer.Option(None, help="责任人"),
    department: Optional[str] = typer.Option(None, help="责任部门"),
    due: Optional[str] = typer.Option(None, help="解决时限"),
    user: Optional[str] = USER,
    as_json: bool = typer.Option(False, "--json"),
):
    """登记项目问题 Add a problem to a project."""
    from xinlian.work.projects import add_problem

    x = _run(add_problem, open_database(), project_id, category=category, description=description, owner=owner,
             department=department, due=_date(due, "解决时限"), user=_user(user))
    print_json(x) if as_json else console.print(f"已登记问题 {x['id']}（{x['category_name']}）")


@problem_app.command("close")
def problem_close(
    problem_id: int = typer.Argument(...),
    resolution: str = typer.Option(..., help="解决情况"),
    user: Optional[str] = USER,
    as_json: bool = typer.Option(False, "--json"),
):
    """关闭项目问题 Close a problem."""
    from xinlian.work.projects import close_problem

    x = _run(close_problem, open_database(), problem_id, resolution=resolution, user=_user(user))
    print_json(x) if as_json else console.print(f"问题 {x['id']} 已关闭")


@problem_app.command("list")
def problem_list(
    project_id: Optional[int] = typer.Option(None, "--project"),
    status: Optional[str] = typer.Option(None, help="open | closed"),
    department: Optional[str] = typer.Option(None),
    as_json: bool = typer.Option(False, "--json"),
):
    """问题清单 List problems."""
    from xinlian.work.projects import list_problems

    rows = list_problems(open_database(), project_id=project_id, status=status, department=department)
    if as_json:
        print_json(rows)
        return
    for x in rows:
        console.print(f"{x['id']} 项目{x['project_id']} [{x['category_name']}] {x['description']} "
                      f"{x['owner'] or ''} 时限 {x['due'] or '—'} {x['status']}")


# --- visits and demands ---------------------------------------------------------------------------------------

@visit_app.command("add")
def visit_add(
    on: str = typer.Option(..., "--date", help="走访日期"),
    enterprise: list[str] = typer.Option(..., "--enterprise", "-e", help="企业名称或 id（可多次）"),
    official: list[str] = typer.Option([], "--official", help="职务+姓名，如 副区长王斐（可多次）"),
    topics: Optional[str] = typer.Option(None),
    notes: Optional[str] = typer.Option(None),
    department: Optional[str] = typer.Option(None),
    draft: bool = typer.Option(False, "--draft", help="存为草稿，待确认"),
    user: Optional[str] = USER,
    as_json: bool = typer.Option(False, "--json"),
):
    """登记走访 Record a visit."""
    from xinlian.work.visits import add_visit

    refs = [int(e) if e.isdigit() else e for e in enterprise]
    v = _run(add_visit, open_database(), visit_date=_date(on, "走访日期"), enterprises=refs, officials=official,
             topics=topics, notes=notes, department=department, status="draft" if draft else "confirmed",
             user=_user(user))
    print_json(v) if as_json else console.print(f"已登记走访 {v['id']}（{v['status']}）")


@visit_app.command("list")
def visit_list(
    status: Optional[str] = typer.Option(None, help="draft | confirmed"),
    enterprise: Optional[int] = typer.Option(None, help="企业 id"),
    as_json: bool = typer.Option(False, "--json"),
):
    """走访记录 List visits."""
    from xinlian.work.visits import list_visits

    rows = list_visits(open_database(), status=status, enterprise_id=enterprise)
    if as_json:
        print_json(rows)
        return
    for v in rows:
        firms = "、".join(e["name"] for e in v["enterprises"])
        console.print(f"{v['id']} {v['visit_date'] or '日期不详'} [{v['status']}] {v['officials_text']} → {firms}")
    console.print(f"共 {len(rows)} 次走访")


@visit_app.command("show")
def visit_show(visit_id: int = typer.Argument(...), as_json: bool = typer.Option(False, "--json")):
    """走访详情 Show a visit and its demands."""
    from xinlian.work.visits import get_visit

    v = _run(get_visit, open_database(), visit_id)
    if as_json:
        print_json(v)
        return
    console.print(f"[bold]走访 {v['id']}[/] {v['visit_date']} {v['status']}  {v['officials_text']}")
    for e in v["enterprises"]:
        console.print(f"  企业：{e['name']}（{'企业库 ' + str(e['enterprise_id']) if e['enterprise_id'] else '未关联'}）")
    for d in v["demands"]:
        console.print(f"  诉求 {d['id']} [{d['category_name']}] {d['description']} {d['status_name']}")


@visit_app.command("confirm")
def visit_confirm(visit_id: int = typer.Argument(...), user: Optional[str] = USER,
                  as_json: bool = typer.Option(False, "--json")):
    """确认走访草稿 Confirm a draft visit."""
    from xinlian.work.visits import confirm_visit

    v = _run(confirm_visit, open_database(), visit_id, _user(user))
    print_json(v) if as_json else console.print(f"走访 {v['id']} 已确认")


@visit_app.command("demand")
def visit_demand(
    visit_id: int = typer.Argument(...),
    category: str = typer.Option(..., help="诉求类别，如 融资、技术研发"),
    description: str = typer.Option(..., "--description", "-d"),
    enterprise: Optional[str] = typer.Option(None, help="企业（走访只有一家企业时可省略）"),
    department: Optional[str] = typer.Option(None),
    owner: Optional[str] = typer.Option(None),
    due: Optional[str] = typer.Option(None, help="办结时限"),
    user: Optional[str] = USER,
    as_json: bool = typer.Option(False, "--json"),
):
    """登记走访中提出的诉求 Add a demand raised during a visit."""
    from xinlian.work.visits import add_demand

    d = _run(add_demand, open_database(), visit_id=visit_id, category=category, description=description,
             enterprise=enterprise, department=department, owner=owner, due=_date(due, "办结时限"), user=_user(user))
    print_json(d) if as_json else console.print(f"已登记诉求 {d['id']}（{d['category_name']}）")


@demand_app.command("list")
def demand_list(
    status: Optional[str] = typer.Option(None, help="open | in_progress | closed"),
    department: Optional[str] = typer.Option(None),
    enterprise: Optional[int] = typer.Option(None),
    overdue: bool = typer.Option(False, "--overdue", help="只看已逾期"),
    as_json: bool = typer.Option(False, "--json"),
):
    """诉求清单 List demands."""
    from xinlian.work.visits import list_demands

    rows = _run(list_demands, open_database(), status=status, department=department, enterprise_id=enterprise,
                overdue_on=date.today() if overdue else None)
    if as_json:
        print_json(rows)
        return
    for d in rows:
        console.print(f"{d['id']} {d['enterprise'] or ''} [{d['category_name']}] {d['description']} "
                      f"{d['department'] or ''} 时限 {d['due'] or '—'} {d['status_name']}")
    console.print(f"共 {len(rows)} 条诉求")


@demand_app.command("close")
def demand_close(demand_id: int = typer.Argument(...), response: str = typer.Option(..., help="办理答复"),
                 user: Optional[str] = USER, as_json: bool = typer.Option(False, "--json")):
    """办结诉求 Close a demand with the answer given."""
    from xinlian.work.visits import close_demand

    d = _run(close_demand, open_database(), demand_id, response=response, user=_user(user))
    print_json(d) if as_json else console.print(f"诉求 {d['id']} 已办结")


# --- policies and 产学研 ----------------------------------------------------------------------------------------

@policy_app.command("add")
def policy_add(
    title: str = typer.Option(...),
    criteria: str = typer.Option(..., help="适用条件 JSON，或 @文件路径"),
    issuer: Optional[str] = typer.Option(None),
    doc_no: Optional[str] = typer.Option(None, help="文号"),
    issued_on: Optional[str] = typer.Option(None),
    valid_from: Optional[str] = typer.Option(None),
    valid_to: Optional[str] = typer.Option(None),
    url: Optional[str] = typer.Option(None),
    benefits: Optional[str] = typer.Option(None, help="支持内容"),
    user: Optional[str] = USER,
    as_json: bool = typer.Option(False, "--json"),
):
    """录入政策及适用条件 Add a policy with structured criteria."""
    from xinlian.work.policies import add_policy

    text = Path(criteria[1:]).read_text("utf-8") if criteria.startswith("@") else criteria
    try:
        crit = json.loads(text)
    except json.JSONDecodeError as exc:
        fail(f"适用条件不是有效的 JSON: {exc}")
    p = _run(add_policy, open_database(), title=title, criteria=crit, issuer=issuer, doc_no=doc_no,
             issued_on=_date(issued_on, "发布日期"), valid_from=_date(valid_from, "有效期起"),
             valid_to=_date(valid_to, "有效期止"), url=url, benefits=benefits, user=_user(user))
    print_json(p) if as_json else console.print(f"已录入政策 {p['id']}：" + "；".join(p["criteria_text"]))


@policy_app.command("list")
def policy_list(on: Optional[str] = typer.Option(None, help="只列该日有效的政策"),
                as_json: bool = typer.Option(False, "--json")):
    """政策清单 List policies."""
    from xinlian.work.policies import list_policies

    rows = list_policies(open_database(), on=_date(on, "日期"))
    if as_json:
        print_json(rows)
        return
    for p in rows:
        console.print(f"{p['id']} {p['title']}（{p['issuer'] or ''}，{p['valid_from'] or '—'} 至 {p['valid_to'] or '—'}）")
        for c in p["criteria_text"]:
            console.print(f"    · {c}")


@policy_app.command("match")
def policy_match(
    policy: Optional[int] = typer.Option(None, "--policy", help="政策 id：列出符合条件的企业"),
    enterprise: Optional[int] = typer.Option(None, "--enterprise", help="企业 id：列出可申报的政策"),
    on: Optional[str] = typer.Option(None, help="判断日期（默认今天）"),
    show_all: bool = typer.Option(False, "--all", help="也列出不符合的及原因"),
    as_json: bool = typer.Option(False, "--json"),
):
    """政策匹配 Which enterprises qualify for a policy, or which policies fit an enterprise (with why)."""
    from xinlian.work.policies import eligible_enterprises, policies_for

    if (policy is None) == (enterprise is None):
        fail("请给出 --policy 或 --enterprise 之一")
    when = _date(on, "日期") or date.today()
    db = open_database()
    if policy is not None:
        rows = _run(eligible_enterprises, db, policy, when, include_failed=show_all)
    else:
        rows = _run(policies_for, db, enterprise, when, include_failed=show_all)
    if as_json:
        print_json(rows)
        return
    for r in rows:
        label = r.get("name") or r.get("title")
        console.print(f"[bold]{'✓' if r['eligible'] else '✗'} {label}[/]")
        for w in r["why"]:
            console.print(f"    {w}")
    console.print(f"共 {sum(r['eligible'] for r in rows)} 项符合")


@institution_app.command("add")
def institution_add(
    name: str = typer.Argument(..., help="机构名称"),
    kind: str = typer.Option("university", help="university | institute | lab（或 高校、科研院所、新型研发机构）"),
    node: list[str] = typer.Option([], "--node", help="服务的产业链环节 id（可多次）"),
    keyword: list[str] = typer.Option([], "--keyword", help="能力关键词（可多次）"),
    region: Optional[str] = typer.Option(None, help="所在地区划代码"),
    contact: Optional[str] = typer.Option(None, help="联系方式"),
    as_json: bool = typer.Option(False, "--json"),
):
    """录入高校院所及其能力 Add a university or institute."""
    from xinlian.work.academia import add_institution

    i = _run(add_institution, open_database(), name=name, kind=kind, nodes=node, keywords=keyword,
             region_code=region, contact=contact)
    print_json(i) if as_json else console.print(f"已录入 {i['id']}「{i['name']}」（{i['kind_name']}）")


@institution_app.command("list")
def institution_list(as_json: bool = typer.Option(False, "--json")):
    """高校院所清单 List universities and institutes."""
    from xinlian.work.academia import list_institutions

    rows = list_institutions(open_database())
    if as_json:
        print_json(rows)
        return
    for i in rows:
        console.print(f"{i['id']} {i['name']}（{i['kind_name']}）环节 {', '.join(i['nodes'])}；能力 {'、'.join(i['keywords'])}")


@institution_app.command("match")
def institution_match(demand: Optional[int] = typer.Option(None, "--demand", help="诉求 id（默认全部未办结技术诉求）"),
                      as_json: bool = typer.Option(False, "--json")):
    """产学研对接：为企业技术诉求匹配高校院所 Match technical demands to institutions."""
    from xinlian.work.academia import match_demands

    rows = _run(match_demands, open_database(), demand_id=demand)
    if as_json:
        print_json(rows)
        return
    for r in rows:
        console.print(f"[bold]诉求 {r['demand_id']}[/] {r['enterprise'] or ''}：{r['description']}")
        for m in r["matches"] or []:
            console.print(f"    {m['institution']}（{m['score']:g}）：{'；'.join(m['reasons'])}")
        if not r["matches"]:
            console.print("    暂无匹配的机构")


# --- alerts, templates, imports -------------------------------------------------------------------------------

@app.command("alerts")
def alerts_cmd(
    department: Optional[str] = typer.Option(None, help="只看该责任部门"),
    person: Optional[str] = typer.Option(None, help="只看该责任人"),
    on: Optional[str] = typer.Option(None, help="以该日期判断（默认今天）"),
    as_json: bool = typer.Option(False, "--json"),
):
    """工作提醒：久未更新、节点逾期、问题逾期、诉求逾期 Alerts for the responsible people."""
    from xinlian.work.alerts import alerts

    rows = alerts(open_database(), _date(on, "日期") or date.today(), department=department, person=person)
    if as_json:
        print_json([a.to_dict() for a in rows])
        return
    for a in rows:
        console.print(f"[{a.kind_name}] {a.message}（{a.department or '未定部门'} {a.owner or ''}）")
    console.print(f"共 {len(rows)} 条提醒")


@app.command("template")
def template_cmd(
    kind: str = typer.Argument(..., help="projects | visits | demands"),
    output: Path = typer.Option(..., "-o", "--output", help="输出 .xlsx"),
):
    """生成导入模板 Write an import template (XLSX)."""
    from xinlian.work.sheets import write_template

    path = _run(write_template, kind, output)
    console.print(f"模板已生成 template written: {path}")


def _import(kind: str, file: Path, dry_run: bool, report: Path | None, user: str | None, as_json: bool) -> None:
    from xinlian.work.sheets import import_sheet

    r = _run(import_sheet, open_database(), kind, file, dry_run=dry_run, user=_user(user), report=report)
    if as_json:
        print_json(r.to_dict())
        return
    verb = "检查" if dry_run else "导入"
    console.print(f"{verb}完成：共 {r.rows_total} 行，有效 {r.rows_ok} 行，拒绝 {r.rows_bad} 行；"
                  f"新增 {r.inserted}，更新 {r.updated}，未变 {r.unchanged}。")
    for e in r.errors[:20]:
        console.print(f"  第 {e.row} 行 {e.column or ''} {e.value or ''}：{e.reason}")
    if len(r.errors) > 20:
        console.print(f"  …… 另有 {len(r.errors) - 20} 条，见错误报告")
    if report:
        console.print(f"错误报告 bad-row report: {report}")


def _import_verb(kind: str, help_: str):
    def verb(
        file: Path = typer.Argument(..., help="CSV 或 XLSX（可由 xinlian template 生成）"),
        dry_run: bool = typer.Option(False, "--dry-run", help="只检查不写入"),
        report: Optional[Path] = typer.Option(None, "--errors", help="错误报告 .csv 或 .xlsx"),
        user: Optional[str] = USER,
        as_json: bool = typer.Option(False, "--json"),
    ):
        _import(kind, file, dry_run, report, user, as_json)

    verb.__doc__ = help_
    import_app.command(kind)(verb)


_import_verb("projects", "导入项目表 Import projects from a sheet.")
_import_verb("visits", "导入走访表 Import visits from a sheet.")
_import_verb("demands", "导入诉求表 Import demands from a sheet.")
