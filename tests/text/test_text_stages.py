"""Each cleaning stage on fictional text written for these tests."""

from __future__ import annotations

import pytest

from xinlian.text import boilerplate, dateline, decode, pinyin, t2s
from xinlian.text.dedupe import StoryIndex, body_hash, content_hash, signature

STORY = (
    "青禾区召开集成电路产业链推进会。会议听取了全区集成电路产业链发展情况汇报，研究部署下一步重点工作。"
    "区长强调，要坚持创新驱动，加快补链强链延链，推动产业集群发展，打造具有竞争力的产业高地。"
    "会上，六家企业签订了合作协议，总投资约十二亿元，涉及功率器件、封装测试和检测设备等环节。"
)


# decode ---------------------------------------------------------------------------------------------------------


def test_decode_from_bom_header_meta_and_guess():
    text = "青禾区芯片产业园开工建设"
    assert decode.decode(b"\xef\xbb\xbf" + text.encode()).source == "bom"
    got = decode.decode(text.encode("gbk"), "text/html; charset=GBK")
    assert (got.text, got.encoding, got.source) == (text, "gb18030", "header")
    page = f'<html><head><meta charset="gb2312"></head><body>{text}</body></html>'.encode("gbk")
    got = decode.decode(page)
    assert got.encoding == "gb18030" and got.source == "meta" and text in got.text
    trad = "青禾區晶片產業園開工建設"
    page = f'<meta http-equiv="Content-Type" content="text/html; charset=big5"><p>{trad}</p>'
    got = decode.decode(page.encode("big5hkscs"))
    assert got.encoding == "big5hkscs" and trad in got.text


def test_decode_guess_is_reported_and_errors_are_counted():
    got = decode.decode(("青禾区的半导体企业正在扩大产能，" * 20).encode("gbk"))
    assert got.encoding == "gb18030"
    assert [p[0] for p in got.problems] == ["encoding_guessed"]
    got = decode.decode(b"<meta charset=utf-8>\xff\xfe\xfa ok")
    assert "encoding_errors" in [p[0] for p in got.problems] or "encoding_guessed" in [p[0] for p in got.problems]


def test_decode_never_raises_on_odd_labels():
    for header in ("text/html; charset=klingon", "charset=", "text/html; charset=utf-16"):
        decode.decode("芯片".encode(), header)
    assert decode.decode(b"").text == ""


# pinyin ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("青禾微电子有(yǒu)限公司", "青禾微电子有限公司"),
        ("區(qū)領(lǐng)導(dǎo)", "區領導"),
        ("進(jìn)入", "進入"),
        ("芯（xīn）片", "芯片"),  # full-width brackets, a character that is the same in both scripts
        ("发(fa1)展", "发展"),
        ("公(gong)司", "公司"),
        ("澎芯半导体(常州)有限公司", "澎芯半导体(常州)有限公司"),
        ("人工智能(AI)", "人工智能(AI)"),
        ("氮化镓(GaN)", "氮化镓(GaN)"),
        ("接口(pin)", "接口(pin)"),
        ("芯片(chip)", "芯片(chip)"),
        ("有(yòu)", "有"),
        ("有(yóu)", "有(yóu)"),  # toned, but not a tone this character has
    ],
)
def test_pinyin_annotations(raw, clean):
    assert pinyin.strip_annotations(raw) == clean


def test_pinyin_fast_path_returns_same_object():
    text = "没有括号的文字"
    assert pinyin.strip_annotations(text) is text


# t2s ------------------------------------------------------------------------------------------------------------


def test_t2s_converts_traditional_and_keeps_simplified():
    assert t2s.to_simplified("區領導調研芯片產業相關企業") == "区领导调研芯片产业相关企业"
    assert t2s.to_simplified(STORY) == STORY
    assert t2s.to_simplified("核心技術") == "核心技术"  # not rewritten as 内核 (that is tw2sp)


# dateline -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "published", "outlet", "author"),
    [
        ("时间:2025-03-06 20:22:49  来源:青禾新闻  作者:禾风网", "2025-03-06T20:22:49+08:00", "青禾新闻", "禾风网"),
        ("发布日期:2024-04-19", "2024-04-19", None, None),
        ("发布时间：2025年3月6日 08:30 来源：青禾日报", "2025-03-06T08:30:00+08:00", "青禾日报", None),
        ("2025年3月6日", "2025-03-06", None, None),
        ("2024/09/29 来源：某某网 记者：李明", "2024-09-29", "某某网", "李明"),
        ("2024.09.29", "2024-09-29", None, None),
        ("13.02.2017", "2017-02-13", None, None),
        ("2019-08-13 14:07来源：青禾发布", "2019-08-13T14:07:00+08:00", "青禾发布", None),
    ],
)
def test_dateline_forms(line, published, outlet, author):
    d = dateline.parse(line)
    assert (d.published, d.outlet, d.author) == (published, outlet, author)
    assert dateline.is_dateline(line)


