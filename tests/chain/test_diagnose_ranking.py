"""The diagnosis's set-based shortcuts against plain definitions: the targets' scale tiers and pool (ranked in
Python from one narrow candidate query), output attribution over several placements, and the figures year and
growth read from pivoted columns (tests/chain/diagnose_fixtures.py; SQLite and PostgreSQL)."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from diagnose_fixtures import LOCAL, YEAR, build_district, write_chain  # noqa: E402

from xinlian.chain.diagnose import DiagnoseOptions, diagnose  # noqa: E402
from xinlian.chain.targets import _rank_pool, _tier_points  # noqa: E402

TIERS = [{"top": 0.10, "points": 20}, {"top": 0.25, "points": 12}, {"top": 0.50, "points": 5}]


def reference_pool(rows, tiers, pool):
    """The ranking by its definition: a candidate's scale part is that of the first tier whose fraction holds the
    share of candidates with at least its scale; best first by points, then scale (none last), then id."""
    out = []
    for node in sorted({r[0] for r in rows}):
        cands = [r for r in rows if r[0] == node]
        scaled = [r[3] for r in cands if r[3] is not None]
        scored = []
        for _n, eid, fixed, scale in cands:
            points, at_least = 0, None
            if scale is not None:
                at_least = sum(1 for s in scaled if s >= scale)
                for t in tiers:
                    if at_least / len(scaled) <= t["top"]:
                        points = t["points"]
                        break
            scored.append((fixed + points, -1 if scale is None else scale, eid, at_least))
        scored.sort(key=lambda x: (-x[0], -x[1], x[2]))
        out += [(node, eid, score, at_least, len(scaled)) for score, _s, eid, at_least in scored[:pool]]
    return out


def test_tier_points_follow_the_fractions():
    assert _tier_points(10, TIERS) == [0, 20, 12, 5, 5, 5, 0, 0, 0, 0, 0]  # 1/10, 2/10, up to 5/10
    assert _tier_points(1, TIERS) == [0, 0]  # the only candidate is 100% of them: no tier
    assert _tier_points(0, TIERS) == [0]


def candidate_rows(rng: random.Random, n: int) -> list[tuple]:
    """(node, enterprise id, fixed points, scale) for ids 1..n-1 over three nodes, with ties and 15% no scale."""
    rows = []
    for eid in range(1, n):
        node = rng.choice(["a_node", "b_node", "c_node"])
        scale = None if rng.random() < 0.15 else float(rng.choice([1, 2, 3, 5, 8, 13, 21, 34]) * 1e7)
        rows.append((node, eid, float(rng.choice([15, 30]) + rng.choice([0, 5, 8, 13])), scale))
    return rows


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_pool_matches_the_definition_with_ties_and_missing_scales(seed):
    rows = candidate_rows(random.Random(seed), 400)
    got = [(r.node_id, r.eid, r.base_score, r.n_at_least, r.n_scaled) for r in _rank_pool(rows, TIERS, 25)]
    assert got == reference_pool(rows, TIERS, 25)
    assert len(got) == 75


@pytest.fixture
def district(db, tmp_path):
    return db, write_chain(tmp_path), build_district(db)


def add_local_firm(db, key: str, placements: list[tuple[str, str]], output: float) -> None:
    from xinlian.store.tables.registry import Enterprise, EnterpriseFigure, EnterpriseNode

    with db.session() as s:
        name = f"武进{key}电子有限公司"
        s.add(Enterprise(match_key=f"test:{key}", name=name, name_norm=name, region_code=LOCAL,
                         nodes=[EnterpriseNode(chain="minichain", node_id=n, role=r, source="analyst")
                                for n, r in placements],
                         figures=[EnterpriseFigure(year=YEAR, output_value=output)]))


@pytest.mark.parametrize("attribution, fab, pack", [("main", 2e9, 0.0), ("split", 1e9, 1e9), ("full", 2e9, 2e9)])
def test_a_firm_on_two_nodes_shares_its_output_by_the_attribution_rule(district, tmp_path, attribution, fab, pack):
    from xinlian.chain.rules import RULES_PATH

    db, chain_path, _ids = district
    before = diagnose(db, chain_path, LOCAL, f"{YEAR + 1}-06-30")
    add_local_firm(db, "X1", [("fab", "main"), ("pack", "secondary")], 2e9)
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES_PATH.read_text(encoding="utf-8").replace("attribution: main",
                                                                    f"attribution: {attribution}"), encoding="utf-8")
    base = diagnose(db, chain_path, LOCAL, f"{YEAR + 1}-06-30", DiagnoseOptions(rules_path=rules,
                                                                                 with_targets=False))
    # the district's own firms each sit on one node, so their output is whole under every rule
    assert base.node("fab").figures.output_yuan == pytest.approx(before.node("fab").figures.output_yuan + fab)
    assert base.node("pack").figures.output_yuan == pytest.approx(before.node("pack").figures.output_yuan + pack)
    assert base.node("pack").figures.local_firms == before.node("pack").figures.local_firms + 1
    # the firm counts once in the chain total whatever the rule
    assert base.context["chain_output_yuan"] == pytest.approx(before.context["chain_output_yuan"] + 2e9)


def test_an_import_of_newer_figures_moves_the_figures_year_and_the_diagnosis(district):
    from xinlian.store.tables.registry import EnterpriseFigure

    db, chain_path, ids = district
    as_of = f"{YEAR + 2}-06-30"
    before = diagnose(db, chain_path, LOCAL, as_of)
    assert before.figures_year == YEAR
    with db.session() as s:  # one firm reports the next year: that year becomes the figures year for all
        s.add(EnterpriseFigure(enterprise_id=ids["C1"], year=YEAR + 1, output_value=7e8))
    after = diagnose(db, chain_path, LOCAL, as_of)
    assert after.figures_year == YEAR + 1
    car = after.node("car").figures
    assert car.output_yuan == pytest.approx(7e8) and car.local_firms == 2
    # growth: nothing three or two years back; one year back C1 reported 5e8
    assert (car.growth["from_year"], car.growth["firms_in_both_years"]) == (YEAR, 1)
    assert car.growth["cagr"] == pytest.approx(0.4)
    assert after.node("fab").figures.output_yuan is None  # the fab firms have no figures that year


def test_an_old_figures_year_gives_the_same_figures_as_a_recent_one(district):
    """The figures year is looked for among the last few years first; one further back is found by the per-firm
    lookup. Both give the same year and node figures."""
    db, chain_path, _ids = district
    recent = diagnose(db, chain_path, LOCAL, f"{YEAR + 1}-06-30", DiagnoseOptions(with_targets=False))
    old = diagnose(db, chain_path, LOCAL, f"{YEAR + 7}-06-30", DiagnoseOptions(with_targets=False))
    assert recent.figures_year == old.figures_year == YEAR
    keys = ("local_firms", "firms", "output_yuan", "employees", "revenue_yuan", "chain_share", "growth",
            "technology", "hhi", "location_quotient", "demand", "supply")
    for a, b in zip(recent.nodes, old.nodes):
        assert {k: getattr(a.figures, k) for k in keys} == {k: getattr(b.figures, k) for k in keys}
    # the growth window reaches back too
    assert any(n.figures.growth.get("from_year") == YEAR - 3 for n in old.nodes)


@pytest.mark.parametrize("seed", [4, 5])
def test_pool_ranked_by_the_database_matches_the_definition(db, seed):
    """PostgreSQL ranks the pool in SQL (targets._ranked_sql); the same SQL, run on both databases over candidate
    rows with ties, missing scales and a node without any scale, gives the definition's pool."""
    from sqlalchemy import text

    from xinlian.chain.targets import _RANKED_COLUMNS, _ranked_sql

    rng = random.Random(seed)
    rows = candidate_rows(rng, 300)
    rows += [("d_node", 400 + i, float(rng.choice([15, 30])), None) for i in range(7)]
    with db.session() as s:
        s.execute(text("CREATE TEMPORARY TABLE rank_cand (node_id VARCHAR(16), eid INTEGER, "
                       "fixed_points DOUBLE PRECISION, scale DOUBLE PRECISION)"))
        s.execute(text("INSERT INTO rank_cand VALUES (:n, :e, :f, :s)"),
                  [{"n": n, "e": e, "f": f, "s": sc} for n, e, f, sc in rows])
        got = [dict(zip(_RANKED_COLUMNS, r)) for r in s.execute(text(
            _ranked_sql("SELECT node_id, eid, fixed_points, scale FROM rank_cand", TIERS, 25))).all()]
        s.execute(text("DROP TABLE rank_cand"))
    assert [(r["node_id"], r["eid"], r["base_score"], r["n_at_least"], r["n_scaled"]) for r in got] == \
        reference_pool(rows, TIERS, 25)
    assert [r["rn"] for r in got if r["node_id"] == "d_node"] == list(range(1, 8))
    python = [vars(r) for r in _rank_pool(rows, TIERS, 25)]
    assert got == python
