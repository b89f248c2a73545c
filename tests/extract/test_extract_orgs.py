from __future__ import annotations

import pytest

from xinlian.extract.lexicon import NameIndex
from xinlian.extract.orgs import find_orgs, is_media_name


def kinds(text, **kw):
    return [(o.name, o.kind) for o in find_orgs(text, **kw)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("恽淇丞一行先后前往常州亦泓科技有限公司、澎芯半导体(常州)有限公司和领先光学技术(江苏)有限公司",
         [("常州亦泓科技有限公司", "company"), ("澎芯半导体(常州)有限公司", "company"), ("领先光学技术(江苏)有限公司", "company")]),
        ("本轮融资由星河资本领投，常州高新投资有限公司跟投", [("星河资本", "investor"), ("常州高新投资有限公司", "investor")]),
        ("据常州日报报道，西安电子科技大学与中国科学院半导体研究所共建实验室",
         [("常州日报", "media"), ("西安电子科技大学", "university"), ("中国科学院半导体研究所", "institute")]),
        ("区委、区政府出台若干措施", [("区委", "government"), ("区政府", "government")]),
        ("武进国家高新区管委会与常州星衡微电子有限公司签约", [("武进国家高新区管委会", "government"), ("常州星衡微电子有限公司", "company")]),
        ("我区企业常州星衡微电子有限公司年产50万片碳化硅项目开工", [("常州星衡微电子有限公司", "company")]),
        ("江苏省半导体行业协会会长", [("江苏省半导体行业协会", "association")]),
        ("8月19日，常州滨江经济开发区举行开工仪式", [("常州滨江经济开发区", "zone")]),
        ("赴南京大学、中国科学院苏州纳米技术与纳米仿生研究所考察",
         [("南京大学", "university"), ("中国科学院苏州纳米技术与纳米仿生研究所", "institute")]),
        ("投资方包括常州龙城产业投资基金合伙企业（有限合伙）。", [("常州龙城产业投资基金合伙企业（有限合伙）", "investor")]),
        ("区交通运输局、区科技局负责同志参加", [("区交通运输局", "government"), ("区科技局", "government")]),
    ],
)
def test_names_and_kinds(text, expected):
    assert kinds(text) == expected


def test_generic_funds_are_not_names():
    assert kinds("签约设立规模20亿元的集成电路产业基金") == []
    assert kinds("两市将共建产业基金") == []


def test_declared_short_name_becomes_alias_with_mentions():
    orgs = find_orgs("常州博康信息技术有限公司（以下简称“博康信息”）今天宣布，博康信息完成融资")
    assert [(o.name, o.aliases) for o in orgs] == [("常州博康信息技术有限公司", ["博康信息"])]
    assert len(orgs[0].mentions) == 3  # full name, the declaration, the later short mention


def test_blocked_title_spans_are_not_orgs():
    text = "区委副书记、区长恽淇丞走访"
    assert kinds(text, blocked=[(0, 8)]) == []


def test_registry_short_names_and_project_prefix():
    idx = NameIndex([("星衡微电子", "E1")])
    orgs = find_orgs("星衡微电子宣布量产。星衡微电子项目开工。", names=idx)
    assert [(o.name, o.enterprise_ids, len(o.mentions)) for o in orgs] == [("星衡微电子", ("E1",), 1)]


def test_media_names():
    assert is_media_name("阳湖网") and is_media_name("武进新闻") and not is_media_name("记者 张伟")


@pytest.mark.parametrize(
    "text, expected",
    [
        # words that stop a name elsewhere may end a stem before the legal form
        ("常州龙城信息服务有限公司与常州中天建设工程有限公司签约。",
         [("常州龙城信息服务有限公司", "company"), ("常州中天建设工程有限公司", "company")]),
        ("今年以来常州星衡微电子有限公司营收增长三成。", [("常州星衡微电子有限公司", "company")]),
        ("星衡集团旗下全资子公司常州星衡微电子有限公司投产。", [("星衡集团", "company"), ("常州星衡微电子有限公司", "company")]),
        ("上市公司江苏宏泰电子股份有限公司发布公告", [("江苏宏泰电子股份有限公司", "company")]),
        ("此次收购有助于公司切入新赛道", []),
        ("本轮融资由国投创合领投，苏州元禾控股股份有限公司、武岳峰科创跟投",
         [("国投创合", "investor"), ("苏州元禾控股股份有限公司", "investor"), ("武岳峰科创", "investor")]),
    ],
)
def test_boundaries_and_roles(text, expected):
    assert kinds(text) == expected


def test_listed_short_names_by_stock_code():
    assert kinds("据悉，星衡微电子（688001）与澜芯科技(300999.SZ)均发布公告。") == [
        ("星衡微电子", "company"), ("澜芯科技", "company")]


def test_an_apposition_before_a_name_is_not_part_of_it():
    from xinlian.extract.pipeline import extract

    x = extract("要加强与本地整车企业示例合博汽车科技有限公司的配套协作。常州示例企业管理咨询有限公司参加。",
                published="2025-03-18")
    assert [o.name for o in x.organizations] == ["示例合博汽车科技有限公司", "常州示例企业管理咨询有限公司"]
