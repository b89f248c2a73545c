"""The six sections of the briefing, each ``section_<key>(ctx) -> list of blocks`` (paragraphs, tables, charts).

Each builder reads the two diagnoses in the ``Context`` or queries the database through ``report.queries`` for the
period; a builder whose source is missing raises ``SourceMissing`` and the orchestrator prints one line instead.
Figures are numbers in the table (亿元 = yuan / 1e8, 万元 = yuan / 1e4); the text states them rounded.
"""

from __future__ import annotations

from collections import Counter

from xinlian.chain.diagnose import VERDICT_ZH
from xinlian.report.model import Chart, Column, Paragraph, Table
from xinlian.report.queries import (SourceMissing, chain_lq, demands_in, new_firms_seen, news_events,
                                    project_pipeline, stage_totals, visits_in)

__all__ = ["SourceMissing", "section_overview", "section_chain", "section_projects", "section_news",
           "section_visits", "section_targets"]

STAGE_ZH = {"upstream": "上游", "midstream": "中游", "downstream": "下游"}
VERDICT_ORDER = ["strong", "weak", "at_risk", "missing", "not_applicable"]
SEVERITY = {"at_risk": 0, "missing": 1, "weak": 2, "strong": 3, "not_applicable": 4}


def _yi(yuan: float | None) -> float | None:
    return None if yuan is None else round(yuan / 1e8, 4)


def _wan(yuan: float | None) -> float | None:
    return None if yuan is None else round(yuan / 1e4, 2)


def _yi_text(yuan: float | None) -> str:
    return "—" if yuan is None else f"{yuan / 1e8:,.2f}亿元"


def _pct_text(x: float | None, signed: bool = False) -> str:
    if x is None:
        return "—"
    return f"{x:+.1%}" if signed else f"{x:.1%}"


def _change(n: int, unit: str = "家") -> str:
    if n > 0:
        return f"增加{n}{unit}"
    if n < 0:
        return f"减少{-n}{unit}"
    return "持平"


def _region(code: str | None) -> str:
    if not code:
        return "—"
    from xinlian.registry import regions

    r = regions.lookup(code)
    if r is None:
        return code
    # the district with its city (苏州市虎丘区); a city or province stands alone
    parents = [a.name for a in regions.ancestors(code)][:1] if not code.endswith("00") else []
    return "".join(parents + [r.name])


# --------------------------------------------------------------------------- 一、总体情况


