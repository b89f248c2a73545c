"""The page pipeline end to end on real databases: fictional pages in, pages, articles and stories out."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).parent))

from pages import STORY_PARAS, STORY_TITLE, write_folder  # noqa: E402

from xinlian.ingest.pipeline import IngestOptions, ingest, iter_ingest  # noqa: E402
from xinlian.store import rawstore  # noqa: E402
from xinlian.store.dialect import search  # noqa: E402
from xinlian.store.tables.files import ImportBatch, RawFile  # noqa: E402
from xinlian.store.tables.news import Article, Page, Story  # noqa: E402


def _count(db, model, *where) -> int:
    with db.session() as s:
        return s.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def _by_source(db) -> dict[str, tuple[Page, Article | None]]:
    with db.session() as s:
        rows = s.execute(select(Page, Article).outerjoin(Article, Article.page_id == Page.id)).all()
    return {Path(p.source).name: (p, a) for p, a in rows}


@pytest.fixture
def folder(tmp_path) -> tuple[Path, dict[str, bytes]]:
    root = tmp_path / "pages"
    return root, write_folder(root)


def test_folder_ingests_with_counts_raw_bytes_and_failures(db, folder):
    root, written = folder
    summary = ingest(db, [root])

    assert summary.inputs == 7
    assert summary.ingested == 5
    assert summary.failed == 2
    assert summary.duplicates_exact == 1 and summary.duplicates_near == 1
    assert summary.new_stories == 3
    assert {Path(f["source"]).name for f in summary.failures} == {"broken.html", "empty.html"}
    assert _count(db, Page) == 7
    assert _count(db, Article) == 5
    assert _count(db, Story) == 3
    assert _count(db, Page, Page.status == "failed") == 2

    pages = _by_source(db)
    for name, data in written.items():
        page, _article = pages[Path(name).name]
        assert page.raw_sha256 is not None
        assert rawstore.read_raw(page.raw_sha256) == data  # kept for good, byte for byte
    with db.session() as s:
        assert s.get(RawFile, pages["big5.html"][0].raw_sha256).size == len(written["big5.html"])

    gbk = pages["gbk-no-charset.html"][1]
    assert gbk.title == STORY_TITLE
    assert gbk.published == "2025-04-02T11:30:00+08:00"
    assert gbk.published_date.isoformat() == "2025-04-02"
    assert gbk.outlet == "青禾日报" and gbk.author == "林晓禾"
    assert gbk.text.split("\n") == STORY_PARAS
    assert gbk.encoding.lower() in ("gb18030", "gbk", "gb2312")
    assert "encoding_guessed" in {w["code"] for w in gbk.warnings}

    big5 = pages["big5.html"][1]
    assert big5.title == "澄江县举办新能源汽车零部件产业对接会"  # simplified on the way in
    assert big5.published == "2025-05-10"
    assert "全周期服务" in big5.text

    txt = pages["pinyin.txt"][1]
    assert txt.title == "区领导调研新材料产业相关企业"
    assert "有限公司" in txt.text and "(yǒu)" not in txt.text and "(qū)" not in txt.text
    assert "更多>>" not in txt.text

    broken, empty = pages["broken.html"][0], pages["empty.html"][0]
    assert broken.status == "failed" and "no readable article text" in broken.error
    assert empty.status == "failed" and empty.error
    assert pages["broken.html"][1] is None and pages["empty.html"][1] is None

    with db.session() as s:
        batch = s.get(ImportBatch, summary.batch_id)
        assert batch.kind == "pages" and batch.status == "done"
        assert batch.rows_total == 7 and batch.rows_ok == 5 and batch.rows_bad == 2
        assert batch.summary["ingested"] == 5
        hits = set(search(s, "article", "集成电路"))
    assert hits == {pages[n][1].id for n in ("gbk-no-charset.html", "republished-exact.html",
                                             "republished-near.html")}


def test_republished_copies_form_one_story_with_a_canonical_page(db, folder):
    root, _ = folder
    ingest(db, [root])
    pages = _by_source(db)
    original = pages["gbk-no-charset.html"]
    exact = pages["republished-exact.html"]
    near = pages["republished-near.html"]

    assert original[1].story_id == exact[1].story_id == near[1].story_id
    assert original[0].status == "ok"
    assert exact[0].status == "duplicate" and near[0].status == "duplicate"
    assert original[1].body_hash == exact[1].body_hash != near[1].body_hash
    assert [original[1].is_canonical, exact[1].is_canonical, near[1].is_canonical] == [True, False, False]
    with db.session() as s:
        story = s.get(Story, original[1].story_id)
        assert story.size == 3 and story.canonical_article_id == original[1].id
    # the other two stories have one article each
    others = {pages[n][1].story_id for n in ("big5.html", "pinyin.txt")}
    assert len(others) == 2 and original[1].story_id not in others


def test_an_earlier_copy_arriving_later_becomes_canonical(db, folder):
    root, _ = folder
    first = ingest(db, [root / "sub"])  # the republished copies come first
    assert first.ingested == 2 and first.duplicates_exact == 0 and first.duplicates_near == 1
    second = ingest(db, [root / "gbk-no-charset.html"])  # the original, published earliest, comes last
    assert second.duplicates_exact == 1
    pages = _by_source(db)
    original = pages["gbk-no-charset.html"][1]
    with db.session() as s:
        story = s.get(Story, original.story_id)
        canon = s.execute(select(Article.id).where(Article.story_id == story.id, Article.is_canonical)).scalars().all()
    assert story.size == 3
    assert story.canonical_article_id == original.id
    assert canon == [original.id]


def test_rerun_over_the_same_folder_adds_nothing(db, folder):
    root, _ = folder
    ingest(db, [root])
    before = (_count(db, Page), _count(db, Article), _count(db, Story), _count(db, RawFile))
    again = ingest(db, [root])
    assert again.skipped == 7
    assert again.ingested == again.failed == again.duplicates == 0
    assert (_count(db, Page), _count(db, Article), _count(db, Story), _count(db, RawFile)) == before
    assert _count(db, ImportBatch, ImportBatch.kind == "pages") == 2


def test_new_page_in_an_ingested_folder_is_the_only_one_added(db, folder):
    root, _ = folder
    ingest(db, [root])
    (root / "later.txt").write_text("南溪区举办专精特新企业座谈会\n发布日期：2025-06-01\n"
                                    "座谈会上，十家专精特新企业负责人围绕融资、用工和市场开拓等问题发言。", encoding="utf-8")
    summary = ingest(db, [root])
    assert summary.ingested == 1 and summary.skipped == 7
    assert _count(db, Article) == 6


def test_jsonl_gives_one_page_per_line_and_a_bad_line_fails_alone(db, tmp_path):
    lines = [
        {"url": "https://news.example.test/a.html",
         "html": "<html><body><h1>北山区签约三个智能装备项目</h1><p>发布时间：2025-02-11</p>"
                 "<p>2月11日，北山区举行智能装备产业项目集中签约仪式，三个项目总投资约十五亿元，"
                 "涉及工业机器人减速器、精密传感器和数控系统等领域。</p></body></html>"},
        "this line is not json",
        {"url": "https://news.example.test/b", "text": "北山区开展企业服务月活动\n2025年3月1日\n"
                                                      "活动期间，区级部门走访企业一百二十家，收集诉求六十余条。"},
    ]
    path = tmp_path / "pages.jsonl"
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines),
                    encoding="utf-8")
    summary = ingest(db, [path])
    assert summary.inputs == 3 and summary.ingested == 2 and summary.failed == 1
    pages = {p.source: (p, a) for p, a in _by_source(db).values()}
    page_a, art_a = pages[f"{path}#1"]
    assert page_a.url == "https://news.example.test/a.html"
    assert art_a.title == "北山区签约三个智能装备项目"
    assert rawstore.read_raw(page_a.raw_sha256).decode("utf-8") == lines[0]["html"]
    assert pages[f"{path}#2"][0].status == "failed" and "jsonl" in pages[f"{path}#2"][0].error
    assert pages[f"{path}#3"][1].published == "2025-03-01"


def test_oversized_file_is_kept_but_not_read(db, tmp_path):
    big = tmp_path / "big.html"
    big.write_bytes(b"<html><body><p>" + "很长的页面。".encode("utf-8") * 400 + b"</p></body></html>")
    summary = ingest(db, [big], options=IngestOptions(max_bytes=1000))
    assert summary.failed == 1
    page = next(iter(_by_source(db).values()))[0]
    assert "larger than the limit" in page.error
    assert rawstore.read_raw(page.raw_sha256) == big.read_bytes()


def test_progress_is_reported_and_ends_with_the_summary(sqlite_db, folder):
    root, _ = folder
    steps = list(iter_ingest(sqlite_db, [root], options=IngestOptions(batch_size=2)))
    assert len(steps) >= 3
    assert [s.done for s in steps] == sorted(s.done for s in steps)
    assert steps[-1].summary is not None and steps[-1].done == 7
    assert all(s.summary is None for s in steps[:-1])


def test_extraction_hook_runs_on_the_worker_when_asked(sqlite_db, folder):
    pytest.importorskip("xinlian.extract.pipeline")
    root, _ = folder
    summary = ingest(sqlite_db, [root / "pinyin.txt", root / "big5.html"],
                     options=IngestOptions(extract=True, chain="semiconductor"))
    assert summary.ingested == 2 and summary.extracted == 2
    with sqlite_db.session() as s:
        chains = s.execute(select(Article.chain)).scalars().all()
        codes = [w["code"] for ws in s.execute(select(Article.warnings)).scalars() for w in ws]
    assert chains == ["semiconductor", "semiconductor"]
    assert "extraction_failed" not in codes


NASTY = {
    "nul.html": "<html><body><h1>北区\x00新闻</h1><p>正文\x00里有空字符，企业\x00项目顺利推进。</p></body></html>".encode("utf-8"),
    "surrogate.txt": "南区开展安全生产检查\n".encode("utf-8") + b"\xed\xa0\x80\xed\xbf\xbf" + "检查覆盖全部重点企业。".encode("utf-8"),
    "long-title.html": ("<html><head><title>" + "很长的标题" * 3000 + "</title></head><body><p>"
                        + "正文内容，" * 50 + "</p></body></html>").encode("utf-8"),
    "nested.html": (b"<div>" * 3000) + "深层嵌套的页面正文，东区推进产业园建设。".encode("utf-8") + (b"</div>" * 3000),
    "binary.html": bytes((i * 37 + 11) % 256 for i in range(5000)),
}


def test_nasty_pages_are_stored_or_failed_never_crash(db, tmp_path):
    root = tmp_path / "nasty"
    root.mkdir()
    for name, data in NASTY.items():
        (root / name).write_bytes(data)
    summary = ingest(db, [root])
    assert summary.inputs == len(NASTY)
    assert summary.ingested + summary.failed == len(NASTY)
    assert summary.ingested >= 3
    pages = _by_source(db)
    assert set(pages) == set(NASTY)
    for name, (page, art) in pages.items():
        assert (art is None) == (page.status == "failed"), name
        if art is not None:
            assert "\x00" not in art.text and "\x00" not in (art.title or "")
            art.text.encode("utf-8")  # storable text: no lone surrogates
        assert rawstore.read_raw(page.raw_sha256) == NASTY[name]


def test_a_page_the_database_refuses_fails_alone(db, folder):
    from xinlian.ingest.pipeline import _Run, clean_item

    root, written = folder
    names = ["gbk-no-charset.html", "big5.html", "pinyin.txt"]
    results = [clean_item({"data": written[n], "source": n, "filename": n, "sha256": None}) for n in names]
    results[1]["minhash"] = "not bytes"  # the database layer refuses this row; the batch is rolled back
    with db.session() as s:
        batch = ImportBatch(kind="pages")
        s.add(batch)
        s.flush()
        batch_id = batch.id
    run = _Run(db, IngestOptions())
    run.store(batch_id, results)
    assert (run.summary.ingested, run.summary.failed) == (2, 1)
    pages = _by_source(db)
    assert pages["big5.html"][0].status == "failed" and pages["big5.html"][0].error.startswith("not stored:")
    assert pages["big5.html"][1] is None
    assert pages["gbk-no-charset.html"][1].title == STORY_TITLE and pages["pinyin.txt"][1] is not None
    assert _count(db, Story) == 2
