"""The 62 real pages of the GeneralNewsExtractor test folder (read from ../shared, never shipped)."""

from __future__ import annotations

from pathlib import Path

import pytest

from xinlian.text.clean import clean_page
from xinlian.text.html import han_count

GNE = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora" / "gne-news-pages"

PAGES = sorted(GNE.glob("*/*.html")) if GNE.exists() else []

# Pages whose article really is short, checked by reading them: a photo gallery with one caption paragraph.
SHORT_ARTICLES = {"toutiao/2.html": 60}

# Read by hand from the pages: headline, how the body starts, and the time the page shows.
EXPECTED = {
    "sina/2.html": ("60万\"12306账号\"外泄? 中铁总辟谣称消息不实", "新京报快讯（记者 裴剑飞）", "2018-12-28T19:55:00+08:00"),
    "cjddsb/1.html": (
        "常德市金融系统积极开展“金融知识普及月 金融知识进万家”活动",
        "为持续推动金融消费者教育和金融知识普及工作",
        "2019-09-23T14:34:05+08:00",
    ),
    "ifeng/ifeng.html": ("董又霖主持首秀状况百出大方道歉：会继续努力", "据台媒报道，艺人董又霖6日晚间", "2019-09-07T08:05:32+08:00"),
    "thepaper/1.html": ("共享充电宝涨价告别1元时代：是“收割韭菜”还是回归理性", "共享充电宝。", "2019-09-24T09:10:00+08:00"),
    "toutiao/3.html": (
        "海螺沟寻子一个月：儿子消失在眼前十几米，搜寻无果母亲不舍离去",
        "8岁儿子在四川海螺沟景区失联的第32天",
        "2019-09-09T16:01:46+08:00",
    ),
    "gzggw/1.html": ("1-10月德清县固定资产投资结构趋稳趋优", "1-10月，全县固定资产投资完成246.79亿元", "2016-11-22"),
    "csdn/1.html": (
        "第三届知道安全论坛鸟巢举办 知道创宇发布新版ZoomEye",
        "2014年8月22日，由北京知道创宇联合知乎网主办",
        "2014-08-24T21:30:00+08:00",
    ),
    "sina/sina.html": ("最强“中国芯”本月商用 华为抢跑5G芯片大战", "用户对性能永无止境的追求", "2019-09-07T04:04"),
    "other/1.html": ("全国人民代表大会常务委员会关于批准财政部发行特别国债购买外汇及调整2007", None, "2007-08-20"),
}


def _name(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_every_page_cleans_to_a_titled_article(page, gne_dir):
    article = clean_page(page.read_bytes(), filename=page.name)
    assert article.kind == "html"
    assert article.title and han_count(article.title) >= 2
    floor = SHORT_ARTICLES.get(_name(page), 100)
    assert han_count(article.text) >= floor, article.text[:200]
    for junk in ("ICP备", "版权所有", "上一篇", "分享到"):
        assert junk not in article.text


def test_there_are_62_pages(gne_dir):
    assert len(PAGES) == 62


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hand_read_pages(name, gne_dir):
    title, opening, published = EXPECTED[name]
    article = clean_page((gne_dir / name).read_bytes(), filename=name)
    assert article.title.startswith(title)
    if opening:
        assert article.paragraphs[0].startswith(opening)
    assert article.published and article.published.startswith(published)


def test_other_page_keeps_the_resolution_text(gne_dir):
    article = clean_page((gne_dir / "other/1.html").read_bytes())
    assert "批准发行15500亿元特别国债购买外汇" in article.text
