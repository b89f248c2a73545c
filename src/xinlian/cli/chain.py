"""Verbs for the chain: show the taxonomy, diagnose a region, list its leaders and the targets for a node."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from xinlian.cli.app import chain_app, console, fail, open_database, print_json

_CHAIN = typer.Option(None, "--chain", help="产业链（名称或 YAML 路径）/ chain name or file; default: settings.chain")
_REGION = typer.Option(None, "--region", help="区划代码 / GB/T 2260 code; default: settings.region")
_AS_OF = typer.Option(None, "--as-of", help="截至日期 YYYY-MM-DD 或年份 / as-of date or year")
_RULES = typer.Option(None, "--rules", help="诊断规则文件 / rules YAML (default: data/rules/diagnosis.yaml)")


def _defaults(chain: str | None, region: str | None) -> tuple[str, str]:
    from xinlian.settings import get_settings

    s = get_settings()
    return chain or s.chain, region or s.region


def _run(chain, region, as_of, rules, with_targets=True, top_n=None, target_nodes=None):
    from xinlian.chain.diagnose import DiagnoseOptions, diagnose
    from xinlian.chain.rules import RulesError
    from xinlian.chain.taxonomy import TaxonomyError

    chain, region = _defaults(chain, region)
    try:
        return diagnose(open_database(), chain, region, as_of,
                        DiagnoseOptions(rules_path=rules, with_targets=with_targets, top_n=top_n,
                                        target_nodes=target_nodes))
    except (RulesError, TaxonomyError, ValueError) as exc:
        fail(str(exc))


@chain_app.command("show")
def show_cmd(chain: Optional[str] = _CHAIN, as_json: bool = typer.Option(False, "--json")):
    """产业链图谱（树形）Show the chain taxonomy as a tree."""
    from xinlian.chain.taxonomy import TaxonomyError, load_chain

    try:
        c = load_chain(_defaults(chain, None)[0])
    except TaxonomyError as exc:
        fail(str(exc))
    if as_json:
        print_json(c.to_dict())
        return
    from rich.tree import Tree

    stage_zh = {"upstream": "上游", "midstream": "中游", "downstream": "下游"}
    tree = Tree(f"[bold]{c.name}[/] ({c.id})")
    for stage, nodes in c.by_stage().items():
        branch = tree.add(f"[bold]{stage_zh[stage]}[/] {stage}")
        stack = [(branch, n) for n in nodes if n.parent is None]
        while stack:
            parent, node = stack.pop(0)
            inputs = c.inputs_of(node.id)
            label = f"{node.name} [dim]{node.id}[/]" + (f"  ← {', '.join(inputs)}" if inputs else "")
            sub = parent.add(label)
            stack[0:0] = [(sub, c.nodes[k]) for k in c.children(node.id)]
    console.print(tree)


@chain_app.command("diagnose")
def diagnose_cmd(
    chain: Optional[str] = _CHAIN,
    region: Optional[str] = _REGION,
    as_of: Optional[str] = _AS_OF,
    rules: Optional[Path] = _RULES,
    as_json: bool = typer.Option(False, "--json", help="按 diagnosis.schema.json 输出 / contract JSON"),
    xlsx: Optional[Path] = typer.Option(None, "--xlsx", help="写出 Excel 工作簿 / write a workbook"),
):
    """产业链诊断：强链/弱链/缺链/断链风险 Diagnose every node of the chain for a region."""
    from xinlian.chain.diagnose import VERDICT_ZH

    result = _run(chain, region, as_of, rules)
    if xlsx:
        from xinlian.chain.workbook import write_workbook

        write_workbook(result, xlsx)
        console.print(f"已写出 written: {xlsx}")
    if as_json:
        print_json(result.to_contract())
        return
    from rich.table import Table

    table = Table(title=f"{result.chain_name} · {result.region_name or result.region} · {result.figures_year or '无数据'}年")
    for col in ("环节", "诊断", "企业", "产值(亿元)", "区位熵", "配套率", "依据"):
        table.add_column(col)
    for n in result.nodes:
        f = n.figures
        table.add_row(f.name, VERDICT_ZH[n.verdict], str(f.local_firms),
                      "" if f.output_yuan is None else f"{f.output_yuan / 1e8:.1f}",
                      "" if f.location_quotient is None else f"{f.location_quotient:.2f}",
                      "" if f.local_supply_ratio is None else f"{f.local_supply_ratio:.0%}", n.rule)
    console.print(table)


@chain_app.command("leaders")
def leaders_cmd(
    chain: Optional[str] = _CHAIN,
    region: Optional[str] = _REGION,
    as_of: Optional[str] = _AS_OF,
    rules: Optional[Path] = _RULES,
    as_json: bool = typer.Option(False, "--json"),
):
    """链主企业：本地配套与补链方向 Chain leaders, their local suppliers and missing inputs."""
    result = _run(chain, region, as_of, rules, with_targets=False)
    if as_json:
        print_json([l.to_dict() for l in result.leaders])
        return
    if not result.leaders:
        console.print("未发现链主企业 no chain leader found.")
    for l in result.leaders:
        console.print(f"[bold]{l.name}[/]（{'标记' if l.how == 'flagged' else '推断'}）{l.why}")
        for i in l.inputs:
            names = "、".join(s["name"] for s in i["suppliers"][:5])
            console.print(f"  ← {i['name']}: 本地 {i['local_suppliers']} 家 {names}")
        if l.missing_inputs:
            console.print("  补链方向 missing inputs: " + "、".join(i["name"] for i in l.missing_inputs))


@chain_app.command("targets")
def targets_cmd(
    node: str = typer.Option(..., "--node", help="环节 id / node id"),
    chain: Optional[str] = _CHAIN,
    region: Optional[str] = _REGION,
    as_of: Optional[str] = _AS_OF,
    rules: Optional[Path] = _RULES,
    top: Optional[int] = typer.Option(None, "--top", help="每个环节的目标数 / targets per node"),
    as_json: bool = typer.Option(False, "--json"),
):
    """链式招引目标 Outside firms to attract for one node, with the reasons of each score."""
    result = _run(chain, region, as_of, rules, top_n=top, target_nodes=[node])
    try:
        verdict = result.node(node)
    except KeyError:
        fail(f"产业链中没有环节 {node!r} / no node {node!r} in the chain")
    found = verdict.targets
    if as_json:
        print_json({"node": node, "verdict": verdict.verdict, "rule": verdict.rule,
                    "targets": [t.to_contract() for t in found]})
        return
    console.print(f"[bold]{verdict.figures.name}[/]：{verdict.rule}")
    for rank, t in enumerate(found, 1):
        console.print(f"{rank:>2}. {t.name}（{t.region_code or '—'}）{t.score:g} 分")
        for reason in t.reasons:
            console.print(f"      {reason}")
