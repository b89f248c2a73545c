"""产学研 matching: institutions to technical demands by chain node and keywords, with reasons."""

from __future__ import annotations

from xinlian.work import academia as Ac
from xinlian.work import visits as W

from work_support import make_enterprise


def test_match_by_node_and_keywords(db):
    with db.session() as s:
        sic = make_enterprise(s, "样例碳化硅材料有限公司", nodes=["sic_epitaxy"])
        pkg = make_enterprise(s, "样例封装有限公司", nodes=["packaging_test"])
    uni = Ac.add_institution(db, name="样例材料大学", kind="高校", nodes=["materials"], keywords=["缺陷检测", "外延生长"])
    inst = Ac.add_institution(db, name="样例封装研究院", kind="institute", nodes=["packaging_test"],
                              keywords=["先进封装", "可靠性"])
    d1 = W.add_demand(db, enterprise=sic, category="技术研发", description="外延生长的缺陷检测方法需要合作攻关")
    d2 = W.add_demand(db, enterprise=pkg, category="技术研发", description="芯片可靠性测试能力不足")
    W.add_demand(db, enterprise=pkg, category="融资", description="先进封装产线贷款")  # not technical
    rows = {r["demand_id"]: r for r in Ac.match_demands(db)}
    assert set(rows) == {d1["id"], d2["id"]}
    top = rows[d1["id"]]["matches"][0]
    assert top["institution_id"] == uni["id"] and top["score"] == 3 + 2
    assert any("碳化硅外延" in r and "半导体材料" in r for r in top["reasons"])
    assert any("缺陷检测" in r for r in top["reasons"])
    assert [m["institution_id"] for m in rows[d2["id"]]["matches"]] == [inst["id"]]
    assert Ac.match_demands(db, demand_id=d1["id"])[0]["matches"][0]["institution"] == "样例材料大学"
    assert [i["kind"] for i in Ac.list_institutions(db)] == ["university", "institute"]
