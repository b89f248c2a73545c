"""Verbs for news and policy pages: ingest, clean, extract, news list/show."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from xinlian.cli.app import app, console, fail, open_database, print_json, progress

news_app = typer.Typer(help="新闻与政策文章 news and policy articles", no_args_is_help=True)
app.add_typer(news_app, name="news")


def _read_input(file: str) -> tuple[bytes, str | None]:
    if file == "-":
        return sys.stdin.buffer.read(), None
    path = Path(file)
    if not path.is_file():
        fail(f"{file}: 文件不存在 no such file")
    return path.read_bytes(), path.name


@app.command("ingest")
def ingest_cmd(
    paths: list[Path] = typer.Argument(None, help="文件或文件夹 (.html .htm .txt .jsonl) / files and folders"),
    url: list[str] = typer.Option([], "--url", help="抓取网址（可多次）/ URL to fetch (repeatable)"),
    urls: Optional[Path] = typer.Option(None, "--urls", help="网址列表文件，每行一个 / file of URLs, one a line"),
    workers: int = typer.Option(0, "--workers", help="启动本地 Dask 集群的进程数 / local Dask workers"),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask 调度器地址 / scheduler address"),
    extract: bool = typer.Option(True, "--extract/--no-extract",
                                 help="读出机构、人物、事件并关联企业库 / read entities and events, link to the registry"),
    as_json: bool = typer.Option(False, "--json"),
):
    """采集网页 Ingest pages from files, folders and URLs into clean, dated articles."""
    from xinlian.ingest.pipeline import IngestOptions, iter_ingest

    all_urls = list(url)
    if urls is not None:
        if not urls.is_file():
            fail(f"{urls}: 文件不存在 no such file")
        all_urls += [ln.strip() for ln in urls.read_text(encoding="utf-8-sig").splitlines()
                     if ln.strip() and not ln.lstrip().startswith("#")]
    missing = [str(p) for p in paths or [] if not p.exists()]
    if missing:
        fail(f"找不到 not found: {', '.join(missing)}")
    if not paths and not all_urls:
        fail("请给出文件、文件夹或网址 / give files, folders or --url")
    db = open_database()
    opts = IngestOptions(workers=workers, scheduler=scheduler, extract=extract)
    summary = None
    with progress("采集 ingest", unit="pages") as advance:
        last = 0
        for step in iter_ingest(db, paths or [], urls=all_urls, options=opts):
            advance(step.done - last, rate=f"{step.pages_per_s:.1f} 页/秒 pages/s")
            last = step.done
            summary = step.summary
    if as_json:
        print_json(summary.to_dict())
        return
    console.print(f"完成 done: 新入库 ingested {summary.ingested}（其中重复 duplicates {summary.duplicates}："
                  f"完全相同 exact {summary.duplicates_exact}，近似 near {summary.duplicates_near}），"
                  f"已有跳过 skipped {summary.skipped}，警告 warnings {summary.warnings}，失败 failed {summary.failed}；"
                  f"{summary.seconds:.1f} 秒，{summary.pages_per_s:.1f} 页/秒")
    for f in summary.failures:
        console.print(f"  失败 failed: {f['source']}: {f['error']}")


@app.command("clean")
def clean_cmd(file: str = typer.Argument(..., help="网页或文本文件，'-' 读标准输入 / page file or '-'")):
    """清洗 Print the clean text of one page."""
    from xinlian.text.clean import clean_page

    raw, name = _read_input(file)
    art = clean_page(raw, filename=name)
    if art.title:
        sys.stdout.write(art.title + "\n\n")
    sys.stdout.write(art.text + "\n")
    for w in art.warnings:
        console.print(f"[yellow]警告 {w.code}[/]: {w.message}" + (f" [{w.raw}]" if w.raw else ""))


@app.command("extract")
def extract_cmd(
    file: str = typer.Argument(..., help="网页或文本文件，'-' 读标准输入 / page file or '-'"),
    as_json: bool = typer.Option(False, "--json"),
):
    """抽取 Read one page as an article: title, time, outlet, author, text, warnings, entities, events."""
    from xinlian.ingest.articles import page_contract

    raw, name = _read_input(file)
    doc = page_contract(raw, filename=name)
    if as_json:
        print_json(doc)
        return
    sys.stdout.write(f"{doc['title'] or '(无标题)'}\n{doc['published'] or ''}  {doc['outlet'] or ''}  "
                     f"{doc['author'] or ''}\n\n{doc['text']}\n")
    for org in doc["entities"]["organizations"]:
        sys.stdout.write(f"  机构 {org['kind']}: {org['name']}\n")
    for ev in doc["events"]:
        sys.stdout.write(f"  事件 {ev['type']} {ev['date'] or ''}: {', '.join(ev['organizations'])}\n")


@news_app.command("list")
def news_list_cmd(
    limit: int = typer.Option(50, "--limit", help="最多几条 / at most this many"),
    q: Optional[str] = typer.Option(None, "--q", "-q", help="全文检索 / full-text search"),
    canonical: bool = typer.Option(False, "--canonical", help="每个报道只列一篇 / one article per story"),
    as_json: bool = typer.Option(False, "--json"),
):
    """列出文章 List stored articles, newest first."""
    from xinlian.ingest.articles import list_articles

    rows = list_articles(open_database(), limit=limit, query=q, canonical_only=canonical)
    if as_json:
        print_json(rows)
        return
    for r in rows:
        dup = "" if r["is_canonical"] else f"  (重复 story {r['story_id']})"
        sys.stdout.write(f"{r['id']:>6}  {(r['published'] or '')[:10]:<10}  {r['outlet'] or '':<10}  "
                         f"{r['title'] or '(无标题)'}{dup}\n")


@news_app.command("show")
def news_show_cmd(article_id: int = typer.Argument(..., help="文章编号 / article id"),
                  as_json: bool = typer.Option(False, "--json")):
    """查看文章 Show one stored article with its source, raw SHA-256 and warnings."""
    from xinlian.ingest.articles import show_article

    doc = show_article(open_database(), article_id)
    if doc is None:
        fail(f"没有编号为 {article_id} 的文章 no article {article_id}")
    if as_json:
        print_json(doc)
        return
    page = doc["page"]
    sys.stdout.write(f"{doc['title'] or '(无标题)'}\n时间 {doc['published'] or '-'}  来源 {doc['outlet'] or '-'}  "
                     f"作者 {doc['author'] or '-'}\n出处 {page['source']}\n原始文件 raw sha256 {page['raw_sha256']}\n")
    if doc["story"]:
        st = doc["story"]
        sys.stdout.write(f"报道 story {st['id']}：共 {st['size']} 篇，"
                         f"{'本篇为主稿 canonical' if st['is_canonical'] else '主稿 canonical ' + str(st['canonical_article_id'])}\n")
    sys.stdout.write("\n" + doc["text"] + "\n")
    for w in doc["warnings"]:
        sys.stdout.write(f"警告 {w['code']}: {w['message']}" + (f" [{w.get('raw')}]" if w.get("raw") else "") + "\n")
