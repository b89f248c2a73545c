"""Reminders for the responsible people: projects with no update for N days, overdue milestones, overdue problems
and overdue demands.

The clock is a parameter (``now``), so tests and reports can ask "what was overdue on 2025-06-30". Thresholds
come from the ``alerts:`` section of ``data/rules/project_stages.yaml``. Each alert carries its evidence: the
dates, the number of days and the rule in words.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime

from sqlalchemy import select

from xinlian.store.tables.work import Demand, Project, ProjectProblem
from xinlian.work import stages as st
from xinlian.work.common import enterprise_names, local_date, now_utc, session_of
from xinlian.work.rules import categories

KINDS = {"stale": "项目久未更新", "milestone_overdue": "节点逾期", "problem_overdue": "问题逾期",
         "demand_overdue": "诉求逾期"}


@dataclass
class Alert:
    kind: str  # stale | milestone_overdue | problem_overdue | demand_overdue
    kind_name: str
    subject: str  # project | problem | demand
    subject_id: int
    project_id: int | None
    title: str
    message: str
    department: str | None
    owner: str | None
    since: date  # the date the clock started (last update, due date)
    days: int  # days since / days overdue
    official: str | None = None  # the project's responsible official, for problems and projects

    def to_dict(self) -> dict:
        return asdict(self)


def _today(now: datetime | date | None) -> date:
    if isinstance(now, date) and not isinstance(now, datetime):
        return now
    return local_date(now_utc(now))


def alerts(db, now: datetime | date | None = None, *, department: str | None = None, person: str | None = None,
           include_sample: bool = True) -> list[Alert]:
    """Every alert due on the day of ``now`` (Beijing date), optionally only for one department or person.

    A project counts as stale when the days since its last update exceed ``stale_days`` (so with 30, a project
    updated on 1 March is flagged from 1 April on); milestones, problems and demands are overdue from the day
    after their due date plus the grace days.
    """
    today = _today(now)
    rules = st.rules()
    cfg = rules.alerts
    stale_days = int(cfg.get("stale_days", 30))
    out: list[Alert] = []
    with session_of(db) as s:
        pq = select(Project).where(Project.status == "active")
        if not include_sample:
            pq = pq.where(Project.is_sample.is_(False))
        projects = {p.id: p for p in s.scalars(pq)}
        for p in sorted(projects.values(), key=lambda p: p.id):
            if not _mine(p.department, [p.official], department, person):
                continue
            last = local_date(p.updated_at)
            idle = (today - last).days
            if idle > stale_days and p.stage != "full_production":
                out.append(Alert("stale", KINDS["stale"], "project", p.id, p.id, p.name,
                                 f"项目「{p.name}」（{rules.name(p.stage)}）自 {last} 起已 {idle} 天无更新，"
                                 f"超过 {stale_days} 天的提醒线", p.department, p.official, last, idle, p.official))
            grace = int(cfg.get("milestone_grace_days", 0))
            if p.milestone_due is not None and (today - p.milestone_due).days > grace:
                late = (today - p.milestone_due).days
                out.append(Alert("milestone_overdue", KINDS["milestone_overdue"], "project", p.id, p.id, p.name,
                                 f"项目「{p.name}」的节点「{p.next_milestone or '未填写'}」计划于 {p.milestone_due} 完成，"
                                 f"已逾期 {late} 天", p.department, p.official, p.milestone_due, late, p.official))
        grace = int(cfg.get("problem_grace_days", 0))
        qq = select(ProjectProblem, Project.name, Project.official).join(Project).where(
            ProjectProblem.status == "open", ProjectProblem.due.is_not(None), Project.status != "terminated")
        if not include_sample:
            qq = qq.where(Project.is_sample.is_(False))
        cats = categories()
        for x, pname, official in s.execute(qq.order_by(ProjectProblem.id)):
            late = (today - x.due).days
            if late > grace and _mine(x.department, [x.owner], department, person):
                cname = cats.problem[x.category].name if x.category in cats.problem else x.category
                out.append(Alert("problem_overdue", KINDS["problem_overdue"], "problem", x.id, x.project_id,
                                 f"{pname}：{cname}问题",
                                 f"项目「{pname}」的{cname}问题「{x.description}」应于 {x.due} 前解决，已逾期 {late} 天",
                                 x.department, x.owner, x.due, late, official))
        grace = int(cfg.get("demand_grace_days", 0))
        dq = select(Demand).where(Demand.status != "closed", Demand.due.is_not(None))
        if not include_sample:
            dq = dq.where(Demand.is_sample.is_(False))
        demands = list(s.scalars(dq.order_by(Demand.id)))
        names = enterprise_names(s, [d.enterprise_id for d in demands])
        for d in demands:
            late = (today - d.due).days
            if late > grace and _mine(d.department, [d.owner], department, person):
                firm = names.get(d.enterprise_id, "未关联企业")
                cname = cats.demand[d.category].name if d.category in cats.demand else d.category
                out.append(Alert("demand_overdue", KINDS["demand_overdue"], "demand", d.id, None,
                                 f"{firm}：{cname}诉求",
                                 f"{firm}的{cname}诉求「{d.description}」应于 {d.due} 前办结，"
                                 f"已逾期 {late} 天（当前状态：{cats.demand_status.get(d.status, d.status)}）",
                                 d.department, d.owner, d.due, late))
    return out


def _mine(dept: str | None, people: list[str | None], department: str | None, person: str | None) -> bool:
    if department is not None and (dept or "") != department:
        return False
    if person is not None and person not in [p for p in people if p]:
        return False
    return True


def alerts_for(db, user_or_department: str, now: datetime | date | None = None) -> list[Alert]:
    """The alerts a person or a department should see: those whose department, owner or the project's responsible
    official is ``user_or_department`` (where the responsible people look)."""
    who = user_or_department.strip()
    return [a for a in alerts(db, now) if who in (a.department, a.owner, a.official)]
