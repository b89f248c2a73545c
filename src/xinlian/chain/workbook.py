"""The diagnosis as an XLSX workbook for the bureau: nodes, targets and leaders, one sheet each.

Numbers stay numbers (sortable and summable in Excel); every text cell that a spreadsheet would read as a formula
(starting with = + - @, or a tab/carriage return) gets a leading apostrophe, so a firm name can never run as one.
"""

from __future__ import annotations

from pathlib import Path

from xinlian.chain.diagnose import VERDICT_ZH, Diagnosis
from xinlian.store.sheetsafe import safe_cell

__all__ = ["write_workbook", "safe_cell"]

STAGE_ZH = {"upstream": "上游", "midstream": "中游", "downstream": "下游"}


def _yi(x: float | None) -> float | None:
    return None if x is None else round(x / 1e8, 4)


def write_workbook(diagnosis: Diagnosis, path: str | Path) -> Path:
    """Write ``diagnosis`` to ``path`` (.xlsx) and return the path."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    nodes = wb.active
    nodes.title = "环节诊断"
    header = ["环节编码", "环节", "阶段", "诊断", "判定依据", "本地企业数", "产值(亿元)", "从业人员", "占本地产业链产值",
              "区位熵", "区位熵口径", "三星(规模)", "三星(专业化)", "三星(聚焦)", "近年复合增长率", "高新企业数",
              "专精特新数", "小巨人数", "专利数", "研发强度", "本地需求企业数", "本地配套率", "供应集中度HHI", "在谈/在建项目数",
              "目标企业数"]
    nodes.append(header)
    for n in diagnosis.nodes:
        f = n.figures
        nodes.append([safe_cell(v) for v in [
            f.id, f.name, STAGE_ZH.get(f.stage, f.stage), VERDICT_ZH[n.verdict], n.rule, f.local_firms,
            _yi(f.output_yuan), f.employees, f.chain_share, f.location_quotient, f.lq.get("basis"),
            f.stars.get("size"), f.stars.get("specialisation"), f.stars.get("focus"), f.growth.get("cagr"),
            f.technology.get("high_tech"), f.technology.get("specialised"), f.technology.get("little_giant"),
            f.technology.get("patents"), f.technology.get("rd_intensity"), f.demand.get("firms"),
            f.local_supply_ratio, f.hhi, len(f.projects), len(n.targets)]])
    for col in ("I", "O", "T", "V"):
        for cell in nodes[col][1:]:
            cell.number_format = "0.0%"

    targets = wb.create_sheet("招引目标")
    targets.append(["环节编码", "环节", "诊断", "排名", "企业编号", "企业名称", "所在地区", "得分", "产值(亿元)", "得分构成"])
    for n in diagnosis.nodes:
        for rank, t in enumerate(n.targets, 1):
            targets.append([safe_cell(v) for v in [
                n.figures.id, n.figures.name, VERDICT_ZH[n.verdict], rank, t.enterprise_id, t.name, t.region_code,
                t.score, _yi(t.output_yuan), "；".join(t.reasons)]])

    leaders = wb.create_sheet("链主企业")
    leaders.append(["企业编号", "企业名称", "认定方式", "依据", "所在环节", "产值(亿元)", "本地已配套的上游环节",
                    "本地无配套的上游环节（补链方向）"])
    for l in diagnosis.leaders:
        leaders.append([safe_cell(v) for v in [
            l.enterprise_id, l.name, "标记" if l.how == "flagged" else "推断", l.why,
            "、".join(n["name"] for n in l.nodes), _yi(l.output_yuan),
            "、".join(f"{i['name']}（{i['local_suppliers']}家）" for i in l.inputs if i["local_suppliers"]),
            "、".join(i["name"] for i in l.missing_inputs)]])

    about = wb.create_sheet("说明")
    about.append(["产业链", diagnosis.chain_name])
    about.append(["地区", safe_cell(f"{diagnosis.region_name or ''}（{diagnosis.region}）")])
    about.append(["截至", diagnosis.as_of.isoformat()])
    about.append(["数据年份", diagnosis.figures_year])
    about.append(["规则文件", diagnosis.context.get("rules_file")])

    for ws in (nodes, targets, leaders):
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
