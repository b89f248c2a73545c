"""The sample district's daily work: a realistic project pipeline, visits and demands, policies and 产学研 partners.

``build_work_demo(db, today=...)`` reads the enterprises and the chain already in the database and writes, through
the real ``xinlian.work`` functions (so every rule and history applies):

- projects at every stage, with their stage history spread over the past year; some stalled (no update for 60+
  days, milestone overdue) and some filling chain nodes that have no local firm (the gaps the diagnosis finds);
- problem lists, some overdue, some closed;
- the seed page's visit of 2025-03-06 (facts only), made as a draft from its event and confirmed;
- fictional visits with demands (some overdue, some closed, some technical for 产学研);
- 4 policies with structured criteria and 3 universities/institutes.

Everything fictional carries 示例 in its name or description and ``is_sample``. Deterministic for a given seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from xinlian.chain.taxonomy import load_chain
from xinlian.store.tables.registry import Enterprise, EnterpriseNode
from xinlian.store.tables.work import Project
from xinlian.work import academia, policies, projects, visits
from xinlian.work.common import BEIJING
from xinlian.work.stages import rules as stage_rules

REGION = "320412"
DEPARTMENTS = ["投资促进局", "工业和信息化局", "科技局", "高新区管委会", "经济开发区管委会"]
TEAMS = ["招商一组（示例）", "招商二组（示例）", "重大项目专班（示例）", "产业服务专员（示例）"]
ANALYST = "示例分析员"

# The seed page's visit: date, officials and firms as the page states them; nothing added.
SEED_VISIT_EVENT = {
    "type": "visit",
    "date": "2025-03-06",
    "organizations": ["常州亦泓科技有限公司", "澎芯半导体(常州)有限公司", "领先光学技术(江苏)有限公司"],
    "people": ["区委副书记、区长恽淇丞", "副区长王斐"],
}

# (target stage, stalled?) for each planned project; every stage appears, plus one on hold and one terminated.
PIPELINE = [("lead", False), ("lead", True), ("contact", False), ("contact", True), ("negotiating", False),
            ("negotiating", True), ("signed", False), ("signed", True), ("registered", False),
            ("construction", False), ("construction", True), ("completed", False), ("production", False),
            ("full_production", False), ("on_hold", False), ("terminated", False)]
MILESTONES = {"lead": "完成首次拜访", "contact": "客商实地考察", "negotiating": "确定投资协议文本", "signed": "完成项目公司注册",
              "registered": "完成土地挂牌", "construction": "主体结构封顶", "completed": "设备安装调试",
              "production": "产能爬坡至设计产能", "full_production": None}
PROBLEMS = [("用地", "示例：规划调整后用地指标尚未下达"), ("审批", "示例：能评与环评并联审批进度滞后"),
            ("融资", "示例：项目贷款银行授信未落实"), ("人才", "示例：工艺工程师招聘缺口约 30 人"),
            ("能耗", "示例：新增能耗指标需市级统筹"), ("配套", "示例：双回路供电与特气管线接入待协调")]
DEMANDS = [("融资", "示例：扩产设备采购需要中长期贷款对接", False), ("用地厂房", "示例：需要 5000 平方米标准厂房过渡", False),
           ("技术研发", "示例：外延生长的缺陷检测方法需要高校合作攻关", True),
           ("技术研发", "示例：先进封装可靠性测试能力不足，希望对接研究机构", True),
           ("人才", "示例：希望解决骨干员工子女入学", False), ("政策兑现", "示例：去年研发费用补贴尚未拨付", False),
           ("市场对接", "示例：希望对接本地整车企业做车规验证", False), ("能耗要素", "示例：新增产线用电扩容", False)]


@dataclass
class WorkDemoSummary:
    projects: int
    gap_projects: int
    stalled: int
    visits: int
    demands: int
    overdue_demands: int
    policies: int
    institutions: int

    def __str__(self) -> str:
        return (f"项目 {self.projects} 个（补链 {self.gap_projects}，停滞 {self.stalled}），走访 {self.visits} 次，"
                f"诉求 {self.demands} 条（逾期 {self.overdue_demands}），政策 {self.policies} 项，高校院所 {self.institutions} 家")


def _at(d: date, hour: int = 10) -> datetime:
    return datetime.combine(d, time(hour, 0), tzinfo=BEIJING)


def _firms(s) -> tuple[dict[str, list[int]], dict[str, list[int]], dict[int, str]]:
    """(node -> local firm ids, node -> outside firm ids, id -> name) of the chain's active firms."""
    local: dict[str, list[int]] = {}
    outside: dict[str, list[int]] = {}
    names: dict[int, str] = {}
    rows = s.execute(select(EnterpriseNode.node_id, Enterprise.id, Enterprise.region_code, Enterprise.name)
                     .join(Enterprise).where(EnterpriseNode.chain == "semiconductor", Enterprise.status == "active")
                     .order_by(Enterprise.id))
    for node, eid, region, name in rows:
        (local if region == REGION else outside).setdefault(node, []).append(eid)
        names[eid] = name
    return local, outside, names


