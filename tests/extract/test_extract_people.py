from __future__ import annotations

import pytest

from xinlian.extract.people import find_people


def pairs(text):
    return [(p.name, p.title) for p in find_people(text)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("区委副书记、区长恽淇丞走访调研我区企业。副区长王斐参加调研。", [("恽淇丞", "区委副书记、区长"), ("王斐", "副区长")]),
        ("中国科学院院士郝跃在会上作报告", [("郝跃", "中国科学院院士")]),
        ("常州星衡微电子有限公司董事长张三表示", [("张三", "董事长")]),
        ("市、区领导李明、赵红参加活动", [("李明", "市、区领导"), ("赵红", "市、区领导")]),
        ("区委常委、常务副区长常乐出席", [("常乐", "区委常委、常务副区长")]),
        ("公司联合创始人兼首席技术官陶一川说", [("陶一川", "联合创始人兼首席技术官")]),
        ("市委常委、新北区委书记韩启明宣布", [("韩启明", "市委常委、新北区委书记")]),
        ("9月9日，南夏墅街道党工委书记时雨晴带队", [("时雨晴", "南夏墅街道党工委书记")]),
        ("公司董事长欧阳明轩出席", [("欧阳明轩", "董事长")]),
        ("中国科学院院士、复旦大学教授邬振华一行", [("邬振华", "中国科学院院士、复旦大学教授")]),
        ("武进国家高新区党工委副书记柴晓东出席", [("柴晓东", "党工委副书记")]),
    ],
)
def test_titles_and_names(text, expected):
    assert pairs(text) == expected


def test_name_stops_before_following_verb():
    # 王斐参加: the given name is one character, not 斐参
    assert pairs("副区长王斐参加调研") == [("王斐", "副区长")]


def test_later_mentions_are_the_same_person():
    people = find_people("区长恽淇丞走访企业。恽淇丞一行先后前往三家企业。调研中，恽淇丞强调。")
    assert len(people) == 1 and len(people[0].mentions) == 3


def test_no_person_without_a_name_after_the_title():
    assert pairs("区长强调，要加快发展。") == []
    assert pairs("会长单位常州博远芯测科技有限公司") == []


def test_reporters_are_not_people():
    assert pairs("记者 张伟 通讯员 苏可") == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("副区长王斐赴上海招商", [("王斐", "副区长")]),
        ("副区长王斐发表讲话", [("王斐", "副区长")]),
        ("区委书记李向东出席", [("李向东", "区委书记")]),
        ("董事长张为民表示", [("张为民", "董事长")]),
    ],
)
def test_given_name_boundaries(text, expected):
    assert pairs(text) == expected