def section_overview(ctx) -> list:
    p, prev, s = ctx.period, ctx.previous, ctx.session
    year, prev_year = ctx.diag.figures_year, ctx.prev_diag.figures_year
    now = stage_totals(s, ctx.chain, ctx.codes, p.end, year)
    before = stage_totals(s, ctx.chain, ctx.codes, prev.end, prev_year)
    lq = chain_lq(s, ctx.chain, ctx.diag.context, now["total"]["output_yuan"])
    prev_lq = chain_lq(s, ctx.chain, ctx.prev_diag.context, before["total"]["output_yuan"])
    total = now["total"]
    ctx.headline.update({"local_firms": total["firms"], "output_yuan": total["output_yuan"],
                         "growth": total["growth"], "location_quotient": lq, "figures_year": year,
                         "firms_by_stage": {st: now[st]["firms"] for st in STAGE_ZH},
                         "previous_local_firms": before["total"]["firms"]})
    by_stage = "、".join(f"{STAGE_ZH[st]}{now[st]['firms']}家" for st in STAGE_ZH)
    growth = total["growth"]
    grow_text = "—" if growth is None else (f"同比增长{growth:.1%}" if growth >= 0 else f"同比下降{-growth:.1%}")
    first = (f"截至{ctx.fmt_day(p.end)}，全区{ctx.chain_short}本地企业{total['firms']}家，其中{by_stage}"
             f"（跨环节经营的企业在各环节分别计数）。")
    if year is not None:
        first += f"{year}年全产业链产值{_yi_text(total['output_yuan'])}，{grow_text}"
        first += f"，产业链区位熵{lq:.2f}。" if lq is not None else "，暂无基准数据，无法计算区位熵。"
    else:
        first += "尚无企业产值统计数据。"
    moved = total["firms"] - before["total"]["firms"]
    second = f"与{p.previous_word}末（{ctx.fmt_day(prev.end)}）相比，本地企业{_change(moved)}"
    if year == prev_year:
        second += f"；产值、增速和区位熵均取自{year}年度统计数据，两期相同。" if year else "。"
    else:
        second += (f"；年度统计数据由{prev_year}年更新为{year}年，产值由{_yi_text(before['total']['output_yuan'])}"
                   f"变为{_yi_text(total['output_yuan'])}，区位熵由{_num(prev_lq)}变为{_num(lq)}。")
    verdicts = Counter(n.verdict for n in ctx.diag.nodes if ctx.chain.is_leaf(n.figures.id))
    third = (f"全链{sum(verdicts.values())}个细分环节中，" +
             "、".join(f"{VERDICT_ZH[v]}{verdicts.get(v, 0)}个" for v in VERDICT_ORDER) + "（详见第二部分）。")
    rows = []
    for key in [*STAGE_ZH, "total"]:
        a, b = now[key], before[key]
        rows.append([STAGE_ZH.get(key, "全产业链"), a["firms"], b["firms"], a["firms"] - b["firms"],
                     _yi(a["output_yuan"]), a["growth"], _yi(b["output_yuan"])])
    table = Table(f"分环节本地企业与产值（产值为{year or '—'}年数据）", [
        Column("环节"), Column("本地企业（家）", "int"), Column(f"{p.previous_word}末（家）", "int"),
        Column("增减（家）", "signed_int"), Column("产值（亿元）", "yi"), Column("同比增长", "signed_pct"),
        Column(f"{p.previous_word}产值（亿元）", "yi")], rows,
        note="全产业链一行按企业去重；产值为企业年度统计数据，同比增长按两年均有产值的企业计算。")
    chart = Chart("stage_bars", "分环节本地企业数与产值", {
        "stages": [STAGE_ZH[st] for st in STAGE_ZH], "firms": [now[st]["firms"] for st in STAGE_ZH],
        "output_yi": [_yi(now[st]["output_yuan"]) or 0 for st in STAGE_ZH], "year": year})
    return [Paragraph(first), Paragraph(second), Paragraph(third), table, chart]


def _num(x: float | None, digits: int = 2) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


# --------------------------------------------------------------------------- 二、产业链图谱与研判


