from sqlalchemy import select

from xinlian.store import dialect
from xinlian.store.tables.registry import Baseline


def test_upsert_inserts_then_updates_then_ignores(db):
    row = {"scope": "000000", "chain": "c", "node_id": "n", "year": 2024, "output_value": 1.0, "is_sample": False}
    with db.session() as s:
        dialect.upsert(s, Baseline.__table__, [row], keys=["scope", "chain", "node_id", "year"])
        dialect.upsert(s, Baseline.__table__, [{**row, "output_value": 2.0}], keys=["scope", "chain", "node_id", "year"])
        dialect.upsert(s, Baseline.__table__, [{**row, "output_value": 3.0}], keys=["scope", "chain", "node_id", "year"],
                       update=[])
    with db.session() as s:
        values = s.execute(select(Baseline.output_value)).scalars().all()
    assert values == [2.0]


def test_search_terms():
    assert dialect.search_terms("澎芯半导体 GaN") == ["澎", "芯", "半", "导", "体", "澎芯", "芯半", "半导", "导体", "gan"]
    assert dialect.search_terms("芯", for_query=True) == ["芯"]
    assert dialect.search_terms("半导体", for_query=True) == ["半导", "导体"]


def test_search_one_and_two_character_queries_and_reindex(db):
    with db.session() as s:
        dialect.index_documents(s, "t", [(1, "示例星衡微电子有限公司"), (2, "示例润川封测有限公司"), (3, "GaN 外延")])
    with db.session() as s:
        assert dialect.search(s, "t", "星") == [1]
        assert dialect.search(s, "t", "封测") == [2]
        assert dialect.search(s, "t", "有限公司") == [1, 2]
        assert dialect.search(s, "t", "gan") == [3]
        assert dialect.search(s, "other", "星") == []
        dialect.index_documents(s, "t", [(1, "改名后的公司")])
    with db.session() as s:
        assert dialect.search(s, "t", "星衡") == []
        assert dialect.search(s, "t", "改名") == [1]


def test_search_survives_hostile_queries(db):
    with db.session() as s:
        dialect.index_documents(s, "t", [(1, "示例公司")])
    with db.session() as s:
        for q in ["'", '"', "';--", "OR 1=1", "\x00", "NEAR(", "*", "公司\" OR \""]:
            assert isinstance(dialect.search(s, "t", q), list)
