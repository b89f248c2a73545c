from __future__ import annotations

import json

import pytest
from extract_gold import SHARED, seed_article
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xinlian.extract.pipeline import ExtractOptions, extract



def _shared(*parts):
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"../shared is absent ({p} not found): real pages are not shipped")
    return p


def _keyword_ids(*words):
    taxonomy = pytest.importorskip("xinlian.chain.taxonomy", reason="chain taxonomy not there yet")
    index = taxonomy.load_chain("semiconductor").keyword_index()
    return [set(index.get(w.lower(), [])) for w in words]


@pytest.fixture(scope="module")
def seed():
    a = seed_article()
    if a is None:
        pytest.skip("../shared is absent: the seed page's expected reading is not shipped")
    x = extract(a["text"], published=a["published"], outlet=a["outlet"], author=a["author"], title=a["title"])
    return a, x


def test_seed_entities(seed):
    a, x = seed
    c = x.to_contract()
    assert {(o["name"], o["kind"]) for o in c["entities"]["organizations"]} == set(a["expected"]["organizations"])
    assert [(p["name"], p["title"]) for p in c["entities"]["people"]] == a["expected"]["people"]
    assert [p["name"] for p in c["entities"]["places"]] == ["武进"]


def test_seed_has_exactly_one_visit(seed):
    _a, x = seed
    (visit,) = x.events
    assert (visit.type, visit.date, visit.people) == ("visit", "2025-03-06", ["恽淇丞", "王斐"])
    assert visit.organizations == ["常州亦泓科技有限公司", "澎芯半导体(常州)有限公司", "领先光学技术(江苏)有限公司"]


def test_seed_chain_nodes(seed):
    _a, x = seed
    got = {n.id for n in x.chain_nodes}
    for word, ids in zip(["化合物半导体", "光学", "人工智能", "低空经济", "智能网联"],
                         _keyword_ids("化合物半导体", "光学", "人工智能", "低空经济", "智能网联")):
        assert ids, f"taxonomy has no node for {word}"
        assert got & ids, f"no chain node for {word}"
    for n in x.chain_nodes:
        assert n.evidence and n.score > 0


def test_company_nodes_come_from_name_and_sentence(seed):
    _a, x = seed
    (optics,) = _keyword_ids("光学")
    assert {n.id for n in x.company_nodes["领先光学技术(江苏)有限公司"]} & optics


def test_contract_matches_schema(seed):
    jsonschema = pytest.importorskip("jsonschema")
    a, x = seed
    schema = json.loads(_shared("contracts", "article.schema.json").read_text(encoding="utf-8"))
    doc = {"title": a["title"], "published": a["published"], "outlet": a["outlet"], "author": a["author"],
           "text": a["text"], "warnings": [], **x.to_contract()}
    jsonschema.validate(doc, schema)
    assert set(x.to_contract()) == {"entities", "chain_nodes", "events"}


def test_real_seed_page_through_the_cleaner():
    clean = pytest.importorskip("xinlian.text.clean", reason="text cleaner not there yet")
    raw = _shared("fixtures", "seed", "wujin-2025-03-06.txt").read_bytes()
    art = clean.clean_page(raw, filename="wujin-2025-03-06.txt")
    x = extract(art.text, published=art.published, outlet=art.outlet, author=art.author, title=art.title)
    names = {o.name for o in x.organizations}
    assert {"常州亦泓科技有限公司", "澎芯半导体(常州)有限公司", "领先光学技术(江苏)有限公司"} <= names
    assert [(e.type, e.date) for e in x.events] == [("visit", "2025-03-06")]


def test_byline_media_and_person_author():
    x = extract("副区长王斐前往常州星衡微电子有限公司调研。", published="2025-03-06", outlet="武进新闻", author="记者 张伟")
    assert [(o.name, o.kind) for o in x.organizations] == [("常州星衡微电子有限公司", "company"), ("武进新闻", "media")]
    assert [p.name for p in x.people] == ["王斐"]


def test_options_turn_off_byline_media():
    x = extract("无事。", published=None, outlet="武进新闻", options=ExtractOptions(media_from_byline=False))
    assert x.organizations == []


def test_link_requests_expose_company_context():
    x = extract("常州博康信息技术有限公司（简称“博康信息”）在武进区签约。", published="2025-01-02", outlet="武进新闻")
    (req,) = x.link_requests()
    assert req["name"] == "常州博康信息技术有限公司" and req["aliases"] == ["博康信息"]
    assert req["candidate_ids"] == [] and "region_codes" in req


def test_hedged_triggers_make_no_event():
    x = extract("会议强调，要推动重大项目早日开工，确保年内投产见效。", published="2025-04-02")
    assert x.events == []


def test_policy_needs_a_policy_word():
    assert extract("公司发布新产品。", published="2025-01-01").events == []
    assert [e.type for e in extract("区政府印发《若干措施》。", published="2025-01-01").events] == ["policy"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("区委副书记长王斐恽淇丞有限公司(常州)、，。调研签约开工融资亿元万3.5今天月日简称“”高新区大学院士\n ab1")), max_size=120)
       | st.text(max_size=80))
def test_arbitrary_text_never_crashes(text):
    x = extract(text, published="2025-03-06")
    c = x.to_contract()
    assert set(c) == {"entities", "chain_nodes", "events"}
    for o in x.organizations:
        for s, e in o.mentions:
            assert 0 <= s < e <= len(text)


def test_core_name_used_later_is_an_alias():
    pytest.importorskip("xinlian.registry.names")
    x = extract("常州亦泓科技有限公司今天投产。亦泓科技总经理李明说，产品已量产。", published="2025-03-06")
    (o,) = x.organizations
    assert o.aliases == ["亦泓科技"] and len(o.mentions) == 2
    assert x.people[0].affiliation == "常州亦泓科技有限公司"
    (req,) = x.link_requests()
    assert req["normalised"] == "常州亦泓科技" and req["core"] == "亦泓科技"


def test_names_as_plain_pairs():
    x = extract("星衡微电子宣布量产。", published="2025-03-06", names=[("星衡微电子", "E9")])
    assert [(o.name, o.enterprise_ids) for o in x.organizations] == [("星衡微电子", ("E9",))]


def test_boilerplate_lines_give_no_entities():
    pytest.importorskip("xinlian.text.boilerplate")
    text = ("副区长王斐前往常州星衡微电子有限公司调研。\n"
            "版权所有：常州星衡网络科技有限公司 苏ICP备12345号\n主办单位：常州市武进区融媒体中心\n责任编辑：张三")
    x = extract(text, published="2025-03-06")
    assert [o.name for o in x.organizations] == ["常州星衡微电子有限公司"]
    assert x.text == text