def section_chain(ctx) -> list:
    chain, p = ctx.chain, ctx.period
    before = ctx.prev_diag.verdicts()
    changed = [n for n in ctx.diag.nodes if before.get(n.figures.id) != n.verdict]
    changed_ids = {n.figures.id for n in changed}
    columns: dict[str, list] = {st: [] for st in STAGE_ZH}
    verdict_of = ctx.diag.verdicts()
    for root in chain.roots():
        leaves = [d for d in [root.id, *chain.descendants(root.id)] if chain.is_leaf(d)]
        columns[root.stage].append({"name": root.name, "nodes": [
            {"id": d, "name": chain.nodes[d].name, "verdict": verdict_of[d], "changed": d in changed_ids}
            for d in leaves]})
    leaves_now = Counter(verdict_of[n.id] for n in chain.leaves())
    leaves_before = Counter(before[n.id] for n in chain.leaves())
    blocks: list = [Paragraph(
        f"依据本地企业数量、产值占比、区位熵、本地配套与需求等指标，按研判规则对{ctx.chain_short}"
        f"{len(chain.leaves())}个细分环节逐一研判（截至{ctx.fmt_day(p.end)}）。" +
        "、".join(f"{VERDICT_ZH[v]}{leaves_now.get(v, 0)}个" for v in VERDICT_ORDER) + "，分布见下图。")]
    blocks.append(Chart("verdict_map", f"{ctx.chain_short}图谱与研判结论（▲为较{p.previous_word}有变化）",
                        {"columns": columns}))
    blocks.append(Table("研判结论分布（细分环节）", [
        Column("研判结论"), Column("本期（个）", "int"), Column(f"{p.previous_word}（个）", "int"),
        Column("增减（个）", "signed_int")],
        [[VERDICT_ZH[v], leaves_now.get(v, 0), leaves_before.get(v, 0), leaves_now.get(v, 0) - leaves_before.get(v, 0)]
         for v in VERDICT_ORDER]))
    if changed:
        blocks.append(Paragraph(f"与{p.previous_word}末相比，{len(changed)}个环节的研判结论发生变化，依据如下。",
                                lead="（一）结论变化的环节"))
        rows = []
        for n in sorted(changed, key=lambda n: (list(STAGE_ZH).index(n.figures.stage), n.figures.id)):
            f = n.figures
            rows.append([f.name, STAGE_ZH[f.stage], VERDICT_ZH.get(before.get(f.id), "—"), VERDICT_ZH[n.verdict],
                         f.local_firms, _yi(f.output_yuan), f.location_quotient, n.rule])
        blocks.append(Table("研判结论发生变化的环节", [
            Column("环节"), Column("阶段"), Column(f"{p.previous_word}结论"), Column("本期结论"),
            Column("本地企业（家）", "int"), Column("产值（亿元）", "yi"), Column("区位熵", "num"),
            Column("研判依据", wide=True)], rows))
    else:
        same = ctx.diag.figures_year == ctx.prev_diag.figures_year
        blocks.append(Paragraph(
            f"与{p.previous_word}末相比，各环节研判结论均无变化" +
            (f"（两期均采用{ctx.diag.figures_year}年度统计数据）。" if same and ctx.diag.figures_year else "。"),
            lead="（一）结论变化的环节"))
    focus = [n for n in ctx.diag.nodes if chain.is_leaf(n.figures.id) and n.verdict in ("at_risk", "missing")]
    focus.sort(key=lambda n: (SEVERITY[n.verdict], -n.figures.demand.get("firms", 0), n.figures.id))
    limit = ctx.labels.limits["focus_nodes"]
    rows = [[n.figures.name, STAGE_ZH[n.figures.stage], VERDICT_ZH[n.verdict], n.figures.local_firms,
             n.figures.demand.get("firms", 0), n.rule] for n in focus[:limit]]
    blocks.append(Paragraph(
        f"断链风险{leaves_now.get('at_risk', 0)}个、缺链{leaves_now.get('missing', 0)}个环节需重点关注"
        + (f"（列出前{limit}个）" if len(focus) > limit else "") + "：", lead="（二）重点关注环节"))
    blocks.append(Table("断链风险与缺链环节及研判依据", [
        Column("环节"), Column("阶段"), Column("研判结论"), Column("本地企业（家）", "int"),
        Column("本地需求企业（家）", "int"), Column("研判依据", wide=True)], rows))
    return blocks


# --------------------------------------------------------------------------- 三、项目推进


