"""Real pages from ../shared: the seed page and the 62 GNE news pages (skipped when ../shared is absent)."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from support import shared_path
from xinlian.ingest.pipeline import ingest
from xinlian.store import rawstore
from xinlian.store.tables.news import Article, Page


def test_seed_page_ingests_with_its_dateline(db):
    seed = shared_path("fixtures", "seed", "wujin-2025-03-06.txt")
    expected = json.loads(shared_path("fixtures", "seed", "wujin-2025-03-06.expected.json").read_text("utf-8"))
    summary = ingest(db, [seed])
    assert summary.ingested == 1 and summary.failed == 0
    with db.session() as s:
        page, art = s.execute(select(Page, Article).join(Article, Article.page_id == Page.id)).one()
    assert (art.title, art.published, art.outlet, art.author) == (
        expected["title"], expected["published"], expected["outlet"], expected["author"])
    assert art.published_date.isoformat() == "2025-03-06"
    assert rawstore.read_raw(page.raw_sha256) == seed.read_bytes()
    assert art.text.split("\n")[:2] == expected["paragraphs"][:2]
    codes = {w["code"] for w in art.warnings}
    assert codes & {"mojibake_repaired", "mojibake_unrepaired"}  # the damaged stretch is never silent


def test_all_gne_pages_ingest_without_failure(sqlite_db):
    folder = shared_path("corpora", "gne-news-pages")
    n_files = len(list(folder.rglob("*.html")))
    summary = ingest(sqlite_db, [folder])
    assert n_files == 62
    assert summary.failed == 0, summary.failures
    assert summary.inputs == summary.ingested == 62
    with sqlite_db.session() as s:
        rows = s.execute(select(Page.source, Article.title, Article.text)
                         .join(Article, Article.page_id == Page.id)).all()
        assert s.execute(select(func.count()).select_from(Page)).scalar_one() == 62
    assert len(rows) == 62
    short = [(src, len(text)) for src, _t, text in rows if len(text) < 50]
    assert short == []
    assert all(title for _s, title, _t in rows)
    by_name = {src.split("gne-news-pages/", 1)[1]: (title, text) for src, title, text in rows}
    # a sample read by hand: (title starts with, a phrase of the body)
    sample = {
        "sina/4.html": ("苹果发布新iPhone 11", "64GB售5499元"),
        "ednchina/1.html": ("阿里发布最强AI芯片", "含光800"),
        "xinhuanet/1.html": ("法国全国大罢工再次严重影响交通", "新华社巴黎12月9日电"),
        "cjddsb/1.html": ("常德市金融系统积极开展", "金融知识普及"),
        "163/8.html": ("国务院联防联控机制", "分区分级差异化防控策略"),
        "gzggw/1.html": ("1-10月德清县固定资产投资", "246.79亿元"),
    }
    for name, (title, phrase) in sample.items():
        assert by_name[name][0].startswith(title), name
        assert phrase in by_name[name][1], name


def test_gne_pages_dateline_and_the_republished_pair(sqlite_db):
    folder = shared_path("corpora", "gne-news-pages")
    ingest(sqlite_db, [folder / "cjddsb", folder / "163", folder / "thepaper"])
    with sqlite_db.session() as s:
        rows = {src.split("gne-news-pages/", 1)[1]: (pub, outlet, story, canon, status)
                for src, pub, outlet, story, canon, status in s.execute(
                    select(Page.source, Article.published, Article.outlet, Article.story_id, Article.is_canonical,
                           Page.status).join(Article, Article.page_id == Page.id))}
    assert rows["cjddsb/1.html"][:2] == ("2019-09-23T14:34:05+08:00", "当代商报")
    assert rows["163/8.html"][0] == "2020-02-29T18:34:31+08:00"
    # the same article saved twice from thepaper.cn: one story, the first stored is canonical
    assert rows["thepaper/2.html"][2] == rows["thepaper/4.html"][2]
    assert (rows["thepaper/2.html"][3:], rows["thepaper/4.html"][3:]) == ((True, "ok"), (False, "duplicate"))
