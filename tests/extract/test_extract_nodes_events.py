from __future__ import annotations

import pytest

from xinlian.extract.nodes import keyword_hits, score_nodes
from xinlian.extract.pipeline import extract
from xinlian.extract.segments import sentences


@pytest.fixture(scope="module")
def index():
    taxonomy = pytest.importorskip("xinlian.chain.taxonomy", reason="chain taxonomy not there yet")
    return taxonomy.load_chain("semiconductor").keyword_index()


def test_english_keywords_need_word_boundaries(index):
    assert [w for _s, _e, w, _ids in keyword_hits("He said the chain is fine", "semiconductor")] == []


def test_company_gets_nodes_of_its_sentence_only(index):
    text = "常州甲乙科技有限公司主营碳化硅衬底。另有企业从事人工智能。"
    sents = sentences(text)
    _article, per = score_nodes(text, sents, {"常州甲乙科技有限公司": [(0, 10)]})
    ids = {n.id for n in per["常州甲乙科技有限公司"]}
    assert set(index["碳化硅衬底"]) <= ids
    assert not ids & set(index["人工智能"])


def test_events_merge_across_sentences_and_keep_amount():
    x = extract("5月16日，总投资42亿元的项目签约落户。\n签约仪式上，常州甲乙科技有限公司签署协议。", published="2025-05-18")
    (e,) = x.events
    assert (e.type, e.date, e.organizations, e.amount_yuan) == ("signing", "2025-05-16", ["常州甲乙科技有限公司"], 4.2e9)


def test_two_dates_make_two_events():
    x = extract("8月14日，区长助理邵文博走访常州甲科技有限公司。\n今天上午，副区长王斐调研常州乙科技有限公司。",
                published="2025-08-15")
    assert [(e.date, e.people) for e in x.events] == [("2025-08-14", ["邵文博"]), ("2025-08-15", ["王斐"])]


@pytest.mark.parametrize(
    "text, etype",
    [
        ("常州甲科技有限公司宣布完成A轮融资。", "financing"),
        ("常州甲科技有限公司项目今天开工。", "groundbreaking"),
        ("常州甲科技有限公司产线正式投产。", "production_start"),
        ("副区长王斐调研常州甲科技有限公司。", "visit"),
        ("常州甲科技有限公司与区政府签约。", "signing"),
        ("区政府出台支持政策。", "policy"),
    ],
)
def test_each_event_type(text, etype):
    assert [e.type for e in extract(text, published="2025-01-01").events] == [etype]


def test_trigger_inside_a_name_is_not_an_event():
    # 武进发布 is an outlet; 调研员 a title
    assert extract("据武进发布消息，四级调研员李明出席。", published="2025-01-01").events == []