def section_projects(ctx) -> list:
    from xinlian.work import stages as st
    from xinlian.work.alerts import alerts

    p, s = ctx.period, ctx.session
    pipe = project_pipeline(s, ctx.chain.id, p.start, p.end)
    rules = st.rules()
    name = rules.name
    projects = pipe["projects"]
    ids = {x["id"] for x in projects}
    limit = ctx.labels.limits["rows"]
    working = [x for x in projects if x["stage"] in rules.stages]
    held = Counter(x["stage"] for x in projects if x["stage"] not in rules.stages)
    planned = sum(x["planned_yuan"] or 0 for x in working)
    arrived = sum(x["arrived_yuan"] or 0 for x in working)
    warn = [a for a in alerts(s, p.end) if a.kind in ("stale", "milestone_overdue", "problem_overdue")
            and a.project_id in ids]
    kinds = Counter(a.kind for a in warn)
    blocks: list = [Paragraph(
        f"截至{ctx.fmt_day(p.end)}，{ctx.chain_short}在库推进项目{len(working)}个"
        + (f"（另有{'、'.join(f'{name(k)}{v}个' for k, v in sorted(held.items()))}）" if held else "")
        + f"，计划总投资{_yi_text(planned)}，实际到位资金{_yi_text(arrived)}"
        + (f"，到位率{arrived / planned:.1%}" if planned else "") + "。"
        + f"{p.word}新增项目{len(pipe['created'])}个，阶段变动{len(pipe['moves'])}次；"
        + f"久未更新项目{kinds.get('stale', 0)}个，节点逾期{kinds.get('milestone_overdue', 0)}个，"
        + f"问题逾期{kinds.get('problem_overdue', 0)}个。")]
    counts = [sum(1 for x in working if x["stage"] == sid) for sid in rules.order]
    blocks.append(Chart("funnel", "报告期末项目阶段分布", {
        "stages": [name(sid) for sid in rules.order], "counts": counts,
        "held": {name(k): v for k, v in sorted(held.items())}}))
    money_rows = []
    for sid in [*rules.order, *sorted(held)]:
        group = [x for x in projects if x["stage"] == sid]
        if not group:
            continue
        pl = sum(x["planned_yuan"] or 0 for x in group)
        ar = sum(x["arrived_yuan"] or 0 for x in group)
        money_rows.append([name(sid), len(group), _yi(pl), _yi(ar), (ar / pl) if pl else None])
    money_rows.append(["合计（不含搁置、终止）", len(working), _yi(planned), _yi(arrived),
                       (arrived / planned) if planned else None])
    blocks.append(Table("项目阶段分布与资金到位情况", [
        Column("阶段"), Column("项目数（个）", "int"), Column("计划总投资（亿元）", "yi"),
        Column("实际到位资金（亿元）", "yi"), Column("到位率", "pct")], money_rows,
        note="阶段为报告期末所处阶段（按阶段变动记录还原）；资金为项目台账当前登记数。"))
    blocks.append(Paragraph(f"{p.word}新增项目{len(pipe['created'])}个。", lead="（一）新增项目"))
    if pipe["created"]:
        by_id = {x["id"]: x for x in projects}
        blocks.append(Table("新增项目", [
            Column("登记日期", "date"), Column("项目名称"), Column("初始阶段"), Column("所属环节"),
            Column("计划总投资（亿元）", "yi")],
            [[m["date"], m["name"], name(m["to"]), _node(ctx, by_id.get(m["project_id"], {}).get("node_id")),
              _yi(by_id.get(m["project_id"], {}).get("planned_yuan"))] for m in pipe["created"][:limit]]))
    kind_zh = {"forward": "推进", "skip": "跨阶段推进", "back": "退回", "hold": "搁置", "resume": "恢复",
               "terminate": "终止"}
    blocks.append(Paragraph(f"{p.word}项目阶段变动{len(pipe['moves'])}次。", lead="（二）阶段变动"))
    if pipe["moves"]:
        blocks.append(Table("项目阶段变动", [
            Column("日期", "date"), Column("项目名称"), Column("原阶段"), Column("新阶段"), Column("变动类型"),
            Column("原因", wide=True)],
            [[m["date"], m["name"], name(m["from"]) if m["from"] else "—", name(m["to"]),
              kind_zh.get(m["kind"], m["kind"]), m["reason"] or "—"] for m in pipe["moves"][:limit]]))
    blocks.append(Paragraph(
        f"报告期末需督办的项目事项{len(warn)}项（久未更新、节点逾期、问题逾期）。" if warn else "报告期末无需督办的项目事项。",
        lead="（三）停滞与逾期"))
    if warn:
        blocks.append(Table("停滞与逾期项目事项", [
            Column("类型"), Column("项目/事项"), Column("责任部门"), Column("天数", "int"), Column("说明", wide=True)],
            [[a.kind_name, a.title, a.department or "—", a.days, a.message] for a in warn[:limit]]))
    return blocks


def _node(ctx, node_id: str | None) -> str:
    if not node_id:
        return "—"
    return ctx.chain.nodes[node_id].name if node_id in ctx.chain.nodes else node_id


# --------------------------------------------------------------------------- 四、动态监测


