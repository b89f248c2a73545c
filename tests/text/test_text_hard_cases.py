"""Crafted hard pages (all text fictional): encodings, damage, size, emptiness, garbage, nesting."""

from __future__ import annotations

import os
import time

import pytest

from xinlian.text import mojibake
from xinlian.text.clean import clean_page, clean_text

TITLE = "青禾区领导调研功率半导体企业"
BODY = [
    "本报讯 今天上午，青禾区区长林禾走访调研青禾微电子有限公司和禾芯科技有限公司，察看企业生产车间，详细了解产品工艺流程。",
    "林禾强调，要坚持科技创新引领和市场应用牵引，加快补链强链延链，推动功率半导体产业集聚发展，打造产业发展新高地。",
]


def _html(title: str, body: list[str], charset: str | None = "utf-8", date: str = "2025-03-06 09:30") -> str:
    meta = f'<meta charset="{charset}">' if charset else ""
    paras = "".join(f"<p>{p}</p>" for p in body)
    return (
        f"<html><head>{meta}<title>{title}_青禾网</title></head><body>"
        f'<div class="nav"><a href="/">首页</a> &gt; <a href="/n">新闻</a></div>'
        f"<h1>{title}</h1><div class='info'>发布时间：{date} 来源：青禾日报 作者：禾苗</div>"
        f"<div class='content'>{paras}</div>"
        f"<div class='foot'><p>Copyright 2025 青禾网 版权所有</p><p>苏ICP备00000000号</p></div></body></html>"
    )


def _check(article):
    assert article.title == TITLE
    assert article.paragraphs == BODY
    assert article.published == "2025-03-06T09:30:00+08:00"
    assert article.outlet == "青禾日报"
    assert article.author == "禾苗"


def test_utf8_html_page():
    _check(clean_page(_html(TITLE, BODY).encode(), filename="a.html"))


def test_gbk_page_without_charset():
    raw = _html(TITLE, BODY, charset=None).encode("gbk")
    article = clean_page(raw)
    _check(article)
    assert article.encoding == "gb18030"


def test_big5_page_is_decoded_and_simplified():
    import opencc

    trad = opencc.OpenCC("s2t").convert(_html(TITLE, BODY, charset="big5"))
    assert "區長" in trad
    article = clean_page(trad.encode("big5hkscs"), filename="b.html")
    assert article.encoding == "big5hkscs"
    _check(article)


def test_traditional_page_with_pinyin_and_company_names():
    text = (
        "青禾新聞\n\n青禾區(qū)領(lǐng)導(dǎo)調研企業\n\n時(shí)間:2025-03-06 20:22:49  來(lái)源:青禾新聞  作者:禾風網\n"
        "區(qū)長走訪了青禾微電子有(yǒu)限公司和澎芯半導(dǎo)體(常州)有限公司,了解人工智能(AI)和氮化鎵(GaN)器件的研發情況。\n"
        "更多>>\n青禾新聞20250306\n"
    )
    article = clean_page(text.encode(), filename="c.txt")
    assert article.title == "青禾区领导调研企业"
    assert article.paragraphs == [
        "区长走访了青禾微电子有限公司和澎芯半导体(常州)有限公司,了解人工智能(AI)和氮化镓(GaN)器件的研发情况。"
    ]
    assert (article.outlet, article.author) == ("青禾新闻", "禾风网")


def test_simplified_page_passes_unchanged():
    text = "\n".join(BODY)
    assert clean_text(text) == text


def test_byte_shift_damage_is_repaired_or_warned():
    sentence = "园区新签约的项目总投资约五十亿元,主要生产功率半导体器件。"
    data = sentence.encode("gbk")
    lost = data.index("投".encode("gbk"))  # the lead byte of 投 is lost in transit
    damaged = (data[:lost] + data[lost + 1 :]).decode("gb18030", errors="replace")
    assert damaged != sentence
    fixed, findings = mojibake.fix(damaged)
    assert findings, "the damage must be found"
    if fixed == sentence:
        assert findings[0].repaired is not None
    else:
        assert all(f.raw for f in findings)
        assert any(f.repaired is None for f in findings) or fixed != damaged
    article = clean_page((f"{TITLE}\n发布日期:2025-03-06\n" + damaged).encode(), filename="d.txt")
    codes = {w.code for w in article.warnings}
    assert codes & {"mojibake_repaired", "mojibake_unrepaired"}


