"""The category and policy-criteria rule files load, and broken copies are reported with file and line."""

from __future__ import annotations

import pytest

from xinlian.work.rules import RULES_DIR, RulesError, categories, criteria_vocabulary, load_categories
from xinlian.work.rules import load_criteria_vocabulary


def test_packaged_categories():
    c = categories()
    assert [x.name for x in c.problem.values()] == ["用地", "审批", "融资", "人才", "能耗", "环评", "配套", "其他"]
    assert [x.id for x in c.demand.values() if x.technical] == ["technology"]
    assert c.resolve("problem", "环评") == "environment" and c.resolve("demand", "finance") == "finance"
    with pytest.raises(ValueError, match="用地"):
        c.resolve("problem", "天气")
    assert set(c.demand_status) == {"open", "in_progress", "closed"}


def test_packaged_criteria_vocabulary():
    v = criteria_vocabulary()
    assert set(v.flags) == {"high_tech", "specialised", "little_giant", "chain_leader", "listed"}
    assert v.figures["rd_intensity"]["derived"] == ["rd_spend", "revenue"]


def test_broken_categories_name_the_line(tmp_path):
    text = (RULES_DIR / "work_categories.yaml").read_text("utf-8")
    lines = text.splitlines()
    n = lines.index("  - id: approval")
    lines[n] = "  - id: land"  # duplicate id
    path = tmp_path / "cats.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(RulesError) as err:
        load_categories(path)
    assert err.value.line == n + 1 and f"{path}:{n + 1}:" in str(err.value) and "land" in str(err.value)


def test_broken_criteria_vocabulary_names_the_line(tmp_path):
    text = (RULES_DIR / "policy_criteria.yaml").read_text("utf-8")
    text = text.replace("derived: [rd_spend, revenue]", "derived: [rd_spend, turnover]")
    path = tmp_path / "crit.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulesError) as err:
        load_criteria_vocabulary(path)
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if ln.startswith("  rd_intensity"))
    assert err.value.line == line and "rd_intensity" in str(err.value)