def section_news(ctx) -> list:
    p, s, lab = ctx.period, ctx.session, ctx.labels
    found = news_events(s, p.start, p.end)
    arts, events = found["articles"], found["events"]
    copies = sum(len(a["article_ids"]) for a in arts)
    by_type = Counter(e["type"] for e in events)
    order = sorted(by_type, key=lambda t: (-by_type[t], t))
    blocks: list = []
    intro = f"{p.word}监测到相关报道{copies}篇，合并转载后{len(arts)}条"
    if found["has_events"]:
        intro += (f"，识别事件{len(events)}条" + ("：" + "、".join(f"{lab.event(t)}{by_type[t]}条" for t in order)
                                               if events else "，以下列出报道") + "。")
    else:
        intro += "；事件抽取尚未接入，以下列出报道。"
    blocks.append(Paragraph(intro))
    if events:
        amount = {t: sum(e["amount_yuan"] or 0 for e in events if e["type"] == t) for t in order}
        blocks.append(Table("新闻事件分类统计", [
            Column("事件类型"), Column("事件数（条）", "int"), Column("涉及金额（亿元）", "yi")],
            [[lab.event(t), by_type[t], _yi(amount[t]) if amount[t] else None] for t in order]))
        blocks.append(Chart("event_types", f"{p.word}新闻事件分类", {
            "types": [lab.event(t) for t in order], "counts": [by_type[t] for t in order]}))
        limit = lab.limits["events"]
        blocks.append(Paragraph("各事件及其来源如下" + (f"（列出前{limit}条）" if len(events) > limit else "") + "。",
                                lead="（一）事件与来源"))
        if events:
            blocks.append(Table("新闻事件及来源", [
                Column("日期", "date"), Column("类型"), Column("报道标题", wide=True), Column("来源"), Column("涉及企业/机构"),
                Column("金额（亿元）", "yi")],
                [[e["date"], lab.event(e["type"]), e["title"], "、".join(e["outlets"]),
                  "、".join(e["organizations"]) or "—", _yi(e["amount_yuan"])] for e in events[:limit]]))
    else:
        limit = lab.limits["events"]
        blocks.append(Paragraph(f"{p.word}相关报道如下" + (f"（列出前{limit}条）" if len(arts) > limit else "") + "。",
                                lead="（一）相关报道"))
        blocks.append(Table(f"{p.word}相关报道", [Column("日期", "date"), Column("报道标题", wide=True), Column("来源")],
                            [[a["date"], a["title"], "、".join(a["outlets"])] for a in arts[:limit]]))
    try:
        firms = new_firms_seen(s, p.start, p.end)
    except SourceMissing as exc:
        blocks.append(Paragraph(f"企业识别数据尚未接入（{exc}）。", lead="（二）新出现的企业"))
        return blocks
    local = set(ctx.codes)
    kinds = {"local": "本地企业", "outside": "外地企业", "candidate": "新候选企业（未入库）"}

    def kind(f: dict) -> str:
        if f["status"] == "candidate":
            return "candidate"
        return "local" if f["region_code"] in local else "outside"

    c = Counter(kind(f) for f in firms)
    blocks.append(Paragraph(
        f"{p.word}新闻首次提及的企业{len(firms)}家，其中本地企业{c.get('local', 0)}家、外地企业{c.get('outside', 0)}家、"
        f"新候选企业{c.get('candidate', 0)}家（企业库中尚无记录，待核实入库）。", lead="（二）新出现的企业"))
    if firms:
        order_k = {"candidate": 0, "outside": 1, "local": 2}
        rows = sorted(firms, key=lambda f: (order_k[kind(f)], f["date"], f["name"]))
        blocks.append(Table("新闻首次提及的企业", [
            Column("企业名称"), Column("类别"), Column("首次报道日期", "date"), Column("首次报道标题", wide=True), Column("来源")],
            [[f["name"], kinds[kind(f)], f["date"], f["title"], f["outlet"]]
             for f in rows[:lab.limits["rows"]]]))
    return blocks


# --------------------------------------------------------------------------- 五、走访与诉求


