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


def test_search_every_single_character_and_mixed_queries(db):
    docs = {1: "示例星衡微电子有限公司", 2: "示例润川封测(常州)有限公司 GaN", 3: "衡 SiC 外延", 4: "澎芯半導體"}
    with db.session() as s:
        dialect.index_documents(s, "t", list(docs.items()))
    with db.session() as s:
        for text in docs.values():  # first, middle and last characters of every run
            for ch in set(text):
                if "\u4e00" <= ch <= "\u9fff":
                    expected = sorted(i for i, t in docs.items() if ch in t)
                    assert dialect.search(s, "t", ch) == expected, ch
                    hits = dialect.search_hits(s, "t", ch)
                    assert sorted(s.scalars(select(hits.c.doc_id)).all()) == expected, ch
        assert dialect.search(s, "t", "衡") == [1, 3]
        assert dialect.search(s, "t", "司") == [1, 2]
        assert dialect.search(s, "t", "衡 sic") == [3]
        assert dialect.search(s, "t", "GaN 测") == [2]
        assert dialect.search(s, "t", "测GaN") == [2]
        assert dialect.search(s, "t", "外 衡") == [3]
        assert dialect.search(s, "t", "星 sic") == []
        assert dialect.search(s, "t", "常州") == [2]
        assert dialect.search(s, "t", "體") == [4]
        assert dialect.search(s, "other", "衡") == []


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


def test_search_hits_join_filter_order_and_stop(db):
    from sqlalchemy import func

    from xinlian.store.tables.registry import Enterprise

    names = {10: "示例澄湖碳化硅有限公司", 11: "示例远帆碳化硅衬底有限公司", 12: "示例青禾封测有限公司",
             13: "示例金坛碳化硅外延有限公司"}
    with db.session() as s:
        for i, n in names.items():
            status = "candidate" if i == 13 else "active"
            s.add(Enterprise(id=i, name=n, name_norm=n, match_key=f"h:{i}", status=status))
        s.flush()
        dialect.index_documents(s, "enterprise", [(13, names[13]), (10, names[10]), (12, names[12]), (11, names[11])])
        dialect.index_documents(s, "other", [(11, "碳化硅")])  # another kind with the same id never leaks in
    with db.session() as s:
        hits = dialect.search_hits(s, "enterprise", "碳化硅")
        stmt = select(Enterprise.id).select_from(hits).join(Enterprise, Enterprise.id == hits.c.doc_id)
        assert s.scalars(stmt.order_by(hits.c.pos)).all() == [13, 10, 11]  # index order: as indexed
        active = stmt.where(Enterprise.status == "active")
        assert s.scalars(active.order_by(hits.c.pos)).all() == [10, 11]
        assert s.scalars(active.order_by(hits.c.pos).limit(1).offset(1)).all() == [11]
        assert s.scalar(select(func.count()).select_from(active.limit(1).subquery())) == 1
        # the same documents as search(), for queries of one, two and more characters
        for q in ["碳", "封测", "有限公司", "碳化硅衬底"]:
            found = dialect.search_hits(s, "enterprise", q)
            got = s.scalars(select(found.c.doc_id)).all()
            assert sorted(got) == dialect.search(s, "enterprise", q), q
        for q in ["", "*", "'", "\"", "()"]:  # nothing searchable: None, never an error
            assert dialect.search_hits(s, "enterprise", q) is None
        for q in ["公司\" OR \"", "碳化硅' --", "NEAR(碳化 硅)"]:  # quotes and FTS syntax are only text
            hostile = dialect.search_hits(s, "enterprise", q)
            assert sorted(s.scalars(select(hostile.c.doc_id)).all()) == dialect.search(s, "enterprise", q), q
        assert dialect.search(s, "enterprise", "碳化硅' --") == [10, 11, 13]


def test_bulk_upsert_many_rows_then_update_keeps_old_values_for_blanks(db):
    # 300 rows: on PostgreSQL this takes the COPY + set-based path, on SQLite the executemany one.
    rows = [{"scope": "000000", "chain": "c", "node_id": f"n{i}", "year": 2024, "output_value": float(i),
             "employees": i, "is_sample": False} for i in range(300)]
    keys = ["scope", "chain", "node_id", "year"]
    with db.session() as s:
        dialect.upsert_many(s, "baseline", rows, keys=keys, update=["output_value", "employees"],
                            keep_old_when_null=True)
        again = [{**r, "output_value": None if i % 2 else -1.0} for i, r in enumerate(rows)]
        dialect.upsert_many(s, "baseline", again, keys=keys, update=["output_value", "employees"],
                            keep_old_when_null=True)
    with db.session() as s:
        got = dict(s.execute(select(Baseline.node_id, Baseline.output_value)).all())
    assert len(got) == 300
    assert got["n0"] == -1.0 and got["n1"] == 1.0 and got["n299"] == 299.0 and got["n298"] == -1.0


def test_lookup_and_next_ids_and_insert_rows(db):
    with db.session() as s:
        ids = list(dialect.next_ids(s, "baseline", 3))
        assert len(set(ids)) == 3
        dialect.insert_rows(s, "baseline", ("id", "scope", "chain", "node_id", "year", "is_sample"),
                            [(i, "000000", "c", f"k{i}", 2024, False) for i in ids])
        found = dict(dialect.lookup(s, "baseline", "node_id", [f"k{ids[0]}", f"k{ids[2]}", "nope"]))
        assert found == {f"k{ids[0]}": ids[0], f"k{ids[2]}": ids[2]}
        assert dialect.lookup(s, "baseline", "node_id", []) == []
        more = list(dialect.next_ids(s, "baseline", 2))
        assert min(more) > max(ids)


def test_index_many_documents_in_one_call_then_reindex(db):
    docs = [(i, f"示例企业{i:04d}科技有限公司") for i in range(1, 301)]
    with db.session() as s:
        dialect.index_documents(s, "t", docs)
    with db.session() as s:
        assert dialect.search(s, "t", "0007") == [7]
        assert len(dialect.search(s, "t", "科技", limit=1000)) == 300
        dialect.index_documents(s, "t", [(7, "改名芯片公司"), (8, "另一家芯片公司")])
    with db.session() as s:
        assert dialect.search(s, "t", "0007") == []
        assert dialect.search(s, "t", "芯") == [7, 8]
        assert len(dialect.search(s, "t", "科技", limit=1000)) == 298
