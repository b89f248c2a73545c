"""Stage rules: every pair of stages, from the rules file and on both databases, plus hand-written cases."""

from __future__ import annotations

import pytest
import yaml

from xinlian.work import projects as P
from xinlian.work import stages as st
from xinlian.work.rules import RulesError

RAW = yaml.safe_load(st.STAGES_FILE.read_text("utf-8"))
ORDER = [s["id"] for s in RAW["stages"]]
SKIPS = {(x["from"], x["to"]) for x in RAW["skips"]}
ALL = ORDER + ["on_hold", "terminated"]
HELD = "signed"  # the stage an on-hold project left, in these tests


def expected(src: str, dst: str) -> tuple[bool, bool]:
    """(allowed, reason required), worked out from the file independently of the module."""
    if src == dst or src == "terminated":
        return False, False
    if dst == "terminated":
        return True, True
    if src == "on_hold":
        return dst == HELD, False
    if dst == "on_hold":
        return True, True
    i, j = ORDER.index(src), ORDER.index(dst)
    if j == i + 1 or (src, dst) in SKIPS:
        return True, False
    if j == i - 1:
        return True, True
    return False, False


@pytest.mark.parametrize("src,dst", [(a, b) for a in ALL for b in ALL])
def test_every_pair_follows_the_rules_file(src, dst):
    rule = st.can_move(src, dst, HELD if src == "on_hold" else None)
    allowed, reason = expected(src, dst)
    assert rule.allowed is allowed, rule.message
    assert rule.allowed is False or rule.reason_required is reason
    assert rule.message


def test_hand_written_expectations():
    assert st.can_move("lead", "contact").kind == "forward"
    refused = st.can_move("lead", "signed")
    assert not refused.allowed and "线索" in refused.message and "签约" in refused.message
    assert st.can_move("signed", "construction").kind == "skip"
    assert "子公司" in st.can_move("signed", "construction").message
    back = st.can_move("contact", "lead")
    assert back.allowed and back.kind == "back" and back.reason_required
    assert not st.can_move("production", "construction").allowed  # two steps back
    assert st.can_move("on_hold", "signed", held_from="signed").kind == "resume"
    assert not st.can_move("on_hold", "registered", held_from="signed").allowed
    assert not st.can_move("terminated", "lead").allowed
    assert "终止" in st.can_move("terminated", "lead").message
    assert st.can_move("full_production", "on_hold").allowed


def test_stages_and_phases_are_as_the_bureau_names_them():
    r = st.rules()
    assert r.order == ["lead", "contact", "negotiating", "signed", "registered", "construction", "completed",
                       "production", "full_production"]
    assert [r.stages[s].name for s in r.order][:4] == ["线索", "接洽", "在谈", "签约"]
    assert r.stages["signed"].phase == "attraction" and r.stages["completed"].phase == "construction"
    assert r.stages["full_production"].phase_name == "服务"
    assert r.resolve("供地") == "construction" and r.resolve("搁置") == "on_hold"
    with pytest.raises(ValueError, match="未知的阶段"):
        r.resolve("飞升")


def _project_at(db, src: str, n: int) -> int:
    if src in ORDER:
        return P.add_project(db, name=f"样例阶段项目{n}", stage=src, user="测试")["id"]
    pid = P.add_project(db, name=f"样例阶段项目{n}", stage=HELD, user="测试")["id"]
    P.move(db, pid, src, "测试", reason="样例原因")
    return pid


def test_every_move_on_the_database(db):
    for n, (src, dst) in enumerate((a, b) for a in ALL for b in ALL):
        pid = _project_at(db, src, n)
        before = len(P.history(db, pid))
        allowed, reason = expected(src, dst)
        if not allowed:
            with pytest.raises(P.MoveRefused):
                P.move(db, pid, dst, "测试", reason="试一试")
            assert P.get_project(db, pid)["stage"] == src
            assert len(P.history(db, pid)) == before
            continue
        if reason:
            with pytest.raises(P.MoveRefused, match="原因"):
                P.move(db, pid, dst, "测试")
        out = P.move(db, pid, dst, "测试", reason="样例原因")
        assert out["stage"] == dst, (src, dst)
        assert len(out["history"]) == before + 1
        assert (out["history"][-1]["from"], out["history"][-1]["to"]) == (src, dst)


def _write(tmp_path, text: str):
    p = tmp_path / "stages.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_bad_rules_file_names_file_and_line(tmp_path):
    text = st.STAGES_FILE.read_text("utf-8").replace("  - from: signed\n    to: construction",
                                                      "  - from: signed\n    to: constructoin")
    path = _write(tmp_path, text)
    with pytest.raises(RulesError) as err:
        st.load_stage_rules(path)
    line = text.splitlines().index("    to: constructoin") + 1
    assert err.value.line == line
    assert f"{path}:{line}:" in str(err.value) and "constructoin" in str(err.value)


def test_bad_phase_and_duplicate_key_are_reported(tmp_path):
    text = st.STAGES_FILE.read_text("utf-8").replace("    phase: service\n", "    phase: servce\n", 1)
    with pytest.raises(RulesError, match="servce"):
        st.load_stage_rules(_write(tmp_path, text))
    with pytest.raises(RulesError, match="重复的键"):
        st.load_stage_rules(_write(tmp_path, "phases:\n  a: 甲\n  a: 乙\n"))
    with pytest.raises(RulesError, match=r":\d+: YAML"):
        st.load_stage_rules(_write(tmp_path, "stages: [\n"))