def section_visits(ctx) -> list:
    p, s = ctx.period, ctx.session
    limit = ctx.labels.limits["rows"]
    vs = visits_in(s, p.start, p.end)
    dm = demands_in(s, p.start, p.end)
    firms = {f for v in vs for f in v["firms"]}
    t = dm["totals"]
    blocks: list = [Paragraph(
        f"{p.word}走访企业{len(vs)}次，涉及企业{len(firms)}家；企业新提诉求{t.get('raised', 0)}条，"
        f"办结{t.get('closed', 0)}条；截至{ctx.fmt_day(p.end)}未办结{t.get('open', 0)}条，其中逾期{t.get('overdue', 0)}条。")]
    blocks.append(Paragraph(f"{p.word}已确认的走访记录{len(vs)}次。", lead="（一）走访情况"))
    if vs:
        blocks.append(Table("走访记录", [
            Column("日期", "date"), Column("走访企业"), Column("带队领导"), Column("牵头部门"), Column("主题")],
            [[v["date"], "、".join(v["firms"]) or "—", v["officials"] or "—", v["department"] or "—",
              v["topics"] or "—"] for v in vs[:limit]]))
    blocks.append(Paragraph("按责任部门统计如下。", lead="（二）诉求办理"))
    depts = dm["per_department"]
    rows = [[d, c.get("raised", 0), c.get("closed", 0), c.get("open", 0), c.get("overdue", 0)] for d, c in depts.items()]
    rows.append(["合计", t.get("raised", 0), t.get("closed", 0), t.get("open", 0), t.get("overdue", 0)])
    blocks.append(Table("诉求办理情况（按责任部门）", [
        Column("责任部门"), Column(f"{p.word}新增（条）", "int"), Column(f"{p.word}办结（条）", "int"),
        Column("期末未办结（条）", "int"), Column("其中逾期（条）", "int")], rows))
    if dm["per_category"]:
        blocks.append(Table(f"{p.word}新增诉求类别", [Column("诉求类别"), Column("条数", "int")],
                            [[k, v] for k, v in dm["per_category"].items()]))
    if dm["overdue"]:
        blocks.append(Paragraph(f"逾期未办结诉求{len(dm['overdue'])}条，请责任部门加快办理。", lead="（三）逾期诉求"))
        blocks.append(Table("逾期未办结诉求", [
            Column("企业"), Column("类别"), Column("诉求内容", wide=True), Column("责任部门"), Column("应办结日期", "date"),
            Column("逾期天数", "int")],
            [[d["firm"], d["category"], d["description"], d["department"], d["due"], d["days"]]
             for d in dm["overdue"][:limit]]))
    return blocks


# --------------------------------------------------------------------------- 六、招引建议


def section_targets(ctx) -> list:
    chain, lab = ctx.chain, ctx.labels
    gaps = [n for n in ctx.diag.nodes if n.targets and chain.is_leaf(n.figures.id)]
    gaps.sort(key=lambda n: (SEVERITY[n.verdict], -n.figures.demand.get("firms", 0), n.figures.id))
    shown = gaps[:lab.limits["target_nodes"]]
    per = lab.limits["targets_per_node"]
    blocks: list = [Paragraph(
        f"针对缺链、弱链和断链风险环节，按环节匹配、企业规模、技术实力、扩张动态和与本地链主的关联逐项计分，"
        f"{len(gaps)}个环节有可招引的外地企业" + (f"，列出最需补强的{len(shown)}个环节" if len(gaps) > len(shown) else "")
        + f"，每个环节推荐前{per}家。" if gaps else "本期没有需要招引补链的环节，或尚无可推荐的外地企业。")]
    rows = []
    for n in shown:
        for t in n.targets[:per]:
            rows.append([n.figures.name, VERDICT_ZH[n.verdict], t.name, _region(t.region_code), round(t.score, 1),
                         "；".join(t.reasons)])
    if rows:
        blocks.append(Table("重点招引目标企业", [
            Column("环节"), Column("研判结论"), Column("推荐企业"), Column("所在地区"), Column("得分", "num"),
            Column("推荐理由", wide=True)], rows, note="得分为各项得分之和，理由中注明每项依据与分值。"))
    return blocks