def test_undamaged_question_marks_are_left_alone():
    text = "你知道青禾区的芯片产业有多强吗?我们一起来看。"
    assert mojibake.fix(text) == (text, [])


def test_empty_file():
    article = clean_page(b"")
    assert article.paragraphs == [] and article.title is None
    assert "no_body" in {w.code for w in article.warnings}
    assert clean_page(b"", filename="e.html").paragraphs == []


def test_binary_garbage():
    rng = __import__("random").Random(7)
    raw = bytes(rng.randrange(256) for _ in range(50_000))
    article = clean_page(raw)
    assert isinstance(article.text, str)
    assert clean_page(os.urandom(4096), filename="x.html").kind == "html"


def test_deeply_nested_html():
    depth = 10_000
    raw = ("<html><body>" + "<div>" * depth + "<p>" + BODY[0] + "</p>" + "</div>" * depth + "</body></html>").encode()
    start = time.monotonic()
    article = clean_page(raw, filename="n.html")
    assert time.monotonic() - start < 60
    assert isinstance(article.text, str)
    assert article.text == BODY[0] or {w.code for w in article.warnings} & {"no_body", "extractor_failed"}


@pytest.mark.slow
def test_twenty_megabyte_page_in_bounded_time():
    filler = "".join(f"<p>{BODY[i % 2]}第{i}段。</p>" for i in range(400))
    page = _html(TITLE, BODY).replace("<div class='content'>", "<div class='content'>" + filler)
    raw = page.encode()
    raw = raw + b"<!-- " + b"x" * (20 * 1024 * 1024 - len(raw)) + b" -->"
    assert len(raw) >= 20 * 1024 * 1024
    start = time.monotonic()
    article = clean_page(raw, filename="big.html")
    assert time.monotonic() - start < 120
    assert article.title == TITLE
    assert len(article.paragraphs) > 100


def _lose_lead_byte(sentence: str, char: str) -> str:
    data = sentence.encode("gbk")
    at = data.index(char.encode("gbk"))
    return (data[:at] + data[at + 1 :]).decode("gb18030", errors="replace")


@pytest.mark.parametrize(
    ("sentence", "char"),
    [
        ("园区新签约的项目总投资约五十亿元,主要生产功率半导体器件", "投"),
        ("他说这个产业链的核心环节在于材料和设备", "链"),
        ("区政府与多家企业签订了合作协议。", "多"),
        ("青禾区加快建设集成电路产业园,引进龙头企业", "集"),
    ],
)
def test_lost_lead_byte_is_read_back(sentence, char):
    fixed, findings = mojibake.fix(_lose_lead_byte(sentence, char))
    assert fixed == sentence
    assert len(findings) == 1 and findings[0].repaired is not None


def test_mass_damage_is_reported_once_and_fast():
    rng = __import__("random").Random(11)
    noise = bytes(rng.randrange(0x80, 0x100) for _ in range(4000)).decode("gb18030", errors="replace")
    text = "青禾区召开推进会。\n" + noise.replace("\n", " ").replace("\r", " ")
    start = time.monotonic()
    article = clean_page(text.encode(), filename="m.txt")
    assert time.monotonic() - start < 20
    unrepaired = [w for w in article.warnings if w.code == "mojibake_unrepaired"]
    assert len(unrepaired) == 1 and "undecodable" in unrepaired[0].message


def test_many_damaged_lines_take_bounded_time_and_are_all_reported():
    damaged = _lose_lead_byte("园区新签约的项目总投资约五十亿元,主要生产功率半导体器件。", "投")
    lines = [f"{damaged}第{i}条。" for i in range(150)]
    start = time.monotonic()
    article = clean_page("\n".join(lines).encode(), filename="m.txt")
    assert time.monotonic() - start < 90
    codes = [w.code for w in article.warnings if w.code.startswith("mojibake")]
    assert len(codes) == 150
