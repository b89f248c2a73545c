"""The real seed page through clean -> extract -> link, and the verbs as a user runs them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from sqlalchemy import select
from typer.testing import CliRunner

from link_helpers import add_article, add_enterprise, links_of
from link_variants import two_lists
from xinlian.cli import _load_areas
from xinlian.cli.app import app
from xinlian.link.facts import process_article
from xinlian.store.tables.facts import ArticleEvent, Mention

_load_areas()
runner = CliRunner()
SHARED = Path(__file__).resolve().parents[2].parent / "shared"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip (the same rule as conftest.shared_path; imported by hand because another
    test folder's conftest module can shadow the root one)."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"../shared is absent ({p} not found): this test reads real pages that are not shipped")
    return p
SEED_FIRMS = ["常州亦泓科技有限公司", "澎芯半导体(常州)有限公司", "领先光学技术(江苏)有限公司"]


def test_seed_page_links_the_three_companies_and_not_the_media(db):
    from xinlian.text.clean import clean_page

    raw = shared_path("fixtures", "seed", "wujin-2025-03-06.txt").read_bytes()
    art = clean_page(raw, filename="wujin-2025-03-06.txt")
    with db.session() as s:
        ids = [add_enterprise(s, n, region="320412" if "江苏" not in n else "320000") for n in SEED_FIRMS]
        aid = add_article(s, art.text, published=art.published, outlet=art.outlet, author=art.author, title=art.title)
    out = process_article(db, aid)
    links = links_of(db, aid)
    assert {n: links[n] for n in SEED_FIRMS} == {n: [(i, "exact", "confirmed", 1.0)] for n, i in zip(SEED_FIRMS, ids)}
    assert set(links) == set(SEED_FIRMS)  # nothing proposed for 武进新闻, 阳湖网 or the government bodies
    with db.session() as s:
        media = set(s.scalars(select(Mention.name).where(Mention.article_id == aid, Mention.sub_kind == "media")))
        visit = s.scalar(select(ArticleEvent).where(ArticleEvent.article_id == aid, ArticleEvent.type == "visit"))
    assert {"武进新闻", "阳湖网"} <= media
    assert visit.date == "2025-03-06" and set(visit.people) >= {"恽淇丞", "王斐"}
    assert set(visit.organizations) >= set(SEED_FIRMS)
    assert out["chain_nodes"], "the article's chain nodes travel with its events"


def run(*args: str, ok: bool = True):
    result = runner.invoke(app, list(args))
    if ok:
        assert result.exit_code == 0, result.output
    return result


def test_review_and_link_verbs(db):
    with db.session() as s:
        e = add_enterprise(s, "澎芯半导体(常州)有限公司")
        aid = add_article(s, "澎芯半导体（常州）科技有限公司项目开工。常州星衡微电子有限公司签约。")
    out = json.loads(run("link", str(aid), "--json").stdout)
    assert out["article_id"] == aid
    queue = json.loads(run("review", "--json").stdout)
    assert [q["method"] for q in queue] == ["fuzzy", "candidate"] and queue[0]["enterprise_id"] == e
    text = run("review").stdout
    assert "澎芯半导体（常州）科技有限公司" in text and "候选新企业" in text
    done = json.loads(run("review", "confirm", str(queue[0]["link_id"]), "--note", "同一家", "--user", "甲",
                          "--json").stdout)
    assert (done["decision"], done["user"], done["note"]) == ("confirm", "甲", "同一家")
    run("review", "reject", str(queue[1]["link_id"]), "--user", "甲")
    assert json.loads(run("review", "--json").stdout) == []
    missing = run("review", "confirm", "99999", ok=False)
    assert missing.exit_code == 1 and "不存在" in missing.output
    again = json.loads(run("link", "--all", "--json").stdout)
    assert again == {"articles": 1, "processed": 1, "failed": []}
    assert links_of(db, aid)["澎芯半导体（常州）科技有限公司"] == [(e, "confirmed", "confirmed", 1.0)]
    assert run("link", ok=False).exit_code == 1
    assert "不存在" in run("link", "424242", ok=False).output


def test_dedupe_verb_on_two_lists(tmp_path):
    records, truth = two_lists(40, seed=11)
    paths = {}
    for src in "ab":
        p = tmp_path / f"{src}.csv"
        with p.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["企业名称", "所属区县", "法定代表人"])
            for r in records:
                if r["source"] == src:
                    w.writerow([r["name"], r["region"] or "", r["legal_rep"] or ""])
        paths[src] = p
    out_csv = tmp_path / "clusters.csv"
    res = json.loads(run("dedupe", str(paths["a"]), str(paths["b"]), "-o", str(out_csv), "--json").stdout)
    assert res["records"] == len(records) and res["duplicate_groups"] > 0
    assert res["clusters"] < len(records)
    rows = list(csv.DictReader(out_csv.open(encoding="utf-8-sig")))
    assert len(rows) == len(records) and {r["source"] for r in rows} == {"a.csv", "b.csv"}
    text = run("dedupe", str(paths["a"])).stdout
    assert "记录" in text
    assert run("dedupe", str(tmp_path / "none.csv"), ok=False).exit_code == 1
