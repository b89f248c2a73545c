"""The seed page from Wujin News comes out as its expected reading says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xinlian.text.clean import clean_page, clean_text

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
SEED_EXPECTED = SHARED / "fixtures" / "seed" / "wujin-2025-03-06.expected.json"
CONTRACT = SHARED / "contracts" / "article.schema.json"


@pytest.fixture(scope="module")
def seed(seed_path):
    return clean_page(seed_path.read_bytes(), filename=seed_path.name), json.loads(SEED_EXPECTED.read_text("utf-8"))


def test_seed_header(seed):
    article, expected = seed
    assert article.kind == "text"
    assert article.title == expected["title"] == "区领导调研芯片产业相关企业"
    assert article.published == expected["published"] == "2025-03-06T20:22:49+08:00"
    assert article.outlet == expected["outlet"] == "武进新闻"
    assert article.author == expected["author"] == "阳湖网"


def test_seed_paragraphs_without_boilerplate(seed):
    article, expected = seed
    assert len(article.paragraphs) == 3
    assert article.paragraphs[:2] == expected["paragraphs"][:2]
    for junk in ("更多>>", "视频推荐", "武进新闻20250306", "区领导调研智能微电网建设", "時間", "(qū)"):
        assert junk not in article.text


def test_seed_damaged_stretch_is_repaired_and_reported(seed):
    article, expected = seed
    span = expected["damaged_span"]
    assert article.paragraphs[2] == expected["paragraphs"][2]
    assert span["restored"] in article.paragraphs[2]
    repaired = [w for w in article.warnings if w.code == "mojibake_repaired"]
    assert [w.raw for w in repaired] == [span["raw"]]
    assert not [w for w in article.warnings if w.code == "mojibake_unrepaired"]


def test_seed_contract(seed):
    jsonschema = pytest.importorskip("jsonschema")
    article, _ = seed
    doc = article.to_contract()
    jsonschema.validate(doc, json.loads(CONTRACT.read_text("utf-8")))
    assert doc["entities"] == {"organizations": [], "people": [], "places": []}
    assert doc["text"].split("\n") == article.paragraphs


def test_seed_clean_text_is_idempotent(seed_path):
    once = clean_text(seed_path.read_text("utf-8"))
    assert clean_text(once) == once
    assert "区领导调研芯片产业相关企业" in once
