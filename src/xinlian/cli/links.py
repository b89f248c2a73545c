"""Verbs for linking news mentions to the registry: review (queue, confirm, reject), link, dedupe."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Optional

import typer

from xinlian.cli.app import acting_user, app, console, fail, open_database, print_json, progress

review_app = typer.Typer(help="链接审核 review proposed links to the registry", invoke_without_command=True)
app.add_typer(review_app, name="review")

USER = typer.Option(None, "--user", help="操作人（默认为当前系统用户）/ who is acting")


_user = acting_user


@review_app.callback()
def review_list(
    ctx: typer.Context,
    limit: int = typer.Option(100, "--limit", help="最多列出条数 / at most this many"),
    method: Optional[str] = typer.Option(None, "--method", help="只看 fuzzy / exact / candidate"),
    as_json: bool = typer.Option(False, "--json"),
):
    """待审核链接 List the links waiting for an analyst (fuzzy matches, same-name cases, candidate firms)."""
    if ctx.invoked_subcommand is not None:
        return
    from xinlian.link.review import review_queue

    rows = review_queue(open_database(), limit=limit, method=method)
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("没有待审核的链接 / nothing to review")
        return
    for r in rows:
        target = f"#{r['enterprise_id']} {r['enterprise_name'] or ''}"
        if r["enterprise_status"] == "candidate":
            target += "（候选新企业）"
        typer.echo(f"[{r['link_id']}] {r['method']} {r['score']:.2f}  {r['mention']} → {target}  (文章 {r['article_id']})")
        for reason in r["reasons"]:
            typer.echo(f"      · {reason}")


def _judge(fn, link_id: int, user: str | None, note: str | None, as_json: bool) -> None:
    from xinlian.link.review import ReviewError

    try:
        out = fn(open_database(), link_id, _user(user), note)
    except ReviewError as exc:
        fail(str(exc))
    if as_json:
        print_json(out)
    else:
        typer.echo(f"[{out['link_id']}] {out['mention']} → #{out['enterprise_id']} {out['enterprise_name'] or ''}: "
                   f"{'已确认 confirmed' if out['decision'] == 'confirm' else '已否决 rejected'} ({out['user']})")


@review_app.command("confirm")
def review_confirm(link_id: int, note: Optional[str] = typer.Option(None, "--note"), user: Optional[str] = USER,
                   as_json: bool = typer.Option(False, "--json")):
    """确认链接 Confirm a link; the judgement replays whenever the pipeline runs again."""
    from xinlian.link.review import confirm

    _judge(confirm, link_id, user, note, as_json)


@review_app.command("reject")
def review_reject(link_id: int, note: Optional[str] = typer.Option(None, "--note"), user: Optional[str] = USER,
                  as_json: bool = typer.Option(False, "--json")):
    """否决链接 Reject a link; the pair is never proposed again."""
    from xinlian.link.review import reject

    _judge(reject, link_id, user, note, as_json)


@app.command("link")
def link_cmd(
    article_id: Optional[int] = typer.Argument(None, help="文章编号 / article id"),
    all_: bool = typer.Option(False, "--all", help="重新处理全部文章 / every stored article"),
    chain: Optional[str] = typer.Option(None, "--chain", help="产业链 taxonomy (default: the article's)"),
    as_json: bool = typer.Option(False, "--json"),
):
    """抽取并链接 Extract, link and store one article (again), or all of them."""
    from xinlian.link.facts import process_all, process_article

    if (article_id is None) == (not all_):
        fail("请给出文章编号或 --all / give ARTICLE_ID or --all")
    db = open_database()
    if all_:
        with progress("链接 link", unit="articles") as advance:
            out = process_all(db, chain=chain, progress=advance)
        if as_json:
            print_json(out)
        else:
            typer.echo(f"文章 {out['articles']} 篇，处理 {out['processed']} 篇，失败 {len(out['failed'])} 篇")
        return
    try:
        out = process_article(db, article_id, chain=chain)
    except LookupError as exc:
        fail(str(exc))
    if as_json:
        print_json(out)
        return
    typer.echo(f"文章 {article_id}: 提及 {out['mentions']}，事件 {len(out['events'])}，产业链环节 {out['nodes']}")
    for link in out["links"]:
        for p in link["proposals"]:
            typer.echo(f"  {link['mention']} → #{p['enterprise_id']} {p['method']} {p['score']:.2f} {p['status']}")
    for v in out["visits"]:
        typer.echo(f"  走访草稿 visit draft #{v['visit_id']}" if v.get("visit_id") else f"  走访草稿未生成: {v.get('error')}")


@app.command("dedupe")
def dedupe_cmd(
    files: list[Path] = typer.Argument(..., help="一份或两份企业名单 (.csv .xlsx) / one or two lists"),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="把聚类写入 CSV / write clusters to CSV"),
    threshold: float = typer.Option(0.8, "--threshold", help="合并的匹配概率阈值 / match probability"),
    as_json: bool = typer.Option(False, "--json"),
):
    """名单去重 Find the same firms in registry lists without credit codes (Splink on DuckDB)."""
    from xinlian.ingest.sheets import SheetError
    from xinlian.link.dedupe import DedupeOptions, dedupe_files

    if not 1 <= len(files) <= 2:
        fail("请给出一份或两份名单 / give one or two files")
    try:
        records, clusters = dedupe_files(list(files), DedupeOptions(threshold=threshold))
    except SheetError as exc:
        fail(str(exc))
    if output is not None:
        with output.open("w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["cluster_id", "size", "source", "row", "name", "region", "legal_rep", "credit_code"])
            for c in clusters:
                for i in c["members"]:
                    r = records[i]
                    w.writerow([c["cluster_id"], c["size"], r.get("source"), r.get("row"), r.get("name"),
                                r.get("region"), r.get("legal_rep"), r.get("credit_code")])
    multi = [c for c in clusters if c["size"] > 1]
    if as_json:
        print_json({"records": len(records), "clusters": len(clusters), "duplicate_groups": len(multi),
                    "groups": [{**c, "records": [records[i] for i in c["members"]]} for c in clusters]})
        return
    typer.echo(f"记录 {len(records)} 条，归为 {len(clusters)} 家企业，其中 {len(multi)} 组重复")
    for c in multi[:50]:
        typer.echo(f"  [{c['cluster_id']}] " + " | ".join(str(n) for n in c["names"]))
    if output is not None:
        typer.echo(f"已写入 {output}")