def test_dateline_is_not_a_sentence_with_a_date():
    assert not dateline.is_dateline("2025年3月6日，青禾区召开推进会，研究部署下一步工作，会议由区长主持。")


def test_meta_times_are_converted_to_beijing_time():
    assert dateline.parse_meta_time("2019-09-07T02:00:00Z") == "2019-09-07T10:00:00+08:00"
    assert dateline.parse_meta_time("2019-09-07 10:00") == "2019-09-07T10:00:00+08:00"
    assert dateline.parse_meta_time("2019-09-07") == "2019-09-07"
    assert dateline.parse_meta_time("2019-13-45") is None


# boilerplate ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "更多>>",
        "视频推荐",
        "青禾新闻20250306",
        "热门关键词：芯片 半导体",
        "首页 > 新闻 > 正文",
        "当前位置：首页 > 要闻",
        "Copyright © 2025 青禾网 版权所有",
        "苏ICP备12345678号-1",
        "苏公网安备 32041202000000号",
        "技术支持：青禾网络科技",
        "分享到：微信 微博",
        "微信 微博 QQ空间",
        "chip_factory_01.jpg",
        "责任编辑：王小禾",
        "上一篇：青禾区召开推进会",
        "扫一扫在手机打开当前页",
    ],
)
def test_boilerplate_lines(line):
    assert boilerplate.is_boilerplate(line), line


@pytest.mark.parametrize(
    "line",
    ["青禾区关闭了三家高耗能工厂。", "市民可扫码预约参观。", "标签化管理让服务更精准，企业反映良好。", "他说，更多企业将落户青禾。"],
)
def test_prose_is_not_boilerplate(line):
    assert not boilerplate.is_boilerplate(line)


def test_boilerplate_structure_rules():
    lead = "青禾区召开集成电路产业链推进会，部署下一步重点工作。"
    lines = [lead, lead, STORY, "相关新闻", "青禾区举办人才招聘会", "青禾区调研智能微电网建设"]
    assert boilerplate.strip(lines) == [lead, STORY]


def test_boilerplate_file_errors_name_file_and_line():
    bad = "patterns:\n  - pattern: 'ok'\n    why: fine\n  - pattern: '(unclosed'\n    why: broken\n"
    with pytest.raises(boilerplate.LexiconError, match=r"lex.yaml:4: bad regular expression"):
        boilerplate.load_patterns(bad, "lex.yaml")
    with pytest.raises(boilerplate.LexiconError, match=r"lex.yaml:2"):
        boilerplate.load_patterns("patterns:\n  - pattern: 'x'\n", "lex.yaml")


def test_every_shipped_pattern_has_a_reason():
    assert all(p.why.strip() for p in boilerplate.patterns())


# dedupe ---------------------------------------------------------------------------------------------------------


def test_exact_and_near_duplicates_group_into_one_story():
    idx = StoryIndex()
    assert idx.add("a", STORY) == ("a", False, [])
    assert idx.add("b", STORY + "\n") == ("a", True, ["a"])
    edited = STORY.replace("青禾区", "本区", 1).replace("六家", "6家")
    story, exact, similar = idx.add("c", edited)
    assert (story, exact, similar) == ("a", False, ["a"])
    other = "禾丰县举办农产品展销会，展出优质大米、茶叶和水果，吸引了大量市民前来选购，现场签约金额超过三千万元。" * 2
    assert idx.add("d", other)[0] == "d"


def test_signatures_round_trip_and_rebuild_the_index():
    idx = StoryIndex()
    idx.add_signature("a", signature(STORY), body_hash(STORY))
    assert idx.add_signature("b", signature(STORY.replace("六家", "6家")))[0] == "a"
    assert idx.add_signature("c", signature(STORY), body_hash(STORY))[1] is True
    assert len(signature(STORY)) == 128 * 8
    assert content_hash(b"x") == content_hash(b"x") != content_hash(b"y")
    with pytest.raises(ValueError):
        idx.add_signature("d", b"\x00" * 10)
