"""The demo, end to end: the orchestrator behind ``xinlian demo``.

Stages, in order; each later stage runs when its part of xinlian is installed:
1. a fresh sample database (SQLite file ``HOME/demo.db`` unless XINLIAN_DB_URL names another);
2. the sample district: registry sheet import, national baseline, district totals (``demo.generator``);
3. sample news pages written for the demo, ingested through the real pipeline (``demo.pages``);
4. the work pipeline: projects at every stage, visits and demands, policies, 产学研 (``demo.work``);
5. the chain diagnosis of the district, summarised.
Serving the web app is the caller's last step.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from xinlian.settings import get_settings, reset_settings
from xinlian.store.db import Database, open_db

DEMO_TODAY = dt.date(2025, 3, 31)  # the demo's "today": the month after the seed page's visit


@dataclass
class DemoResult:
    db: Database
    url: str
    steps: list[tuple[str, str]] = field(default_factory=list)  # (step, summary)


def _fresh_url(home: Path) -> str:
    url = os.environ.get("XINLIAN_DB_URL") or f"sqlite:///{home / 'demo.db'}"
    if url.startswith("sqlite:///"):
        path = Path(url.split("///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    return url


def run_demo(say: Callable[[str], None] = print) -> DemoResult:
    """Build the whole demo database and return it open."""
    os.environ["XINLIAN_MODE"] = os.environ.get("XINLIAN_MODE", "demo") if os.environ.get("XINLIAN_MODE") == "test" \
        else "demo"
    reset_settings()
    home = get_settings().home
    home.mkdir(parents=True, exist_ok=True)
    url = _fresh_url(home)
    if url.startswith("postgresql"):
        from xinlian.store.db import make_engine
        from xinlian.store.migrate import downgrade

        downgrade(make_engine(url), "base")
    os.environ["XINLIAN_DB_URL"] = url
    os.environ.setdefault("XINLIAN_AS_OF", DEMO_TODAY.isoformat())  # the sample news are of early 2025
    reset_settings()
    db = open_db(url)
    result = DemoResult(db=db, url=url)

    from xinlian.demo.generator import build_demo

    report = build_demo(db, home / "demo")
    result.steps.append(("registry", f"示例企业 {report.rows_ok} 家（表格 {report.file}）"))
    say(f"① 企业库：导入示例企业 {report.rows_ok} 家，基线与区县总量已写入")

    try:
        from xinlian.demo.pages import ingest_demo_pages
    except ModuleNotFoundError:
        ingest_demo_pages = None
    if ingest_demo_pages:
        summary = ingest_demo_pages(db, home / "demo" / "pages")
        result.steps.append(("news", str(summary)))
        say(f"② 新闻：{summary}")

    try:
        from xinlian.demo.work import build_work_demo
    except ModuleNotFoundError:
        build_work_demo = None
    if build_work_demo:
        summary = build_work_demo(db, today=DEMO_TODAY)
        result.steps.append(("work", str(summary)))
        say(f"③ 项目与走访：{summary}")

    try:
        from xinlian.chain.diagnose import diagnose
    except ModuleNotFoundError:
        diagnose = None
    if diagnose:
        diag = diagnose(db, chain="semiconductor", region="320412", as_of=DEMO_TODAY).to_contract()
        counts: dict[str, int] = {}
        for node in diag["nodes"]:
            counts[node["verdict"]] = counts.get(node["verdict"], 0) + 1
        text = "，".join(f"{k} {v}" for k, v in sorted(counts.items()))
        result.steps.append(("diagnosis", text))
        say(f"④ 研判：{text}")
    return result
