"""Verbs for the enterprise registry: import, list, show."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from xinlian.cli.app import console, enterprise_app, fail, import_app, open_database, print_json, progress


@import_app.command("enterprises")
def import_enterprises_cmd(
    file: Path = typer.Argument(..., help="CSV 或 XLSX 企业名录 / sheet of enterprises"),
    mapping: Optional[Path] = typer.Option(None, help="表头映射 YAML（其他表头）/ header mapping file"),
    sheet: Optional[str] = typer.Option(None, help="XLSX 工作表名 / sheet name"),
    year: Optional[int] = typer.Option(None, help="指标所属年份（表中无年份时）/ year of the figures"),
    chain: Optional[str] = typer.Option(None, help="产业链 / chain taxonomy"),
    source: Optional[str] = typer.Option(None, help="来源说明 / source label"),
    errors: Optional[Path] = typer.Option(None, help="错误报告文件 .csv 或 .xlsx / bad-row report path"),
    dry_run: bool = typer.Option(False, "--dry-run", help="只检查不写入 / report without writing"),
    as_json: bool = typer.Option(False, "--json"),
):
    """导入企业名录 Import enterprises from a CSV or XLSX sheet."""
    from xinlian.ingest.sheets import SheetError
    from xinlian.registry.importer import ImportOptions, import_enterprises

    db = open_database()
    opts = ImportOptions(mapping_file=str(mapping) if mapping else None, sheet_name=sheet, year=year,
                         dry_run=dry_run, errors_path=str(errors) if errors else None, source=source)
    if chain:
        opts.chain = chain
    try:
        with progress(f"导入 {file.name}", unit="rows") as advance:
            opts.on_progress = advance
            report = import_enterprises(db, file, opts)
    except SheetError as exc:
        fail(str(exc))
    if as_json:
        print_json(report.as_dict())
        return
    if report.already_imported:
        console.print(f"该文件已导入过（批次 {report.batch_id}），无需重复导入。 already imported, nothing changed.")
        return
    verb = "检查" if dry_run else "导入"
    console.print(f"{verb}完成：共 {report.rows_total} 行，有效 {report.rows_ok} 行，拒绝 {report.rows_bad} 行，"
                  f"文件内重复 {report.duplicates_in_file} 行；新增 {report.inserted}，更新 {report.updated}。"
                  f"（{report.seconds:.1f} 秒）")
    if report.errors_path:
        console.print(f"错误报告 bad-row report: {report.errors_path}（{len(report.problems)} 条）")


@enterprise_app.command("list")
def list_cmd(
    q: Optional[str] = typer.Option(None, "--q", "-q", help="名称/简称/产品检索 / search"),
    node: Optional[str] = typer.Option(None, help="产业链环节 id / chain node"),
    region: Optional[str] = typer.Option(None, help="区划代码 / region code (and below)"),
    local: Optional[bool] = typer.Option(None, "--local/--outside", help="本地或外地（相对 settings.region）"),
    flag: list[str] = typer.Option([], help="high_tech, specialised, little_giant, chain_leader, listed"),
    status: str = typer.Option("active", help="active 或 candidate（新闻中发现待确认）"),
    limit: int = typer.Option(50),
    offset: int = typer.Option(0),
    as_json: bool = typer.Option(False, "--json"),
):
    """企业列表 List enterprises."""
    from xinlian.registry.queries import EnterpriseFilter, enterprise_summary, list_enterprises
    from xinlian.settings import get_settings

    db = open_database()
    f = EnterpriseFilter(q=q, node=node, region=region, local=local, local_to=get_settings().region,
                         flags=tuple(flag), status=status, limit=limit, offset=offset)
    with db.session() as s:
        try:
            total, page = list_enterprises(s, f)
        except (ValueError, KeyError) as exc:
            fail(str(exc))
        items = [enterprise_summary(e) for e in page]
    if as_json:
        print_json({"total": total, "offset": offset, "items": items})
        return
    from rich.table import Table

    table = Table(title=f"企业 {total} 家（显示 {len(items)}）")
    for col in ("id", "名称", "区县", "环节", "标签"):
        table.add_column(col)
    for e in items:
        table.add_row(e["id"], e["name"] + (" [示例]" if e["is_sample"] else ""), e["region"] or "",
                      ",".join(e["nodes"]), "、".join(e["flags"]))
    console.print(table)


@enterprise_app.command("show")
def show_cmd(ident: str = typer.Argument(..., help="id、统一社会信用代码或企业名称"),
             as_json: bool = typer.Option(False, "--json")):
    """企业详情 Show one enterprise."""
    from xinlian.registry.queries import enterprise_detail, get_enterprise

    db = open_database()
    with db.session() as s:
        e = get_enterprise(s, ident)
        if e is None:
            fail(f"找不到企业 {ident!r} (no such enterprise)")
        d = enterprise_detail(e)
    if as_json:
        print_json(d)
        return
    console.print(f"[bold]{d['name']}[/]  {d['credit_code'] or '（无信用代码）'}  {d['region'] or ''}")
    for key in ("address", "founded", "legal_rep", "products", "source"):
        if d[key]:
            console.print(f"  {key}: {d[key]}")
    if d["flags"]:
        console.print("  标签: " + "、".join(d["flags"]))
    for n in d["nodes"]:
        console.print(f"  环节 {n['node_id']} ({n['role']}): {n['evidence'] or ''}")
    for f in d["figures"]:
        console.print(f"  {f['year']}: 产值 {f['output_value']} 元, 营收 {f['revenue']} 元, 人员 {f['employees']}")
