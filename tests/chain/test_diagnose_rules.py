"""The diagnosis rules file: the packaged one loads, broken ones fail with file and line."""

from __future__ import annotations

import pytest

from xinlian.chain.rules import RULES_PATH, RulesError, load_rules


def test_packaged_rules_load_with_the_documented_defaults():
    r = load_rules()
    assert (r.strong.min_lq, r.strong.min_firms, r.weak.max_lq, r.weak.min_firms) == (1.25, 5, 0.8, 3)
    assert (r.at_risk.max_suppliers, r.at_risk.min_hhi, r.at_risk.min_demand_firms) == (1, 0.5, 5)
    assert r.stars.specialisation_min_lq == 2.0
    assert r.targets.verdicts == ("missing", "weak")


def _broken(tmp_path, old: str, new: str):
    text = RULES_PATH.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "rules.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    line = text.splitlines().index(next(l for l in text.splitlines() if old in l)) + 1
    return path, line


@pytest.mark.parametrize("old,new,message", [  # the error is on the changed line (the added one for colour)
    ("min_lq: 1.25", "min_lq: lots", "verdicts.strong.min_lq must be a number"),
    ("min_hhi: 0.5", "min_hhi: 1.5", "verdicts.at_risk.min_hhi must be ≤ 1.0"),
    ("attribution: main", "attribution: half", "figures.attribution must be one of main, split, full"),
    ("top_n: 10", "top_n: 10\n  colour: red", "unknown key 'targets.colour'"),
    ("require_lq: true", "require_lq: yes please", "must be true or false"),
    ("max_lq: 0.8", "max_lq: 3.0", "verdicts.weak.max_lq must not exceed verdicts.strong.min_lq"),
])
def test_bad_values_are_reported_with_file_and_line(tmp_path, old, new, message):
    path, line = _broken(tmp_path, old, new)
    with pytest.raises(RulesError) as err:
        load_rules(path)
    assert message in str(err.value)
    assert f"{path}:{line + new.count(chr(10))}:" in str(err.value)


def test_missing_key_and_yaml_syntax(tmp_path):
    path = tmp_path / "missing.yaml"
    path.write_text(RULES_PATH.read_text(encoding="utf-8").replace("    max_suppliers: 1\n", "", 1),
                    encoding="utf-8")
    with pytest.raises(RulesError, match="missing key 'verdicts.at_risk.max_suppliers'"):
        load_rules(path)
    bad = tmp_path / "syntax.yaml"
    bad.write_text("version: 1\nfigures: [unclosed\n", encoding="utf-8")
    with pytest.raises(RulesError) as err:
        load_rules(bad)
    assert err.value.line >= 2 and "YAML syntax" in str(err.value)
