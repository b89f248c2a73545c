"""The registry name index and the linking rules file."""

from __future__ import annotations

import pytest

from link_helpers import add_enterprise
from xinlian.extract.pipeline import extract
from xinlian.link.candidates import fuzzy_candidates
from xinlian.link.index import RegistryIndex, cached_index, region_of_name, regions_agree, strip_region
from xinlian.link.rules import RulesError, load_rules, rules


def _index():
    return RegistryIndex.from_rows(
        [(3, "澎芯半导体", "320412"), (5, "星衡微电子", "320200"), (9, "星衡微电子", "320412"), (11, "常州亦泓科技", "320412")],
        [(3, "澎芯", "short"), (11, "亦泓科技", "short"), (11, "常州亦泓信息", "former")])


def test_lookup_exact_names_then_aliases():
    idx = _index()
    assert [(h.enterprise_id, h.kind) for h in idx.lookup_exact("星衡微电子")] == [(5, "name"), (9, "name")]
    assert [(h.enterprise_id, h.kind) for h in idx.lookup_exact("常州亦泓信息")] == [(11, "former")]
    assert idx.lookup_exact("不存在") == [] and idx.region_of(9) == "320412" and idx.enterprises == 4


def test_find_in_text_and_the_extract_adapter():
    idx = _index()
    hits = idx.find("今天星衡微电子和澎芯宣布合作，亦泓科技参加。")
    assert [(m.name, m.ids) for m in hits] == [("星衡微电子", ("5", "9")), ("亦泓科技", ("11",))]  # 澎芯 is too short
    x = extract("亦泓科技新厂投产。", published="2025-03-06", names=idx.names_for_extract())
    assert [(o.name, o.enterprise_ids) for o in x.organizations] == [("亦泓科技", ("11",))]


def test_region_helpers():
    assert region_of_name("澎芯半导体(常州)有限公司") == ("320400", "常州")
    assert region_of_name("常州亦泓科技有限公司")[0] == "320400"
    assert region_of_name("亦泓科技有限公司") == (None, None)
    assert regions_agree("320400", "320412") and regions_agree("320412", "320000")
    assert regions_agree("320412", "320200") is False and regions_agree(None, "320200") is None
    assert strip_region("常州亦泓科技") == "亦泓科技"


def test_fuzzy_candidates_block_and_explain():
    idx = RegistryIndex.from_rows([(1, "澎芯半导体", "320412"), (2, "澎湃能源", "320200"), (3, "瑞丰光电", "320412")])
    (best, *rest) = fuzzy_candidates(idx, "澎芯半导体科技", region="320400")
    assert best.enterprise_id == 1 and best.score > 0.8 and best.features["region"] == 1.0
    assert any("相似度" in w for w in best.explanation)
    assert 3 not in [c.enterprise_id for c in rest]  # shares no opening and no pair: never scored
    assert all(c.enterprise_id != 1 for c in fuzzy_candidates(idx, "澎芯半导体科技", exclude={1}))


def test_cached_index_follows_registry_changes(db):
    with db.session() as s:
        add_enterprise(s, "常州亦泓科技有限公司")
    first = cached_index(db)
    assert cached_index(db) is first
    with db.session() as s:
        add_enterprise(s, "澎芯半导体(常州)有限公司")
    second = cached_index(db)
    assert second is not first and second.lookup_exact("澎芯半导体")


def test_rules_file_loads_and_errors_name_the_line(tmp_path):
    r = rules()
    assert 0 < r.propose < 1 and r.weights["name"] > 0
    bad = tmp_path / "linking.yaml"
    text = (load_rules.__globals__["RULES_FILE"]).read_text(encoding="utf-8")
    bad.write_text(text.replace("propose: 0.72", "propose: 7.2").replace("max_proposals: 3", "max_proposals: many"),
                   encoding="utf-8")
    with pytest.raises(RulesError) as err:
        load_rules(bad)
    lines = text.splitlines()
    n_prop = next(i for i, ln in enumerate(lines, 1) if ln.strip().startswith("propose:"))
    assert f"linking.yaml:{n_prop}: fuzzy.propose must be between 0 and 1" in str(err.value)
    assert "fuzzy.max_proposals must be a whole number" in str(err.value)
