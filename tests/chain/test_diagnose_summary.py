"""Stored diagnosis summaries (xinlian.chain.summary) are never stale: a diagnosis is computed (and on PostgreSQL
stored), the registry is written through one of its writers, and the next diagnosis must show the change. Run on
SQLite too, where nothing is stored and the same tests check the plain path."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "registry"))
sys.path.insert(0, str(Path(__file__).parents[1] / "link"))

from diagnose_fixtures import LOCAL, OUTSIDE, YEAR, build_district, write_chain  # noqa: E402

from xinlian.chain import summary  # noqa: E402
from xinlian.chain.diagnose import DiagnoseOptions, diagnose  # noqa: E402
from xinlian.settings import reset_settings  # noqa: E402
from xinlian.store.tables.derived import DerivedSummary, RegistryChange  # noqa: E402
from xinlian.store.tables.registry import Enterprise, EnterpriseFigure, EnterpriseNode  # noqa: E402

AS_OF = f"{YEAR + 1}-06-30"


@pytest.fixture
def district(db, tmp_path):
    return db, write_chain(tmp_path), build_district(db)


def stored(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(DerivedSummary))


def is_pg(db) -> bool:
    return db.engine.dialect.name == "postgresql"


def warm(db, chain):
    """A diagnosis whose summaries are now stored (PostgreSQL), and a second one that used them."""
    first = diagnose(db, chain, LOCAL, AS_OF)
    again = diagnose(db, chain, LOCAL, AS_OF)
    assert again.to_contract() == first.to_contract()
    assert stored(db) == (2 if is_pg(db) else 0)  # the region's figures and the target pool
    return again


def test_stored_summaries_give_the_diagnosis_computed_afresh(district, monkeypatch):
    db, chain, _ids = district
    used = warm(db, chain).to_contract()
    monkeypatch.setenv("XINLIAN_DIAGNOSIS_SUMMARIES", "false")
    reset_settings()
    assert diagnose(db, chain, LOCAL, AS_OF).to_contract() == used
    # another region, year or rule set is another summary, never the stored one
    monkeypatch.delenv("XINLIAN_DIAGNOSIS_SUMMARIES")
    reset_settings()
    other = diagnose(db, chain, OUTSIDE, AS_OF)
    assert other.node("fab").figures.local_firms == 0
    earlier = diagnose(db, chain, LOCAL, f"{YEAR - 10}-06-30", DiagnoseOptions(with_targets=False))
    assert earlier.figures_year is None or earlier.figures_year < YEAR


def test_not_stored_at_security_level_3(district, monkeypatch):
    db = district[0]
    monkeypatch.setenv("XINLIAN_SECURITY_LEVEL", "3")
    reset_settings()
    with db.session() as s:
        assert summary.enabled(s) is False
        assert summary.reuse(s, "test", {}, lambda: {"a": 1}) == {"a": 1}
    assert stored(db) == 0


def test_hand_typed_sql_on_figures_shows(district):
    db, chain, ids = district
    before = warm(db, chain).node("fab").figures.output_yuan
    with db.session() as s:
        s.execute(text("UPDATE enterprise_figure SET output_value = output_value + 1e9 "
                       "WHERE enterprise_id = :e AND year = :y"), {"e": ids["F1"], "y": YEAR})
    assert diagnose(db, chain, LOCAL, AS_OF).node("fab").figures.output_yuan == pytest.approx(before + 1e9)
    if is_pg(db):
        with db.session() as s:  # one log row for that one transaction
            assert s.scalar(select(func.count()).select_from(RegistryChange)) >= 1


def test_an_orm_edit_of_a_firm_shows(district):
    # web and CLI edits of a firm go through the ORM
    db, chain, ids = district
    before = warm(db, chain).node("fab").figures.local_firms
    with db.session() as s:
        s.get(Enterprise, ids["F2"]).region_code = OUTSIDE  # the firm moved out of the district
    assert diagnose(db, chain, LOCAL, AS_OF).node("fab").figures.local_firms == before - 1


def test_a_deleted_figure_row_shows(district):
    db, chain, ids = district
    assert warm(db, chain).node("fab").figures.output_yuan is not None
    with db.session() as s:
        for f in s.scalars(select(EnterpriseFigure).where(EnterpriseFigure.year == YEAR,
                                                          EnterpriseFigure.enterprise_id.in_(
                                                              [ids[f"F{i}"] for i in range(1, 7)]))):
            s.delete(f)
    assert diagnose(db, chain, LOCAL, AS_OF).node("fab").figures.output_yuan is None


def test_a_placement_from_the_news_shows(district):
    # classification: xinlian.link.facts.place_enterprise, as a confirmed link with node evidence does
    from xinlian.link.facts import place_enterprise

    db, chain, ids = district
    assert warm(db, chain).node("substrate").verdict == "missing"
    with db.session() as s:
        place_enterprise(s, ids["F3"], "minichain", [{"id": "substrate", "score": 0.9, "evidence": ["衬底"]}], 0.5)
    after = diagnose(db, chain, LOCAL, AS_OF).node("substrate")
    assert after.figures.local_firms == 1 and after.verdict != "missing"


def test_a_confirmed_candidate_becomes_a_local_firm(district):
    # link confirmation: a company first seen in the news (status candidate) becomes active when confirmed
    from link_helpers import add_article

    from xinlian.link import review
    from xinlian.link.facts import process_article

    db, chain, _ids = district
    with db.session() as s:
        aid = add_article(s, "常州星衡微电子有限公司碳化硅衬底项目开工。")
    process_article(db, aid)
    (q,) = review.review_queue(db, method="candidate")
    with db.session() as s:  # put the candidate in the district on the missing node (an analyst's placement)
        e = s.get(Enterprise, q["enterprise_id"])
        e.region_code = LOCAL
        s.add(EnterpriseNode(enterprise_id=e.id, chain="minichain", node_id="substrate", role="main",
                             source="analyst"))
    assert warm(db, chain).node("substrate").figures.local_firms == 0  # a candidate is not in the registry yet
    review.confirm(db, q["link_id"], "分析员甲")
    assert diagnose(db, chain, LOCAL, AS_OF).node("substrate").figures.local_firms == 1


def test_a_project_reaching_production_shows(district):
    work = pytest.importorskip("xinlian.store.tables.work")
    db, chain, _ids = district
    assert warm(db, chain).node("substrate").verdict == "missing"
    with db.session() as s:
        s.add(work.Project(match_key="p-sum", name="示例衬底项目", chain="minichain", node_id="substrate",
                           stage="production", expected_output=1e9))
    sub = diagnose(db, chain, LOCAL, AS_OF).node("substrate")
    assert sub.figures.local_firms == 1 and sub.verdict != "missing"


def test_an_import_batch_shows(db, tmp_path):
    from sheets import write_csv

    from xinlian.registry.importer import ImportOptions, import_enterprises

    header = ["企业名称", "所属区县", "产业链环节", "产值(万元)", "从业人员"]
    write_csv(tmp_path / "a.csv", [["星衡微电子(常州)有限公司", "武进区", "功率器件", 12000, 120]], header=header)
    import_enterprises(db, tmp_path / "a.csv", ImportOptions(year=2024))
    first = diagnose(db, "semiconductor", LOCAL, "2025-06-30", DiagnoseOptions(with_targets=False))
    assert diagnose(db, "semiconductor", LOCAL, "2025-06-30",
                    DiagnoseOptions(with_targets=False)).to_contract() == first.to_contract()
    firms = sum(n.figures.local_firms for n in first.nodes)
    output = first.context["chain_output_yuan"]
    write_csv(tmp_path / "b.csv", [["晟拓光学科技有限公司", "武进区", "功率器件", 3500, 35]], header=header)
    import_enterprises(db, tmp_path / "b.csv", ImportOptions(year=2024))
    after = diagnose(db, "semiconductor", LOCAL, "2025-06-30", DiagnoseOptions(with_targets=False))
    assert sum(n.figures.local_firms for n in after.nodes) > firms
    assert after.context["chain_output_yuan"] == pytest.approx(output + 3.5e7)


def test_stale_summaries_and_old_log_rows_are_cleared(district):
    db, chain, ids = district
    warm(db, chain)
    for k in range(2):
        with db.session() as s:
            s.execute(text("UPDATE enterprise_figure SET patents = :p WHERE enterprise_id = :e AND year = :y"),
                      {"p": 40 + k, "e": ids["F1"], "y": YEAR})
        diagnose(db, chain, LOCAL, AS_OF)
        assert stored(db) == (2 if is_pg(db) else 0)  # the stale pair replaced, not kept beside the new one
    if not is_pg(db):
        return
    with db.session() as s:
        logged = s.scalar(select(func.count()).select_from(RegistryChange))
        assert logged >= 2
        s.execute(text("UPDATE registry_change SET logged_at = logged_at - interval '2 hours'"))
    with db.session() as s:
        s.execute(text("UPDATE enterprise SET high_tech = NOT COALESCE(high_tech, false) WHERE id = :e"),
                  {"e": ids["F2"]})
    diagnose(db, chain, LOCAL, AS_OF)
    with db.session() as s:  # the old rows every stored summary sees are gone; the newest write's row stays
        assert s.scalar(select(func.count()).select_from(RegistryChange)) == 1