def _walk(s, pid: int, target: str, start: date, end: date, rng: random.Random) -> None:
    """Move a project from 线索 to ``target`` with dates spread between ``start`` and ``end``."""
    r = stage_rules()
    path = r.order[1: r.order.index(target) + 1] if target in r.stages else []
    if not path:
        return
    span = max((end - start).days, len(path))
    days = sorted(rng.sample(range(1, span + 1), len(path)))
    for stage, offset in zip(path, days):
        projects.move(s, pid, stage, rng.choice(TEAMS), None, when=_at(start + timedelta(days=offset)))


def build_work_demo(db, *, today: date, seed: int = 7) -> WorkDemoSummary:
    """Write the sample pipeline, visits, demands, policies and institutions; see the module docstring."""
    rng = random.Random(seed)
    chain = load_chain("semiconductor")
    with db.session() as s:
        if s.scalar(select(Project.id).where(Project.is_sample.is_(True)).limit(1)) is not None:
            raise RuntimeError("示例项目已存在：请在新的示例数据库上生成")
        local, outside, names = _firms(s)
        leaves = [n.id for n in chain.leaves()]
        missing = [n for n in leaves if n not in local]
        present = [n for n in leaves if n in local]
        summary = WorkDemoSummary(0, 0, 0, 0, 0, 0, 0, 0)

        # --- projects ---------------------------------------------------------------------------------------
        gap_nodes = list(missing)
        rng.shuffle(gap_nodes)
        for i, (target, stalled) in enumerate(PIPELINE):
            fills_gap = bool(gap_nodes) and (i % 2 == 0 or not present)
            node = gap_nodes.pop() if fills_gap else rng.choice(present) if present else rng.choice(leaves)
            pool = outside.get(node) or local.get(node) or []
            investor = pool[rng.randrange(len(pool))] if pool else None
            node_name = chain.nodes[node].name
            kind = "新建" if fills_gap else "增资扩产"
            name = f"示例{node_name}{kind}项目（{i + 1:02d}）"
            start = today - timedelta(days=rng.randint(200, 360))
            idle = rng.randint(65, 120) if stalled else rng.randint(2, 20)
            last = today - timedelta(days=idle)
            planned = rng.choice([1, 2, 3, 5, 8, 10, 15, 20, 30, 50]) * 1e8
            walk_to = target if target in stage_rules().stages else rng.choice(["contact", "negotiating", "signed"])
            order = stage_rules().stages[walk_to].order
            p = projects.add_project(
                s, name=name, user=rng.choice(TEAMS), when=_at(start), investor_id=investor, chain="semiconductor",
                node_id=node, planned_investment=planned,
                arrived_investment=round(planned * min(1.0, max(0.0, (order - 3) / 5)) * rng.uniform(0.6, 1.0), -4)
                if order > 3 else None,
                expected_output=planned * rng.choice([1.2, 1.5, 2.0]), expected_tax=planned * rng.choice([0.05, 0.08]),
                land_mu=float(rng.choice([20, 35, 50, 80, 120, 200])), official=rng.choice(TEAMS),
                department=rng.choice(DEPARTMENTS), is_sample=True, source="demo",
                notes=f"示例数据：{'填补本地空白环节「' + node_name + '」' if fills_gap else '本地环节「' + node_name + '」扩产'}")
            _walk(s, p["id"], walk_to, start, last - timedelta(days=1), rng)
            if target == "on_hold":
                projects.move(s, p["id"], "on_hold", rng.choice(TEAMS), "示例：投资方总部战略调整，项目暂缓", when=_at(last))
            elif target == "terminated":
                projects.move(s, p["id"], "terminated", rng.choice(TEAMS), "示例：投资方最终选择外地落户", when=_at(last))
            else:
                milestone = MILESTONES[target]
                due = (last + timedelta(days=rng.randint(20, 40))) if stalled else \
                    (today + timedelta(days=rng.randint(10, 60)))
                cur = projects.get_project(s, p["id"])
                projects.update_project(s, p["id"], {"next_milestone": milestone, "milestone_due": due if milestone
                                                     else None}, cur["version"], rng.choice(TEAMS), when=_at(last))
            summary.projects += 1
            summary.gap_projects += fills_gap
            summary.stalled += stalled
            if target in ("signed", "registered", "construction", "completed") or (stalled and target != "lead"):
                cat, text = PROBLEMS[i % len(PROBLEMS)]
                x = projects.add_problem(s, p["id"], category=cat, description=text, owner=rng.choice(TEAMS),
                                         due=today - timedelta(days=rng.randint(5, 30)) if stalled
                                         else today + timedelta(days=rng.randint(10, 45)), when=_at(last))
                if i % 3 == 0 and not stalled:
                    projects.close_problem(s, x["id"], resolution="示例：经专班协调已解决", user=rng.choice(TEAMS),
                                           when=_at(today - timedelta(days=1)))

        # --- the seed page's visit (facts only), then fictional visits with demands --------------------------
        v = visits.draft_from_event(s, _seed_article_id(s), SEED_VISIT_EVENT, user="系统", is_sample=True)
        visits.confirm_visit(s, v["id"], ANALYST, when=_at(date(2025, 3, 7)))
        summary.visits += 1
        visited = [eid for node in present for eid in local[node][:1]]
        rng.shuffle(visited)
        for k in range(6):
            if not visited:
                break
            firm = visited[k % len(visited)]
            when = today - timedelta(days=rng.randint(15, 150))
            vv = visits.add_visit(s, visit_date=when, enterprises=[firm], officials=["副区长王示例", "投资促进局局长陈示例"],
                                  topics="示例：企业经营情况与扩产需求", notes="示例数据：走访记录", department=rng.choice(DEPARTMENTS),
                                  user=ANALYST, is_sample=True, when=_at(when))
            summary.visits += 1
            for j in range(2):
                cat, text, _tech = DEMANDS[(2 * k + j) % len(DEMANDS)]
                due = when + timedelta(days=rng.choice([15, 30, 45]))
                d = visits.add_demand(s, visit_id=vv["id"], category=cat, description=text,
                                      department=rng.choice(DEPARTMENTS), owner=rng.choice(TEAMS), due=due,
                                      user=ANALYST, is_sample=True, when=_at(when))
                summary.demands += 1
                if (k + j) % 3 == 0:
                    visits.close_demand(s, d["id"], response="示例：已协调办理并答复企业", user=ANALYST,
                                        when=_at(min(today, due)))
                elif due < today:
                    summary.overdue_demands += 1
        # a draft visit waiting for an analyst
        if visited:
            visits.add_visit(s, visit_date=today - timedelta(days=2), enterprises=[visited[-1]], status="draft",
                             topics="示例：待确认的走访草稿", user=ANALYST, is_sample=True)
            summary.visits += 1

        # --- policies -------------------------------------------------------------------------------------------
        y = today.year
        whole_chain = {"chain": "semiconductor", "nodes": [r.id for r in chain.roots()]}
        upstream = {"chain": "semiconductor", "nodes": _groups(chain, ["materials", "equipment"])}
        specs = [
            ("示例：集成电路专精特新企业培育奖励办法",
             {"region": {"code": REGION}, "flags_any": ["specialised", "little_giant"], "chain_nodes": whole_chain},
             "示例：一次性奖励 50 万元"),
            ("示例：半导体材料与装备首台套补贴",
             {"region": {"code": "320400"}, "chain_nodes": upstream,
              "figures": [{"field": "rd_intensity", "op": ">=", "value": 3}]},
             "示例：按设备价款 20% 补贴"),
            ("示例：规上工业企业技改扩能奖励", {"region": {"code": REGION},
                                    "figures": [{"field": "output_value", "op": ">=", "value": 1e8},
                                                {"field": "employees", "op": ">=", "value": 50}]},
             "示例：按技改投资 10% 奖励"),
            ("示例：高新技术企业研发费用后补助", {"region": {"code": "320000"}, "flags_all": ["high_tech"],
                                     "founded_before": f"{y - 3}-01-01"}, "示例：按研发费用增量 10% 补助"),
        ]
        for title, crit, benefit in specs:
            policies.add_policy(s, title=title, criteria=crit, issuer="示例区人民政府", issued_on=date(y - 1, 6, 1),
                                valid_from=date(y - 1, 7, 1), valid_to=date(y + 1, 12, 31), benefits=benefit,
                                text="示例政策文本（虚构）", user=ANALYST, is_sample=True)
            summary.policies += 1

        # --- 产学研 ---------------------------------------------------------------------------------------------
        for name, kind, nodes, words in [
            ("示例理工大学微电子学院", "university", ["ic_design", "manufacturing"], ["器件仿真", "工艺集成", "芯片设计"]),
            ("示例半导体材料研究院", "institute", ["materials"], ["外延生长", "缺陷检测", "衬底", "晶体生长"]),
            ("示例先进封装创新中心", "lab", ["packaging_test"], ["先进封装", "可靠性", "失效分析"]),
        ]:
            academia.add_institution(s, name=name, kind=kind, region_code="320400",
                                     nodes=[n for n in nodes if n in chain.nodes], keywords=words,
                                     notes="示例数据（虚构机构）", is_sample=True)
            summary.institutions += 1
    return summary


def _seed_article_id(s) -> int | None:
    """The stored news article reporting the seed visit, when the news stage has ingested it."""
    try:
        from xinlian.store.tables.news import Article
    except ImportError:  # the news area is not installed
        return None
    return s.scalar(select(Article.id).where(Article.published_date == date(2025, 3, 6),
                                             Article.text.contains("恽淇丞"), Article.text.contains("澎芯"))
                    .order_by(Article.id).limit(1))


def _groups(chain, ids: list[str]) -> list[str]:
    return [i for i in ids if i in chain.nodes] or [chain.roots()[0].id]
