"""Projects: creation, history of moves, hold and resume, termination, optimistic locking, problem lists."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from xinlian.store.tables.work import Project
from xinlian.work import projects as P
from xinlian.work.common import BEIJING, WorkError


def test_history_keeps_who_when_and_why(db, firm):
    p = P.add_project(db, name="样例衬底扩产项目", investor_id=firm, node_id="sic_substrate", user="甲",
                      when=datetime(2025, 1, 5, 9, 0), planned_investment=5e8)
    assert (p["stage"], p["version"], p["investor"]) == ("lead", 1, "样例芯材科技(常州)有限公司")
    P.move(db, p["id"], "接洽", "乙", when=datetime(2025, 1, 20, 10, 0))
    P.move(db, p["id"], "在谈", "乙", reason="客商提交投资意向书", when=datetime(2025, 2, 3, 15, 30))
    out = P.move(db, p["id"], "接洽", "丙", reason="客商暂停谈判，重新接洽", when=datetime(2025, 2, 10, 8, 0))
    h = out["history"]
    assert [(m["from"], m["to"], m["kind"], m["user"]) for m in h] == [
        (None, "lead", "create", "甲"), ("lead", "contact", "forward", "乙"),
        ("contact", "negotiating", "forward", "乙"), ("negotiating", "contact", "back", "丙")]
    assert h[2]["reason"] == "客商提交投资意向书"
    assert h[3]["at"].astimezone(BEIJING) == datetime(2025, 2, 10, 8, 0, tzinfo=BEIJING)
    assert out["version"] == 4 and out["updated_by"] == "丙"


def test_key_dates_are_filled_when_stages_are_reached(db):
    p = P.add_project(db, name="样例封测项目", stage="negotiating", user="甲")
    P.move(db, p["id"], "signed", "甲", when=datetime(2025, 3, 6, 10, 0))
    out = P.move(db, p["id"], "registered", "甲", when=datetime(2025, 4, 1, 10, 0))
    assert out["signed_on"] == date(2025, 3, 6) and out["registered_on"] == date(2025, 4, 1)
    assert out["phase"] == "construction" and out["stage_name"] == "注册"


def test_hold_then_resume_to_the_stage_left(db):
    p = P.add_project(db, name="样例设备项目", stage="signed", user="甲")
    with pytest.raises(P.MoveRefused, match="原因"):
        P.move(db, p["id"], "搁置", "甲")
    held = P.move(db, p["id"], "搁置", "甲", reason="投资方资金链紧张")
    assert (held["stage"], held["status"], held["held_from"]) == ("on_hold", "on_hold", "signed")
    with pytest.raises(P.MoveRefused, match="只能恢复到搁置前的「签约」"):
        P.move(db, p["id"], "registered", "甲")
    back = P.move(db, p["id"], "signed", "甲")
    assert (back["stage"], back["status"], back["held_from"]) == ("signed", "active", None)
    assert [m["kind"] for m in back["history"]] == ["create", "hold", "resume"]


def test_terminated_is_final(db):
    p = P.add_project(db, name="样例终止项目", stage="contact", user="甲")
    with pytest.raises(P.MoveRefused, match="原因"):
        P.move(db, p["id"], "终止", "甲", reason="  ")
    t = P.move(db, p["id"], "终止", "甲", reason="投资方落户外地")
    assert (t["stage"], t["status"], t["held_from"]) == ("terminated", "terminated", "contact")
    for target in ("contact", "lead", "on_hold", "negotiating"):
        with pytest.raises(P.MoveRefused, match="终止为最终状态"):
            P.move(db, p["id"], target, "甲", reason="想恢复")
    assert P.get_project(db, p["id"])["stage"] == "terminated"


def test_concurrent_edits_second_save_is_refused_and_nothing_lost(db, firm):
    p = P.add_project(db, name="样例并发项目", investor_id=firm, stage="negotiating", user="甲",
                      when=datetime(2025, 5, 1, 9, 0))
    # Two analysts load the project in their own sessions: both see version 1.
    s1, s2 = db.factory(), db.factory()
    try:
        v1 = s1.get(Project, p["id"]).version
        v2 = s2.get(Project, p["id"]).version
        assert v1 == v2 == 1
        P.update_project(s1, p["id"], {"land_mu": 80.0, "official": "张样例"}, v1, "分析员甲",
                         when=datetime(2025, 5, 2, 14, 5))
        s1.commit()
        mine = {"land_mu": 120.0, "notes": "客商要求增加用地"}
        with pytest.raises(P.ConflictError) as err:
            P.update_project(s2, p["id"], mine, v2, "分析员乙")
        s2.rollback()
    finally:
        s1.close()
        s2.close()
    e = err.value
    assert e.changes == mine and e.changed_by == "分析员甲" and e.current_version == 2
    assert "分析员甲" in str(e) and "2025-05-02 14:05" in str(e) and "用地(亩)=120" in str(e)
    now = P.get_project(db, p["id"])
    assert (now["land_mu"], now["official"], now["notes"], now["version"]) == (80.0, "张样例", None, 2)


def test_move_with_stale_version_conflicts(db):
    p = P.add_project(db, name="样例版本项目", stage="lead", user="甲")
    P.update_project(db, p["id"], {"department": "投资促进局"}, 1, "甲")
    with pytest.raises(P.ConflictError) as err:
        P.move(db, p["id"], "contact", "乙", expected_version=1)
    assert err.value.changes["stage"] == "contact"
    assert P.get_project(db, p["id"])["stage"] == "lead"


def test_update_refuses_stage_unknown_fields_and_bad_nodes(db):
    p = P.add_project(db, name="样例校验项目", user="甲")
    with pytest.raises(WorkError, match="move"):
        P.update_project(db, p["id"], {"stage": "signed"}, 1, "甲")
    with pytest.raises(WorkError, match="不能直接修改"):
        P.update_project(db, p["id"], {"version": 9}, 1, "甲")
    with pytest.raises(WorkError, match="没有环节"):
        P.update_project(db, p["id"], {"node_id": "flux_capacitor"}, 1, "甲")
    with pytest.raises(WorkError, match="非负数"):
        P.update_project(db, p["id"], {"planned_investment": -5.0}, 1, "甲")
    with pytest.raises(WorkError, match="已有同名项目"):
        P.add_project(db, name="样例校验项目", user="乙")
    with pytest.raises(WorkError, match="阶段"):
        P.add_project(db, name="样例搁置项目", stage="on_hold", user="乙")
    assert P.get_project(db, p["id"])["version"] == 1


def test_problems_add_close_and_list(db):
    p = P.add_project(db, name="样例问题项目", stage="construction", department="投资促进局", user="甲")
    x = P.add_problem(db, p["id"], category="用地", description="土地指标未落实", owner="李样例", due=date(2025, 6, 30))
    assert (x["stage"], x["category"], x["category_name"], x["department"]) == ("construction", "land", "用地", "投资促进局")
    y = P.add_problem(db, p["id"], category="energy", description="能耗指标待审批")
    with pytest.raises(WorkError, match="问题类别"):
        P.add_problem(db, p["id"], category="天气", description="下雨")
    with pytest.raises(WorkError, match="解决情况"):
        P.close_problem(db, x["id"], resolution="")
    c = P.close_problem(db, x["id"], resolution="已调剂 60 亩指标", user="李样例")
    assert c["status"] == "closed" and c["closed_at"] is not None
    with pytest.raises(WorkError, match="已于"):
        P.close_problem(db, x["id"], resolution="再关一次")
    assert [q["id"] for q in P.list_problems(db, status="open")] == [y["id"]]
    assert len(P.get_project(db, p["id"])["problems"]) == 2


def test_list_filters(db, firm):
    P.add_project(db, name="样例甲", stage="lead", department="投资促进局", user="甲")
    P.add_project(db, name="样例乙", stage="construction", investor_id=firm, department="工信局", user="甲")
    P.add_project(db, name="样例丙", stage="production", department="工信局", node_id="sic_substrate", user="甲")
    assert [p["name"] for p in P.list_projects(db)] == ["样例甲", "样例乙", "样例丙"]  # pipeline order
    assert [p["name"] for p in P.list_projects(db, phase="建设")] == ["样例乙"]
    assert [p["name"] for p in P.list_projects(db, department="工信局")] == ["样例乙", "样例丙"]
    assert [p["name"] for p in P.list_projects(db, stage="投产")] == ["样例丙"]
    assert [p["name"] for p in P.list_projects(db, node_id="sic_substrate")] == ["样例丙"]
    assert [p["name"] for p in P.list_projects(db, investor_id=firm)] == ["样例乙"]
    assert P.list_projects(db, q="丙")[0]["chain"] == "semiconductor"
